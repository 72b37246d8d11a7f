// TypeScript: tests/types/*.{mts,cts} compiled with `tsc --strict --noEmit` inside a consumer project
// that installed the packed package, so the published .d.ts and the `exports` map are what resolve.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { installedPackage, repoBin, repoRoot } from "./pack.mjs";

const run = promisify(execFile);
const typesDir = path.join(repoRoot, "tests", "types");

// Compiler settings users commonly have. No skipLibCheck: the published .d.ts must itself compile.
const CONFIGS = {
  "nodenext (Node ESM/CJS)": ["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022"],
  "nodenext, lib es2022 without DOM (Node servers)": ["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022"],
  "bundler (Vite, esbuild, wrangler)": ["--module", "esnext", "--moduleResolution", "bundler", "--target", "es2022"],
};

let workDir;
async function tsc(files, args) {
  try {
    const { stdout, stderr } = await run(
      repoBin("tsc"),
      ["--strict", "--noEmit", "--pretty", "false", ...args, ...files.map((f) => path.join(workDir, f))],
      { cwd: workDir, maxBuffer: 16 << 20 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    if (typeof e.code !== "number") throw e;
    return { code: e.code, output: String(e.stdout) + String(e.stderr) };
  }
}

describe("TypeScript types of the installed package", { timeout: 180_000 }, () => {
  before(async () => {
    const { projectDir } = await installedPackage();
    workDir = path.join(projectDir, "types");
    mkdirSync(workDir, { recursive: true });
    for (const f of readdirSync(typesDir)) copyFileSync(path.join(typesDir, f), path.join(workDir, f));
  });

  for (const [name, args] of Object.entries(CONFIGS)) {
    test(`the whole public API compiles under --strict (${name})`, async () => {
      const r = await tsc(["api.mts"], args);
      assert.equal(r.code, 0, `tsc failed:\n${r.output}`);
    });

    test(`const n: number = gen.getGuid() does not compile (${name})`, async () => {
      const r = await tsc(["negative.mts"], args);
      assert.notEqual(r.code, 0, "assigning an id to a number must be a type error");
      assert.match(r.output, /negative\.mts\(5,7\): error TS2322: Type 'bigint' is not assignable to type 'number'/, r.output);
      assert.equal(r.output.trim().split("\n").filter((l) => /error TS/.test(l)).length, 1, `only the expected error:\n${r.output}`);
    });
  }

  test("`using` / `await using` dispose a generator (target esnext)", async () => {
    const r = await tsc(["dispose.mts"], ["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "esnext"]);
    assert.equal(r.code, 0, `tsc failed:\n${r.output}`);
  });

  test("CommonJS consumers (require condition) get the types too (nodenext)", async () => {
    const r = await tsc(["api.cts"], CONFIGS["nodenext (Node ESM/CJS)"]);
    assert.equal(r.code, 0, `tsc failed:\n${r.output}`);
  });

  test("the new adapters take each driver's real object under its published types, and refuse others' (drivers.mts)", async () => {
    // The drivers' own .d.ts files, at the versions the repo tests against (PGlite's need
    // @types/emscripten, which it does not depend on: skipLibCheck for this file only).
    const version = (name) => JSON.parse(readFileSync(path.join(repoRoot, "node_modules", name, "package.json"), "utf8")).version;
    const drivers = ["postgres", "@electric-sql/pglite", "@libsql/client", "@types/node"];
    const { projectDir } = await installedPackage({ extraPackages: drivers.map((d) => `${d}@${version(d)}`) });
    const dir = path.join(projectDir, "types");
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(typesDir, "drivers.mts"), path.join(dir, "drivers.mts"));
    try {
      await run(repoBin("tsc"), ["--strict", "--noEmit", "--pretty", "false", "--skipLibCheck", "--types", "node",
        ...CONFIGS["nodenext (Node ESM/CJS)"], path.join(dir, "drivers.mts")], { cwd: dir, maxBuffer: 16 << 20 });
    } catch (e) {
      assert.fail(`tsc failed (an unused @ts-expect-error is TS2578):\n${e.stdout}${e.stderr}`);
    }
  });
});
