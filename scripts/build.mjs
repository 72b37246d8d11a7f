#!/usr/bin/env node
// npm run build: Rust -> wasm (cargo) -> JS glue (wasm-bindgen) -> smaller, faster wasm (wasm-opt)
// -> pkg/, the directory that is published. pkg/ is generated; never edit it by hand.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildStoresChunk } from "./lazy-stores.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
const step = (what) => console.log(`\x1b[1m[build]\x1b[0m ${what}`);

const wasmBindgen = join(root, ".tools/bin/wasm-bindgen");
if (!existsSync(wasmBindgen)) {
  console.error("wasm-bindgen CLI missing: run `bash scripts/setup.sh` first (npm run setup)");
  process.exit(1);
}

step("cargo build --target wasm32-unknown-unknown --release");
run("cargo", ["build", "--quiet", "--target", "wasm32-unknown-unknown", "--release", "--lib", "--no-default-features"]);

step("wasm-bindgen --target web");
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
run(wasmBindgen, [
  "--target", "web", "--out-dir", pkg, "--out-name", "snowfall_wasm", "--no-typescript",
  join(root, "target/wasm32-unknown-unknown/release/snowfall_wasm.wasm"),
]);

step("wasm-opt -O3");
const wasm = join(pkg, "snowfall_wasm_bg.wasm");
const before = statSync(wasm).size;
run(join(root, "node_modules/.bin/wasm-opt"), [
  "-O3", "--strip-debug", "--strip-producers",
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
  wasm, "-o", wasm,
]);
const after = statSync(wasm).size;
console.log(`  wasm: ${before} -> ${after} bytes`);
// The size budget (README, bench): say so at build time rather than discover it in a benchmark.
const WASM_BUDGET_BYTES = 44_000; // issue "One lease protocol in the Rust core"
if (after > WASM_BUDGET_BYTES) console.warn(`  warning: the wasm is over its ${WASM_BUDGET_BYTES}-byte budget`);

step("copy js/ and write package.json");
cpSync(join(root, "js"), pkg, { recursive: true, filter: (src) => !src.endsWith(".test.mjs") });
// Node: one module instance for import and require alike, or an app whose dependency require()s
// the package would get a second in-memory registry (the same generator ids twice) and a second
// SnowfallError class. Both entries are bundles of js/node.mjs (no createRequire bridge, the wasm
// bytes embedded: bench/cold.mjs measures those stages; node.cjs requires its store code on first
// use); whichever loads first keeps its exports under a versioned globalThis key, and the other
// hands out the same objects.
const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const esbuild = createRequire(import.meta.url)("esbuild");
const common = { bundle: true, platform: "node", target: "node18", logLevel: "warning", minifySyntax: true, absWorkingDir: pkg, write: true };

// node.cjs's store code, required on first use: scripts/lazy-stores.mjs.
const lazyStores = await buildStoresChunk({ esbuild, pkg, common });
const bundle = (format, entry, out, plugins = []) => esbuild.build({
  ...common, format, loader: { ".wasm": "binary" },
  define: { __SNOWFALL_INSTANCE_KEY__: JSON.stringify(`${meta.name}@${meta.version}`), ...(format === "cjs" ? { "import.meta.url": "__snowfall_meta.url" } : {}) },
  // import.meta.url in node.cjs: made on first read (only wasm-bindgen's unused fetch path reads
  // it), as pathToFileURL at start cost require() about 1 ms.
  ...(format === "cjs" ? { banner: { js: "\"use strict\"; // ES module sources: strict in node.cjs too, as in node.mjs\nconst __snowfall_meta = { get url() { return require(\"url\").pathToFileURL(__filename).href; } };" } } : {}),
  stdin: { contents: entry, resolveDir: pkg, sourcefile: "snowfall-node-entry.mjs" },
  outfile: out, plugins,
});
await bundle("cjs", 'export { shared } from "./node.mjs";', join(pkg, "node.cjs"), [lazyStores]);
writeFileSync(join(pkg, "node.cjs"), readFileSync(join(pkg, "node.cjs"), "utf8") + "module.exports = module.exports.shared;\n");
// Names listed explicitly: Node would otherwise scan a CJS module for them (cjs-module-lexer).
const names = Object.keys(createRequire(import.meta.url)(join(pkg, "node.cjs"))).sort();
await bundle("esm", `import { shared } from "./node.mjs";\nexport const { ${names.join(", ")} } = shared;\n`, join(pkg, "node.bundle.mjs"));
renameSync(join(pkg, "node.bundle.mjs"), join(pkg, "node.mjs"));
// Every exported class and function keeps its export name as `name` (esbuild renames one of two
// top-level bindings of one name in a bundle, and a class's name with it: it once gave
// LeaseSession2). Checked in a fresh Node per entry: each entry alone hands out its own exports.
for (const entry of ["node.mjs", "node.cjs"]) {
  const check = `const m = ${entry.endsWith(".mjs") ? "await import" : "require"}(${JSON.stringify(join(pkg, entry))}); const bad = Object.entries(m).filter(([k, v]) => typeof v === "function" && v.name !== k).map(([k, v]) => k + " is named " + v.name); if (bad.length) { console.error(bad.join("; ")); process.exit(1); }`;
  try {
    execFileSync(process.execPath, [...(entry.endsWith(".mjs") ? ["--input-type=module"] : []), "-e", check], { stdio: ["ignore", "inherit", "pipe"] });
  } catch (e) {
    throw new Error(`build: ${entry} exports a class or function under another name than its own: ${e.stderr}`);
  }
}
rmSync(join(pkg, "snowfall_wasm_bg.wasm.js"), { force: true });
rmSync(join(pkg, "stores/lazy.js")); // bundled into node.cjs; no other entry uses it

// Types: TypeScript takes each entry's declarations from the file next to it (node.mjs ->
// node.d.mts, browser.mjs -> browser.d.mts, ...). A .d.ts in a "type": "module" package is ESM, so
// the CommonJS entries get .d.cts twins of the ESM declarations, and snowfall-wasm/testing a
// CommonJS build that require()s the package itself (one module instance: node.cjs).
cpSync(join(pkg, "index.d.ts"), join(pkg, "node.d.cts"));
cpSync(join(pkg, "testing.d.ts"), join(pkg, "testing.d.cts"));
run(join(root, "node_modules/.bin/esbuild"), [
  join(pkg, "testing.js"), "--bundle", "--platform=node", "--format=cjs", "--target=node18",
  "--log-level=warning", "--external:snowfall-wasm", `--outfile=${join(pkg, "testing.cjs")}`,
]);

const published = {
  name: meta.name,
  version: meta.version,
  description: meta.description,
  license: meta.license,
  keywords: meta.keywords,
  type: "module",
  bin: { "snowfall-wasm": "./cli.mjs" },
  // node10 resolution (no exports map) gets the CommonJS entry and its types.
  types: "./node.d.cts",
  main: "./node.cjs",
  module: "./node.mjs",
  // Each file's types sit next to it (see above), so every condition gets the declarations of the
  // file it selects: the server entries the whole API, the browser entry (browser, worker) only what
  // init.mjs exports. `default` alone names its types: TypeScript's bundler resolution without
  // customConditions lands there for server code too (Workers, Bun), so it declares the whole API.
  exports: {
    ".": {
      workerd: "./workerd.mjs",
      // Web workers (webpack's webworker target matches "worker") get the browser entry; Cloudflare
      // Workers match "workerd" first.
      browser: "./browser.mjs",
      worker: "./browser.mjs",
      // Deno's import: the wasm by `import source` (no --allow-read); its require() takes node.cjs.
      deno: { import: "./deno.mjs", require: "./node.cjs" },
      node: { import: "./node.mjs", require: "./node.cjs" },
      default: { types: "./default.d.mts", default: "./browser.mjs" },
    },
    // The browser entry without top-level await (service workers, SharedWorkers): `await init()`.
    "./init": { default: "./init.mjs" },
    "./testing": { require: "./testing.cjs", default: "./testing.js" },
    "./package.json": "./package.json",
  },
  engines: meta.engines,
  peerDependencies: meta.peerDependencies,
  peerDependenciesMeta: meta.peerDependenciesMeta,
};
writeFileSync(join(pkg, "package.json"), JSON.stringify(published, null, 2) + "\n");
for (const f of ["README.md", "LICENSE"]) if (existsSync(join(root, f))) cpSync(join(root, f), join(pkg, f));
rmSync(join(pkg, ".gitignore"), { force: true });
step(`done: ${pkg}`);
