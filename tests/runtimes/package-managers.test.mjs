// The packed tarball installed by pnpm (symlinked node_modules) and by Yarn Berry with
// Plug'n'Play (no node_modules: the package is read from a zip in .yarn/cache), each at its
// strictest: pnpm `hoist=false` (nothing in .pnpm/node_modules to fall back on) and Yarn
// `pnpFallbackMode: none`, so a package resolves only what it declares. pnpm 9.15.9 and Yarn
// 4.18.1 (@yarnpkg/cli-dist) come from the npm registry at test time, pinned, with pg 8.23.1 (the
// repo's devDependency) next to the package. In each project: `import` and `require` share one
// instance, the subpath exports resolve, the CLI bin runs and loads the user's pg from inside the
// package (under Yarn the optional peer dependency is what lets it: a package.json without the
// peers fails there; pnpm also finds it in the project's node_modules; without pg, the CLI says
// DRIVER_NOT_INSTALLED), and DatabaseSyncer on the loopback PostgreSQL leases an id and mints.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, lstatSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test, before } from "node:test";
import { promisify } from "node:util";
import { devPackage, makeTempDir, packTarball } from "./pack.mjs";
import { postgresUrl } from "../js/helpers/servers.mjs";

const run = promisify(execFile);
const PNPM = "pnpm@9.15.9";
const YARN = "@yarnpkg/cli-dist@4.18.1";
const PG = devPackage("pg");

const env = {
  ...process.env,
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  YARN_ENABLE_TELEMETRY: "0",
  YARN_ENABLE_GLOBAL_CACHE: "0",
  YARN_ENABLE_PROGRESS_BARS: "0",
  COREPACK_ENABLE_STRICT: "0",
  DATABASE_URL: "",
  SNOWFALL_GROUP: "",
};
const sh = (cmd, args, cwd, extra = {}) => run(cmd, args, { cwd, env: { ...env, ...extra }, timeout: 180_000, maxBuffer: 64 << 20 });

// What every project runs: one instance for import and require, the subpaths, ids.
const CHECK = `
import { createRequire } from "node:module";
import { Snowfall, SnowfallError, decodeGuid } from "snowfall-wasm";
import { checkStore } from "snowfall-wasm/testing";
const require = createRequire(import.meta.url);
const cjs = require("snowfall-wasm");
const g = new Snowfall();
const a = g.getGuid(), b = g.getGuid();
let code;
try { g.getGuids(-1); } catch (e) { code = e instanceof cjs.SnowfallError ? e.code : "not the shared class"; }
console.log(JSON.stringify({
  shared: cjs.SnowfallError === SnowfallError && cjs.Snowfall === Snowfall,
  increasing: typeof a === "bigint" && b > a,
  generatorId: decodeGuid(a).generatorId,
  code,
  testing: typeof checkStore,
}));
`;
const DB = `
import pg from "pg";
import { Snowfall, DatabaseSyncer, fromPg } from "snowfall-wasm";
const pool = new pg.Pool({ connectionString: process.env.PG_URL, max: 2 });
const g = await Snowfall.create({ syncer: DatabaseSyncer, database: fromPg(pool), schemaGroupName: process.env.GROUP });
const ids = g.getGuids(1000);
const generatorId = g.generatorId;
await g.close();
await pool.end();
console.log(JSON.stringify({ generatorId, first: String(ids[0]), last: String(ids[999]), n: new Set(ids).size }));
`;

describe("package managers: pnpm (strict node_modules) and Yarn Plug'n'Play install the tarball", { timeout: 600_000 }, () => {
  let tools, tarball, pgUrl, registry;
  before(async () => {
    pgUrl = postgresUrl();
    registry = (await sh("npm", ["config", "get", "registry"], process.cwd())).stdout.trim(); // Yarn asks the registry npm asks
    tarball = await packTarball();
    tools = makeTempDir("snowfall-pm-tools-");
    await sh("npm", ["install", "--no-package-lock", "--prefix", tools, PNPM, YARN], tools);
  });

  /** A fresh project with the tarball and pg added by `add` (a package manager's command line). */
  async function project(name, add) {
    const dir = makeTempDir(`snowfall-${name}-`);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `consumer-${name}`, version: "0.0.0", private: true, type: "module" }));
    await add(dir);
    writeFileSync(path.join(dir, "check.mjs"), CHECK);
    writeFileSync(path.join(dir, "db.mjs"), DB);
    return dir;
  }

  /** The checks every layout must pass; `exec(args)` runs `node …` or a bin inside the project. */
  async function checks(dir, exec, bin, group) {
    const c = JSON.parse((await exec(["node", "check.mjs"])).stdout);
    assert.deepEqual(c, { shared: true, increasing: true, generatorId: c.generatorId, code: "OUT_OF_RANGE", testing: "function" });
    assert.ok(Number.isInteger(c.generatorId) && c.generatorId >= 0 && c.generatorId <= 4095, JSON.stringify(c));

    // The CLI (a bin of the package) imports the project's pg from inside the package.
    let r = await bin(["create-group", "--database", pgUrl, "--group", group, "--probe-s", "2"]);
    assert.match(r.stdout, new RegExp(`schema group ${group}: liveliness probe 2 s`));
    r = await bin(["generate", "--database", pgUrl, "--group", group, "--count", "3"]);
    const ids = r.stdout.trim().split("\n").map(BigInt);
    assert.equal(ids.length, 3);
    assert.ok(ids[0] < ids[1] && ids[1] < ids[2], r.stdout);

    const d = JSON.parse((await exec(["node", "db.mjs"], { PG_URL: pgUrl, GROUP: group })).stdout);
    assert.ok(Number.isInteger(d.generatorId), JSON.stringify(d));
    assert.equal(d.n, 1000);
    assert.ok(BigInt(d.first) > ids[2], "the library's ids come after the CLI's in the same group");
    assert.equal(Number(BigInt(d.first) & 4095n), d.generatorId);
    return { generatorId: c.generatorId, dbGeneratorId: d.generatorId };
  }

  test(`pnpm (${PNPM}): node_modules of symlinks into .pnpm`, async () => {
    const pnpm = path.join(tools, "node_modules", ".bin", "pnpm");
    const dir = await project("pnpm", (cwd) => {
      writeFileSync(path.join(cwd, ".npmrc"), "hoist=false\n");
      return sh(pnpm, ["add", tarball, PG], cwd);
    });
    const link = path.join(dir, "node_modules", "snowfall-wasm");
    assert.ok(lstatSync(link).isSymbolicLink(), "pnpm linked the package from its store");
    assert.ok(!existsSync(path.join(dir, "node_modules", "pg-pool")), "strict: pg's own dependencies are not hoisted next to it");
    const group = `pnpm_${process.pid}_${Date.now() % 1e6}`;
    await checks(dir, ([cmd, ...args], extra) => sh(cmd === "node" ? process.execPath : cmd, args, dir, extra),
      (args) => sh(pnpm, ["exec", "snowfall-wasm", ...args], dir), group);
  });

  test(`Yarn (${YARN}) Plug'n'Play: no node_modules, the package read from a zip`, async () => {
    const yarn = path.join(tools, "node_modules", "@yarnpkg", "cli-dist", "bin", "yarn.js");
    const y = (args, cwd, extra) => sh(process.execPath, [yarn, ...args], cwd, extra);
    let missing;
    const dir = await project("yarn", async (cwd) => {
      writeFileSync(path.join(cwd, ".yarnrc.yml"), `nodeLinker: pnp\npnpFallbackMode: none\nenableTelemetry: false\nnpmRegistryServer: "${registry.replace(/\/$/, "")}"\n`);
      await y(["add", `snowfall-wasm@file:${tarball}`], cwd);
      // No pg yet: the CLI names the package to add (PnP's missing-peer error, not INTERNAL).
      missing = await y(["snowfall-wasm", "status", "--database", pgUrl, "--group", "none"], cwd).then(() => null, (e) => e);
      await y(["add", PG], cwd);
    });
    assert.ok(missing, "without pg the CLI fails");
    assert.match(missing.stderr, /^error DRIVER_NOT_INSTALLED: this database needs the pg package: npm install pg/m, missing.stderr);
    assert.ok(existsSync(path.join(dir, ".pnp.cjs")), "Plug'n'Play is in use");
    assert.ok(!existsSync(path.join(dir, "node_modules")), "no node_modules");
    assert.ok(readdirSync(path.join(dir, ".yarn", "cache")).some((f) => f.startsWith("snowfall-wasm-") && f.endsWith(".zip")), "the package lives in a zip");
    const group = `yarn_${process.pid}_${Date.now() % 1e6}`;
    await checks(dir, ([, ...args], extra) => y(["node", ...args], dir, extra), (args) => y(["snowfall-wasm", ...args], dir), group);
  });
});
