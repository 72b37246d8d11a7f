// The whole path a user takes: Snowfall.create({ syncer: DatabaseSyncer, ... }) from the built
// package (pkg/node.mjs), on every database, and with a custom (Map-backed) syncer.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { KINDS, manualClock, openDatabase, uniqueGroup } from "./helpers/databases.mjs";
import { MapStore } from "./helpers/map-store.mjs";

// SNOWFALL_PKG_DIR: another built package directory (as tests/runtimes/pack.mjs accepts).
const ENTRY = process.env.SNOWFALL_PKG_DIR ? `${process.env.SNOWFALL_PKG_DIR}/node.mjs` : fileURLToPath(new URL("../../pkg/node.mjs", import.meta.url));
const skip = existsSync(ENTRY) ? false : "pkg/ missing: run `npm run build` first";
let sf;
before(async () => { if (!skip) sf = await import(pathToFileURL(ENTRY).href); });

const msOf = (id, epochMs) => Number(id >> 23n) + epochMs;
const genIdOf = (id) => Number(id & 4095n);

for (const kind of KINDS) {
  describe(`Snowfall.create with DatabaseSyncer on ${kind}`, { skip }, () => {
    let db;
    const groups = [];
    before(async () => { db = await openDatabase(kind); });
    after(async () => {
      for (const schemaGroupName of groups) await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database: db.database });
      await db.close();
    });

    test("ids carry the leased generator id, stay inside the window, and close releases at the last ms", async () => {
      const schemaGroupName = uniqueGroup(`sf_${kind}`);
      groups.push(schemaGroupName);
      const { database } = db;
      await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database, epochStartDate: new Date("2024-01-01T00:00:00Z") });
      const a = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database });
      const b = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database });
      assert.notEqual(a.generatorId, b.generatorId);
      assert.equal(a.epochStartDate.toISOString(), "2024-01-01T00:00:00.000Z");
      const ids = [];
      for (let i = 0; i < 5000; i++) ids.push(a.getGuid(), b.getGuid());
      assert.equal(new Set(ids).size, ids.length);
      const aId = a.generatorId;
      const last = ids.filter((id) => genIdOf(id) === aId).at(-1);
      assert.equal(a.decode(last).generatorId, aId);
      await a.ready();
      await a.close();
      assert.throws(() => a.getGuid(), (e) => e instanceof sf.SnowfallError);
      const { rows } = await database.execute(
        `SELECT last_updated_ms, reserved_until_ms, holder FROM ${kind === "mysql" ? "`snowfall_" + schemaGroupName + "_manifest`" : `"snowfall_${schemaGroupName}_manifest"`} WHERE generator_id = ${aId}`, []);
      assert.equal(rows[0].holder, "");
      assert.equal(rows[0].reserved_until_ms, msOf(last, Date.UTC(2024, 0, 1)), "released at the last ms minted");
      assert.equal(rows[0].last_updated_ms, rows[0].reserved_until_ms - 10_000, "free once a clock passed that ms");
      await b.close();
    });

    test("without timers (Workers), ready() renews on demand and ids flow synchronously", async () => {
      const schemaGroupName = uniqueGroup(`sfw_${kind}`);
      groups.push(schemaGroupName);
      const { database } = db;
      await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database, livelinessProbeS: 1 });
      const clock = manualClock();
      const gen = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database, timers: false, clock });
      const before = gen.getGuid();
      clock.advance(2500); // past the 2 s window with no renewal: minting stops
      assert.throws(() => gen.getGuid(), { code: "LEASE_EXPIRED" });
      await gen.ready(); // nobody took the id: the renewal extends it
      const afterRenew = gen.getGuid();
      assert.ok(afterRenew > before);
      clock.advance(900);
      await gen.ready();
      gen.getGuid();
      await gen.close();
    });
  });
}

describe("Snowfall.create with a custom store", { skip }, () => {
  test("a Map-backed store (no SQL) hands out distinct ids and gets them back on close", async () => {
    const store = new MapStore({ probeS: 1 });
    const gens = await Promise.all(Array.from({ length: 32 }, () => sf.Snowfall.create({ store })));
    assert.equal(new Set(gens.map((g) => g.generatorId)).size, 32);
    const ids = gens.flatMap((g) => Array.from({ length: 100 }, () => g.getGuid()));
    assert.equal(new Set(ids).size, ids.length);
    await new Promise((r) => setTimeout(r, 2500)); // background renewals keep them alive past 2 probes
    for (const g of gens) g.getGuid();
    assert.equal(new Set(gens.map((g) => g.generatorId)).size, 32, "each kept its own id");
    await Promise.all(gens.map((g) => g.close()));
    assert.ok([...store.slots.values()].every((s) => s.lastUpdatedMs === s.reservedUntilMs - 2000 && s.holder === ""), "all released");
  });

  test("a syncer without open() is INVALID_SYNCER", async () => {
    await assert.rejects(sf.Snowfall.create({ syncer: {} }), { code: "INVALID_SYNCER" });
  });
});
