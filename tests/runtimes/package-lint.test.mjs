// The packed tarball under the package linters users and registries run: arethetypeswrong (the
// types each module resolution mode finds agree with the JS it loads: node10, node16 from CommonJS
// and from ESM, bundler) and publint --strict (the package.json fields and exports map). Both run
// offline on the tarball that `npm pack` made of pkg/ (tests/runtimes/pack.mjs).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { installedPackage, makeTempDir, packTarball, repoBin } from "./pack.mjs";

const run = promisify(execFile);

/** Runs a linter; resolves { code, stdout, stderr } whatever its exit code. */
async function lint(bin, args, options = {}) {
  try {
    const { stdout, stderr } = await run(repoBin(bin), args, { maxBuffer: 64 << 20, timeout: 120_000, ...options });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== "number") throw e;
    return { code: e.code, stdout: String(e.stdout), stderr: String(e.stderr) };
  }
}

describe("package linters on the packed tarball", { timeout: 240_000 }, () => {
  let tarball;
  before(async () => {
    tarball = await packTarball();
  });

  test("arethetypeswrong: every entry point resolves to matching types in node10, node16 (CJS, ESM) and bundler", async () => {
    // attw's JSON on a pipe is cut at 64 KiB when it exits: it writes to a file instead.
    const out = path.join(makeTempDir("snowfall-attw-"), "attw.json");
    const fd = openSync(out, "w");
    const r = await new Promise((resolve, reject) => {
      const child = spawn(repoBin("attw"), [tarball, "--format", "json"], { stdio: ["ignore", fd, "pipe"], timeout: 120_000 });
      let stderr = "";
      child.stderr.on("data", (d) => { stderr += d; });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    }).finally(() => closeSync(fd));
    const report = JSON.parse(readFileSync(out, "utf8"));
    const entrypoints = report.analysis.entrypoints;
    assert.deepEqual(Object.keys(entrypoints).sort(), [".", "./init", "./package.json", "./testing"]);
    for (const [name, entry] of Object.entries(entrypoints)) {
      for (const mode of ["node10", "node16-cjs", "node16-esm", "bundler"]) {
        const resolution = entry.resolutions[mode]?.resolution;
        assert.ok(resolution?.fileName, `${name} resolves under ${mode}`);
        if (name !== "./package.json") assert.ok(resolution.isTypeScript, `${name} under ${mode} resolves to types, got ${resolution.fileName}`);
      }
    }
    const problems = Object.values(report.problems ?? {}).flat();
    // The one accepted problem: snowfall-wasm/init is the browser entry without top-level await,
    // ESM only (require() of it works through Node's require(esm), not in node16 TypeScript).
    const accepted = (p) => p.kind === "CJSResolvesToESM" && p.entrypoint === "./init" && p.resolutionKind === "node16-cjs";
    assert.deepEqual(problems.filter((p) => !accepted(p)), [], `attw problems:\n${JSON.stringify(report.problems, null, 2)}`);
    assert.equal(r.code, problems.length === 0 ? 0 : 1, r.stderr);
    // The CommonJS entries get CommonJS declarations (no "Masquerading as ESM").
    const cjs = entrypoints["."].resolutions["node16-cjs"].resolution.fileName;
    assert.match(cjs, /node\.d\.cts$/);
    assert.match(entrypoints["./testing"].resolutions["node16-cjs"].resolution.fileName, /testing\.d\.cts$/);
    assert.match(entrypoints["."].resolutions["node16-esm"].resolution.fileName, /node\.d\.mts$/);
  });

  test("publint --strict: no errors or warnings", async () => {
    const r = await lint("publint", [tarball, "--strict"]);
    assert.equal(r.code, 0, `publint failed:\n${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, /Errors:|Warnings:/, r.stdout + r.stderr);
    assert.match(r.stdout, /Linting/, "publint ran on the tarball");
  });

  test("require(\"snowfall-wasm/testing\") (testing.cjs) shares the package's module instance", async () => {
    const { projectDir } = await installedPackage();
    const script = [
      'const { checkStore } = require("snowfall-wasm/testing");',
      'const { SnowfallError } = require("snowfall-wasm");',
      "checkStore(() => ({ readGroup: async () => null, readFreeSlots: async () => [], compareAndSwap: async () => false }))",
      "  .then(() => console.log('passed'), (e) => console.log(JSON.stringify({ same: e instanceof SnowfallError, code: e.code })));",
    ].join("\n");
    const { stdout } = await run(process.execPath, ["--input-type=commonjs", "-e", script], { cwd: projectDir, timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { same: true, code: "STORE_CHECK_FAILED" });
  });
});
