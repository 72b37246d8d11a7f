// A complete custom store with no SQL: slots in a JS Map, each call async (as a network store's
// would be). It is what a user writes for a key-value store or an HTTP service; it does I/O only
// (the lease rules are the core's), and the conformance kit (snowfall-wasm/testing) checks it
// like the package's own stores.
const tick = () => new Promise((r) => setImmediate(r));
const INITIAL = Object.freeze({ lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" });

export class MapStore {
  slots = new Map();
  group = null;
  writes = 0;
  renewals = 0;
  /** Set to an Error to make every call fail (an outage); to "hang" to make every call never answer. */
  failure = null;
  /** Called before each call with its name (tests count, delay or break calls). */
  onCall = null;

  constructor({ probeS = 5, epochUnixMs = Date.UTC(2020, 0, 1), schemaGroupName = "map" } = {}) {
    this.group = { schemaGroupName, livelinessProbeS: probeS, epochUnixMs, maxClaimRetries: 3, minMsBetweenClaimRetries: 1, maxMsBetweenClaimRetries: 5 };
  }

  async #enter(name) {
    await this.onCall?.(name);
    await tick();
    if (this.failure === "hang") await new Promise(() => {});
    if (this.failure) throw this.failure;
  }

  slot(id) {
    return this.slots.get(id) ?? INITIAL;
  }

  async readGroup() {
    await this.#enter("readGroup");
    return this.group && { ...this.group };
  }

  async createGroup(props) {
    await this.#enter("createGroup");
    this.group = { ...props };
    return { ...this.group };
  }

  async readFreeSlots({ from, to, limit, freeBeforeMs }) {
    await this.#enter("readFreeSlots");
    const out = [];
    for (let id = from; id < to && out.length < limit; id++) {
      const s = this.slot(id);
      if (s.lastUpdatedMs < freeBeforeMs) out.push({ generatorId: id, ...s });
    }
    return out;
  }

  async compareAndSwap({ generatorId, expected, next }) {
    await this.#enter("compareAndSwap");
    const cur = this.slot(generatorId);
    if (cur.lastUpdatedMs !== expected.lastUpdatedMs || cur.reservedUntilMs !== expected.reservedUntilMs || cur.holder !== expected.holder) return false;
    if (cur.holder !== "" && cur.holder === next.holder) this.renewals++;
    this.slots.set(generatorId, { lastUpdatedMs: next.lastUpdatedMs, reservedUntilMs: next.reservedUntilMs, holder: next.holder });
    this.writes++;
    return true;
  }
}
