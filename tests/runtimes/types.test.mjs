// TypeScript: tests/types/*.{mts,cts} compiled with `tsc --strict --noEmit` inside a consumer project
// that installed the packed package, so the published declarations and the `exports` map are what
// resolve. Each module mode is a consumer: node16 (ESM and CommonJS), nodenext, bundler with a
// server condition, and bundler as a browser project sees it. An unused @ts-expect-error is an
// error (TS2578), so every negative line must really fail to compile.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { installedPackage, repoBin, repoRoot } from "./pack.mjs";

const run = promisify(execFile);
const typesDir = path.join(repoRoot, "tests", "types");

// Compiler settings users commonly have. No skipLibCheck: the published declarations must compile.
const NODE16 = ["--module", "node16", "--moduleResolution", "node16", "--target", "es2022"];
const BUNDLER = ["--module", "esnext", "--moduleResolution", "bundler", "--target", "es2022"];
// Server projects: each gets the whole API and compiles api.mts and exact.mts.
const CONFIGS = {
  "node16 ESM": NODE16,
  "nodenext (Node ESM/CJS)": ["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022"],
  "nodenext, lib es2022 without DOM (Node servers)": ["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022"],
  "bundler, customConditions workerd (wrangler)": [...BUNDLER, "--customConditions", "workerd"],
  "bundler, customConditions node (Vite SSR, Next.js servers)": [...BUNDLER, "--customConditions", "node"],
  // The default condition (default.d.mts): Cloudflare's and Bun's default tsconfigs set none.
  "bundler, no customConditions (wrangler and Bun defaults: the default condition)": BUNDLER,
};
// Browser projects that name their condition: the browser entry's exact types (browser.mts).
const BROWSER_CONFIGS = {
  "bundler, customConditions browser": [...BUNDLER, "--customConditions", "browser"],
  "bundler, customConditions worker (web workers)": [...BUNDLER, "--customConditions", "worker"],
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

    test(`options are exact and follow the syncer; wrong calls do not compile (${name})`, async () => {
      const r = await tsc(["exact.mts"], args);
      assert.equal(r.code, 0, `tsc failed (TS2578: a wrong call compiled):\n${r.output}`);
    });

    test(`const n: number = gen.getGuid() does not compile (${name})`, async () => {
      const r = await tsc(["negative.mts"], args);
      assert.notEqual(r.code, 0, "assigning an id to a number must be a type error");
      assert.match(r.output, /negative\.mts\(5,7\): error TS2322: Type 'bigint' is not assignable to type 'number'/, r.output);
      assert.equal(r.output.trim().split("\n").filter((l) => /error TS/.test(l)).length, 1, `only the expected error:\n${r.output}`);
    });
  }

  for (const [name, args] of Object.entries(BROWSER_CONFIGS)) {
    test(`a browser project sees the browser entry's types, without the server API (${name})`, async () => {
      const r = await tsc(["browser.mts"], args);
      assert.equal(r.code, 0, `tsc failed (TS2578: a server-only name resolved):\n${r.output}`);
    });
  }

  test("a wrong call fails for its own reason (exact.mts without its @ts-expect-error lines)", async () => {
    // Without the directives, the errors must sit exactly on the lines they marked: none elsewhere.
    const lines = readFileSync(path.join(typesDir, "exact.mts"), "utf8").split("\n");
    const marked = (line) => line.trimStart().startsWith("// @ts-expect-error");
    writeFileSync(path.join(workDir, "exact-bare.mts"), lines.map((l) => (marked(l) ? "//" : l)).join("\n"));
    const r = await tsc(["exact-bare.mts"], CONFIGS["nodenext (Node ESM/CJS)"]);
    const errorLines = new Set([...r.output.matchAll(/exact-bare\.mts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
    const expected = lines.flatMap((l, i) => (marked(l) ? [i + 2] : []));
    assert.ok(expected.length >= 20, `exact.mts holds the negatives (${expected.length})`);
    assert.deepEqual([...errorLines].sort((a, b) => a - b), expected, `errors only on the lines marked @ts-expect-error:\n${r.output}`);
  });

  test("CommonJS consumers under node16 (require condition: node.d.cts, testing.d.cts) compile", async () => {
    const r = await tsc(["api.cts"], NODE16);
    assert.equal(r.code, 0, `tsc failed (TS1479 is the ESM types masquerading under require):\n${r.output}`);
  });

  // Each condition's declarations against the file it selects at run time: the value names a
  // consumer can import from the types must be exactly the entry's export names.
  const ENTRIES = [
    { condition: "node, import", specifier: "snowfall-wasm", conditions: ["node", "import"], ext: "mts", args: NODE16 },
    { condition: "node, require", specifier: "snowfall-wasm", conditions: ["node", "require"], ext: "cts", args: NODE16 },
    { condition: "deno, import", specifier: "snowfall-wasm", conditions: ["deno", "import"], ext: "mts", args: [...BUNDLER, "--customConditions", "deno"] },
    { condition: "workerd", specifier: "snowfall-wasm", conditions: ["workerd", "import"], ext: "mts", args: [...BUNDLER, "--customConditions", "workerd"] },
    { condition: "browser", specifier: "snowfall-wasm", conditions: ["browser", "import"], ext: "mts", args: [...BUNDLER, "--customConditions", "browser"] },
    { condition: "worker", specifier: "snowfall-wasm", conditions: ["worker", "import"], ext: "mts", args: [...BUNDLER, "--customConditions", "worker"] },
    // default.d.mts declares the whole API (a superset: server code resolves here too), so only
    // "exported but not declared" must be empty.
    { condition: "default", specifier: "snowfall-wasm", conditions: ["import"], ext: "mts", args: BUNDLER, superset: true },
    { condition: "./init", specifier: "snowfall-wasm/init", conditions: ["import"], ext: "mts", args: BUNDLER },
    { condition: "./testing, import", specifier: "snowfall-wasm/testing", conditions: ["node", "import"], ext: "mts", args: NODE16 },
    { condition: "./testing, require", specifier: "snowfall-wasm/testing", conditions: ["node", "require"], ext: "cts", args: NODE16 },
  ];
  for (const entry of ENTRIES) {
    test(`the types of condition ${entry.condition} declare exactly its entry's exports`, async () => {
      const { packageDir, packageJson } = await installedPackage();
      const subpath = "." + entry.specifier.slice("snowfall-wasm".length);
      const file = resolveExport(packageJson.exports[subpath], entry.conditions);
      assert.ok(file, `${subpath} resolves under ${entry.conditions}`);
      const names = await exportNames(path.join(packageDir, file));
      assert.ok(names.includes(entry.specifier.endsWith("testing") ? "checkStore" : "Snowfall"), `${file} exports: ${names}`);
      const probe = `names-${entry.condition.replace(/\W+/g, "-")}.${entry.ext}`;
      writeFileSync(path.join(workDir, probe), [
        `import * as entry from "${entry.specifier}";`,
        "type Declared = keyof typeof entry;",
        `type Runtime = ${names.map((n) => JSON.stringify(n)).join(" | ")};`,
        "type None<T extends never> = T;",
        entry.superset ? "export type DeclaredButNotExported = never;" : "export type DeclaredButNotExported = None<Exclude<Declared, Runtime>>;",
        "export type ExportedButNotDeclared = None<Exclude<Runtime, Declared>>;",
        "",
      ].join("\n"));
      const r = await tsc([probe], entry.args);
      assert.equal(r.code, 0, `${file} (${names.length} exports) and its declarations differ (line 5: declared, not exported; line 6: exported, not declared):\n${r.output}`);
    });
  }

  test("every option the types accept is one the runtime reads (options objects recorded by a Proxy)", async () => {
    const { packageDir, packageJson } = await installedPackage();
    const sf = await import(path.join(packageDir, packageJson.exports["."].node.import));
    /** The keys `call` reads from its options (each value undefined), whatever it throws after. */
    async function readKeys(call) {
      const read = new Set();
      const options = new Proxy({}, { get: (_, key) => { if (typeof key === "string") read.add(key); return undefined; } });
      try { await call(options); } catch { /* missing required options: only the reads count */ }
      return [...read];
    }
    // BrowserSyncer refuses unknown options and lists the ones it knows.
    const refused = await sf.BrowserSyncer.open({ notAnOption: 1 }).then(() => null, (e) => e);
    const browserKeys = /\(known: ([^)]*)\)/.exec(refused?.message ?? "")?.[1].split(", ");
    assert.ok(browserKeys?.includes("fetchGrant"), `BrowserSyncer lists its options: ${refused?.message}`);
    const createKeys = await readKeys(async (o) => (await sf.Snowfall.create(o)).close());
    assert.ok(createKeys.includes("syncer") && createKeys.includes("timers"), `Snowfall.create reads: ${createKeys}`);
    // Each options type (a type expression over the package's names) and the keys its function reads.
    const param = (fn) => `NonNullable<Parameters<typeof ${fn}>[0]>`;
    const store = { readGroup: async () => ({ livelinessProbeS: 5, epochUnixMs: 0 }), readFreeSlots: async () => [], compareAndSwap: async () => false, now: async () => Date.now() };
    const runtime = {};
    const statics = {
      SimpleSyncer: ["createSchemaGroup"],
      DatabaseSyncer: ["createSchemaGroup", "open", "status", "dropSchemaGroup", "grant"],
      RedisSyncer: ["createSchemaGroup", "open", "status"],
      DurableObjectSyncer: ["createSchemaGroup", "open", "status"],
    };
    for (const [owner, methods] of Object.entries(statics)) {
      for (const method of methods) runtime[param(`${owner}.${method}`)] = await readKeys((o) => sf[owner][method](o));
    }
    Object.assign(runtime, {
      [param("schemaGroupSql")]: await readKeys((o) => sf.schemaGroupSql(o)),
      BrowserSyncerOptions: browserKeys,
      SessionOptions: await readKeys((o) => sf.openSession(store, o)),
      SimpleCreateOptions: createKeys,
      StoreCreateOptions: createKeys,
    });
    const union = (keys) => keys.map((k) => JSON.stringify(k)).join(" | ");
    writeFileSync(path.join(workDir, "option-keys.mts"), [
      'import type { BrowserSyncerOptions, SessionOptions, SimpleCreateOptions, StoreCreateOptions } from "snowfall-wasm";',
      'import type { SimpleSyncer, DatabaseSyncer, RedisSyncer, DurableObjectSyncer, schemaGroupSql } from "snowfall-wasm";',
      "type None<T extends never> = T;",
      ...Object.entries(runtime).map(([type, keys], i) => `export type TypedNotRead${i} = None<Exclude<keyof ${type}, ${union(keys)}>>; // ${type}`),
      "",
    ].join("\n"));
    const r = await tsc(["option-keys.mts"], CONFIGS["nodenext (Node ESM/CJS)"]);
    assert.equal(r.code, 0, `a typed option the runtime never reads:\n${JSON.stringify(runtime)}\n${r.output}`);
  });

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
    // @types/emscripten, which it does not depend on: skipLibCheck for this file only). pg and
    // better-sqlite3 by their @types packages alone (no native build for a type check).
    const version = (name) => JSON.parse(readFileSync(path.join(repoRoot, "node_modules", name, "package.json"), "utf8")).version;
    const drivers = ["postgres", "@electric-sql/pglite", "@libsql/client", "@types/node", "@types/pg", "@neondatabase/serverless", "mysql2", "@types/better-sqlite3"];
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

/** The target of an exports-map entry under `conditions` (Node's algorithm: first matching key, in order). */
function resolveExport(target, conditions) {
  if (typeof target === "string" || target === null) return target;
  for (const [key, value] of Object.entries(target)) {
    if (key === "default" || conditions.includes(key)) {
      const found = resolveExport(value, conditions);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The export names of an installed entry: CommonJS by require(), ESM statically (esbuild's metafile; nothing runs). */
async function exportNames(file) {
  if (file.endsWith(".cjs")) return Object.keys(createRequire(import.meta.url)(file)).sort();
  const esbuild = await import(path.join(repoRoot, "node_modules", "esbuild", "lib", "main.js"));
  const { metafile } = await esbuild.build({
    entryPoints: [file], bundle: true, format: "esm", write: false, metafile: true, outdir: path.dirname(file),
    external: ["*.wasm", "snowfall-wasm", "node:*"], platform: "neutral", logLevel: "error",
  });
  return Object.values(metafile.outputs).find((o) => o.entryPoint).exports.sort();
}
