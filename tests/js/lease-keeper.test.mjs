// Keeping a lease through a store, with the real core (packed package) and a Map-backed custom
// store: on-demand renewal, a lost lease (revoke, then another id and window together), a store
// outage (the saved window is used until it ends, never longer), a store that never answers
// (every call settles within its bound, and the generator recovers), background renewal with an
// unref'd timer, close (stop minting, then release with the last minted ms), and replies a store
// must not be trusted with.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { MapStore } from "./helpers/map-store.mjs";
import { manualClock, openDatabase, uniqueGroup } from "./helpers/databases.mjs";
import { sf, ANY_SKEW } from "./helpers/package.mjs";
import { installedPackage } from "../runtimes/pack.mjs";

const PROBE_S = 1;
const PROBE = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gidOf = (id) => Number(id & 4095n);
const msOf = (id, epoch = Date.UTC(2020, 0, 1)) => Number(id >> 23n) + epoch;

async function generator(store, clock, extra = {}) {
  return sf.Snowfall.create({ store, clock, timers: false, ...extra });
}

describe("keeping a lease in a custom store", () => {
  test("create claims; ready() renews only once due; concurrent ready() calls share one renewal", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    const clock = manualClock();
    const gen = await generator(store, clock);
    const slot = store.slot(gen.generatorId);
    assert.equal(slot.reservedUntilMs, clock() + 2 * PROBE, "window: one lease from now");
    gen.getGuid();
    await gen.ready();
    assert.equal(store.renewals, 0, "no renewal before a probe has passed");
    clock.advance(PROBE);
    await gen.ready();
    assert.equal(store.renewals, 1);
    assert.equal(store.slot(gen.generatorId).reservedUntilMs, clock() + 2 * PROBE);
    clock.advance(PROBE);
    await Promise.all([gen.ready(), gen.ready(), gen.ready()]);
    assert.equal(store.renewals, 2);
    await gen.close();
  });

  test("a lost lease stops minting at once, then another id and its window arrive together", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    const clock = manualClock();
    const a = await generator(store, clock);
    const first = a.generatorId;
    const lastOfA = a.getGuid();
    clock.advance(2 * PROBE + 1); // a paused past its lease; every other id is held by someone
    for (let id = 0; id < 4096; id++) if (id !== first) store.slots.set(id, { lastUpdatedMs: clock() + 3_600_000, reservedUntilMs: 0, holder: "x" });
    const b = await generator(store, clock);
    assert.equal(b.generatorId, first, "the dead holder's id is reclaimed");
    const fromB = b.getGuid();
    assert.ok(msOf(fromB) > msOf(lastOfA), "the successor's window starts after a's");
    store.slots.delete((first + 1) % 4096); // one id frees up for a to move to
    await a.ready();
    assert.equal(a.generatorId, (first + 1) % 4096, "switched to another id");
    const fromA = a.getGuid();
    assert.equal(gidOf(fromA), (first + 1) % 4096);
    assert.ok(fromA > lastOfA);
    await a.close();
    await b.close();
  });

  test("a store outage keeps the saved window until it ends, never longer; then it recovers", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    const clock = manualClock();
    const gen = await generator(store, clock);
    const end = store.slot(gen.generatorId).reservedUntilMs;
    store.failure = new Error("connection refused");
    clock.advance(PROBE);
    await gen.ready(); // the renewal fails but the window still covers now
    gen.getGuid();
    clock.set(end + 1);
    await assert.rejects(gen.ready(), (e) => e.code === "DATABASE_ERROR" && /connection refused/.test(e.message) && e.cause === store.failure);
    assert.throws(() => gen.getGuid(), { code: "LEASE_EXPIRED" });
    store.failure = null; // back: nobody took the id, the next ready() renews it
    await gen.ready();
    assert.ok(gen.getGuid() > 0n);
    await gen.close();
  });

  test("a store that never answers: create, ready and close each settle within their bound, then it recovers", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    const hung = new MapStore({ probeS: PROBE_S });
    hung.failure = "hang";
    let t0 = Date.now();
    await assert.rejects(sf.Snowfall.create({ store: hung, storeTimeoutMs: 200 }), { code: "STORE_TIMEOUT" });
    assert.ok(Date.now() - t0 < 1000, `create settled after ${Date.now() - t0} ms`);

    const gen = await sf.Snowfall.create({ store, timers: false, storeTimeoutMs: 300 });
    gen.getGuid();
    store.failure = "hang";
    await sleep(PROBE + 20); // due: the renewal hangs; the window (2 s) has ~1 s left
    t0 = Date.now();
    await gen.ready(); // gave up at the store timeout; the window still covers now
    const waited = Date.now() - t0;
    assert.ok(waited >= 250 && waited < 900, `ready() settled after ${waited} ms (storeTimeoutMs 300)`);
    gen.getGuid();
    await sleep(2 * PROBE); // past the window end
    t0 = Date.now();
    await assert.rejects(gen.ready(), (e) => e instanceof sf.SnowfallError && e.code === "STORE_TIMEOUT");
    assert.ok(Date.now() - t0 < 900);
    assert.throws(() => gen.getGuid(), { code: "LEASE_EXPIRED" });
    store.failure = null;
    await gen.ready(); // the store answers again: a fresh attempt renews (or reclaims) the lease
    assert.ok(gen.getGuid() > 0n);
    store.failure = "hang";
    t0 = Date.now();
    await assert.rejects(gen.close(), { code: "STORE_TIMEOUT" });
    assert.ok(Date.now() - t0 < 900, "close() does not hang on a silent store");
    assert.throws(() => gen.getGuid(), { code: "GENERATOR_CLOSED" });
  });

  test("a renewal stuck past the window end is abandoned there, and a fresh one follows at once", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    let stall = false;
    const swaps = [];
    store.onCall = async (name) => {
      if (name !== "compareAndSwap") return;
      swaps.push(Date.now());
      if (stall) { stall = false; await sleep(6 * PROBE); } // the first renewal's statement hangs
    };
    const gen = await sf.Snowfall.create({ store, timers: true });
    const claimedAt = Date.now();
    stall = true;
    const deadline = Date.now() + 5 * PROBE;
    while (swaps.length < 3 && Date.now() < deadline) await sleep(20);
    assert.ok(swaps.length >= 3, "a fresh renewal followed the stuck one");
    const windowEnd = claimedAt + 2 * PROBE;
    assert.ok(swaps[2] - windowEnd < PROBE / 2, `the fresh renewal came ${swaps[2] - windowEnd} ms after the window end`);
    await sleep(100);
    assert.ok(gen.getGuid() > 0n, "minting resumed");
    await gen.close();
  });

  test("close stops minting before releasing with the last minted ms", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    const clock = manualClock();
    const gen = await generator(store, clock);
    const id = gen.generatorId;
    clock.advance(3);
    const ms = msOf(gen.getGuid());
    await gen.close();
    assert.deepEqual(store.slot(id), { lastUpdatedMs: ms - 2 * PROBE, reservedUntilMs: ms, holder: "" });
    await gen.close(); // idempotent
    await assert.rejects(gen.ready(), { code: "GENERATOR_CLOSED" });
  });

  test("background renewal runs every probe, and its timer never keeps Node alive", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    const gen = await sf.Snowfall.create({ store });
    await sleep(3.3 * PROBE);
    assert.ok(store.renewals >= 3, `renewed ${store.renewals} times in 3.3 probes`);
    await gen.close();
    const after = store.renewals;
    await sleep(1.2 * PROBE);
    assert.equal(store.renewals, after, "no renewal after close");
    const { projectDir } = await installedPackage();
    const script = `
      import { Snowfall } from "snowfall-wasm";
      const slots = new Map();
      const store = {
        async readGroup() { return { livelinessProbeS: 60, epochUnixMs: ${Date.UTC(2020, 0, 1)} }; },
        async readFreeSlots({ from, to, limit }) { const out = []; for (let id = from; id < to && out.length < limit; id++) if (!slots.has(id)) out.push({ generatorId: id, lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" }); return out; },
        async compareAndSwap({ generatorId, next }) { slots.set(generatorId, next); return true; },
      };
      await Snowfall.create({ store });
      console.log("started");`;
    const t0 = Date.now();
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: projectDir, encoding: "utf8", timeout: 10_000 });
    assert.equal(out.trim(), "started");
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe("nothing a store returns is trusted", () => {
  test("rows outside the range asked, not free, duplicated or malformed are never claimed", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    const real = store.readFreeSlots.bind(store);
    const taken = { lastUpdatedMs: Date.now() + 3_600_000, reservedUntilMs: 0, holder: "" };
    store.readFreeSlots = async (req) => [
      { generatorId: 5000, lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" }, // no such id
      { generatorId: req.to, lastUpdatedMs: 0, reservedUntilMs: 0, holder: "" }, // outside the range
      { generatorId: req.from, ...taken }, // not free by the rule
      { generatorId: req.from, lastUpdatedMs: "soon", reservedUntilMs: 0, holder: "" }, // not a number
      { generatorId: req.from, lastUpdatedMs: 0, reservedUntilMs: 2 ** 60, holder: "" }, // no store may hold it
      { generatorId: req.from, lastUpdatedMs: 0, reservedUntilMs: 0, holder: "ROBERT'); DROP TABLE--" }, // not a holder we write
      ...(await real(req)),
    ];
    const swaps = [];
    const cas = store.compareAndSwap.bind(store);
    store.compareAndSwap = async (req) => { swaps.push(req); return cas(req); };
    const gen = await sf.Snowfall.create({ store, timers: false });
    assert.ok(swaps.every((s) => s.generatorId < 4096 && s.expected.lastUpdatedMs === 0 && s.expected.reservedUntilMs === 0 && s.expected.holder === ""));
    assert.equal(store.slot(gen.generatorId).holder.length, 36);
    await gen.close();
  });

  test("a compareAndSwap that answers neither true nor false is DATABASE_ERROR, and nothing is minted", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    store.compareAndSwap = async () => "yes";
    await assert.rejects(sf.Snowfall.create({ store }), (e) => e.code === "DATABASE_ERROR" && /true \(written\) or false/.test(e.message));
    store.readFreeSlots = async () => ({ rows: 5 });
    await assert.rejects(sf.Snowfall.create({ store }), (e) => e.code === "DATABASE_ERROR" && /malformed/.test(e.message));
  });

  test("a clock returning a string, NaN or a fractional ms never reaches the store unchecked", async () => {
    for (const bad of [() => String(Date.now()), () => NaN, () => 5n, () => { throw new Error("no time"); }]) {
      const store = new MapStore({ probeS: PROBE_S });
      await assert.rejects(sf.Snowfall.create({ store, clock: bad }), { code: "INVALID_CLOCK_READING" });
      assert.equal(store.writes, 0, "nothing written");
    }
    const store = new MapStore({ probeS: PROBE_S });
    const gen = await sf.Snowfall.create({ store, clock: () => Date.now() + 0.37, timers: false });
    const slot = store.slot(gen.generatorId);
    assert.ok(Number.isSafeInteger(slot.lastUpdatedMs) && Number.isSafeInteger(slot.reservedUntilMs), "whole ms written");
    await gen.close();
  });

  test("a store clock far from the host's is refused at open (CLOCK_SKEW), within the bound it opens", async () => {
    const store = new MapStore({ probeS: 5 });
    store.now = async () => Date.now() - 7000;
    await assert.rejects(sf.Snowfall.create({ store }), (e) => e.code === "CLOCK_SKEW" && /-(699\d|700\d) ms/.test(e.message));
    const gen = await sf.Snowfall.create({ store, maxClockSkewMs: 10_000 });
    await gen.close();
    store.now = async () => Date.now() + 1000;
    await (await sf.Snowfall.create({ store })).close();
  });
});

describe("settings are checked once, by the core's table", () => {
  test("a store's group settings and the session options: wrong types INVALID_TYPE, out of range OUT_OF_RANGE", async () => {
    const cases = [
      [{ livelinessProbeS: "5" }, {}, "INVALID_TYPE"],
      [{ livelinessProbeS: 0 }, {}, "OUT_OF_RANGE"],
      [{ livelinessProbeS: 1.5 }, {}, "INVALID_TYPE"],
      [{ maxClaimRetries: -1 }, {}, "OUT_OF_RANGE"],
      [{ minMsBetweenClaimRetries: 50, maxMsBetweenClaimRetries: 10 }, {}, "OUT_OF_RANGE"],
      [{}, { storeTimeoutMs: 0 }, "OUT_OF_RANGE"],
      [{}, { storeTimeoutMs: "1000" }, "INVALID_TYPE"],
      [{}, { maxClockSkewMs: -5 }, "OUT_OF_RANGE"],
    ];
    for (const [group, options, code] of cases) {
      const store = new MapStore({ probeS: 1 });
      Object.assign(store.group, group);
      if (options.maxClockSkewMs !== undefined) store.now = async () => Date.now();
      await assert.rejects(sf.Snowfall.create({ store, ...options }), (e) => e instanceof sf.SnowfallError && e.code === code, `${JSON.stringify({ group, options })} -> ${code}`);
      assert.equal(store.writes, 0);
    }
    const db = await openDatabase("sqlite");
    await assert.rejects(sf.DatabaseSyncer.createSchemaGroup({ database: db.database, schemaGroupName: uniqueGroup("s"), livelinessProbeS: "5" }), { code: "INVALID_TYPE" });
    await assert.rejects(sf.DatabaseSyncer.createSchemaGroup({ database: db.database, schemaGroupName: uniqueGroup("s"), livelinessProbeS: 100_000 }), { code: "OUT_OF_RANGE" });
    await assert.rejects(sf.DatabaseSyncer.createSchemaGroup(null), { code: "INVALID_TYPE" });
    await assert.rejects(sf.DatabaseSyncer.open(null), { code: "INVALID_TYPE" });
    await assert.rejects(sf.DatabaseSyncer.status(5), { code: "INVALID_TYPE" });
    await assert.rejects(sf.DatabaseSyncer.dropSchemaGroup("x"), { code: "INVALID_TYPE" });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    await assert.rejects(sf.DatabaseSyncer.open(revoked.proxy), { code: "INVALID_TYPE" });
    await assert.rejects(sf.Snowfall.create({ syncer: revoked.proxy }), (e) => e.code === "INVALID_SYNCER" && e.cause instanceof TypeError);
    let opened = 0;
    const counting = { open: async () => { opened++; throw new Error("must not be reached"); } };
    await assert.rejects(sf.Snowfall.create({ syncer: counting, clock: 5 }), { code: "INVALID_TYPE" });
    await assert.rejects(sf.Snowfall.create({ syncer: counting, clockToleranceMs: -1 }), { code: "OUT_OF_RANGE" });
    assert.equal(opened, 0, "no session opened with a bad clock option");
    const rowsFive = { dialect: "sqlite", execute: async () => ({ rows: 5 }) };
    await assert.rejects(sf.DatabaseSyncer.open({ database: rowsFive, schemaGroupName: "g" }), (e) => e instanceof sf.SnowfallError && ["INVALID_TYPE", "DATABASE_ERROR"].includes(e.code));
    await db.close();
  });
});

describe("keeping a lease in SQLite", () => {
  test("a holder paused past its lease loses its id to a successor whose window starts after its own", async () => {
    const db = await openDatabase("sqlite");
    const schemaGroupName = uniqueGroup("keeper");
    await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, livelinessProbeS: 1 });
    const clock = manualClock();
    const open = () => sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database: db.database, clock, timers: false, ...ANY_SKEW });
    const a = await open();
    const id = a.generatorId;
    const lastOfA = a.getGuid();
    clock.advance(2001);
    db.raw.prepare(`UPDATE "snowfall_${schemaGroupName}_manifest" SET last_updated_ms = ? WHERE generator_id <> ?`).run(clock() + 3_600_000, id);
    const b = await open();
    assert.equal(b.generatorId, id);
    assert.ok(msOf(b.getGuid()) > msOf(lastOfA));
    // a wakes up: its window has ended, its renewal fails the compare, it cannot claim another id
    // (all held), so it stays without an id instead of keeping the old one.
    assert.throws(() => a.getGuid(), { code: "LEASE_EXPIRED" });
    await assert.rejects(a.ready(), { code: "GENERATOR_IDS_EXHAUSTED" });
    assert.equal(a.generatorId, undefined);
    await b.close();
    await a.close();
    await db.close();
  });
});
