// A store that never answers: real PostgreSQL behind a TCP proxy on loopback that stops passing
// packets (a blackhole: no reset, no error; what a dropped route or a dead NAT entry looks like,
// TCP holding the bytes until the path heals). Every generator call must settle within its
// documented bound (docs/PROTOCOL.md, "Deadlines") with a SnowfallError, ids must flow to the
// saved window's end and stop there, and the generator must recover when the path heals.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { postgresUrl } from "./helpers/servers.mjs";
import { proxy } from "./helpers/blackhole.mjs";
import { uniqueGroup } from "./helpers/databases.mjs";
import { sf } from "./helpers/package.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let hole, pool, direct, schemaGroupName;
before(async () => {
  const url = new URL(postgresUrl());
  hole = proxy({ host: url.hostname, port: Number(url.port) });
  const port = await hole.listen();
  url.host = `127.0.0.1:${port}`;
  pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on("error", () => {}); // README: a pool must handle its idle clients' errors
  direct = new pg.Pool({ connectionString: postgresUrl(), max: 2 });
  schemaGroupName = uniqueGroup("hole");
  await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: sf.fromPg(direct), livelinessProbeS: 1 });
});
after(async () => {
  hole.blackhole(false);
  await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database: sf.fromPg(direct) }).catch(() => {});
  hole.close();
  await Promise.race([pool.end(), sleep(2000)]);
  await direct.end();
});

test("PostgreSQL blackholed: ready(), close() and create() settle within their bounds, and the generator recovers", { timeout: 120_000 }, async () => {
  const storeTimeoutMs = 400;
  const database = sf.fromPg(pool);
  const gen = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database, timers: false, storeTimeoutMs });
  const id = gen.generatorId;
  const first = gen.getGuid();
  hole.blackhole(true);

  // 1. A renewal due while the window still has a second left: ready() gives up at the store
  //    timeout and resolves (ids keep flowing inside the saved window).
  await sleep(1000);
  let t0 = Date.now();
  await gen.ready();
  let took = Date.now() - t0;
  assert.ok(took >= storeTimeoutMs - 50 && took < 2 * storeTimeoutMs + 300, `ready() settled after ${took} ms`);
  assert.ok(gen.getGuid() > first);

  // 2. Past the window end: getGuid is LEASE_EXPIRED at once, ready() rejects within its bound.
  await sleep(1100);
  assert.throws(() => gen.getGuid(), { code: "LEASE_EXPIRED" });
  t0 = Date.now();
  await assert.rejects(gen.ready(), (e) => e instanceof sf.SnowfallError && e.code === "STORE_TIMEOUT");
  took = Date.now() - t0;
  assert.ok(took < 2 * storeTimeoutMs + 300, `ready() rejected after ${took} ms`);

  // 3. A new generator on the silent database: create() rejects within 2 x storeTimeoutMs.
  t0 = Date.now();
  await assert.rejects(sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database, storeTimeoutMs }), { code: "STORE_TIMEOUT" });
  took = Date.now() - t0;
  assert.ok(took < 2 * storeTimeoutMs + 300, `create() rejected after ${took} ms`);

  // 4. The path heals: the next ready() renews or reclaims, and ids flow again, unique and increasing.
  hole.blackhole(false);
  let recovered = false;
  for (let i = 0; i < 20 && !recovered; i++) {
    try {
      await gen.ready();
      recovered = true;
    } catch {
      await sleep(200);
    }
  }
  assert.ok(recovered, "ready() succeeds once the database answers again");
  const again = gen.getGuid();
  assert.ok(again > first);
  assert.ok(gen.generatorId === id || gen.generatorId !== undefined);

  // 5. close() on a blackholed database settles within storeTimeoutMs.
  hole.blackhole(true);
  t0 = Date.now();
  await assert.rejects(gen.close(), { code: "STORE_TIMEOUT" });
  took = Date.now() - t0;
  assert.ok(took < storeTimeoutMs + 300, `close() settled after ${took} ms`);
  assert.throws(() => gen.getGuid(), { code: "GENERATOR_CLOSED" });
  hole.blackhole(false);
});

test("PostgreSQL blackholed: createSchemaGroup, status and dropSchemaGroup settle with STORE_TIMEOUT within storeTimeoutMs", { timeout: 60_000 }, async () => {
  const database = sf.fromPg(pool);
  const other = uniqueGroup("holeadm");
  hole.blackhole(true);
  try {
    for (const [what, call] of [
      ["createSchemaGroup", () => sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName: other, database, storeTimeoutMs: 400 })],
      ["status", () => sf.DatabaseSyncer.status({ schemaGroupName, database, storeTimeoutMs: 400 })],
      ["dropSchemaGroup", () => sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName: other, database, storeTimeoutMs: 400 })],
    ]) {
      const t0 = Date.now();
      await assert.rejects(call(), (e) => e instanceof sf.SnowfallError && e.code === "STORE_TIMEOUT" && /storeTimeoutMs/.test(e.message), what);
      const took = Date.now() - t0;
      assert.ok(took >= 390 && took < 1400, `${what} settled after ${took} ms`);
    }
    await assert.rejects(sf.DatabaseSyncer.status({ schemaGroupName, database, storeTimeoutMs: 0 }), { code: "OUT_OF_RANGE" });
  } finally {
    hole.blackhole(false);
  }
  // Healed: the same calls answer (the abandoned ones may have landed late: status still works).
  const status = await sf.DatabaseSyncer.status({ schemaGroupName, database, storeTimeoutMs: 10_000 });
  assert.equal(status.slotCount, 4096);
  await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName: other, database: sf.fromPg(direct) }).catch(() => {});
});
