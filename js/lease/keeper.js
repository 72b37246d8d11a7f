// Keeps one generator's lease through a LeaseSession (js/lease/session.js): the asynchronous half
// of the generator. The core generator (wasm) mints synchronously and only inside the window it
// was last handed; this class hands windows over and decides only *when* to ask (the core's
// renewalDue), never what a lease is:
// - Node and browsers: a background timer keeps the lease. It is unref'd, so a generator never
//   keeps a Node process alive (an unreleased id frees itself after two probes).
// - Cloudflare Workers (no work between requests): `ready()` keeps it on demand.
// - Every wait is bounded: a store that never answers ends the operation at its deadline
//   (storeTimeoutMs, and for a renewal the window end), the saved window stays usable until it
//   ends (then LEASE_EXPIRED from getGuid), and the next ready() or timer tick starts afresh.
//   ready() also races a timer of its own, so a renewal begun in an earlier Workers request (whose
//   timers may never fire) cannot hold up a later one.
import { SnowfallError } from "../errors.js";
import { readClock } from "../clock.js";

const isWorkers = () => typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
const EXPIRED = Symbol("expired");

export class LeaseKeeper {
  #session; #core; #clock; #timers;
  #timer = null;
  #inflight = null;
  #inflightDeadline = Infinity;
  #closed = false;
  /** The last renewal or claim error (for diagnostics), or null. */
  lastError = null;
  /** Renewals (a keep: renew, or claim again after a loss) that succeeded / failed, and leases lost (Snowfall#stats). */
  counts = { renewalsOk: 0, renewalsFailed: 0, leasesLost: 0 };

  /**
   * @param {import("./session.js").LeaseSession} session
   * @param {{ adoptLease: Function, revokeLease: Function, close: Function, lastIssuedUnixMs: number, leaseWindow?: ArrayLike<number> }} core
   * @param {{ timers?: boolean, clock?: () => number }} [options] timers: keep in the background
   *   (default: yes, except in Cloudflare Workers)
   */
  constructor(session, core, { timers, clock } = {}) {
    this.#session = session;
    this.#core = core;
    this.#clock = clock;
    this.#timers = timers ?? (typeof setTimeout === "function" && !isWorkers());
  }

  #now() {
    return readClock(this.#clock);
  }

  /**
   * Claims a generator id and hands it to the core; then keeps it. A claim that fails may have
   * left its write in the store (it timed out, or failed in flight): the session releases what it
   * may hold before the error goes on (bounded: storeTimeoutMs; docs/PROTOCOL.md, "Claims of
   * unknown outcome"), so a failed `Snowfall.create` leaves no id taken for a lease.
   */
  async start() {
    let lease;
    try {
      lease = await this.#session.claim();
    } catch (err) {
      await this.#session.release(-1).catch(() => {}); // no I/O unless a claim write is unknown
      throw err;
    }
    this.#adopt(lease);
    this.#schedule();
  }

  /**
   * Resolves once the lease is as fresh as the store allows: keeps it if the renewal is due (or
   * claims if it was lost). Rejects (a SnowfallError) only if no usable window remains; settles
   * within the store timeout (twice it when a lost lease needs a new claim).
   */
  async ready() {
    if (this.#closed) throw new SnowfallError("GENERATOR_CLOSED", "the generator was closed");
    const now = this.#now();
    // renewalDue is NaN without a lease, so no lease always falls through to keep().
    if (now < this.#session.renewalDue && !this.#inflight) return;
    const keeping = this.#keepOnce();
    let timer;
    try {
      const bound = this.#inflightDeadline - now + 1;
      const expired = new Promise((resolve) => { if (bound < Infinity) timer = setTimeout(resolve, Math.max(0, bound), EXPIRED); });
      if ((await Promise.race([keeping, expired])) === EXPIRED) {
        this.#inflight = null; // never join it again; the next call starts afresh
        throw new SnowfallError("STORE_TIMEOUT", "the store did not answer the renewal in time: the generator mints inside its saved window, the next ready() tries again");
      }
    } catch (err) {
      if (this.#windowOpen()) return; // the saved window still covers now
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
    // Order matters: stop minting first, then read what was minted, then release (the release
    // abandons a renewal in flight; a write of it that may have landed is released too).
    this.#core.revokeLease();
    const lastIssued = this.#core.lastIssuedUnixMs;
    this.#core.close();
    await this.#session.release(lastIssued ?? -1);
  }

  #windowOpen() {
    const window = this.#core.leaseWindow;
    return window != null && window.length === 2 && Number(window[1]) >= this.#now();
  }

  #adopt(lease) {
    if (this.#closed) return;
    this.#core.adoptLease(lease.generatorId, lease.windowStartUnixMs, lease.windowEndUnixMs);
    this.lastError = null;
  }

  /** One keep at a time: concurrent callers share it. */
  #keepOnce() {
    if (!this.#inflight) {
      const started = this.#now();
      // The longest one operation may take: a renewal, then a claim if the lease was lost.
      this.#inflightDeadline = started + 2 * this.#session.storeTimeoutMs;
      const p = this.#session.keep(() => { this.counts.leasesLost++; this.#core.revokeLease(); }).then(
        (lease) => { this.counts.renewalsOk++; this.#adopt(lease); },
        (err) => { this.counts.renewalsFailed++; this.lastError = err; throw err; },
      ).finally(() => {
        if (this.#inflight === p) this.#inflight = null;
      });
      p.catch(() => {});
      this.#inflight = p;
    }
    return this.#inflight;
  }

  #schedule(delayMs) {
    if (!this.#timers || this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const due = this.#session.renewalDue;
    const probe = this.#session.livelinessProbeMs;
    // A floor keeps a store that only ever grants short windows from being asked non-stop.
    const wait = delayMs ?? Math.max(Math.min(50, probe / 10), Number.isNaN(due) ? 0 : due - this.#now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#keepOnce().then(
        () => this.#schedule(),
        // Retry soon, well inside the window that is left (the window lasts two probes).
        () => this.#schedule(Math.max(50, Math.floor(probe / 5))),
      );
    }, wait);
    // Node: never keep the process alive for a renewal. Browsers return a number (no unref).
    this.#timer?.unref?.();
  }
}
