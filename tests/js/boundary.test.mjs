// The JS <-> wasm boundary (issue 7): no input can poison the wasm instance, every failure is a
// SnowfallError with a stable code, and the regressions the 0.1.0 fuzz run found, each as its own
// test. Against the packed and installed package, like tests/js/snowfall.test.mjs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { importInstalled } from "./installed.mjs";
import { manualClock, memoryGroups } from "./helpers/memory.mjs";
import { installedPackage, repoRoot } from "../runtimes/pack.mjs";
import { README_CODES, assertIncreasing, atStackLimit, boom, hostileRounds, lyingTargets, revoked, throwingGetters, valueOfThrows } from "./helpers/hostile.mjs";

let sf;
const group = memoryGroups("b", () => sf);
/** Asserts `fn` throws a SnowfallError with `code` (and, optionally, a message matching `re`); returns it. */
const throwsCode = (fn, code, re) => {
  let error;
  assert.throws(fn, (e) => {
    assert.ok(e instanceof sf.SnowfallError, `expected a SnowfallError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.code, code, e.message);
    assert.ok(README_CODES.has(e.code));
    if (re) assert.match(e.message, re);
    error = e;
    return true;
  });
  return error;
};
const parts = (id) => sf.decodeGuid(id);

describe("the JS <-> wasm boundary (installed package)", { timeout: 300_000 }, () => {
  before(async () => {
    sf = await importInstalled();
  });

  test("the wasm imports no JS function it could call while holding state (only wasm-bindgen's throw)", async () => {
    const { packageDir } = await installedPackage();
    const module = new WebAssembly.Module(readFileSync(path.join(packageDir, "snowfall_wasm_bg.wasm")));
    const imports = WebAssembly.Module.imports(module).map((i) => i.name.replace(/_[0-9a-f]{16}$/, ""));
    assert.deepEqual(imports, ["__wbg___wbindgen_throw"]);
  });

  test("over 40,000 calls that throw from every callback and getter, then generators made before make correct ids", () => {
    // 0.1.0: a Date whose getTime throws, read inside wasm, leaked wasm shadow stack on every call;
    // after about 4096 of them every generator threw `memory access out of bounds`, for good.
    const a = new sf.Snowfall({ schemaGroupName: group() });
    const b = new sf.Snowfall({ schemaGroupName: group(), clock: manualClock(Date.now()) });
    const firstA = a.getGuid();
    const firstB = b.getGuids(3000);
    const { calls, tally } = hostileRounds(sf, 1500);
    assert.ok(calls > 40_000, `${calls} calls`);
    for (const [key, n] of tally) assert.match(key, /^SnowfallError:[A-Z_]+$/, `${n} failures were not SnowfallErrors: ${key}`);
    for (const key of tally.keys()) assert.ok(README_CODES.has(key.slice("SnowfallError:".length)), key);
    assert.ok((tally.get("SnowfallError:INVALID_CLOCK_READING") ?? 0) > 5000, "the throwing clocks were called");
    assert.ok((tally.get("SnowfallError:INVALID_TYPE") ?? 0) > 20_000, "the throwing getters and proxies were read");

    const lastA = assertIncreasing([a.getGuid(), ...a.getGuids(100_000), a.getGuid()], firstA);
    const lastB = assertIncreasing([...b.getGuids(5000), b.getGuid()], firstB.at(-1));
    assert.equal(parts(lastA).generatorId, a.generatorId);
    assert.equal(parts(lastB).generatorId, b.generatorId);
    const c = new sf.Snowfall({ schemaGroupName: group() });
    assert.equal(c.generatorId, 0);
    assertIncreasing(c.getGuids(10_000));
    c.close();
    assert.equal(sf.decodeGuid(133494887688437760n).timestamp.toISOString(), "2020-07-03T04:30:30.720Z");
  });

  test("decodeGuid's fields equal the BigInt shifts of the id, where a double rounds worst too", () => {
    // decodeGuid takes the ms from the id as a double (rounded to 53 bits): ids whose low 23 bits
    // are all ones or all zeros, at the top of the 64-bit range, are where that rounding is largest.
    const top = ((1n << 41n) - 1n) << 23n;
    const ids = [0n, 1n, (1n << 23n) - 1n, 1n << 23n, top, top | ((1n << 23n) - 1n), (1n << 63n) - 1n, 1n << 63n,
      (1n << 63n) | ((1n << 23n) - 1n), 2n ** 64n - 1n, 2n ** 64n - (1n << 23n), 2n ** 53n - 1n, 2n ** 53n + 1n];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 20_000; i++) ids.push((x = (x * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n)));
    for (const id of ids) {
      const d = sf.decodeGuid(id, { epochStartDate: 0 });
      assert.deepEqual([d.msSinceEpoch, d.loopingCounter, d.generatorId, d.timestamp.getTime()],
        [Number(id >> 23n), Number((id >> 12n) & 0x7ffn), Number(id & 0xfffn), Number(id >> 23n)], `decodeGuid(${id})`);
    }
  });

  test("a JS stack overflow at any depth during a call poisons nothing", () => {
    // 0.1.0: a stack overflow inside getGuids left that generator answering "recursive use of an
    // object detected" for the rest of the process, and then `memory access out of bounds`.
    const g = new sf.Snowfall({ schemaGroupName: group() });
    const first = g.getGuid();
    let calls = 0;
    calls += atStackLimit(() => g.getGuid());
    calls += atStackLimit(() => g.getGuids(50));
    calls += atStackLimit(() => new sf.Snowfall({ schemaGroupName: "default" }).close());
    calls += atStackLimit(() => sf.SimpleSyncer.schemaGroupStatus("default"));
    calls += atStackLimit(() => sf.decodeGuid("133494887688437760"));
    assert.ok(calls > 5000, `${calls} calls`);
    assertIncreasing([g.getGuid(), ...g.getGuids(50_000), g.getGuid()], first);
    const fresh = new sf.Snowfall();
    assert.ok(fresh.getGuid() > 0n);
    fresh.close();
  });

  test("a clock that throws: INVALID_CLOCK_READING with the clock's error as cause, on every path", () => {
    const cause = new Error("no time");
    let fail = false;
    const clock = () => {
      if (fail) throw cause;
      return Date.now();
    };
    const g = new sf.Snowfall({ schemaGroupName: group(), clock });
    const first = g.getGuid();
    fail = true;
    for (const f of [() => g.getGuid(), () => g.getGuids(10), () => g.getGuidsInto(new BigUint64Array(3)), () => g.getGuidStrings(2), () => g.getGuidString()]) {
      const e = throwsCode(f, "INVALID_CLOCK_READING", /threw/);
      assert.equal(e.cause, cause);
    }
    assert.equal(throwsCode(() => new sf.Snowfall({ clock }), "INVALID_CLOCK_READING").cause, cause);
    fail = false;
    assert.ok(g.getGuid() > first);
  });

  test("clock: 5 is INVALID_TYPE; a 5n reading is INVALID_CLOCK_READING", () => {
    throwsCode(() => new sf.Snowfall({ clock: 5 }), "INVALID_TYPE", /clock must be a function/);
    throwsCode(() => new sf.Snowfall({ clock: () => 5n }), "INVALID_CLOCK_READING", /bigint 5n/);
    let reading = Date.now();
    const g = new sf.Snowfall({ schemaGroupName: group(), clock: () => reading });
    reading = 5n;
    throwsCode(() => g.getGuid(), "INVALID_CLOCK_READING");
    throwsCode(() => g.getGuids(2), "INVALID_CLOCK_READING");
  });

  test("getGuid(), getGuids() and getGuidsInto() accept and refuse the same clock readings", () => {
    const t = Date.now();
    const readings = [t, t + 0.5, "5", String(t), new Date(t), { valueOf: () => t }, valueOfThrows(), 5n, NaN, Infinity, -Infinity, -1e300, 1e300, 8.64e15 + 1, null, undefined, true, Symbol("t")];
    for (const reading of readings) {
      const outcomes = [(g) => g.getGuid(), (g) => g.getGuids(3), (g) => g.getGuidsInto(new BigUint64Array(3))].map((f) => {
        const clock = manualClock(t);
        const g = new sf.Snowfall({ schemaGroupName: group(), clock });
        clock.now = reading;
        try {
          f(g);
          return "ok";
        } catch (e) {
          assert.ok(e instanceof sf.SnowfallError, `${String(e)}`);
          return e.code;
        }
      });
      assert.equal(new Set(outcomes).size, 1, `${typeof reading} ${String(reading?.toString?.call ? "" : "")}: ${outcomes}`);
      assert.equal(outcomes[0], typeof reading === "number" && Math.abs(reading) <= 8.64e15 ? "ok" : "INVALID_CLOCK_READING", `reading ${typeof reading}`);
    }
  });

  test("a clock reading -1e300 is INVALID_CLOCK_READING, not GENERATOR_IDS_EXHAUSTED", () => {
    const name = group();
    throwsCode(() => new sf.Snowfall({ schemaGroupName: name, clock: () => -1e300 }), "INVALID_CLOCK_READING", /-1e\+300/);
    const clock = manualClock(Date.now());
    const g = new sf.Snowfall({ schemaGroupName: name, clock });
    assert.equal(g.generatorId, 0, "the refused generator took no id");
    clock.now = -1e300;
    throwsCode(() => g.getGuid(), "INVALID_CLOCK_READING");
  });

  test("options with a null prototype work, and bad ones get a SnowfallError (the message builder never throws)", () => {
    const o = Object.assign(Object.create(null), { schemaGroupName: `np_${process.pid}`, livelinessProbeS: 3 });
    sf.SimpleSyncer.createSchemaGroup(o);
    const g = new sf.Snowfall(Object.assign(Object.create(null), { schemaGroupName: o.schemaGroupName }));
    assert.ok(g.getGuid() > 0n);
    g.close();
    for (const bad of [{ schemaGroupName: Object.create(null) }, { clock: Object.create(null) }, { clockToleranceMs: Object.create(null) }]) {
      throwsCode(() => new sf.Snowfall(Object.assign(Object.create(null), bad)), "INVALID_TYPE", /an object/);
    }
    throwsCode(() => sf.SimpleSyncer.createSchemaGroup({ schemaGroupName: "np2", epochStartDate: Object.create(null) }), "INVALID_TYPE", /not a Date/);
    throwsCode(() => sf.decodeGuid(Object.create(null)), "INVALID_TYPE");
  });

  test("options whose getters throw, and revoked Proxies: INVALID_TYPE with the error as cause", () => {
    const e = throwsCode(() => new sf.Snowfall(throwingGetters(["schemaGroupName"])), "INVALID_TYPE", /options\.schemaGroupName could not be read/);
    assert.equal(e.cause.message, "boom");
    throwsCode(() => new sf.Snowfall(revoked()), "INVALID_TYPE", /could not be read/);
    throwsCode(() => sf.SimpleSyncer.createSchemaGroup(revoked()), "INVALID_TYPE");
    throwsCode(() => sf.decodeGuid(1n, revoked()), "INVALID_TYPE");
    throwsCode(() => sf.guidRange(Date.now(), throwingGetters(["epochStartDate"])), "INVALID_TYPE");
  });

  test('decodeGuid("-") and other strings that are not digits only: INVALID_TYPE', () => {
    for (const s of ["-", "", " 1", "1 ", "-0", "+1", "1e3", "0x10", "1_000", "１２", "12a", "1\n", "NaN"]) {
      throwsCode(() => sf.decodeGuid(s), "INVALID_TYPE", /digits only/);
    }
    throwsCode(() => sf.decodeGuid("18446744073709551616"), "OUT_OF_RANGE");
    throwsCode(() => sf.decodeGuid("1".repeat(10_000)), "OUT_OF_RANGE");
    assert.equal(sf.decodeGuid("18446744073709551615").generatorId, 4095);
    assert.equal(sf.decodeGuid("000000000000000000000000133494887688437760").msSinceEpoch, 15_913_830_720);
  });

  test("decodeGuid with epochStartDate 8.64e15 or 1e300: OUT_OF_RANGE, never an Invalid Date or a RangeError", () => {
    for (const epochStartDate of [8.64e15, 1e300, 8.64e15 - 2 ** 41 + 2, -1]) {
      throwsCode(() => sf.decodeGuid(1n << 40n, { epochStartDate }), "OUT_OF_RANGE", /epochStartDate/);
    }
    throwsCode(() => sf.SimpleSyncer.createSchemaGroup({ schemaGroupName: "e1", epochStartDate: 1e300 }), "OUT_OF_RANGE");
    throwsCode(() => sf.decodeGuid(1n, { epochStartDate: 1.5 }), "INVALID_TYPE");
    // The latest epoch: even the largest id decodes to a valid Date.
    const d = sf.decodeGuid(2n ** 64n - 1n, { epochStartDate: 8.64e15 - 2 ** 41 + 1 });
    assert.equal(d.timestamp.getTime(), 8.64e15);
    // A real Date is read through its internal slot: a getTime that throws or lies changes nothing.
    const date = new Date(Date.UTC(2020, 0, 1));
    date.getTime = boom;
    assert.equal(sf.decodeGuid(133494887688437760n, { epochStartDate: date }).timestamp.toISOString(), "2020-07-03T04:30:30.720Z");
    throwsCode(() => sf.decodeGuid(1n, { epochStartDate: Object.create(Date.prototype) }), "INVALID_TYPE", /not a Date/);
    throwsCode(() => sf.decodeGuid(1n, { epochStartDate: new Proxy(new Date(), {}) }), "INVALID_TYPE", /not a Date/);
  });

  test("batches read the scratch area where it is now: after it moved (grew) and after wasm memory grew", () => {
    // js/wasm-memory.js reuses its view of the scratch area; a stale view would copy old ids.
    const g = new sf.Snowfall({ schemaGroupName: group() });
    const others = [];
    let last = -1n;
    for (const n of [3, 1000, 3, 65_536, 7, 1000, 1000]) {
      const ids = g.getGuids(n);
      assert.equal(ids.length, n);
      last = assertIncreasing(ids, last);
      const into = new BigUint64Array(n > 10 ? 1000 : n);
      last = assertIncreasing(g.getGuidsInto(into), last);
      // More generators: wasm memory grows now and then (its old buffer, and views of it, detach).
      for (let i = 0; i < 300; i++) others.push(new sf.Snowfall({ schemaGroupName: group() }));
    }
    for (const o of others) o.close();
    g.close();
  });

  test("decodeGuid and guidRange in JS are bit-identical to the layout", () => {
    const d = sf.decodeGuid(133494887688437760n);
    assert.deepEqual({ ...d, timestamp: d.timestamp.toISOString() }, { timestamp: "2020-07-03T04:30:30.720Z", msSinceEpoch: 15_913_830_720, loopingCounter: 0, generatorId: 0 });
    const id = (5n << 23n) | (7n << 12n) | 4095n;
    assert.deepEqual(sf.decodeGuid(id, { epochStartDate: 1000 }).toJSON(), { timestamp: new Date(1005), msSinceEpoch: 5, loopingCounter: 7, generatorId: 4095 });
    // timestamp is made on first read, then kept; destructuring and JSON see all four fields.
    const lazy = sf.decodeGuid(id, { epochStartDate: 1000 });
    assert.deepEqual(Object.keys(lazy), ["msSinceEpoch", "loopingCounter", "generatorId"]);
    assert.equal(lazy.timestamp, lazy.timestamp);
    const { timestamp, msSinceEpoch, loopingCounter, generatorId } = lazy;
    assert.deepEqual([timestamp.getTime(), msSinceEpoch, loopingCounter, generatorId], [1005, 5, 7, 4095]);
    assert.equal(JSON.stringify(lazy), '{"timestamp":"1970-01-01T00:00:01.005Z","msSinceEpoch":5,"loopingCounter":7,"generatorId":4095}');
    const max = sf.decodeGuid(2n ** 64n - 1n);
    assert.deepEqual([max.msSinceEpoch, max.loopingCounter, max.generatorId], [2 ** 41 - 1, 2047, 4095]);
    const g = new sf.Snowfall({ schemaGroupName: group() });
    for (const id of g.getGuids(5000)) {
      const p = sf.decodeGuid(id);
      assert.equal((BigInt(p.msSinceEpoch) << 23n) | (BigInt(p.loopingCounter) << 12n) | BigInt(p.generatorId), id);
      const r = sf.guidRange(p.timestamp);
      assert.ok(r.lowest <= id && id <= r.highest);
      assert.equal(r.highest - r.lowest, (1n << 23n) - 1n);
    }
    g.close();
    const epoch = Date.UTC(2020, 0, 1);
    assert.deepEqual(sf.guidRange(epoch + 1000), { lowest: 1000n << 23n, highest: (1001n << 23n) - 1n });
    throwsCode(() => sf.guidRange(epoch - 1), "CLOCK_BEFORE_EPOCH");
    throwsCode(() => sf.guidRange(epoch + 2 ** 41), "OUT_OF_RANGE");
    throwsCode(() => sf.guidRange(1.5), "INVALID_TYPE");
    throwsCode(() => sf.guidRange(new Date(NaN)), "INVALID_TYPE", /valid Date/);
    throwsCode(() => sf.guidRange(), "INVALID_TYPE");
  });

  test('livelinessProbeS: "5" is INVALID_TYPE (SimpleSyncer)', () => {
    for (const v of ["5", 5n, new Number(5), null, true]) {
      throwsCode(() => sf.SimpleSyncer.createSchemaGroup({ schemaGroupName: "lp", livelinessProbeS: v }), "INVALID_TYPE", /livelinessProbeS/);
    }
    assert.equal(sf.SimpleSyncer.hasSchemaGroup("lp"), false);
  });

  test("getGuidsInto checks the target by its internal slots before minting: Proxy, look-alike, subclass whose length lies", () => {
    const clock = manualClock(Date.now());
    const g = new sf.Snowfall({ schemaGroupName: group(), clock });
    const first = g.getGuid();
    const { LengthNaN, LengthMinus1, proxy, lookAlike } = lyingTargets();
    throwsCode(() => g.getGuidsInto(proxy), "INVALID_TYPE", /BigUint64Array/);
    throwsCode(() => g.getGuidsInto(lookAlike), "INVALID_TYPE", /BigUint64Array/);
    throwsCode(() => g.getGuidsInto(new BigInt64Array(2)), "INVALID_TYPE");
    throwsCode(() => g.getGuidsInto(new BigUint64Array(2 ** 24 + 1)), "OUT_OF_RANGE");
    // Nothing was minted by the refused calls: the next id is the next counter value.
    const second = g.getGuid();
    assert.equal(parts(second).loopingCounter, parts(first).loopingCounter + 1);
    // Subclasses are real BigUint64Arrays: filled by their real length, whatever `length` says.
    for (const Cls of [LengthNaN, LengthMinus1]) {
      const t = new Cls(5);
      const started = Date.now();
      assert.equal(g.getGuidsInto(t), t);
      assert.ok(Date.now() - started < 1000);
      assertIncreasing(BigUint64Array.prototype.values.call(t), second);
    }
  });

  test("a clock that detaches or shrinks getGuidsInto's target while it is filled: INVALID_TYPE, then ids go on increasing", () => {
    // The clock is read before the first chunk and between chunks: a user clock can reach the
    // target then. One chunk (the straight-line path) and several (the loop), detached by a
    // transfer or shrunk through a resizable buffer.
    const detach = (t) => structuredClone(t.buffer, { transfer: [t.buffer] });
    const shrink = (t) => t.buffer.resize(8);
    for (const [what, count, make, spoil] of [
      ["one chunk, detached", 1000, (n) => new BigUint64Array(n), detach],
      ["several chunks, detached", 65_536 * 2 + 5, (n) => new BigUint64Array(n), detach],
      ["one chunk, shrunk", 1000, (n) => new BigUint64Array(new ArrayBuffer(n * 8, { maxByteLength: n * 8 })), shrink],
      ["several chunks, shrunk", 65_536 * 2 + 5, (n) => new BigUint64Array(new ArrayBuffer(n * 8, { maxByteLength: n * 8 })), shrink],
    ]) {
      let now = Date.now(), reads = 0, target = null;
      const g = new sf.Snowfall({ schemaGroupName: group(), clock: () => { if (target && ++reads === (count > 65_536 ? 2 : 1)) spoil(target); return now++; } });
      const before = g.getGuid();
      target = make(count);
      const e = throwsCode(() => g.getGuidsInto(target), "INVALID_TYPE", /target changed while it was being filled/);
      assert.ok(e.cause instanceof TypeError || e.cause instanceof RangeError, `${what}: the engine's error is the cause (${e.cause})`);
      target = null;
      // Ids the failed call made and did not deliver are never made again.
      const after = g.getGuids(70_000);
      assertIncreasing(after, before);
      assertIncreasing(g.getGuidsInto(new BigUint64Array(10)), after[after.length - 1]);
      g.close();
    }
  });

  test("dropSchemaGroup under a live generator: SCHEMA_GROUP_IN_USE; after close() allowed; 0 duplicates", () => {
    // 0.1.0: drop + re-create while a generator lived gave a new generator id 0 again, and the
    // two minted the same ids (199,993 duplicates in 400,000).
    const name = group();
    const a = new sf.Snowfall({ schemaGroupName: name });
    throwsCode(() => sf.SimpleSyncer.dropSchemaGroup(name), "SCHEMA_GROUP_IN_USE", /1 live generator.*close\(\)/);
    throwsCode(() => sf.SimpleSyncer.createSchemaGroup({ schemaGroupName: name }), "SCHEMA_GROUP_EXISTS");
    const b = new sf.Snowfall({ schemaGroupName: name });
    assert.deepEqual([a.generatorId, b.generatorId], [0, 1]);
    const seen = new Set();
    for (const g of [a, b]) for (const id of g.getGuids(200_000)) seen.add(id);
    assert.equal(seen.size, 400_000, "0 duplicates");
    a.close();
    throwsCode(() => sf.SimpleSyncer.dropSchemaGroup(name), "SCHEMA_GROUP_IN_USE", /1 live generator/);
    b.close();
    assert.equal(sf.SimpleSyncer.dropSchemaGroup(name), true);
    assert.equal(sf.SimpleSyncer.dropSchemaGroup(name), false);
    sf.SimpleSyncer.createSchemaGroup({ schemaGroupName: name });
    const c = new sf.Snowfall({ schemaGroupName: name });
    assert.equal(c.generatorId, 0);
    c.close();
    throwsCode(() => sf.SimpleSyncer.dropSchemaGroup(5), "INVALID_TYPE");
    throwsCode(() => sf.SimpleSyncer.hasSchemaGroup(undefined), "INVALID_TYPE");
  });

  test("a closed generator answers GENERATOR_CLOSED on every minting path", () => {
    const g = new sf.Snowfall({ schemaGroupName: group() });
    g.getGuid();
    g.close();
    for (const f of [() => g.getGuid(), () => g.getGuids(3), () => g.getGuidsInto(new BigUint64Array(2)), () => g.getGuidStrings(1)]) {
      throwsCode(f, "GENERATOR_CLOSED");
    }
    assert.equal(g.closed, true);
    assert.equal(g.generatorId, undefined);
    assert.equal(g.epochStartDate.getTime(), Date.UTC(2020, 0, 1));
  });

  // bench/memory.mjs in a child process: pkg/'s ESM files, so the instance's memory can be read.
  const memoryFigures = (generators) => JSON.parse(execFileSync(process.execPath, ["--expose-gc", path.join(repoRoot, "bench/memory.mjs"), path.join(repoRoot, "pkg")], {
    encoding: "utf8", env: { ...process.env, BENCH_MEMORY_GENERATORS: String(generators) }, timeout: 240_000,
  }).trim().split("\n").at(-1));

  test("one getGuids(2 ** 24) grows wasm memory by at most 1 MiB (a 64 Ki-id scratch area, not 128 MiB)", () => {
    const m = memoryFigures(10);
    assert.ok(m.afterBatch - m.afterGenerators <= 2 ** 20, JSON.stringify(m));
  });

  test("100,000 new Snowfall() + close() keep wasm memory within 2 MiB (close() frees the core at once)", () => {
    const m = memoryFigures(100_000);
    assert.ok(m.afterGenerators - m.start <= 2 * 2 ** 20, JSON.stringify(m));
  });

  test("a running clock is waited for in JS when a millisecond's 2048 ids are used up (getGuid and batches)", () => {
    let reads = 0;
    let t = Date.now();
    const clock = () => {
      if (++reads % 500 === 0) t++;
      return t;
    };
    const g = new sf.Snowfall({ schemaGroupName: group(), clock, clockToleranceMs: 0 });
    const ids = [];
    for (let i = 0; i < 5000; i++) ids.push(g.getGuid());
    const batch = g.getGuids(3 * 2048);
    assertIncreasing([...ids, ...batch]);
    const ms = [...ids, ...batch].map((id) => parts(id).msSinceEpoch);
    // Tolerance 0: never borrowed ahead, so every id's ms was a clock reading.
    assert.ok(ms.at(-1) <= t - Date.UTC(2020, 0, 1), "no id ahead of the clock");
  });
});
