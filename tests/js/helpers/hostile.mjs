// Hostile values for the public API: every callback and getter throws, proxies are revoked,
// objects pose as Dates and typed arrays. Shared by tests/js/boundary.test.mjs and
// tests/js/fuzz.test.mjs. `sf` is the package's module namespace.

/** Every code README's error table lists. */
export const README_CODES = new Set([
  "INVALID_TYPE", "OUT_OF_RANGE", "INVALID_SCHEMA_GROUP_NAME", "SCHEMA_GROUP_EXISTS", "SCHEMA_GROUP_IN_USE",
  "SCHEMA_GROUP_NOT_FOUND", "EPOCH_IN_FUTURE", "GENERATOR_IDS_EXHAUSTED", "CLOCK_BEFORE_EPOCH",
  "CLOCK_MOVED_BACKWARDS", "CLOCK_STALLED", "INVALID_CLOCK_READING", "TIMESTAMP_OVERFLOW", "LEASE_EXPIRED",
  "LEASE_LOST", "GENERATOR_CLOSED", "DATABASE_ERROR", "INVALID_SYNCER", "STORE_TIMEOUT", "CLOCK_SKEW", "STORE_CHECK_FAILED", "NOT_INITIALIZED", "UNSUPPORTED_RUNTIME", "GRANT_UNAVAILABLE",
]);

export const boom = () => {
  throw new Error("boom");
};
export const throwingGetters = (keys) => Object.defineProperties({}, Object.fromEntries(keys.map((k) => [k, { get: boom, enumerable: true }])));
export const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
export const throwingProxy = () => new Proxy({}, { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom });
export const badDate = () => {
  const d = new Date();
  d.getTime = boom;
  d.valueOf = boom;
  return d;
};
export const fakeDate = () => Object.create(Date.prototype);
export const valueOfThrows = () => ({ valueOf: boom, toString: boom, [Symbol.toPrimitive]: boom });

/** Subclasses and look-alikes of BigUint64Array that lie about themselves. */
export function lyingTargets() {
  class LengthNaN extends BigUint64Array { get length() { return NaN; } }
  class LengthMinus1 extends BigUint64Array { get length() { return -1; } }
  const proxy = new Proxy(new BigUint64Array(4), {});
  const lookAlike = Object.create(BigUint64Array.prototype, { length: { value: 3 } });
  return { LengthNaN, LengthMinus1, proxy, lookAlike };
}

/**
 * Calls every public entry point with hostile values `rounds` times; returns how many calls were
 * made and a tally of the failures: `SnowfallError:CODE`, or the constructor name and message of
 * anything else.
 */
export function hostileRounds(sf, rounds) {
  const { Snowfall, SimpleSyncer, decodeGuid, guidRange } = sf;
  const tally = new Map();
  let calls = 0;
  const call = (fn) => {
    calls++;
    try {
      fn();
    } catch (e) {
      const key = e instanceof sf.SnowfallError ? `SnowfallError:${e.code}` : `${e?.constructor?.name ?? typeof e}: ${e?.message}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
  };
  let clockMode = 0;
  const clocks = [boom, () => 5n, () => "5", valueOfThrows, () => NaN, () => -1e300, () => ({}), () => Symbol("t")];
  const switching = () => clocks[clockMode % clocks.length]();
  let hostile = false;
  const victim = new Snowfall({ clock: () => (hostile ? switching() : Date.now()) });
  hostile = true;
  const { LengthNaN, LengthMinus1, proxy, lookAlike } = lyingTargets();
  for (let i = 0; i < rounds; i++) {
    clockMode = i;
    call(() => victim.getGuid());
    call(() => victim.getGuids(5));
    call(() => victim.getGuidsInto(new BigUint64Array(5)));
    call(() => victim.getGuidStrings(2));
    call(() => new Snowfall({ clock: clocks[i % clocks.length] }));
    call(() => new Snowfall(throwingGetters(["schemaGroupName", "clock", "clockToleranceMs", "syncer"])));
    call(() => new Snowfall(revoked()));
    call(() => new Snowfall(throwingProxy()));
    call(() => SimpleSyncer.createSchemaGroup(throwingGetters(["schemaGroupName", "livelinessProbeS", "epochStartDate"])));
    call(() => SimpleSyncer.createSchemaGroup(revoked()));
    call(() => SimpleSyncer.createSchemaGroup({ schemaGroupName: `h${i}`, epochStartDate: fakeDate() }));
    call(() => SimpleSyncer.createSchemaGroup({ schemaGroupName: `h${i}`, livelinessProbeS: valueOfThrows() }));
    call(() => SimpleSyncer.hasSchemaGroup(valueOfThrows()));
    call(() => SimpleSyncer.schemaGroupStatus(revoked()));
    call(() => SimpleSyncer.dropSchemaGroup(throwingProxy()));
    call(() => decodeGuid(1n, { epochStartDate: badDate() }));
    call(() => decodeGuid(1n, { epochStartDate: new Proxy(new Date(), {}) }));
    call(() => decodeGuid(1n, throwingGetters(["epochStartDate"])));
    call(() => decodeGuid(1n, revoked()));
    call(() => decodeGuid(valueOfThrows()));
    call(() => guidRange(badDate()));
    call(() => guidRange(badDate(), { epochStartDate: badDate() }));
    call(() => SimpleSyncer.createSchemaGroup({ schemaGroupName: "h_bad_date", epochStartDate: badDate() }));
    call(() => guidRange(Date.now(), revoked()));
    call(() => new Snowfall().getGuidsInto(proxy));
    call(() => new Snowfall().getGuidsInto(lookAlike));
    call(() => victim.getGuidsInto(new LengthNaN(2)));
    call(() => victim.getGuidsInto(new LengthMinus1(2)));
  }
  return { calls, tally };
}

/**
 * Calls `fn` at every depth of a JS stack about to overflow (a recursion down to the engine's
 * limit, then `fn` in each frame on the way back up), `times` times.
 */
export function atStackLimit(fn, times = 1) {
  let calls = 0;
  const deep = () => {
    try {
      deep();
    } catch {}
    calls++;
    try {
      fn();
    } catch {}
  };
  for (let i = 0; i < times; i++) {
    try {
      deep();
    } catch {}
  }
  return calls;
}

/** Throws unless `ids` (bigints) strictly increase, all above `after`. */
export function assertIncreasing(ids, after = -1n) {
  let last = after;
  for (const id of ids) {
    if (typeof id !== "bigint" || id <= last) throw new Error(`ids do not increase: ${last} then ${id}`);
    last = id;
  }
  return last;
}
