// A seeded fuzz run through every public entry point of the installed package: values of every JS
// type (throwing getters, revoked proxies, null-prototype objects, huge and fractional numbers,
// bigints out of range, SQL and unicode strings, symbols, functions, clocks returning wrong types
// or throwing). Every outcome must be a correct result or a SnowfallError whose code README's
// error table lists; afterwards the generators made before still make correct ids.
//
// Replay a run: SNOWFALL_FUZZ_SEED=<the printed seed> node --test tests/js/fuzz.test.mjs
// Bounded: SNOWFALL_FUZZ_CALLS calls (default 30,000) or SNOWFALL_FUZZ_SECONDS (default 30), whichever first.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { importInstalled } from "./installed.mjs";
import { repoRoot } from "../runtimes/pack.mjs";
import { README_CODES, assertIncreasing, badDate, boom, fakeDate, lyingTargets, revoked, throwingProxy, valueOfThrows } from "./helpers/hostile.mjs";

const SEED = Number(process.env.SNOWFALL_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
const CALLS = Number(process.env.SNOWFALL_FUZZ_CALLS ?? 30_000);
const SECONDS = Number(process.env.SNOWFALL_FUZZ_SECONDS ?? 30);
console.log(`fuzz seed ${SEED} (replay: SNOWFALL_FUZZ_SEED=${SEED})`);

/** mulberry32: a small, seeded PRNG. */
function prng(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

let sf;

describe(`fuzz (seed ${SEED})`, { timeout: 120_000 }, () => {
  before(async () => {
    sf = await importInstalled();
  });

  test("README's error table lists exactly the codes the tests accept", () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Errors"), readme.indexOf("## Performance"));
    const listed = new Set([...table.matchAll(/`([A-Z_]{4,})`/g)].map((m) => m[1]));
    assert.deepEqual([...listed].sort(), [...README_CODES].sort());
  });

  test("every entry point, values of every type: a correct result or a SnowfallError with a README code", (t) => {
    t.diagnostic(`seed ${SEED}`);
    const random = prng(SEED);
    const int = (n) => Math.floor(random() * n);
    const pick = (xs) => xs[int(xs.length)];
    const EPOCH = Date.UTC(2020, 0, 1);

    const names = ["default", "fz_a", "fz_b", "fz_c", "", "a-b", "x'; DROP TABLE users; --", "Ünïcode", "a".repeat(44), "\u0000", "𝟘"];
    const scalars = () => pick([
      undefined, null, true, false, 0, -0, 1, -1, 1.5, -2.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, 1e300, -1e300,
      8.64e15, 8.64e15 + 1, 2 ** 24 + 1, 4095, 4096, int(100), int(2 ** 31), Date.now(), EPOCH, EPOCH - 1,
      0n, 1n, -1n, 2n ** 64n, 2n ** 64n - 1n, 133494887688437760n, BigInt(int(2 ** 32)) << BigInt(int(32)),
      "", "0", "-", "-0", "5", "1e3", "0x10", " 1", "133494887688437760", "18446744073709551616", "１２", "ünï", "x'; DROP TABLE t; --",
      "a".repeat(int(3) * 1000), pick(names), Symbol("s"), Symbol.iterator,
    ]);
    const clocks = () => pick([
      () => Date.now(), () => Date.now() + 0.5, boom, () => 5n, () => "5", () => new Date(), valueOfThrows, () => NaN,
      () => -1e300, () => 1e300, () => undefined, () => Symbol("t"), () => EPOCH - 5, () => 0, () => scalars(),
    ]);
    const objects = () => pick([
      {}, [], [1, 2], Object.create(null), revoked(), throwingProxy(), badDate(), fakeDate(), new Date(NaN), new Date(),
      valueOfThrows(), new BigUint64Array(int(5)), new BigInt64Array(2), new Uint8Array(3), new Proxy(new BigUint64Array(2), {}),
      new (lyingTargets().LengthNaN)(int(4)), new (lyingTargets().LengthMinus1)(int(4)), lyingTargets().lookAlike,
      () => 1, boom, new Number(5), new String("x"), Object(1n), new Map(), Promise.resolve(), new Error("e"),
    ]);
    const value = () => (random() < 0.6 ? scalars() : random() < 0.7 ? objects() : clocks());
    const KEYS = ["schemaGroupName", "clock", "clockToleranceMs", "syncer", "livelinessProbeS", "epochStartDate"];
    const options = () => {
      const r = random();
      if (r < 0.15) return value();
      const base = r < 0.3 ? Object.create(null) : {};
      for (const key of KEYS) {
        const k = random();
        if (k < 0.45) continue;
        if (k < 0.55) Object.defineProperty(base, key, { get: boom, enumerable: true });
        else if (key === "clock") base.clock = random() < 0.7 ? clocks() : value();
        else if (key === "schemaGroupName") base.schemaGroupName = random() < 0.6 ? pick(names) : value();
        else if (key === "syncer") base.syncer = random() < 0.5 ? sf.SimpleSyncer : value();
        else if (key === "epochStartDate") base.epochStartDate = pick([EPOCH, new Date(EPOCH), 0, badDate(), value()]);
        else base[key] = random() < 0.5 ? pick([0, 1, 5, 2000, 86_400, 86_401]) : value();
      }
      return r < 0.35 ? new Proxy(base, random() < 0.5 ? {} : { get: boom }) : base;
    };

    // Generators made before the run, in a group the run does not name (kept away from fuzzed
    // values: a fuzzed clock far ahead, within the Date range, may take over the ids of live
    // generators of a group it joins — src/memory.rs leases run on each generator's own clock),
    // and one generator that takes the fuzzed clocks.
    const keepGroup = `fz_keep_${process.pid}`;
    sf.SimpleSyncer.createSchemaGroup({ schemaGroupName: keepGroup });
    const keep = [new sf.Snowfall({ schemaGroupName: keepGroup }), new sf.Snowfall({ schemaGroupName: keepGroup, clock: () => Date.now() })];
    const kept = keep.map((g) => g.getGuid());
    let fuzzedClock = () => Date.now();
    const target = new sf.Snowfall({ clock: () => fuzzedClock() });

    const checkDecoded = (id, d, epoch) => {
      const big = BigInt(id);
      assert.equal(d.msSinceEpoch, Number(big >> 23n));
      assert.equal(d.loopingCounter, Number((big >> 12n) & 2047n));
      assert.equal(d.generatorId, Number(big & 4095n));
      const decodedEpoch = d.timestamp.getTime() - d.msSinceEpoch;
      assert.ok(Number.isInteger(decodedEpoch) && decodedEpoch >= 0 && decodedEpoch <= 8.64e15 - (2 ** 41 - 1), `epoch ${decodedEpoch}`);
      if (epoch !== undefined) assert.equal(decodedEpoch, epoch);
    };
    const entryPoints = [
      ["new Snowfall", () => {
        const g = new sf.Snowfall(options());
        try {
          const id = g.getGuid();
          assert.equal(typeof id, "bigint");
          assert.equal(sf.decodeGuid(id, { epochStartDate: g.epochStartDate }).generatorId, g.generatorId);
        } finally {
          g.close();
        }
      }],
      ["getGuid", () => {
        const id = target.getGuid();
        assert.equal(typeof id, "bigint");
      }],
      ["getGuids", () => {
        const count = random() < 0.5 ? int(5000) : value();
        const ids = target.getGuids(count);
        assert.ok(ids instanceof BigUint64Array);
        assert.ok(ids.length === count, `${ids.length} ids for ${String(count)}`);
        assertIncreasing(ids);
      }],
      ["getGuidsInto", () => {
        const v = random() < 0.4 ? new BigUint64Array(int(3000)) : objects();
        const out = target.getGuidsInto(v);
        assert.equal(out, v);
        assertIncreasing(BigUint64Array.prototype.values.call(v));
      }],
      ["getGuidStrings", () => {
        const count = random() < 0.5 ? int(50) : value();
        const ids = target.getGuidStrings(count);
        assert.ok(ids.length === count, `${ids.length} ids for ${String(count)}`);
        assertIncreasing(ids.map(BigInt));
      }],
      ["decodeGuid", () => {
        const id = random() < 0.5 ? pick([133494887688437760n, "133494887688437760", 0n, 2n ** 64n - 1n, BigInt(int(2 ** 52))]) : value();
        const opts = random() < 0.5 ? undefined : options();
        const d = sf.decodeGuid(id, opts);
        checkDecoded(id, d, opts === undefined ? EPOCH : undefined);
      }],
      ["guidRange", () => {
        const time = random() < 0.5 ? EPOCH + int(2 ** 40) : value();
        const r = sf.guidRange(time, random() < 0.7 ? undefined : options());
        assert.equal(typeof r.lowest, "bigint");
        assert.equal(r.highest - r.lowest, (1n << 23n) - 1n);
        assert.equal(r.lowest & ((1n << 23n) - 1n), 0n);
      }],
      ["SimpleSyncer.createSchemaGroup", () => {
        sf.SimpleSyncer.createSchemaGroup(options());
      }],
      ["SimpleSyncer.hasSchemaGroup", () => {
        assert.equal(typeof sf.SimpleSyncer.hasSchemaGroup(random() < 0.5 ? pick(names) : value()), "boolean");
      }],
      ["SimpleSyncer.schemaGroupStatus", () => {
        const s = sf.SimpleSyncer.schemaGroupStatus(random() < 0.5 ? pick(names) : value());
        assert.ok(Number.isInteger(s.liveGenerators) && s.liveGenerators >= 0);
        assert.ok(s.epochStartDate instanceof Date);
      }],
      ["SimpleSyncer.dropSchemaGroup", () => {
        assert.equal(typeof sf.SimpleSyncer.dropSchemaGroup(random() < 0.5 ? pick(names) : value()), "boolean");
      }],
    ];

    const outcomes = new Map();
    const deadline = Date.now() + SECONDS * 1000;
    let calls = 0;
    for (; calls < CALLS && Date.now() < deadline; calls++) {
      const [name, run] = pick(entryPoints);
      fuzzedClock = random() < 0.8 ? () => Date.now() : clocks();
      let outcome = "ok";
      try {
        run();
      } catch (e) {
        if (e instanceof assert.AssertionError) throw new Error(`call ${calls} (${name}, seed ${SEED}): wrong result: ${e.message}`);
        if (!(e instanceof sf.SnowfallError)) throw new Error(`call ${calls} (${name}, seed ${SEED}): not a SnowfallError: ${e?.constructor?.name}: ${e?.message}`, { cause: e });
        if (!README_CODES.has(e.code)) throw new Error(`call ${calls} (${name}, seed ${SEED}): code ${e.code} is not in README's table`);
        assert.ok(typeof e.message === "string" && e.message.length > 10, `call ${calls}: a message that says what to do`);
        outcome = e.code;
      }
      const key = `${name} -> ${outcome}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    t.diagnostic(`${calls} calls, ${outcomes.size} distinct outcomes`);
    assert.ok(calls >= Math.min(CALLS, 2000), `${calls} calls`);
    for (const [name] of entryPoints) assert.ok([...outcomes.keys()].some((k) => k.startsWith(`${name} -> `)), `${name} was never called`);

    // The generators made before still make correct ids.
    keep.forEach((g, i) => {
      const last = assertIncreasing([g.getGuid(), ...g.getGuids(20_000), g.getGuid()], kept[i]);
      assert.equal(sf.decodeGuid(last).generatorId, g.generatorId);
      g.close();
    });
    const fresh = new sf.Snowfall();
    assertIncreasing(fresh.getGuids(10_000));
    fresh.close();
    target.close();
  });
});
