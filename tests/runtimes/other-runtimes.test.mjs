// Node 22, Deno 2 and Bun 1 (from npm: tests/runtimes/engines, installed by scripts/setup.sh --tests)
// against the packed and installed package: import (Deno with no permission at all), require,
// 100k ids, DatabaseSyncer on the runtime's own SQLite (node:sqlite, bun:sqlite), the CLI (which
// finds no better-sqlite3 in the consumer project, so it takes the runtime's own SQLite too).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { installedPackage, repoRoot } from "./pack.mjs";

const run = promisify(execFile);
const engines = path.join(repoRoot, "tests", "runtimes", "engines", "node_modules");

// How each runtime runs a file: `permissions` are Deno's flags for the scripts that need them.
const RUNTIMES = {
  "Node 22": { bin: path.join(engines, "node", "bin", "node"), args: (file) => [file], major: 22 },
  "Deno 2": { bin: path.join(engines, ".bin", "deno"), args: (file, permissions = []) => ["run", "--quiet", "--no-prompt", ...permissions, file], major: 2 },
  "Bun 1": { bin: path.join(engines, ".bin", "bun"), args: (file) => [file], major: 1 },
};
const missing = Object.values(RUNTIMES).filter((r) => !existsSync(r.bin)).map((r) => r.bin);
const skip = missing.length ? `missing ${missing.join(", ")}: run scripts/setup.sh --tests` : false;

const VERSION = `const version = typeof Deno === "object" ? Deno.version.deno : typeof Bun === "object" ? Bun.version : process.versions.node;`;

let pkg;
/** Runs the installed package's CLI in `runtime`: { code, stdout, stderr }. */
async function cliIn(runtime, args, { permissions, cwd = pkg.projectDir } = {}) {
  const r = RUNTIMES[runtime];
  try {
    const { stdout, stderr } = await run(r.bin, r.args(path.join(pkg.packageDir, "cli.mjs"), permissions).concat(args),
      { cwd, timeout: 60_000, env: { ...process.env, NO_COLOR: "1", DATABASE_URL: "", SNOWFALL_GROUP: "" } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function runIn(runtime, file, source, { permissions, env } = {}) {
  const p = path.join(pkg.projectDir, file);
  writeFileSync(p, source);
  const r = RUNTIMES[runtime];
  try {
    const { stdout } = await run(r.bin, r.args(p, permissions), { cwd: pkg.projectDir, timeout: 120_000, maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: "1", ...env } });
    return JSON.parse(stdout.trim().split("\n").at(-1));
  } catch (e) {
    throw new Error(`${runtime} ${file} failed (exit ${e.code}):\n${e.stdout ?? ""}\n${e.stderr ?? e}`);
  }
}

// 100k ids one by one: unique and strictly increasing, decoding to now and to the held generator id.
const IDS = `
  ${VERSION}
  const gen = new Snowfall();
  const before = Date.now();
  const ids = new Array(100000);
  for (let i = 0; i < ids.length; i++) ids[i] = gen.getGuid();
  const after = Date.now();
  let increasing = true;
  for (let i = 1; i < ids.length; i++) if (!(ids[i] > ids[i - 1])) increasing = false;
  const d = decodeGuid(ids[0]);
  const result = { version, type: typeof ids[0], unique: new Set(ids).size, increasing,
    timeOk: d.timestamp.getTime() >= before && d.timestamp.getTime() <= after + 1, generatorId: d.generatorId === gen.generatorId };
  gen.close();
  console.log(JSON.stringify(result));
`;

function assertIds(r, runtime) {
  assert.equal(String(r.version).split(".")[0], String(RUNTIMES[runtime].major), `${runtime}: version ${r.version}`);
  assert.equal(r.type, "bigint");
  assert.equal(r.unique, 100000, "100k unique ids");
  assert.equal(r.increasing, true, "strictly increasing");
  assert.equal(r.timeOk, true, "decodes to the time it was made");
  assert.equal(r.generatorId, true, "decodes to the generator id held");
}

// The runtime's own SQLite: a group in a file, two generators holding distinct generator ids,
// released on close; the better-sqlite3 adapter refuses this driver's object, naming the right one.
const SQLITE = {
  "node:sqlite": { open: `import { DatabaseSync } from "node:sqlite"; const raw = new DatabaseSync(file, { timeout: 5000 });`, adapter: "fromNodeSqlite", wrong: ["fromBetterSqlite3", "fromBunSqlite", "fromD1"] },
  "bun:sqlite": { open: `import { Database } from "bun:sqlite"; const raw = new Database(file); raw.run("PRAGMA busy_timeout = 5000");`, adapter: "fromBunSqlite", wrong: ["fromBetterSqlite3", "fromNodeSqlite", "fromD1"] },
};
const dbScript = ({ open, adapter, wrong }, file) => `
  import * as sf from "snowfall-wasm";
  const file = ${JSON.stringify(file)};
  ${open}
  ${VERSION}
  const refusals = {};
  for (const name of ${JSON.stringify(wrong)}) {
    try { sf[name](raw); refusals[name] = "accepted"; } catch (e) { refusals[name] = e.code + ": " + e.message; }
  }
  const database = sf.${adapter}(raw);
  const schemaGroupName = "orders";
  await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database, epochStartDate: new Date("2024-01-01T00:00:00Z") });
  const a = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database });
  const b = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database });
  const ids = [...a.getGuids(1000), ...b.getGuids(1000)];
  const held = [a.generatorId, b.generatorId];
  const live = (await sf.DatabaseSyncer.status({ schemaGroupName, database })).live.map((l) => l.generatorId);
  await a.close();
  await b.close();
  const after = (await sf.DatabaseSyncer.status({ schemaGroupName, database })).live.length;
  raw.close();
  console.log(JSON.stringify({ version, held, live, after, unique: new Set(ids).size,
    decodedIds: [a.decode(ids[0]).generatorId, b.decode(ids[1999]).generatorId], refusals }));
`;

describe("Node 22, Deno 2, Bun 1 (installed package)", { skip, timeout: 280_000 }, () => {
  before(async () => { pkg = await installedPackage(); });

  for (const runtime of Object.keys(RUNTIMES)) {
    test(`${runtime}: import "snowfall-wasm"${runtime === "Deno 2" ? " with no permissions" : ""}, 100k ids`, async () => {
      const r = await runIn(runtime, "ids.mjs", `import { Snowfall, decodeGuid } from "snowfall-wasm";\n${IDS}`);
      assertIds(r, runtime);
      // The entry each picks: Deno its own (the .wasm by import source), Node 22 and Bun node.mjs.
      const { resolved } = await runIn(runtime, "resolve.mjs", `console.log(JSON.stringify({ resolved: import.meta.resolve("snowfall-wasm") }));`);
      assert.ok(resolved.endsWith(runtime === "Deno 2" ? "/snowfall-wasm/deno.mjs" : "/snowfall-wasm/node.mjs"), `${runtime} imports ${resolved}`);
    });

    test(`${runtime}: require("snowfall-wasm"), 100k ids${runtime === "Deno 2" ? " (Deno's require reads the .wasm file: --allow-read)" : ""}`, async () => {
      const r = await runIn(runtime, "ids.cjs", `const { Snowfall, decodeGuid } = require("snowfall-wasm");\n${IDS}`,
        { permissions: ["--allow-read"] });
      assertIds(r, runtime);
      // node.cjs requires its store code (node-stores.cjs) on first use: there too
      const stores = await runIn(runtime, "stores.cjs", `const sf = require("snowfall-wasm");
        let refused; try { sf.fromPg({}); } catch (e) { refused = [e instanceof sf.SnowfallError, e.code]; }
        console.log(JSON.stringify({ sql: sf.schemaGroupSql({ dialect: "sqlite", schemaGroupName: "orders" }).includes("snowfall_orders_manifest"), refused, name: sf.LeaseSession.name }));`,
      { permissions: ["--allow-read"] });
      assert.deepEqual(stores, { sql: true, refused: [true, "INVALID_TYPE"], name: "LeaseSession" }, `${runtime}: the store code through require`);
    });

    const kind = runtime === "Bun 1" ? "bun:sqlite" : "node:sqlite";
    test(`${runtime}: DatabaseSyncer on ${kind} (a file): a group, two generators, distinct ids, released`, async () => {
      const dir = mkdtempSync(path.join(pkg.projectDir, "db-"));
      const file = path.join(dir, "snowfall.db");
      const r = await runIn(runtime, `db-${runtime[0]}.mjs`, dbScript(SQLITE[kind], file),
        { permissions: [`--allow-read=${dir}`, `--allow-write=${dir}`] });
      assert.notEqual(r.held[0], r.held[1], "two generators, two generator ids");
      assert.deepEqual(r.live, [...r.held].sort((x, y) => x - y), "status lists both as live");
      assert.equal(r.after, 0, "close() released both");
      assert.equal(r.unique, 2000);
      assert.deepEqual(r.decodedIds, r.held);
      for (const [name, outcome] of Object.entries(r.refusals)) {
        assert.match(outcome, new RegExp(`^INVALID_TYPE: ${name}: this is a ${kind} .*use ${SQLITE[kind].adapter}\\(db\\)`), `${name}(${kind} db)`);
      }
    });

    test(`${runtime}: the CLI: decode, generate in memory${runtime === "Deno 2" ? " (no permissions)" : ""}; create-group, generate, status on ${kind}`, async () => {
      let r = await cliIn(runtime, ["decode", "133494887688437760"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^133494887688437760 {2}2020-07-03T04:30:30\.720Z {2}counter 0 {2}generator 0\n$/);
      r = await cliIn(runtime, ["generate", "--count", "3", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const ids = JSON.parse(r.stdout).map(BigInt);
      assert.ok(ids.length === 3 && ids[0] < ids[1] && ids[1] < ids[2], r.stdout);

      const dir = mkdtempSync(path.join(pkg.projectDir, "cli-"));
      const permissions = [`--allow-read=${dir}`, `--allow-write=${dir}`, "--allow-env"];
      const db = ["--database", "sqlite:./ids.db", "--group", "orders"];
      r = await cliIn(runtime, ["create-group", ...db, "--probe-s", "2", "--json"], { permissions, cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).livelinessProbeS, 2);
      r = await cliIn(runtime, ["generate", ...db, "--count", "2"], { permissions, cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split("\n").length, 2);
      r = await cliIn(runtime, ["status", ...db, "--json"], { permissions, cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([JSON.parse(r.stdout).slotCount, JSON.parse(r.stdout).live], [4096, []]);
      r = await cliIn(runtime, ["status", "--database", "sqlite:./missing.db"], { permissions, cwd: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error DATABASE_NOT_FOUND: no SQLite database at \.\/missing\.db/m);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    });
  }
});
