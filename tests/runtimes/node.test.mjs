// Node: the installed package's shape (what the tarball ships, the exports map) and its ESM and CJS
// entries, each loaded in a fresh Node process inside the consumer project, as a user would.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { installedPackage } from "./pack.mjs";

const run = promisify(execFile);
let pkg;

async function node(projectDir, file, source) {
  const p = path.join(projectDir, file);
  writeFileSync(p, source);
  try {
    const { stdout } = await run(process.execPath, [p], { cwd: projectDir, timeout: 60_000 });
    return JSON.parse(stdout.trim().split("\n").at(-1));
  } catch (e) {
    throw new Error(`node ${file} failed (exit ${e.code}):\n${e.stdout ?? ""}\n${e.stderr ?? e}`);
  }
}

const CHECK = `
  const epochStartDate = new Date(Date.UTC(2024, 0, 1));
  SimpleSyncer.createSchemaGroup({ schemaGroupName: "g", livelinessProbeS: 5, epochStartDate });
  const gen = new Snowfall({ schemaGroupName: "g" });
  const before = Date.now();
  const batch = gen.getGuids(1000);
  const ids = [...Array.from({ length: 1000 }, () => gen.getGuid()), ...Array.from(gen.getGuids(1000))];
  const after = Date.now();
  const unique = new Set(ids).size === ids.length;
  const increasing = ids.every((id, i) => i === 0 || id > ids[i - 1]);
  const d = decodeGuid(ids[0], { epochStartDate });
  let err;
  try { new Snowfall({ schemaGroupName: "nope" }); } catch (e) { err = e; }
  const heldId = gen.generatorId;
  gen.close();
  console.log(JSON.stringify({
    type: typeof ids[0], batchIsBigUint64Array: batch instanceof BigUint64Array,
    unique, increasing, t: d.timestamp.getTime(), before, after,
    generatorIdMatches: d.generatorId === heldId && gen.generatorId === undefined,
    errIsSnowfallError: err instanceof SnowfallError, errCode: err && err.code,
    names: [Snowfall.name, gen.constructor.name, SimpleSyncer.name, SnowfallError.name],
  }));
`;

function checkResult(r, what) {
  assert.equal(r.type, "bigint", `${what}: getGuid() type`);
  assert.equal(r.batchIsBigUint64Array, true, `${what}: getGuids() returns a BigUint64Array`);
  assert.equal(r.unique, true, `${what}: ids unique`);
  assert.equal(r.increasing, true, `${what}: ids increasing`);
  assert.ok(r.t >= r.before && r.t <= r.after + 1, `${what}: decoded time ${r.t} outside ${r.before}..${r.after}`);
  assert.equal(r.generatorIdMatches, true, `${what}: decodeGuid generatorId = gen.generatorId`);
  assert.equal(r.errIsSnowfallError, true, `${what}: unknown schema group throws a SnowfallError`);
  assert.equal(typeof r.errCode, "string", `${what}: SnowfallError.code`);
  // A bundler renames a class that refers to itself (esbuild: "_Snowfall"); users see the name.
  assert.deepEqual(r.names, ["Snowfall", "Snowfall", "SimpleSyncer", "SnowfallError"], `${what}: class names`);
}

describe("Node (installed package)", { timeout: 180_000 }, () => {
  before(async () => {
    pkg = await installedPackage();
  });

  test("the tarball ships the entries, the wasm and the types", () => {
    for (const f of ["package.json", "snowfall_wasm_bg.wasm", "workerd.mjs", "browser.mjs", "node.mjs", "node.cjs", "index.d.ts"]) {
      assert.ok(existsSync(path.join(pkg.packageDir, f)), `the installed package lacks ${f}`);
    }
    // Bundled from ES modules (strict): node.cjs must run strict as well, or it behaves unlike node.mjs.
    assert.match(readFileSync(path.join(pkg.packageDir, "node.cjs"), "utf8"), /^"use strict";/);
  });

  test("every file package.json points at (main, module, types, bin, exports) is in the tarball", () => {
    const pj = pkg.packageJson;
    const targets = [];
    const walk = (v, where) => {
      if (typeof v === "string") targets.push([where, v]);
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
    };
    for (const field of ["main", "module", "types", "typings", "browser", "bin", "exports"]) walk(pj[field], field);
    const missing = targets.filter(([, f]) => !f.includes("*") && !existsSync(path.join(pkg.packageDir, f)));
    assert.deepEqual(missing, [], `package.json points at files the package does not ship: ${missing.map(([w, f]) => `${w} -> ${f}`).join(", ")}`);
  });

  test("package.json: exports conditions, types, no sideEffects:false", () => {
    const pj = pkg.packageJson;
    assert.notEqual(pj.sideEffects, false, '"sideEffects": false makes esbuild drop the wasm init (Workers start uninitialised)');
    const dot = pj.exports?.["."] ?? pj.exports;
    assert.equal(typeof dot, "object", "exports['.'] must be a conditions object");
    const flat = JSON.stringify(dot);
    for (const c of ["workerd", "browser", "node", "default"]) assert.ok(flat.includes(`"${c}"`), `exports lacks the ${c} condition`);
    const keys = Object.keys(dot);
    assert.ok(keys.indexOf("workerd") < keys.indexOf("browser"), "workerd must come before browser (first match wins)");
    assert.ok(keys.indexOf("node") < keys.indexOf("default") && keys.indexOf("browser") < keys.indexOf("default"), "default must be last");
    assert.ok(pj.types || dot.types, "no types entry");
  });

  test("ESM: import from 'snowfall-wasm' resolves the node entry and works", async () => {
    const r = await node(pkg.projectDir, "esm-check.mjs",
      `import { Snowfall, SimpleSyncer, decodeGuid, SnowfallError } from "snowfall-wasm";\n${CHECK}`);
    checkResult(r, "ESM");
  });

  test("CJS: require('snowfall-wasm') resolves the node.cjs entry and works", async () => {
    const r = await node(pkg.projectDir, "cjs-check.cjs",
      `const { Snowfall, SimpleSyncer, decodeGuid, SnowfallError } = require("snowfall-wasm");\n${CHECK}`);
    checkResult(r, "CJS");
  });

  test("ESM import and CJS require in one process share one generator registry (no duplicate ids)", async () => {
    // An app that imports the package while one of its dependencies requires it loads both entries.
    // Two wasm instances would mean two in-memory registries: both hand out generator id 0 of
    // "default", and two generators mint identical ids in the same millisecond.
    const r = await node(pkg.projectDir, "dual-check.mjs", `
      import { createRequire } from "node:module";
      import * as esm from "snowfall-wasm";
      const cjs = createRequire(import.meta.url)("snowfall-wasm");
      const fixed = Date.now();
      const a = new esm.Snowfall({ clock: () => fixed });
      const b = new cjs.Snowfall({ clock: () => fixed });
      const ids = [a.getGuid(), b.getGuid()];
      console.log(JSON.stringify({ sameClass: esm.Snowfall === cjs.Snowfall, ids: ids.map(String),
        generatorIds: [a.generatorId, b.generatorId],
        errorClassShared: new cjs.SnowfallError("X", "y") instanceof esm.SnowfallError }));`);
    assert.notEqual(r.generatorIds[0], r.generatorIds[1],
      `ESM and CJS generators hold the same generator id ${r.generatorIds[0]}: ids ${r.ids[0]} and ${r.ids[1]} (same class: ${r.sameClass})`);
    assert.notEqual(r.ids[0], r.ids[1], "duplicate ids across the ESM and CJS entries");
    assert.equal(r.errorClassShared, true, "SnowfallError from require() is not instanceof the imported SnowfallError");
  });

  test("require() first, then import: every export is the same object (one instance, either order)", async () => {
    // node.cjs and node.mjs each carry the whole package; whichever loads first keeps its exports
    // under a versioned globalThis key, and the other must hand out exactly those.
    for (const order of ["require-first", "import-first"]) {
      const r = await node(pkg.projectDir, `order-${order}.mjs`, `
        import { createRequire } from "node:module";
        const require = createRequire(import.meta.url);
        let cjs, esm;
        if (${JSON.stringify(order)} === "require-first") { cjs = require("snowfall-wasm"); esm = await import("snowfall-wasm"); }
        else { esm = await import("snowfall-wasm"); cjs = require("snowfall-wasm"); }
        const names = Object.keys(cjs).sort();
        const differ = names.filter((n) => esm[n] !== cjs[n]);
        const missing = Object.keys(esm).filter((n) => !(n in cjs));
        const a = new esm.Snowfall(), b = new cjs.Snowfall();
        console.log(JSON.stringify({ count: names.length, differ, missing, ids: [a.generatorId, b.generatorId] }));`);
      assert.ok(r.count >= 20, `${order}: only ${r.count} exports`);
      assert.deepEqual(r.differ, [], `${order}: exports that differ between import and require: ${r.differ}`);
      assert.deepEqual(r.missing, [], `${order}: exports only import has: ${r.missing}`);
      assert.notEqual(r.ids[0], r.ids[1], `${order}: two registries (both generators hold id ${r.ids[0]})`);
    }
  });

  test("import.meta.resolve / require.resolve pick node.mjs and node.cjs", async () => {
    const r = await node(pkg.projectDir, "resolve-check.mjs", `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      console.log(JSON.stringify({ esm: import.meta.resolve("snowfall-wasm"), cjs: require.resolve("snowfall-wasm") }));`);
    assert.match(r.esm, /\/node_modules\/snowfall-wasm\/node\.mjs$/);
    assert.match(r.cjs, /\/node_modules\/snowfall-wasm\/node\.cjs$/);
  });
});
