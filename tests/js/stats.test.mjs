// gen.stats() and the failed-batch rollback (issue 9), against the packed, installed package: each
// counter moves when its event happens (SimpleSyncer, DatabaseSyncer on better-sqlite3, a store
// that fails, a lease lost and another id claimed), and a getGuids / getGuidsInto that fails
// leaves the generator as it was. guidLimits, the one place for the 2^63 / 2^64 dates.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MapStore } from "./helpers/map-store.mjs";
import { manualClock, openDatabase, uniqueGroup } from "./helpers/databases.mjs";
import { sf, ANY_SKEW } from "./helpers/package.mjs";

const PER_MS = 2048;
const TOLERANCE = 2000;
const KEYS = ["idsMade", "borrowedMs", "clockStepsBack", "renewalsOk", "renewalsFailed", "generatorIdSwitches", "leasesLost", "generatorId", "leaseWindowEndUnixMs", "lastIdUnixMs"];
let seq = 0;
const group = (opts = {}) => {
  const schemaGroupName = `stats${++seq}_${process.pid}`;
  sf.SimpleSyncer.createSchemaGroup({ schemaGroupName, ...opts });
  return schemaGroupName;
};
const msOf = (id, epoch = Date.UTC(2020, 0, 1)) => Number(id >> 23n) + epoch;

describe("gen.stats()", () => {
  test("a plain object of Numbers; ids, borrowed ms and steps back counted where they happen (SimpleSyncer)", () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const gen = new sf.Snowfall({ schemaGroupName: group(), clock });
    const s0 = gen.stats();
    assert.deepEqual(Object.keys(s0), KEYS);
    for (const k of KEYS) assert.equal(typeof s0[k], "number", k);
    assert.deepEqual([s0.idsMade, s0.borrowedMs, s0.clockStepsBack, s0.generatorId === gen.generatorId, s0.lastIdUnixMs], [0, 0, 0, true, -1]);
    assert.ok(s0.leaseWindowEndUnixMs > clock(), "the lease window ends after now");
    gen.getGuid();
    gen.getGuids(3 * PER_MS); // frozen clock: fills this ms, borrows 3 more
    let s = gen.stats();
    assert.deepEqual([s.idsMade, s.borrowedMs, s.clockStepsBack, s.lastIdUnixMs], [1 + 3 * PER_MS, 3, 0, clock() + 3]);
    const into = new BigUint64Array(10);
    gen.getGuidsInto(into);
    assert.equal(gen.stats().idsMade, 11 + 3 * PER_MS);
    // A step back ridden out counts once, however many ids ride it out.
    clock.advance(10);
    gen.getGuid();
    clock.advance(-500);
    for (let i = 0; i < 5; i++) gen.getGuid();
    s = gen.stats();
    assert.deepEqual([s.idsMade, s.clockStepsBack, s.borrowedMs], [17 + 3 * PER_MS, 1, 3]);
    gen.close();
    const closed = gen.stats();
    assert.deepEqual([closed.idsMade, closed.generatorId, closed.leaseWindowEndUnixMs], [s.idsMade, -1, -1], "the counters outlive close()");
  });

  test("SimpleSyncer renewals: ok as it mints, failed when its group was dropped meanwhile", () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const name = group({ livelinessProbeS: 1 });
    const gen = new sf.Snowfall({ schemaGroupName: name, clock });
    gen.getGuid();
    clock.advance(1500);
    gen.getGuid();
    assert.deepEqual([gen.stats().renewalsOk, gen.stats().renewalsFailed], [1, 0]);
    clock.advance(5000); // idle past its lease: no longer live, so its group may be dropped
    assert.equal(sf.SimpleSyncer.dropSchemaGroup(name), true);
    assert.throws(() => gen.getGuid(), { code: "SCHEMA_GROUP_NOT_FOUND" });
    assert.deepEqual([gen.stats().renewalsOk, gen.stats().renewalsFailed], [1, 1]);
    gen.close();
  });

  test("DatabaseSyncer (SQLite): renewals ok, a lost lease, a switch to another generator id", async () => {
    const db = await openDatabase("sqlite");
    const schemaGroupName = uniqueGroup("stats");
    await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, livelinessProbeS: 1 });
    const clock = manualClock();
    const open = () => sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database: db.database, clock, timers: false, ...ANY_SKEW });
    const a = await open();
    const id = a.generatorId;
    a.getGuids(5);
    clock.advance(1000);
    await a.ready();
    let s = a.stats();
    assert.deepEqual([s.idsMade, s.renewalsOk, s.renewalsFailed, s.leasesLost, s.generatorIdSwitches, s.generatorId], [5, 1, 0, 0, 0, id]);
    // a pauses past its lease; every id but one other is held; b takes a's id.
    clock.advance(2001);
    const other = (id + 1) % 4096;
    const manifest = `"snowfall_${schemaGroupName}_manifest"`;
    db.raw.prepare(`UPDATE ${manifest} SET last_updated_ms = ? WHERE generator_id NOT IN (?, ?)`).run(clock() + 3_600_000, id, other);
    db.raw.prepare(`UPDATE ${manifest} SET last_updated_ms = ? WHERE generator_id = ?`).run(clock() + 3_600_000, other);
    const b = await open();
    assert.equal(b.generatorId, id);
    db.raw.prepare(`UPDATE ${manifest} SET last_updated_ms = 0, reserved_until_ms = 0 WHERE generator_id = ?`).run(other);
    await a.ready(); // renewal fails the compare: lost; claims `other`
    s = a.stats();
    assert.equal(a.generatorId, other);
    assert.deepEqual([s.leasesLost, s.generatorIdSwitches, s.renewalsOk, s.generatorId], [1, 1, 2, other]);
    assert.ok(s.leaseWindowEndUnixMs > clock());
    await b.close();
    await a.close();
    await db.close();
  });

  test("a store that fails counts failed renewals; the saved window is still used", async () => {
    const store = new MapStore({ probeS: 1 });
    const clock = manualClock();
    const gen = await sf.Snowfall.create({ store, clock, timers: false });
    gen.getGuid();
    store.failure = new Error("store down");
    clock.advance(1000);
    await gen.ready(); // the renewal fails, the window still covers now: no throw
    assert.deepEqual([gen.stats().renewalsOk, gen.stats().renewalsFailed], [0, 1]);
    gen.getGuid();
    store.failure = null;
    await gen.ready();
    assert.deepEqual([gen.stats().renewalsOk, gen.stats().renewalsFailed, gen.stats().idsMade], [1, 1, 2]);
    await gen.close();
  });
});

describe("a failed batch leaves the generator as it was (issue 9)", () => {
  const frozen = () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    return { clock, gen: new sf.Snowfall({ schemaGroupName: group(), clock }), twin: new sf.Snowfall({ schemaGroupName: group(), clock }) };
  };
  const budget = PER_MS * (TOLERANCE + 1); // ids a frozen clock allows: this ms and 2000 borrowed

  for (const [what, used, count] of [["near the bound, within one chunk", budget - 5, PER_MS * 20], ["from a fresh start, across fillIds chunks", 0, budget + 1]]) {
    test(`getGuids past the borrow bound (${what}): the next ids are the ones the batch would have started with`, () => {
      const { clock, gen, twin } = frozen();
      gen.getGuids(used + 1);
      twin.getGuids(used + 1);
      const before = gen.stats();
      assert.throws(() => gen.getGuids(count), { code: "CLOCK_STALLED" });
      assert.deepEqual(gen.stats(), before, "the counters too");
      // The whole tolerance left is still there: as many ids as a generator that never ran the batch.
      const left = budget - used - 1;
      const rest = gen.getGuids(left);
      const twinRest = twin.getGuids(left);
      const field = (x) => x & ~4095n; // the two hold different generator ids
      assert.equal(field(rest[0]), field(twinRest[0]));
      assert.equal(field(rest[left - 1]), field(twinRest[left - 1]));
      assert.equal(msOf(rest[left - 1]) - clock(), TOLERANCE);
      assert.throws(() => gen.getGuid(), { code: "CLOCK_STALLED" });
      assert.throws(() => gen.getGuidsInto(new BigUint64Array(6)), { code: "CLOCK_STALLED" });
      clock.advance(TOLERANCE + 1);
      assert.ok(gen.getGuid() > rest[left - 1]);
      gen.close();
      twin.close();
    });
  }

  test("getGuidsInto: ids copied into the caller's target stay used; the failing call is taken back", () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const gen = new sf.Snowfall({ schemaGroupName: group(), clock });
    const target = new BigUint64Array(budget + 1); // more than the tolerance allows, > one chunk
    assert.throws(() => gen.getGuidsInto(target), { code: "CLOCK_STALLED" });
    const written = target.findIndex((x) => x === 0n);
    assert.ok(written > 65_536 && written <= budget, `ids stay in the target (${written})`);
    for (let i = 1; i < written; i++) if (!(target[i] > target[i - 1])) assert.fail(`not increasing at ${i}`);
    assert.equal(gen.stats().idsMade, written);
    clock.advance(TOLERANCE + 1);
    assert.ok(gen.getGuid() > target[written - 1], "never an id below one the caller may have seen");
    gen.close();
  });

  test("a user clock stepping back mid-batch (after ids were made) fails the batch, and it took nothing", () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    let armed = false;
    let reads = 0;
    // Armed: the batch's first reading is right, every later one 5 s behind.
    const gen = new sf.Snowfall({ schemaGroupName: group(), clock: () => (armed && ++reads > 1 ? clock() - 5000 : clock()) });
    const twin = new sf.Snowfall({ schemaGroupName: group(), clock });
    gen.getGuid();
    twin.getGuid();
    armed = true;
    assert.throws(() => gen.getGuids(3 * PER_MS), { code: "CLOCK_MOVED_BACKWARDS" });
    assert.ok(reads > 1, "the clock was read again mid-batch");
    armed = false;
    assert.equal(gen.stats().idsMade, 1);
    assert.equal(gen.getGuid() & ~4095n, twin.getGuid() & ~4095n, "the next id is the batch's first");
    gen.close();
    twin.close();
  });
});

describe("guidLimits", () => {
  test("the dates ids pass 2^63 and reach the end of the layout, for any epoch", () => {
    const d = sf.guidLimits();
    assert.equal(d.passesSignedBigint.toISOString(), "2054-11-03T19:53:47.776Z");
    assert.equal(d.layoutEnds.toISOString(), "2089-09-06T15:47:35.551Z");
    const epoch = Date.UTC(2024, 0, 1);
    const e = sf.guidLimits({ epochStartDate: new Date(epoch) });
    assert.equal(e.passesSignedBigint.getTime(), epoch + 2 ** 40);
    assert.equal(e.layoutEnds.getTime(), epoch + 2 ** 41 - 1);
    // The rule holds at the boundary: the first id of that ms is 2^63, the ms before is below it.
    const { lowest } = sf.guidRange(e.passesSignedBigint, { epochStartDate: epoch });
    assert.equal(lowest, 1n << 63n);
    assert.ok(sf.guidRange(e.passesSignedBigint.getTime() - 1, { epochStartDate: epoch }).highest < 1n << 63n);
    assert.equal(sf.guidRange(e.layoutEnds, { epochStartDate: epoch }).highest, (1n << 64n) - 1n);
    assert.throws(() => sf.guidLimits({ epochStartDate: "2024" }), { code: "INVALID_TYPE" });
    assert.throws(() => sf.guidLimits(5), { code: "INVALID_TYPE" });
    assert.throws(() => sf.guidLimits({ epochStartDate: 8.64e15 }), { code: "OUT_OF_RANGE" });
  });
});
