// The generator's contract, tested against the packed and installed package (ESM in this process,
// ESM and CJS in fresh child processes for the million-id runs).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { importInstalled, runInProject } from "./installed.mjs";
import { manualClock, memoryGroups } from "./helpers/memory.mjs";

const EPOCH_2020 = Date.UTC(2020, 0, 1);
let sf; // the installed package's exports
const freshGroup = memoryGroups("t", () => sf);
/** Asserts `fn` throws a SnowfallError with `code` (and, optionally, a message matching `re`). */
const throwsCode = (fn, code, re) =>
  assert.throws(fn, (e) => {
    assert.ok(e instanceof sf.SnowfallError, `expected a SnowfallError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });

const MILLION = `
  const gen = new Snowfall();
  const n = 1_000_000;
  let last = -1n, ok = true, first, lastId;
  for (let i = 0; i < n; i++) {
    const id = gen.getGuid();
    if (typeof id !== "bigint" || id <= last) { ok = false; break; }
    last = id;
    if (i === 0) first = id;
  }
  const batch = gen.getGuids(100_000);
  let batchOk = batch[0] > last;
  for (let i = 1; i < batch.length; i++) if (batch[i] <= batch[i - 1]) batchOk = false;
  console.log(JSON.stringify({ ok, batchOk, first: String(first), last: String(last) }));
`;

describe("Snowfall (installed package)", { timeout: 300_000 }, () => {
  before(async () => {
    sf = await importInstalled();
  });

  for (const [kind, file, load] of [
    ["ESM", "million.mjs", 'import { Snowfall } from "snowfall-wasm";'],
    ["CJS", "million.cjs", 'const { Snowfall } = require("snowfall-wasm");'],
  ]) {
    test(`${kind}: 1,000,000 ids from getGuid() and 100,000 from getGuids() are strictly increasing, so unique`, async () => {
      const r = await runInProject(file, `${load}\n${MILLION}`);
      assert.equal(r.ok, true, "getGuid() ids must strictly increase");
      assert.equal(r.batchOk, true, "getGuids() ids must strictly increase and follow getGuid()'s");
      assert.ok(BigInt(r.last) > BigInt(r.first));
    });
  }

  test("bit layout: (ms << 23) | (counter << 12) | generatorId, as the original", () => {
    const g = freshGroup();
    const clock = manualClock(EPOCH_2020 + 15_913_830_720); // the original README's first id
    const a = new sf.Snowfall({ schemaGroupName: g, clock });
    const b = new sf.Snowfall({ schemaGroupName: g, clock });
    assert.equal(a.getGuid(), 133494887688437760n);
    b.getGuid();
    assert.equal(b.getGuid(), (15_913_830_720n << 23n) | (1n << 12n) | 1n);
    assert.deepEqual(sf.decodeGuid(133494887688437760n).toJSON(), {
      timestamp: new Date("2020-07-03T04:30:30.720Z"), msSinceEpoch: 15_913_830_720, loopingCounter: 0, generatorId: 0,
    });
    assert.deepEqual(sf.decodeGuid("133494887688437760"), sf.decodeGuid(133494887688437760n));
    assert.deepEqual(sf.decodeGuid(2n ** 64n - 1n, { epochStartDate: 0 }).toJSON(), {
      timestamp: new Date(2 ** 41 - 1), msSinceEpoch: 2 ** 41 - 1, loopingCounter: 2047, generatorId: 4095,
    });
    a.close();
    b.close();
  });

  test("the id 0n (epoch's first ms, counter 0, generator 0) is returned, not mistaken for a failure", () => {
    const epochStartDate = new Date("2025-06-01T00:00:00Z");
    const g = freshGroup({ epochStartDate });
    const gen = new sf.Snowfall({ schemaGroupName: g, clock: () => epochStartDate.getTime() });
    assert.equal(gen.getGuid(), 0n);
    assert.equal(gen.getGuid(), 1n << 12n);
    gen.close();
  });

  test("the quickstart: SimpleSyncer.createSchemaGroup() then new Snowfall(), or new Snowfall() alone", async () => {
    const r = await runInProject("quickstart.mjs", `
      import { Snowfall, SimpleSyncer } from "snowfall-wasm";
      const implicit = new Snowfall();                       // "default" made on first use
      let again; try { SimpleSyncer.createSchemaGroup(); } catch (e) { again = e.code; }
      console.log(JSON.stringify({ id: typeof implicit.getGuid(), gid: implicit.generatorId, again,
        status: SimpleSyncer.schemaGroupStatus("default") }));`);
    assert.equal(r.id, "bigint");
    assert.equal(r.gid, 0);
    assert.equal(r.again, "SCHEMA_GROUP_EXISTS");
    assert.equal(r.status.livelinessProbeS, 5);
    assert.equal(new Date(r.status.epochStartDate).getTime(), EPOCH_2020);
  });

  test("4096 live generators hold distinct ids; the 4097th is refused; close() frees an id at once", () => {
    const g = freshGroup();
    const gens = Array.from({ length: 4096 }, () => new sf.Snowfall({ schemaGroupName: g }));
    assert.equal(new Set(gens.map((x) => x.generatorId)).size, 4096);
    assert.deepEqual([...gens.map((x) => x.generatorId)].sort((a, b) => a - b), [...Array(4096).keys()]);
    throwsCode(() => new sf.Snowfall({ schemaGroupName: g }), "GENERATOR_IDS_EXHAUSTED", /all 4096 generator ids/);
    assert.equal(sf.SimpleSyncer.schemaGroupStatus(g).liveGenerators, 4096);
    const freed = gens[1234];
    const lastFromFreed = freed.getGuid();
    freed.close();
    throwsCode(() => freed.getGuid(), "GENERATOR_CLOSED");
    const next = new sf.Snowfall({ schemaGroupName: g });
    assert.equal(next.generatorId, 1234, "the lowest free id is reused at once");
    assert.ok(next.getGuid() > lastFromFreed, "its ids start after what the closed holder minted");
    for (const x of gens) x.close();
    next[Symbol.dispose]();
    assert.equal(next.closed, true);
    assert.equal(sf.SimpleSyncer.schemaGroupStatus(g).liveGenerators, 0);
  });

  test("a generator dropped without close() is reclaimable after exactly two liveliness probes", () => {
    const g = freshGroup({ livelinessProbeS: 1 });
    const clock = manualClock(Date.now());
    const dropped = new sf.Snowfall({ schemaGroupName: g, clock });
    const fromDropped = [dropped.getGuid()];
    clock.now += 2000;
    assert.equal(new sf.Snowfall({ schemaGroupName: g, clock }).generatorId, 1, "still held at 2 probes");
    clock.now += 1;
    const successor = new sf.Snowfall({ schemaGroupName: g, clock });
    assert.equal(successor.generatorId, 0, "reclaimed after 2 probes");
    // The dropped one wakes up: it must not mint with id 0 any more (the original's worst bug).
    const fromSuccessor = new Set(Array.from(successor.getGuids(5000)));
    for (let i = 0; i < 5000; i++) fromDropped.push(dropped.getGuid());
    assert.notEqual(dropped.generatorId, 0);
    for (const id of fromDropped.slice(1)) assert.ok(!fromSuccessor.has(id));
    assert.ok(fromDropped.every((id, i) => i === 0 || id > fromDropped[i - 1]), "still strictly increasing across the switch");
  });

  test("an active generator keeps its id across many probes (renewal as it mints)", () => {
    const g = freshGroup({ livelinessProbeS: 1 });
    const clock = manualClock(Date.now());
    const a = new sf.Snowfall({ schemaGroupName: g, clock });
    for (let i = 0; i < 60; i++) {
      clock.now += 700;
      a.getGuid();
    }
    assert.equal(a.generatorId, 0);
    assert.equal(new sf.Snowfall({ schemaGroupName: g, clock }).generatorId, 1);
  });

  test("frozen clock (Cloudflare Workers): borrows the next milliseconds up to clockToleranceMs, then CLOCK_STALLED", () => {
    const g = freshGroup();
    const clock = manualClock(Date.now());
    const gen = new sf.Snowfall({ schemaGroupName: g, clock, clockToleranceMs: 10 });
    const ids = gen.getGuids(2048 * 11); // the frozen ms and 10 borrowed ones
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1]);
    assert.equal(gen.decode(ids.at(-1)).timestamp.getTime(), clock.now + 10);
    throwsCode(() => gen.getGuid(), "CLOCK_STALLED", /10 ms/);
    clock.now += 1; // time moves (after an await, in Workers): ids flow again
    assert.ok(gen.getGuid() > ids.at(-1));
    // The default tolerance lets a frozen request make 2048 x 2001 ids.
    const dflt = new sf.Snowfall({ schemaGroupName: g, clock: manualClock(Date.now()) });
    assert.equal(dflt.getGuids(100_000).length, 100_000);
  });

  test("clock stepping back: ridden out within the tolerance, a clear error beyond, recovery after", () => {
    const g = freshGroup();
    const clock = manualClock(Date.now());
    const gen = new sf.Snowfall({ schemaGroupName: g, clock });
    const a = gen.getGuid();
    clock.now -= 1500; // NTP step back
    const b = gen.getGuid();
    assert.ok(b > a);
    clock.now -= 1000; // now 2500 ms behind the last issued id
    throwsCode(() => gen.getGuid(), "CLOCK_MOVED_BACKWARDS", /moved back 2500 ms/);
    clock.now += 2501;
    assert.ok(gen.getGuid() > b);
  });

  test("time before the epoch, past the 41-bit field, or a broken clock: typed errors, never a hang", () => {
    const g = freshGroup();
    throwsCode(() => new sf.Snowfall({ schemaGroupName: g, clock: () => 0 }).getGuid(), "CLOCK_BEFORE_EPOCH", /before the epoch/);
    const g0 = freshGroup({ epochStartDate: new Date(0) });
    const late = manualClock(2 ** 41 - 1);
    const gen = new sf.Snowfall({ schemaGroupName: g0, clock: late });
    assert.equal(gen.decode(gen.getGuid()).msSinceEpoch, 2 ** 41 - 1);
    late.now += 1;
    throwsCode(() => gen.getGuid(), "TIMESTAMP_OVERFLOW");
    throwsCode(() => new sf.Snowfall({ schemaGroupName: g, clock: () => NaN }), "INVALID_CLOCK_READING");
    throwsCode(() => new sf.Snowfall({ schemaGroupName: g, clock: () => "now" }), "INVALID_CLOCK_READING");
  });

  test("strings for JSON, id ranges for queries, epochs per group", () => {
    const epochStartDate = new Date("2024-01-01T00:00:00Z");
    const g = freshGroup({ epochStartDate });
    const gen = new sf.Snowfall({ schemaGroupName: g });
    const s = gen.getGuidString();
    assert.match(s, /^\d+$/);
    const strs = gen.getGuidStrings(3);
    assert.ok(strs.every((x) => typeof x === "string" && BigInt(x) > BigInt(s)));
    assert.equal(gen.epochStartDate.getTime(), epochStartDate.getTime());
    const id = gen.getGuid();
    const t = gen.decode(id).timestamp;
    const { lowest, highest } = sf.guidRange(t, { epochStartDate });
    assert.ok(lowest <= id && id <= highest);
    assert.equal(highest - lowest, (1n << 23n) - 1n);
    assert.equal(sf.decodeGuid(lowest, { epochStartDate }).timestamp.getTime(), t.getTime());
    assert.equal(sf.DEFAULT_EPOCH.getTime(), EPOCH_2020);
  });

  test("bad input: every case gets a SnowfallError with its code, and nothing is corrupted", () => {
    const S = sf.Snowfall;
    const create = (o) => sf.SimpleSyncer.createSchemaGroup(o);
    throwsCode(() => new S("default"), "INVALID_TYPE", /options/);
    throwsCode(() => new S(null), "INVALID_TYPE");
    throwsCode(() => new S({ schemaGroupName: 5 }), "INVALID_TYPE", /schemaGroupName must be a string/);
    throwsCode(() => new S({ schemaGroupName: "missing_group" }), "SCHEMA_GROUP_NOT_FOUND", /missing_group/);
    throwsCode(() => new S({ clock: 5 }), "INVALID_TYPE", /clock must be a function/);
    throwsCode(() => new S({ clockToleranceMs: -1 }), "OUT_OF_RANGE");
    throwsCode(() => new S({ clockToleranceMs: 1.5 }), "INVALID_TYPE");
    throwsCode(() => new S({ syncer: {} }), "INVALID_SYNCER");
    for (const name of ["", "a-b", "x; DROP TABLE users", "Ünïcode", "a".repeat(44), "a b"]) {
      throwsCode(() => create({ schemaGroupName: name }), "INVALID_SCHEMA_GROUP_NAME");
      throwsCode(() => new S({ schemaGroupName: name }), "INVALID_SCHEMA_GROUP_NAME");
    }
    create({ schemaGroupName: "a".repeat(43) });
    throwsCode(() => create({ schemaGroupName: "a".repeat(43) }), "SCHEMA_GROUP_EXISTS");
    throwsCode(() => create({ schemaGroupName: "p1", livelinessProbeS: "5" }), "INVALID_TYPE", /livelinessProbeS/);
    throwsCode(() => create({ schemaGroupName: "p2", livelinessProbeS: 0 }), "OUT_OF_RANGE", /livelinessProbeS/);
    throwsCode(() => create({ schemaGroupName: "p3", livelinessProbeS: 2.5 }), "INVALID_TYPE");
    throwsCode(() => create({ schemaGroupName: "p4", epochStartDate: new Date(Date.now() + 60_000) }), "EPOCH_IN_FUTURE", /in the future/);
    throwsCode(() => create({ schemaGroupName: "p5", epochStartDate: new Date("nope") }), "INVALID_TYPE", /valid Date/);
    throwsCode(() => create({ schemaGroupName: "p6", epochStartDate: "2020-01-01" }), "INVALID_TYPE");
    throwsCode(() => create({ schemaGroupName: "p7", epochStartDate: -1 }), "OUT_OF_RANGE");
    for (const name of ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]) assert.equal(sf.SimpleSyncer.hasSchemaGroup(name), false);

    const gen = new S({ schemaGroupName: freshGroup() });
    const before = gen.getGuid();
    for (const [count, code] of [[-1, "OUT_OF_RANGE"], [2 ** 24 + 1, "OUT_OF_RANGE"], [1.5, "INVALID_TYPE"], ["10", "INVALID_TYPE"], [10n, "INVALID_TYPE"], [undefined, "INVALID_TYPE"], [NaN, "INVALID_TYPE"]]) {
      throwsCode(() => gen.getGuids(count), code);
    }
    assert.equal(gen.getGuids(0).length, 0);
    throwsCode(() => gen.getGuidsInto(new BigInt64Array(4)), "INVALID_TYPE", /BigUint64Array/);
    throwsCode(() => gen.getGuidsInto([0n]), "INVALID_TYPE");
    const into = new BigUint64Array(3000);
    assert.equal(gen.getGuidsInto(into), into);
    for (let i = 1; i < into.length; i++) assert.ok(into[i] > into[i - 1]);
    assert.ok(into[0] > before);
    assert.ok(gen.getGuid() > before, "the generator still works after rejected calls");

    throwsCode(() => sf.decodeGuid(133494887688437760), "INVALID_TYPE", /Number cannot hold/);
    throwsCode(() => sf.decodeGuid(-1n), "OUT_OF_RANGE");
    throwsCode(() => sf.decodeGuid(2n ** 64n), "OUT_OF_RANGE", /18446744073709551615/);
    throwsCode(() => sf.decodeGuid("12x"), "INVALID_TYPE");
    throwsCode(() => sf.decodeGuid("99999999999999999999999"), "OUT_OF_RANGE");
    throwsCode(() => sf.decodeGuid(1n, { epochStartDate: "x" }), "INVALID_TYPE");
    throwsCode(() => sf.guidRange(new Date(0)), "CLOCK_BEFORE_EPOCH");
    throwsCode(() => sf.guidRange("today"), "INVALID_TYPE");
  });

  test("errors are real Error subclasses with a stable code and a name", () => {
    const e = new sf.SnowfallError("X", "y");
    assert.ok(e instanceof Error);
    assert.equal(e.name, "SnowfallError");
    try {
      new sf.Snowfall({ schemaGroupName: "no_such_group" });
      assert.fail("should throw");
    } catch (err) {
      assert.ok(err instanceof Error && err instanceof sf.SnowfallError);
      assert.equal(err.name, "SnowfallError");
      assert.ok(err.stack.includes("SnowfallError"));
    }
  });
});
