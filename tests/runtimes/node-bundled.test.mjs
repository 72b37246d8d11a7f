// A Node service bundled into one file (esbuild --platform=node, as for a Lambda or a container
// image, ESM and CommonJS; webpack 5 target node, CommonJS), with pg bundled in: the output is copied to a directory with no
// node_modules and run there. Everything the package needs at run time must be inside the bundle
// (no file loaded next to the package's entry at run time: a lazily required database chunk broke
// this once, before it reached main), and DatabaseSyncer leases an id on the loopback PostgreSQL.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { devPackage, installedPackage, makeTempDir, repoBin } from "./pack.mjs";
import { postgresUrl } from "../js/helpers/servers.mjs";

const run = promisify(execFile);

const APP = (importLine) => `${importLine}
const pool = new pg.Pool({ connectionString: process.env.PG_URL, max: 2 });
(async () => {
  const group = process.env.GROUP;
  await DatabaseSyncer.createSchemaGroup({ database: fromPg(pool), schemaGroupName: group });
  const gen = await Snowfall.create({ syncer: DatabaseSyncer, database: fromPg(pool), schemaGroupName: group });
  const ids = gen.getGuids(1000);
  const generatorId = gen.generatorId;
  await gen.close();
  await DatabaseSyncer.dropSchemaGroup({ database: fromPg(pool), schemaGroupName: group });
  await pool.end();
  let refused;
  try { fromPg({}); } catch (e) { refused = [e instanceof SnowfallError, e.code]; }
  const local = new Snowfall();
  console.log(JSON.stringify({
    generatorId, unique: new Set(ids).size, carries: Number(ids[0] & 4095n) === generatorId,
    sql: schemaGroupSql({ dialect: "postgres", schemaGroupName: "orders" }).includes("snowfall_orders_manifest"),
    refused, local: typeof local.getGuid(),
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

// webpack 5 as tests/runtimes/browser-bundlers.test.mjs pins it
const WEBPACK = "webpack@5.112";

describe("a Node service bundled into one file (esbuild platform node, webpack 5 target node) runs without node_modules", { timeout: 240_000 }, () => {
  for (const format of ["esm", "cjs", "webpack-cjs"]) {
    test(`${format}: ids, DatabaseSyncer on PostgreSQL, schemaGroupSql, SnowfallError, all from the one bundled file`, async () => {
      const pgUrl = postgresUrl();
      const { projectDir } = await installedPackage({ extraPackages: [devPackage("pg"), WEBPACK] });
      const esm = format === "esm";
      const src = path.join(projectDir, `service-${format}.${esm ? "mjs" : "cjs"}`);
      writeFileSync(src, APP(esm
        ? 'import pg from "pg";\nimport { Snowfall, SnowfallError, DatabaseSyncer, fromPg, schemaGroupSql } from "snowfall-wasm";'
        : 'const pg = require("pg");\nconst { Snowfall, SnowfallError, DatabaseSyncer, fromPg, schemaGroupSql } = require("snowfall-wasm");'));
      const outDir = makeTempDir(`snowfall-bundled-${format}-`);
      const out = path.join(outDir, `service.${esm ? "mjs" : "cjs"}`);
      if (format === "webpack-cjs") {
        // node.cjs's store code is required from next to it on first use (a literal require,
        // which webpack must follow into the bundle, as esbuild does)
        const webpack = createRequire(path.join(projectDir, "package.json"))("webpack");
        const stats = await new Promise((resolve, reject) => webpack({
          mode: "production", context: projectDir, target: "node", entry: src, devtool: false,
          output: { path: outDir, filename: path.basename(out), library: { type: "commonjs2" } },
          externals: { "pg-native": "commonjs pg-native" }, optimization: { minimize: false },
        }, (err, st) => (err ? reject(err) : resolve(st))));
        assert.ok(!stats.hasErrors(), stats.toString({ all: false, errors: true }));
        assert.deepEqual(readdirSync(outDir), [path.basename(out)], "webpack emitted more than one file");
      } else {
        // ESM output: pg is CommonJS and require()s Node's built-ins, so the bundle gets the usual
        // createRequire banner (esbuild's own advice); the package itself needs none.
        const banner = esm ? ['--banner:js=import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);'] : [];
        await run(repoBin("esbuild"), [src, "--bundle", "--platform=node", `--format=${format}`, "--external:pg-native", "--log-level=error", ...banner, `--outfile=${out}`], { cwd: projectDir });
      }
      // Only the bundle travels: a directory of its own, nothing else in it.
      const runDir = makeTempDir(`snowfall-bundled-run-${format}-`);
      copyFileSync(out, path.join(runDir, path.basename(out)));
      assert.deepEqual(readdirSync(runDir), [path.basename(out)]);
      const group = `bundled_${format.replace("-", "_")}_${process.pid}`;
      const { stdout } = await run(process.execPath, [path.basename(out)], { cwd: runDir, timeout: 60_000, env: { ...process.env, PG_URL: pgUrl, GROUP: group } })
        .catch((e) => assert.fail(`the bundled service failed (exit ${e.code}):\n${e.stdout}\n${e.stderr}`));
      const r = JSON.parse(stdout.trim().split("\n").pop());
      assert.ok(Number.isInteger(r.generatorId), stdout);
      assert.equal(r.unique, 1000);
      assert.equal(r.carries, true, "the ids carry the leased generator id");
      assert.equal(r.sql, true, "schemaGroupSql from the bundle");
      assert.deepEqual(r.refused, [true, "INVALID_TYPE"]);
      assert.equal(r.local, "bigint");
    });
  }
});
