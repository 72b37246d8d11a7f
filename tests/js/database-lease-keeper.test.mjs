// The LeaseKeeper against a custom (Map-backed, async compare-and-swap) syncer and against
// SQLite: on-demand renewal, lost lease -> revoke then switch id and window together, store
// outage -> keep the saved window only until it ends, background renewal with an unref'd timer,
// close -> stop minting then release with the last minted ms.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { SnowfallError } from "../../js/errors.js";
import { fileURLToPath } from "node:url";
import { LeaseKeeper } from "../../js/database/lease-keeper.js";
import { DatabaseSyncer } from "../../js/database/syncer.js";
import { MapStore, MapSyncer } from "./helpers/map-syncer.mjs";
import { FakeCore } from "./helpers/fake-core.mjs";
import { manualClock, openDatabase, uniqueGroup } from "./helpers/databases.mjs";

const PROBE = 1000;

async function keeperOn(syncer, clock, timers = false) {
  const session = await syncer.open({ clock });
  const core = new FakeCore(clock);
  const keeper = new LeaseKeeper(session, core, { timers, clock });
  await keeper.start();
  return { session, core, keeper };
}

describe("LeaseKeeper with a custom Map-backed syncer", () => {
  test("start claims and adopts; ready() renews only once a probe has passed", async () => {
    const store = new MapStore();
    const clock = manualClock();
    const { session, core, keeper } = await keeperOn(new MapSyncer(store, { probeMs: PROBE }), clock);
    assert.equal(core.calls.length, 1);
    const [, id, start, end] = core.calls[0];
    assert.equal(start, 1);
    assert.equal(end, clock() + 2 * PROBE);
    core.mint();
    await keeper.ready();
    assert.equal(session.renewals, 0, "no renewal before a probe has passed");
    clock.advance(PROBE);
    await keeper.ready();
    assert.equal(session.renewals, 1);
    assert.deepEqual(core.calls.at(-1), ["adopt", id, 1, clock() + 2 * PROBE]);
    // Concurrent ready() calls share one renewal.
    clock.advance(PROBE);
    await Promise.all([keeper.ready(), keeper.ready(), keeper.ready()]);
    assert.equal(session.renewals, 2);
    await keeper.close();
  });

  test("a lost lease stops minting at once, then another id and its window arrive together", async () => {
    const store = new MapStore();
    const clock = manualClock();
    const syncer = new MapSyncer(store, { probeMs: PROBE });
    const { core, keeper } = await keeperOn(syncer, clock);
    const first = core.generatorId;
    core.mint();
    // Paused past the lease: another holder takes this very id (it is the only free one).
    clock.advance(2 * PROBE + 1);
    for (let id = 0; id < 4096; id++) if (id !== first) store.slots.set(id, { updated: clock() + 3_600_000, reserved: 0, holder: "x" });
    const other = await (await syncer.open({ clock })).claim();
    assert.equal(other.generatorId, first);
    store.slots.delete((first + 1) % 4096); // one id frees up for the loser to move to
    await keeper.ready();
    const tail = core.calls.slice(-2);
    assert.deepEqual(tail[0], ["revoke"]);
    assert.equal(tail[1][0], "adopt");
    assert.equal(tail[1][1], (first + 1) % 4096, "switched to another id");
    assert.ok(!core.calls.some(([op, id, , end], i) => i > 0 && op === "adopt" && id === first && end > other.windowStartUnixMs - 1),
      "never re-extended the lost id into the new holder's window");
    const [gid] = core.mint();
    assert.equal(gid, (first + 1) % 4096);
    await keeper.close();
  });

  test("a store outage keeps the saved window until it ends, never longer", async () => {
    const store = new MapStore();
    const clock = manualClock();
    const { core, keeper } = await keeperOn(new MapSyncer(store, { probeMs: PROBE }), clock);
    const end = core.leaseWindow[1];
    store.failure = new Error("connection refused");
    clock.advance(PROBE);
    await keeper.ready(); // the renewal fails but the window still covers now
    assert.ok(keeper.lastError);
    core.mint();
    clock.set(end + 1);
    await assert.rejects(keeper.ready(), /connection refused/);
    assert.throws(() => core.mint(), { code: "LEASE_EXPIRED" });
    // The store comes back: the next ready() renews (nobody took the id) and minting resumes.
    store.failure = null;
    await keeper.ready();
    core.mint();
    await keeper.close();
  });

  test("a renewal that lands late (window nearly or already over) is followed by another at once", async () => {
    const store = new MapStore();
    const syncer = new MapSyncer(store, { probeMs: 200 });
    const session = await syncer.open();
    const renew = session.renew.bind(session);
    let slowOnce = true;
    const starts = [];
    session.renew = async () => {
      starts.push(Date.now());
      const p = renew(); // computes its window now...
      if (slowOnce) { slowOnce = false; await new Promise((r) => setTimeout(r, 450)); } // ...lands late
      return p;
    };
    const keeper = new LeaseKeeper(session, new FakeCore(), { timers: true });
    await keeper.start();
    while (starts.length < 2) await new Promise((r) => setTimeout(r, 5));
    const landed = starts[0] + 450;
    assert.ok(starts[1] - landed < 100, `next renewal ${starts[1] - landed} ms after the late one landed`);
    await keeper.close();
  });

  test("ready() waits for a hung renewal (frozen server) no longer than the saved window", async () => {
    const session = await new MapSyncer(new MapStore(), { probeMs: 100 }).open();
    const core = new FakeCore();
    const keeper = new LeaseKeeper(session, core, { timers: false });
    await keeper.start();
    session.renew = () => new Promise(() => {}); // the statement never returns
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await assert.rejects(keeper.ready(), { code: "LEASE_EXPIRED" });
    const waited = Date.now() - t0;
    assert.ok(waited >= 80 && waited < 400, `ready() gave up after ${waited} ms (window had ~100 ms left)`);
    await keeper.close(); // does not hang on the renewal either
  });

  test("close stops minting before releasing with the last minted ms", async () => {
    const store = new MapStore();
    const clock = manualClock();
    const { core, keeper } = await keeperOn(new MapSyncer(store, { probeMs: PROBE }), clock);
    const id = core.generatorId;
    clock.advance(3);
    const [, ms] = core.mint();
    await keeper.close();
    assert.deepEqual(core.calls.slice(-2), [["revoke"], ["close"]]);
    assert.deepEqual(store.slots.get(id), { updated: ms - 2 * PROBE, reserved: ms, holder: "" });
    await keeper.close(); // idempotent
    await assert.rejects(keeper.ready(), { code: "GENERATOR_CLOSED" });
  });

  test("background renewal runs every probe, and its timer never keeps Node alive", async () => {
    const store = new MapStore();
    const syncer = new MapSyncer(store, { probeMs: 50 });
    const session = await syncer.open();
    const core = new FakeCore();
    const keeper = new LeaseKeeper(session, core, { timers: true });
    await keeper.start();
    await new Promise((r) => setTimeout(r, 280));
    assert.ok(session.renewals >= 3, `renewed ${session.renewals} times in 280 ms with a 50 ms probe`);
    await keeper.close();
    const after = session.renewals;
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(session.renewals, after, "no renewal after close");

    // A process that never closes its generator still exits at once.
    const script = `
      import { LeaseKeeper } from ${JSON.stringify(new URL("../../js/database/lease-keeper.js", import.meta.url).href)};
      import { MapStore, MapSyncer } from ${JSON.stringify(new URL("./helpers/map-syncer.mjs", import.meta.url).href)};
      import { FakeCore } from ${JSON.stringify(new URL("./helpers/fake-core.mjs", import.meta.url).href)};
      const s = await new MapSyncer(new MapStore(), { probeMs: 60000 }).open();
      await new LeaseKeeper(s, new FakeCore(), { timers: true }).start();
      console.log("started");`;
    const t0 = Date.now();
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
    assert.equal(out.trim(), "started");
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe("LeaseKeeper with DatabaseSyncer on SQLite", () => {
  test("a holder paused past its lease loses its id to a successor whose window starts after its own", async () => {
    const db = await openDatabase("sqlite");
    const schemaGroupName = uniqueGroup("keeper");
    await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, livelinessProbeS: 1 });
    const clock = manualClock();
    const a = await keeperOn({ open: (o) => DatabaseSyncer.open({ schemaGroupName, database: db.database, ...o }) }, clock);
    const id = a.core.generatorId;
    const aEnd = a.core.leaseWindow[1];
    a.core.mint();
    clock.advance(2001);
    db.raw.prepare(`UPDATE "snowfall_${schemaGroupName}_manifest" SET last_updated_ms = ? WHERE generator_id <> ?`).run(clock() + 3_600_000, id);
    const b = await keeperOn({ open: (o) => DatabaseSyncer.open({ schemaGroupName, database: db.database, ...o }) }, clock);
    assert.equal(b.core.generatorId, id);
    assert.ok(b.core.leaseWindow[0] > aEnd);
    // a wakes up: its window has ended (cannot mint), its renewal fails the compare, it cannot
    // claim another id (all held), so it stays revoked instead of keeping the old id.
    assert.throws(() => a.core.mint(), { code: "LEASE_EXPIRED" });
    await assert.rejects(a.keeper.ready(), { code: "GENERATOR_IDS_EXHAUSTED" });
    assert.equal(a.core.leaseWindow, undefined);
    assert.deepEqual(a.core.calls.at(-1), ["revoke"]);
    await b.keeper.close();
    await a.keeper.close();
    await db.close();
  });
});

// The real wasm core (pkg/'s wasm-bindgen glue) under the work tree's LeaseKeeper, so keeper
// changes are checked against the core's real shapes (its lease window is a Float64Array).
const GLUE = new URL("../../pkg/snowfall_wasm.js", import.meta.url);
describe("LeaseKeeper with the real wasm core", { skip: existsSync(GLUE) ? false : "pkg/ missing: run `npm run build`" }, () => {
  test("an outage inside the window: ready() resolves and ids keep flowing, then stop at the window end", async () => {
    const wasm = await import(GLUE.href);
    const { setWasmMemory } = await import(new URL("../../pkg/wasm-memory.js", import.meta.url).href);
    setWasmMemory(wasm.initSync({ module: readFileSync(new URL("../../pkg/snowfall_wasm_bg.wasm", import.meta.url)) }).memory);
    // pkg/core.js: the core's JS face (Generator.external, adoptLease, its kept errors).
    const { Generator, coreError } = await import(new URL("../../pkg/core.js", import.meta.url).href);
    const clock = manualClock();
    const store = new MapStore();
    const session = await new MapSyncer(store, { probeMs: PROBE }).open({ clock });
    const core = Generator.external({ epochStartDate: session.epochUnixMs, clock });
    const keeper = new LeaseKeeper(session, core, { timers: false, clock });
    // The core reports a failed nextIdAt(reading) as 0n with the error kept (js/snowfall.js).
    const nextId = () => {
      const id = core.nextIdAt(clock());
      const err = id === 0n ? coreError() : undefined;
      if (err) throw err;
      return id;
    };
    await keeper.start();
    const first = nextId();
    store.failure = new Error("connection refused");
    clock.advance(PROBE + 10);
    await keeper.ready(); // renewal fails, the saved window still covers now
    assert.ok(nextId() > first);
    clock.advance(PROBE);
    await assert.rejects(keeper.ready(), /connection refused/);
    assert.throws(nextId, (e) => e.code === "LEASE_EXPIRED");
    store.failure = null;
    await keeper.ready();
    nextId();
    await keeper.close();
    const slot = store.slots.get(Number(first & 4095n));
    assert.equal(slot.holder, "", "released");
  });
});
