// Keeps one generator's lease alive through a syncer session (DatabaseSyncer's or a custom one).
//
// The core generator (wasm) mints synchronously and only inside the window it was last given;
// this class is the asynchronous half that saves windows in the store and hands them over:
// - Node and browsers: a background timer renews every liveliness probe. It is unref'd, so a
//   generator never keeps a Node process alive (an unreleased id frees itself after 2 probes).
// - Cloudflare Workers (no work between requests): `ready()` renews on demand when a probe has
//   passed; ids keep flowing synchronously inside the window already saved.
// - A renewal that errors (database unreachable) changes nothing: the saved window stays valid,
//   minting stops by itself at its end (LEASE_EXPIRED), and renewal is retried sooner.
// - A renewal that finds the lease lost (compare-and-swap failed: someone took the id after it
//   expired) revokes at once, then claims another id and hands id and window over together,
//   so the generator never keeps minting with an id it no longer holds.
import { SnowfallError } from "../errors.js";

// Workers have setTimeout, but nothing runs between requests; renew there through ready().
const EXPIRED = Symbol("expired");
const isWorkers = () => typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";

export class LeaseKeeper {
  #session; #core; #clock; #timers;
  #timer = null;
  #inflight = null;
  #holding = false;
  #renewedAt = -Infinity;
  #closed = false;
  /** The last renewal or claim error (for diagnostics), or null. */
  lastError = null;

  /**
   * @param {{ livelinessProbeMs: number, claim: Function, renew: Function, release: Function }} session
   * @param {{ adoptLease: Function, revokeLease: Function, close: Function, lastIssuedUnixMs: number }} core
   * @param {{ timers?: boolean, clock?: () => number }} [options] timers: renew in the background
   *   (default: yes, except in Cloudflare Workers)
   */
  constructor(session, core, { timers, clock } = {}) {
    this.#session = session;
    this.#core = core;
    this.#clock = clock ?? Date.now;
    this.#timers = timers ?? (typeof setTimeout === "function" && !isWorkers());
  }

  get #probeMs() {
    return this.#session.livelinessProbeMs;
  }

  /** Claims a generator id and hands it to the core; then keeps it renewed. */
  async start() {
    this.#adopt(await this.#session.claim());
    this.#schedule(Math.max(0, this.#msUntilDue()));
  }

  /**
   * Resolves once the lease is as fresh as it can be: renews if a probe has passed since the last
   * renewal (or claims if the lease was lost). Rejects only if no usable window remains.
   */
  async ready() {
    if (this.#closed) throw new SnowfallError("GENERATOR_CLOSED", "the generator was closed");
    const due = !this.#holding || this.#msUntilDue() <= 0;
    if (!due && !this.#inflight) return;
    const renewal = this.#renewOnce();
    const left = this.#holding ? this.#windowEnd() - this.#clock() : -1;
    let timer;
    try {
      if (left < 0) return await renewal; // nothing usable until it lands
      // A statement can hang (a frozen server): wait for it no longer than the saved window lasts.
      const expired = new Promise((resolve) => { timer = setTimeout(resolve, left + 1, EXPIRED); });
      if ((await Promise.race([renewal, expired])) === EXPIRED) {
        throw new SnowfallError("LEASE_EXPIRED", "the lease window ended while its renewal was still waiting for the database");
      }
    } catch (err) {
      if (this.#holding && this.#windowOpen()) return; // the saved window still covers now
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops renewing, stops the core minting, and releases the id with the last ms it minted. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    // Let a renewal in flight land (its write is then released too), but not for longer than the
    // window lasts: a hung statement must not hang close(). The session releases either outcome.
    if (this.#inflight) {
      let timer;
      const left = Math.max(0, this.#windowEnd() - this.#clock());
      await Promise.race([this.#inflight.catch(() => {}), new Promise((r) => { timer = setTimeout(r, left); })]);
      clearTimeout(timer);
    }
    // Order matters: stop minting first, then read what was minted, then release.
    this.#core.revokeLease();
    const lastIssued = this.#core.lastIssuedUnixMs;
    this.#core.close();
    if (this.#holding) {
      this.#holding = false;
      await this.#session.release(lastIssued ?? -1);
    }
  }

  /** The core's window end (unix ms), or -Infinity without one. The wasm core returns a Float64Array. */
  #windowEnd() {
    const window = this.#core.leaseWindow;
    return window != null && window.length === 2 ? Number(window[1]) : -Infinity;
  }

  #windowOpen() {
    return this.#windowEnd() >= this.#clock();
  }

  /**
   * Time until the next renewal is due: a probe after the last one, or earlier once less than a
   * probe of window is left (a renewal that landed late, after a freeze or a slow statement,
   * leaves a short or already-ended window: renew again at once rather than a probe later).
   */
  #msUntilDue() {
    const now = this.#clock();
    return Math.min(this.#probeMs - (now - this.#renewedAt), this.#windowEnd() - this.#probeMs - now);
  }

  #adopt(lease) {
    this.#core.adoptLease(lease.generatorId, lease.windowStartUnixMs, lease.windowEndUnixMs);
    this.#holding = true;
    this.#renewedAt = this.#clock();
    this.lastError = null;
  }

  /** One renewal at a time: concurrent callers share it. */
  #renewOnce() {
    this.#inflight ??= this.#renew().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #renew() {
    try {
      if (this.#holding) {
        let lease = null;
        try {
          lease = await this.#session.renew();
        } catch (err) {
          if (err?.code !== "LEASE_LOST") throw err; // an outage: keep the saved window
        }
        if (this.#closed) return;
        if (lease) return this.#adopt(lease);
        // Lost: stop minting with this id now, before anything else can fail.
        this.#holding = false;
        this.#core.revokeLease();
      }
      const lease = await this.#session.claim();
      if (this.#closed) {
        await this.#session.release(-1);
        return;
      }
      this.#adopt(lease);
    } catch (err) {
      this.lastError = err;
      throw err;
    }
  }

  #schedule(delayMs) {
    if (!this.#timers || this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#renewOnce().then(
        // A floor keeps a store that only ever grants short windows from being asked non-stop.
        () => this.#schedule(Math.max(Math.min(50, this.#probeMs / 10), this.#msUntilDue())),
        // Retry soon, well inside the window that is left (the window lasts two probes).
        () => this.#schedule(Math.max(50, Math.floor(this.#probeMs / 5))),
      );
    }, delayMs);
    // Node: never keep the process alive for a renewal. Browsers return a number (no unref).
    this.#timer?.unref?.();
  }
}
