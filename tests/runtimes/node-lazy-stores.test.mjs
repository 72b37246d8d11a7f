// Node: the store and syncer code (SQL, Redis, Durable Object and browser stores and syncers, the
// adapters, schemaGroupSql, forWorker) is not in node.cjs but in node-stores.cjs, required on first
// use (issue 11, cold start; js/stores/lazy.js, scripts/build.mjs). node.mjs carries it itself.
// Checked on the installed package, each case in a fresh Node process: require's start path does
// not load it, the stand-ins look like the real exports, and what loads later is bound to the one
// instance import and require share, whichever of the two loaded first.
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

/** Whether this process has loaded node-stores.cjs. */
const LOADED = `Object.keys(require.cache).some((f) => f.endsWith("node-stores.cjs"))`;
const LAZY = ["DatabaseSyncer", "SqlStore", "RedisStore", "RedisSyncer", "DurableObjectSyncer", "DurableObjectStore", "SnowfallLeases",
  "BrowserSyncer", "IndexedDbStore", "lockName", "forWorker", "LeaseSession", "openSession",
  "fromPg", "fromMysql2", "fromBetterSqlite3", "fromD1", "fromNodeSqlite", "fromBunSqlite", "fromPostgresJs", "fromPGlite", "fromLibsql", "schemaGroupSql"];

describe("Node: node.cjs requires its store code on first use (installed package)", { timeout: 180_000 }, () => {
  before(async () => {
    pkg = await installedPackage();
  });

  test("node-stores.cjs ships; node.cjs does not carry the store code, node.mjs does", () => {
    assert.ok(existsSync(path.join(pkg.packageDir, "node-stores.cjs")), "the installed package lacks node-stores.cjs");
    // Markers of the SQL dialects, the Redis store's Lua scripts and the IndexedDB store.
    const markers = ["_manifest", "redis.call(", "objectStore("];
    const cjs = readFileSync(path.join(pkg.packageDir, "node.cjs"), "utf8");
    for (const marker of markers) assert.ok(!cjs.includes(marker), `node.cjs contains ${JSON.stringify(marker)}: store code in require's start path`);
    assert.ok(cjs.includes('require("./node-stores.cjs")'), "node.cjs must load the chunk with a literal require (bundlers follow it)");
    for (const file of ["node-stores.cjs", "node.mjs"]) {
      const text = readFileSync(path.join(pkg.packageDir, file), "utf8");
      for (const marker of markers) assert.ok(text.includes(marker), `${file} lacks ${JSON.stringify(marker)}`);
    }
  });

  test("require, then the first id: node-stores.cjs is not loaded; the first store call loads it", async () => {
    const r = await node("lazy-start.cjs", `
      const sf = require("snowfall-wasm");
      const g = new sf.Snowfall(); g.getGuid(); g.close();
      sf.decodeGuid(1n << 30n);
      const atStart = ${LOADED};
      const sql = sf.schemaGroupSql({ dialect: "sqlite", schemaGroupName: "orders" });
      console.log(JSON.stringify({ atStart, afterCall: ${LOADED}, sql: sql.includes("snowfall_orders_manifest") }));`);
    assert.equal(r.atStart, false, "node-stores.cjs was loaded by require, new Snowfall() or decodeGuid()");
    assert.equal(r.afterCall, true, "schemaGroupSql() did not load node-stores.cjs");
    assert.equal(r.sql, true, "schemaGroupSql() through the lazy file gave no manifest table");
  });

  test("a missing node-stores.cjs is UNSUPPORTED_RUNTIME (a SnowfallError saying what to do), not a bare MODULE_NOT_FOUND", async () => {
    const r = await node("lazy-missing.cjs", `
      const Module = require("module");
      const original = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === "./node-stores.cjs") { const e = new Error("Cannot find module './node-stores.cjs'"); e.code = "MODULE_NOT_FOUND"; throw e; }
        return original.call(this, request, ...rest);
      };
      const sf = require("snowfall-wasm");
      let err;
      try { sf.fromPg({}); } catch (e) { err = [e.code, e instanceof sf.SnowfallError, /node-stores\\.cjs/.test(e.message), e.cause?.code]; }
      console.log(JSON.stringify({ err }));`);
    assert.deepEqual(r.err, ["UNSUPPORTED_RUNTIME", true, true, "MODULE_NOT_FOUND"]);
  });

  test("the stand-ins have the real exports' names, lengths and static members (before they load)", async () => {
    // The real exports: node.mjs, which carries the code itself.
    const r = await node("lazy-shape.cjs", `
      const m = require("snowfall-wasm");
      const shape = (v) => ({ type: typeof v, name: v.name, length: v.length, constructible: (() => { try { Reflect.construct(String, [], v); return true; } catch { return false; } })(),
        statics: Object.getOwnPropertyNames(v).filter((k) => !["length", "name", "prototype"].includes(k)).sort()
          .map((k) => { const d = Object.getOwnPropertyDescriptor(v, k); return d.get ? [k, "getter"] : [k, typeof d.value, d.value.length, d.value.constructor.name]; }) });
      const names = ${JSON.stringify(LAZY)};
      const stand = names.map((n) => shape(m[n]));
      const atShape = ${LOADED};
      import(${JSON.stringify(pathToFileURL(path.join(pkg.packageDir, "node.mjs")).href)}).then(() => {
        console.log(JSON.stringify({ stand, atShape, names: Object.keys(m).filter((k) => names.includes(k)).length }));
      });`);
    assert.equal(r.atShape, false, "reading names, lengths and statics loaded node-stores.cjs");
    assert.equal(r.names, LAZY.length, "node.cjs lacks some of the lazy exports");
    const real = await node("lazy-shape-real.mjs", `
      const m = await import(${JSON.stringify(pathToFileURL(path.join(pkg.packageDir, "node.mjs")).href)});
      const shape = (v) => ({ type: typeof v, name: v.name, length: v.length, constructible: (() => { try { Reflect.construct(String, [], v); return true; } catch { return false; } })(),
        statics: Object.getOwnPropertyNames(v).filter((k) => !["length", "name", "prototype"].includes(k)).sort()
          .map((k) => { const d = Object.getOwnPropertyDescriptor(v, k); return d.get ? [k, "getter"] : [k, typeof d.value, d.value.length, d.value.constructor.name]; }) });
      console.log(JSON.stringify({ real: ${JSON.stringify(LAZY)}.map((n) => shape(m[n])) }));`);
    for (let i = 0; i < LAZY.length; i++) assert.deepEqual(r.stand[i], real.real[i], `${LAZY[i]}: the stand-in differs from the real export`);
  });

  for (const order of ["import-first", "require-first"]) {
    test(`${order}: errors from the lazy code are the shared SnowfallError; classes construct, subclass, instanceof; static getters`, async () => {
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
          browser: await caught(() => cjs.Snowfall.create({ syncer: cjs.BrowserSyncer, fetchGrant: async () => ({}) })),
        };
        const db = { dialect: "sqlite", execute: async () => ({ rows: [], rowCount: 0 }) };
        const store = new cjs.SqlStore(db, "g");
        class Mine extends esm.SqlStore { tag() { return "mine:" + this.dialect; } }
        const mine = new Mine(db, "g");
        let notNew;
        try { esm.SqlStore(db, "g"); } catch (e) { notNew = e instanceof TypeError; }
        console.log(JSON.stringify({ errors, same: esm.SqlStore === cjs.SqlStore, sameLeases: esm.SnowfallLeases === cjs.SnowfallLeases,
          store: [store instanceof esm.SqlStore, store instanceof cjs.SqlStore, store.dialect, typeof store.readGroup],
          mine: [mine instanceof Mine, mine instanceof esm.SqlStore, mine.tag()], notNew,
          supported: [typeof cjs.BrowserSyncer.supported, cjs.BrowserSyncer.supported === esm.BrowserSyncer.supported],
          lock: cjs.lockName("g", 7) }));`);
      for (const [what, got] of Object.entries(r.errors)) {
        assert.ok(Array.isArray(got), `${what}: ${got}`);
        assert.equal(typeof got[0], "string", `${what}: no code`);
        assert.deepEqual(got.slice(1), [true, true], `${what}: ${got[0]} is not instanceof SnowfallError of both import and require`);
      }
      assert.equal(r.errors.groupName[0], "INVALID_SCHEMA_GROUP_NAME");
      assert.equal(r.errors.browser[0], "UNSUPPORTED_RUNTIME", "BrowserSyncer in Node without IndexedDB");
      assert.equal(r.same, true);
      assert.equal(r.sameLeases, true);
      assert.deepEqual(r.store, [true, true, "sqlite", "function"]);
      assert.deepEqual(r.mine, [true, true, "mine:sqlite"]);
      assert.equal(r.notNew, true, "calling a stand-in class without new must throw a TypeError, as the class does");
      assert.deepEqual(r.supported, ["boolean", true]);
      assert.equal(r.lock, "snowfall-wasm:g:7");
    });
  }

  test("a DatabaseSyncer generator (better-sqlite3) through the lazy code holds an id of the shared registry", async () => {
    const sqlite = path.join(repoRoot, "node_modules/better-sqlite3");
    const r = await node("lazy-database.cjs", `
      const cjs = require("snowfall-wasm");
      const Database = require(${JSON.stringify(sqlite)});
      (async () => {
        const esm = await import("snowfall-wasm");
        const database = cjs.fromBetterSqlite3(new Database(":memory:"));
        await cjs.DatabaseSyncer.createSchemaGroup({ database, schemaGroupName: "lazy" });
        const a = await esm.Snowfall.create({ syncer: esm.DatabaseSyncer, database, schemaGroupName: "lazy", timers: false });
        const b = await cjs.Snowfall.create({ syncer: cjs.DatabaseSyncer, database, schemaGroupName: "lazy", timers: false });
        const ids = [a.getGuid(), b.getGuid()];
        const status = await esm.DatabaseSyncer.status({ database, schemaGroupName: "lazy" });
        let dup;
        try { await cjs.DatabaseSyncer.createSchemaGroup({ database, schemaGroupName: "lazy" }); } catch (e) { dup = [e.code, e instanceof esm.SnowfallError]; }
        // forWorker (in the lazy code) told the stand-in DatabaseSyncer apart from nothing once:
        // it compared against its own class (js/same-export.js)
        const worker = cjs.forWorker(() => ({ syncer: cjs.DatabaseSyncer, database, schemaGroupName: "lazy" }));
        const w = await worker({});
        console.log(JSON.stringify({ generatorIds: [a.generatorId, b.generatorId, w.generatorId], ids: ids.map(String), live: status.live.length, dup,
          isSnowfall: a instanceof cjs.Snowfall, workerId: typeof w.getGuid() }));
        await a.close(); await b.close(); await w.close();
      })();`);
    assert.equal(new Set(r.generatorIds).size, 3, "generators of one group hold the same id");
    assert.equal(r.workerId, "bigint", "forWorker with the stand-in DatabaseSyncer made no generator");
    assert.notEqual(r.ids[0], r.ids[1]);
    assert.equal(r.live, 2, "status() does not see both leases");
    assert.deepEqual(r.dup, ["SCHEMA_GROUP_EXISTS", true]);
    assert.equal(r.isSnowfall, true);
  });
});
