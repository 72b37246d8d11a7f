// A complete custom syncer with no SQL: slots in a JS Map, each write an async compare-and-swap.
// It is what a user would write for Redis, a Durable Object or an HTTP service, and the test suite
// uses it to check the syncer interface documented at the top of js/database/syncer.js.
const sleep0 = () => new Promise((r) => setImmediate(r));

/** The store: 4096 slots behind an async compare-and-swap (the only write). */
export class MapStore {
  slots = new Map();
  writes = 0;
  /** Set to an Error to make every operation fail (a store outage). */
  failure = null;

  async read(id) {
    await sleep0();
    if (this.failure) throw this.failure;
    return this.slots.get(id) ?? { updated: 0, reserved: 0, holder: "" };
  }

  async compareAndSwap(id, expected, next) {
    await sleep0();
    if (this.failure) throw this.failure;
    const cur = this.slots.get(id) ?? { updated: 0, reserved: 0, holder: "" };
    if (cur.updated !== expected.updated || cur.reserved !== expected.reserved || cur.holder !== expected.holder) return false;
    this.slots.set(id, { ...next });
    this.writes++;
    return true;
  }
}

/**
 * A syncer over a MapStore: `Snowfall.create({ syncer: new MapSyncer(store, { probeMs }), clock })`.
 */
export class MapSyncer {
  constructor(store, { probeMs = 5000, epochUnixMs = Date.UTC(2020, 0, 1) } = {}) {
    this.store = store;
    this.probeMs = probeMs;
    this.epochUnixMs = epochUnixMs;
  }

  async open(options = {}) {
    return new MapSession(this.store, this.probeMs, this.epochUnixMs, options.clock ?? Date.now);
  }
}

class MapSession {
  #store; #clock; #held = null;
  renewals = 0;
  constructor(store, probeMs, epochUnixMs, clock) {
    this.#store = store;
    this.#clock = clock;
    this.livelinessProbeMs = probeMs;
    this.epochUnixMs = epochUnixMs;
  }

  #lease() {
    const h = this.#held;
    return { generatorId: h.id, windowStartUnixMs: h.start, windowEndUnixMs: h.reserved };
  }

  async claim() {
    this.#held = null;
    const lease = 2 * this.livelinessProbeMs;
    const first = Math.floor(Math.random() * 4096);
    for (let k = 0; k < 4096; k++) {
      const id = (first + k) % 4096;
      const slot = await this.#store.read(id);
      const now = this.#clock();
      if (!(slot.updated < now - lease)) continue; // held
      const start = slot.reserved + 1; // the fence
      const next = { updated: now, reserved: Math.max(now, start) + lease, holder: crypto.randomUUID() };
      if (await this.#store.compareAndSwap(id, slot, next)) {
        this.#held = { id, start, ...next };
        return this.#lease();
      }
    }
    throw Object.assign(new Error("all generator ids are in use"), { code: "GENERATOR_IDS_EXHAUSTED" });
  }

  async renew() {
    const h = this.#held;
    const lost = () => Object.assign(new Error("the lease was taken over"), { code: "LEASE_LOST" });
    if (!h) throw lost();
    const now = this.#clock();
    const next = { updated: now, reserved: Math.max(h.reserved, now + 2 * this.livelinessProbeMs), holder: h.holder };
    if (!(await this.#store.compareAndSwap(h.id, h, next))) {
      this.#held = null;
      throw lost();
    }
    this.renewals++;
    this.#held = { ...h, ...next };
    return this.#lease();
  }

  async release(lastIssuedUnixMs) {
    const h = this.#held;
    if (!h) return;
    this.#held = null;
    const reserved = lastIssuedUnixMs >= 0 ? Math.min(Math.max(lastIssuedUnixMs, h.start - 1), h.reserved) : h.start - 1;
    // Backdated so the slot is free once a clock passed `reserved` (see DatabaseSyncer's release).
    await this.#store.compareAndSwap(h.id, h, { updated: reserved - 2 * this.livelinessProbeMs, reserved, holder: "" });
  }
}
