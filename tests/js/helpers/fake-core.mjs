// A stand-in for the wasm core's Generator, recording what the LeaseKeeper asks of it, so the
// keeper's protocol can be checked without a build. It mints one "id" per call at clock time,
// only inside the window it was given (as the real core does).
export class FakeCore {
  calls = [];
  #lease = null;
  #last = -1;
  closed = false;

  constructor(clock = Date.now) {
    this.clock = clock;
  }

  adoptLease(generatorId, windowStartUnixMs, windowEndUnixMs) {
    if (this.closed) throw Object.assign(new Error("closed"), { code: "GENERATOR_CLOSED" });
    this.calls.push(["adopt", generatorId, windowStartUnixMs, windowEndUnixMs]);
    this.#lease = { generatorId, windowStartUnixMs, windowEndUnixMs };
  }

  revokeLease() {
    this.calls.push(["revoke"]);
    this.#lease = null;
  }

  close() {
    this.calls.push(["close"]);
    this.#lease = null;
    this.closed = true;
  }

  get leaseWindow() {
    // A Float64Array, as the wasm core returns it (not an Array).
    return this.#lease ? new Float64Array([this.#lease.windowStartUnixMs, this.#lease.windowEndUnixMs]) : undefined;
  }

  get generatorId() {
    return this.#lease?.generatorId;
  }

  get lastIssuedUnixMs() {
    return this.#last;
  }

  /** Mints at the clock's ms; throws LEASE_EXPIRED outside the window. Returns [generatorId, ms]. */
  mint() {
    const now = Math.max(this.clock(), this.#last);
    const l = this.#lease;
    if (!l || now < l.windowStartUnixMs || now > l.windowEndUnixMs) {
      throw Object.assign(new Error("outside the lease window"), { code: "LEASE_EXPIRED" });
    }
    this.#last = now;
    return [l.generatorId, now];
  }
}
