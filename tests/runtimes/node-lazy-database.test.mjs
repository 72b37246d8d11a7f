// Node: the database code (SQL, Redis and Durable Object stores and syncers, the adapters,
// schemaGroupSql) is not in node.mjs / node.cjs but in node-database.cjs, loaded on first use
// (issue 11, cold start; js/database/lazy.js, scripts/build.mjs). Checked on the installed package,
// each case in a fresh Node process: the start path does not load it, the stand-ins look like the
// real exports, and what loads later is bound to the one instance import and require share.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { installedPackage, repoRoot } from "./pack.mjs";

const run = promisify(execFile);
let pkg;

async function node(file, source) {
  const p = path.join(pkg.projectDir, file);
  writeFileSync(p, source);
  try {
    const { stdout } = await run(process.execPath, [p], { cwd: pkg.projectDir, timeout: 60_000 });
    return JSON.parse(stdout.trim().split("\n").at(-1));
  } catch (e) {
    throw new Error(`node ${file} failed (exit ${e.code}):\n${e.stdout ?? ""}\n${e.stderr ?? e}`);
  }
}

/** Whether this process has loaded node-database.cjs (an ESM import of it goes through require too). */
const LOADED = `(() => Object.keys(createRequire(import.meta.url).cache).some((f) => f.endsWith("node-database.cjs")))()`;
const LAZY = ["DatabaseSyncer", "SqlStore", "RedisStore", "RedisSyncer", "DurableObjectSyncer", "DurableObjectStore", "SnowfallLeases",
  "fromPg", "fromMysql2", "fromBetterSqlite3", "fromD1", "fromNodeSqlite", "fromBunSqlite", "fromPostgresJs", "fromPGlite", "fromLibsql", "schemaGroupSql"];

describe("Node: the database code loads on first use (installed package)", { timeout: 180_000 }, () => {
  before(async () => {
    pkg = await installedPackage();
  });

  test("node-database.cjs ships, and neither entry bundle carries the database code", () => {
    assert.ok(existsSync(path.join(pkg.packageDir, "node-database.cjs")), "the installed package lacks node-database.cjs");
    // Markers of the SQL dialects and the Redis store's Lua scripts.
    for (const entry of ["node.mjs", "node.cjs"]) {
      const text = readFileSync(path.join(pkg.packageDir, entry), "utf8");
      for (const marker of ["_manifest", "redis.call("]) assert.ok(!text.includes(marker), `${entry} contains ${JSON.stringify(marker)}: database code in the start path`);
    }
    const chunk = readFileSync(path.join(pkg.packageDir, "node-database.cjs"), "utf8");
    for (const marker of ["_manifest", "redis.call("]) assert.ok(chunk.includes(marker), `node-database.cjs lacks ${JSON.stringify(marker)}`);
  });

  test("import and require, then the first id: node-database.cjs is not loaded; the first database call loads it", async () => {
    const r = await node("lazy-start.mjs", `
      import { createRequire } from "node:module";
      import * as esm from "snowfall-wasm";
      const cjs = createRequire(import.meta.url)("snowfall-wasm");
      const g = new esm.Snowfall(); g.getGuid(); g.close();
      const atStart = ${LOADED};
      const sql = esm.schemaGroupSql({ dialect: "sqlite", schemaGroupName: "orders" });
      console.log(JSON.stringify({ atStart, afterCall: ${LOADED}, sql: sql.includes("snowfall_orders_manifest") }));`);
    assert.equal(r.atStart, false, "node-database.cjs was loaded by import, require or new Snowfall()");
    assert.equal(r.afterCall, true, "schemaGroupSql() did not load node-database.cjs");
    assert.equal(r.sql, true, "schemaGroupSql() through the lazy file gave no manifest table");
  });

  test("Node without process.getBuiltinModule: legacy/node.mjs (the import target there) loads the database code; node.mjs alone says why not", async () => {
    const r = await node("lazy-legacy.mjs", `
      delete process.getBuiltinModule; // as on Node 18, 20 before 20.16, 22 before 22.3
      const legacy = await import(${JSON.stringify(pathToFileURL(path.join(pkg.packageDir, "legacy/node.mjs")).href)});
      const sql = legacy.schemaGroupSql({ dialect: "postgres", schemaGroupName: "old" });
      console.log(JSON.stringify({ target: ${JSON.stringify(pkg.packageJson.exports["."].node.import)}, sql: sql.includes("snowfall_old_manifest") }));`);
    assert.equal(r.target, "./legacy/node.mjs", "the node import condition (Node without module-sync) must name legacy/node.mjs");
    assert.equal(r.sql, true, "legacy/node.mjs did not load the database code without process.getBuiltinModule");
    const bare = await node("lazy-bare.mjs", `
      delete process.getBuiltinModule;
      const m = await import(${JSON.stringify(pathToFileURL(path.join(pkg.packageDir, "node.mjs")).href)});
      let err;
      try { m.fromPg({}); } catch (e) { err = [e.code, e instanceof m.SnowfallError]; }
      console.log(JSON.stringify({ err }));`);
    assert.deepEqual(bare.err, ["UNSUPPORTED_RUNTIME", true]);
  });

  test("the stand-ins have the real exports' names, lengths and static methods (before they load)", async () => {
    // The real exports: the unbundled ESM files the package ships for the other runtimes (api.js).
    const r = await node("lazy-shape.mjs", `
      import * as m from "snowfall-wasm";
      const api = await import(${JSON.stringify(pathToFileURL(path.join(pkg.packageDir, "api.js")).href)});
      const shape = (v) => ({ type: typeof v, name: v.name, length: v.length,
        statics: Object.getOwnPropertyNames(v).filter((k) => !["length", "name", "prototype"].includes(k)).sort()
          .map((k) => [k, typeof v[k], v[k].length, v[k].constructor.name]) });
      const names = ${JSON.stringify(LAZY)};
      console.log(JSON.stringify({ stand: names.map((n) => shape(m[n])), real: names.map((n) => shape(api[n])) }));`);
    assert.equal(r.stand.length, LAZY.length);
    for (let i = 0; i < LAZY.length; i++) assert.deepEqual(r.stand[i], r.real[i], `${LAZY[i]}: the stand-in differs from the real export`);
  });

  for (const order of ["import-first", "require-first"]) {
    test(`${order}: errors from the lazy code are the shared SnowfallError; classes construct, subclass and instanceof`, async () => {
      const r = await node(`lazy-errors-${order}.mjs`, `
        import { createRequire } from "node:module";
        const require = createRequire(import.meta.url);
        let esm, cjs;
        if (${JSON.stringify(order)} === "import-first") { esm = await import("snowfall-wasm"); cjs = require("snowfall-wasm"); }
        else { cjs = require("snowfall-wasm"); esm = await import("snowfall-wasm"); }
        const caught = async (f) => { try { await f(); return "no error"; } catch (e) { return [e.code, e instanceof esm.SnowfallError, e instanceof cjs.SnowfallError]; } };
        const errors = {
          sqlStore: await caught(() => new esm.SqlStore({}, "g")),
          adapter: await caught(() => cjs.fromPg({})),
          open: await caught(() => esm.DatabaseSyncer.open({ database: {} })),
          create: await caught(() => cjs.Snowfall.create({ syncer: cjs.RedisSyncer, redis: {} })),
          groupName: await caught(() => esm.RedisSyncer.createSchemaGroup({ redis: {}, schemaGroupName: "no spaces" })),
        };
        const db = { dialect: "sqlite", execute: async () => ({ rows: [], rowCount: 0 }) };
        const store = new cjs.SqlStore(db, "g");
        class Mine extends esm.SqlStore { tag() { return "mine:" + this.dialect; } }
        const mine = new Mine(db, "g");
        let notNew;
        try { esm.SqlStore(db, "g"); } catch (e) { notNew = e instanceof TypeError; }
        console.log(JSON.stringify({ errors, same: esm.SqlStore === cjs.SqlStore,
          store: [store instanceof esm.SqlStore, store.dialect, typeof store.readGroup],
          mine: [mine instanceof Mine, mine instanceof esm.SqlStore, mine.tag()], notNew }));`);
      for (const [what, got] of Object.entries(r.errors)) {
        assert.ok(Array.isArray(got), `${what}: ${got}`);
        assert.equal(typeof got[0], "string", `${what}: no code`);
        assert.deepEqual(got.slice(1), [true, true], `${what}: ${got[0]} is not instanceof SnowfallError of both import and require`);
      }
      assert.equal(r.errors.groupName[0], "INVALID_SCHEMA_GROUP_NAME");
      assert.equal(r.same, true);
      assert.deepEqual(r.store, [true, "sqlite", "function"]);
      assert.deepEqual(r.mine, [true, true, "mine:sqlite"]);
      assert.equal(r.notNew, true, "calling a stand-in class without new must throw a TypeError, as the class does");
    });
  }

  test("a DatabaseSyncer generator (better-sqlite3) through the lazy code holds an id of the shared registry", async () => {
    const sqlite = path.join(repoRoot, "node_modules/better-sqlite3");
    const r = await node("lazy-database.mjs", `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const esm = await import("snowfall-wasm");
      const cjs = require("snowfall-wasm");
      const Database = require(${JSON.stringify(sqlite)});
      const database = esm.fromBetterSqlite3(new Database(":memory:"));
      await cjs.DatabaseSyncer.createSchemaGroup({ database, schemaGroupName: "lazy" });
      const a = await esm.Snowfall.create({ syncer: esm.DatabaseSyncer, database, schemaGroupName: "lazy", timers: false });
      const b = await cjs.Snowfall.create({ syncer: cjs.DatabaseSyncer, database, schemaGroupName: "lazy", timers: false });
      const ids = [a.getGuid(), b.getGuid()];
      const status = await esm.DatabaseSyncer.status({ database, schemaGroupName: "lazy" });
      let dup;
      try { await cjs.DatabaseSyncer.createSchemaGroup({ database, schemaGroupName: "lazy" }); } catch (e) { dup = [e.code, e instanceof esm.SnowfallError]; }
      console.log(JSON.stringify({ generatorIds: [a.generatorId, b.generatorId], ids: ids.map(String), live: status.live.length, dup,
        isSnowfall: a instanceof cjs.Snowfall }));
      await a.close(); await b.close();`);
    assert.notEqual(r.generatorIds[0], r.generatorIds[1], "two generators of one group hold the same id");
    assert.notEqual(r.ids[0], r.ids[1]);
    assert.equal(r.live, 2, "status() does not see both leases");
    assert.deepEqual(r.dup, ["SCHEMA_GROUP_EXISTS", true]);
    assert.equal(r.isSnowfall, true);
  });
});
