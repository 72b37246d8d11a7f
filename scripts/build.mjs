#!/usr/bin/env node
// npm run build: Rust -> wasm (cargo) -> JS glue (wasm-bindgen) -> smaller, faster wasm (wasm-opt)
// -> pkg/, the directory that is published. pkg/ is generated; never edit it by hand.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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
// SnowfallError class. Both entries are self-contained bundles of js/node.mjs (no createRequire
// bridge, the wasm bytes embedded: bench/cold.mjs measures those stages); whichever loads first
// keeps its exports under a versioned globalThis key, and the other hands out the same objects.
const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const esbuild = createRequire(import.meta.url)("esbuild");
const common = {
  bundle: true, platform: "node", target: "node18", logLevel: "warning", minifySyntax: true,
  absWorkingDir: pkg, write: true,
};

// The database code (issue 11, cold start): what only the database, Redis and Durable Object APIs
// need is not in node.mjs / node.cjs but in node-database.cjs, which the first use of one of them
// loads (js/database/lazy.js). It is built first: a function of the bundle's own modules (errors,
// clock, lease session, ...: every file outside the lazy set), so it shares the instance of
// whichever entry loaded first, never a copy of its own.
const DATABASE_CHUNK = "node-database.cjs";
const lazyFiles = new Set([
  ...["adapters.js", "dialects.js", "sql-text.js", "syncer.js"].map((f) => join(pkg, "database", f)),
  ...["sql.js", "redis.js", "durable-object.js"].map((f) => join(pkg, "stores", f)),
]);
const rel = (abs) => abs.slice(pkg.length + 1).split("\\").join("/");
const coreUsed = new Set();
const resolveRelative = (args) => (args.path.startsWith(".") ? join(args.resolveDir, args.path) : null);
await esbuild.build({
  ...common,
  format: "iife", globalName: "__snowfall_database",
  stdin: { contents: [...lazyFiles].map((f) => `export * from ${JSON.stringify(f)};`).join("\n"), resolveDir: pkg, sourcefile: "snowfall-database-entry.mjs" },
  outfile: join(pkg, DATABASE_CHUNK),
  plugins: [{
    name: "snowfall-core-modules",
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        const abs = resolveRelative(args);
        if (lazyFiles.has(abs)) return { path: abs };
        coreUsed.add(rel(abs));
        return { path: rel(abs), namespace: "snowfall-core" };
      });
      b.onLoad({ filter: /.*/, namespace: "snowfall-core" }, (args) => ({ contents: `module.exports = __snowfall_core[${JSON.stringify(args.path)}];`, loader: "js" }));
    },
  }],
});
writeFileSync(join(pkg, DATABASE_CHUNK), `"use strict";\n// snowfall-wasm's database code for the Node entries (js/database/lazy.js loads it on first use).\nmodule.exports = function bind(__snowfall_core) {\n${readFileSync(join(pkg, DATABASE_CHUNK), "utf8")}return __snowfall_database;\n};\n`);

// What each of its exports looks like (name, length, static methods), for the stand-ins: read from
// the real ones, bound to the unbundled modules in pkg/ (nothing runs but the files' top levels).
const core = {};
for (const f of coreUsed) core[f] = await import(pathToFileURL(join(pkg, f)).href);
const isAsync = (fn) => Object.getPrototypeOf(fn) === Object.getPrototypeOf(async function () {});
const shapes = {};
for (const [name, value] of Object.entries(createRequire(import.meta.url)(join(pkg, DATABASE_CHUNK))(core))) {
  if (typeof value !== "function") {
    if (value !== null && typeof value === "object") throw new Error(`build: ${name}, an object, cannot be loaded lazily: keep it out of the lazy files or make it a function`);
    shapes[name] = { value };
  } else if (/^class\b/.test(Function.prototype.toString.call(value))) {
    const statics = Object.getOwnPropertyNames(value).filter((k) => !["length", "name", "prototype"].includes(k));
    for (const k of statics) if (typeof value[k] !== "function") throw new Error(`build: ${name}.${k} is not a method: a stand-in class has static methods only`);
    shapes[name] = { kind: "class", length: value.length, statics: statics.map((k) => ({ name: k, length: value[k].length, isAsync: isAsync(value[k]) })) };
  } else {
    shapes[name] = { kind: "function", length: value.length, isAsync: isAsync(value) };
  }
}

// In the Node bundles, an import of a lazy file from anywhere else gets the stand-ins: plain
// classes and functions (as cheap to evaluate at start as the real definitions), which call
// js/database/lazy.js.
const standIns = join(pkg, "database/lazy-exports.js");
const identifier = (n) => {
  if (!/^[A-Za-z_$][\w$]*$/.test(n)) throw new Error(`build: ${JSON.stringify(n)} is not a plain name: no stand-in can be written for it`);
  return n;
};
const params = (n) => Array.from({ length: n }, (_, i) => `a${i}`).join(", ");
const standIn = (name, s) => {
  if (s.kind === undefined) return `export const ${name} = ${JSON.stringify(s.value)};`;
  const q = JSON.stringify(name);
  if (s.kind === "function") {
    return `export const ${name} = { ${s.isAsync ? "async " : ""}${name}(${params(s.length)}) { return lazy.call(${q}, this, arguments); } }.${name};`;
  }
  return [
    `export class ${name} {`,
    `  constructor(${params(s.length)}) { return lazy.construct(${q}, arguments, new.target); }`,
    `  static [Symbol.hasInstance](value) { return lazy.hasInstance(${q}, this, value); }`,
    ...s.statics.map((m) => `  static ${m.isAsync ? "async " : ""}${identifier(m.name)}(${params(m.length)}) { return lazy.callStatic(${q}, ${JSON.stringify(m.name)}, this, arguments); }`),
    "}",
    `lazy.stand(${name});`,
  ].join("\n");
};
const standInSource = () => [
  `import { lazyFile } from ${JSON.stringify(join(pkg, "database/lazy.js"))};`,
  ...[...coreUsed].map((f, i) => `import * as m${i} from ${JSON.stringify(join(pkg, f))};`),
  `const lazy = lazyFile(${JSON.stringify(`./${DATABASE_CHUNK}`)}, { ${[...coreUsed].map((f, i) => `${JSON.stringify(f)}: m${i}`).join(", ")} }, () => import.meta.url);`,
  ...Object.entries(shapes).map(([name, s]) => standIn(identifier(name), s)),
].join("\n");
const lazyDatabase = {
  name: "snowfall-lazy-database",
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      const abs = resolveRelative(args);
      return lazyFiles.has(abs) ? { path: standIns, namespace: "snowfall-lazy" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "snowfall-lazy" }, () => ({ contents: standInSource(), loader: "js", resolveDir: pkg }));
  },
};
const bundle = (format, entry, out) => esbuild.build({
  ...common, format, loader: { ".wasm": "binary" },
  define: { __SNOWFALL_INSTANCE_KEY__: JSON.stringify(`${meta.name}@${meta.version}`), ...(format === "cjs" ? { "import.meta.url": "__snowfall_url" } : {}) },
  ...(format === "cjs" ? { banner: { js: "\"use strict\"; // ES module sources: strict in node.cjs too, as in node.mjs\nconst __snowfall_url = require(\"url\").pathToFileURL(__filename).href, __snowfall_require = require;" } } : {}),
  stdin: { contents: entry, resolveDir: pkg, sourcefile: "snowfall-node-entry.mjs" },
  outfile: out, plugins: [lazyDatabase],
});
await bundle("cjs", 'export { shared } from "./node.mjs";', join(pkg, "node.cjs"));
writeFileSync(join(pkg, "node.cjs"), readFileSync(join(pkg, "node.cjs"), "utf8") + "module.exports = module.exports.shared;\n");
// Names listed explicitly: Node would otherwise scan a CJS module for them (cjs-module-lexer).
const names = Object.keys(createRequire(import.meta.url)(join(pkg, "node.cjs"))).sort();
await bundle("esm", `import { shared } from "./node.mjs";\nexport const { ${names.join(", ")} } = shared;\n`, join(pkg, "node.bundle.mjs"));
renameSync(join(pkg, "node.bundle.mjs"), join(pkg, "node.mjs"));
// Node versions without the "module-sync" condition (18, 20 before 20.19, 22 before 22.12) may lack
// process.getBuiltinModule too: their import gets legacy/node.mjs (the exports map), which is
// node.mjs plus the createRequire that node.mjs then loads node-database.cjs with
// (js/database/lazy.js). Named node.mjs, in a folder, so that its types are node.d.mts too.
mkdirSync(join(pkg, "legacy"));
writeFileSync(join(pkg, "legacy/node.mjs"), [
  "// The Node entry for Node versions without process.getBuiltinModule: ../node.mjs, and node:module's",
  "// createRequire for loading node-database.cjs on first use (../node.mjs does not import node:module).",
  'import { createRequire } from "node:module";',
  'export * from "../node.mjs";',
  "",
  `Object.defineProperty(globalThis, Symbol.for(${JSON.stringify(`${meta.name}@${meta.version}/createRequire`)}), { value: createRequire, configurable: true });`,
  "",
].join("\n"));
writeFileSync(join(pkg, "legacy/node.d.mts"), '// Types of legacy/node.mjs: those of ../node.mjs.\nexport * from "../node.mjs";\n');
rmSync(join(pkg, "snowfall_wasm_bg.wasm.js"), { force: true });
rmSync(join(pkg, "database/lazy.js")); // bundled into node.mjs / node.cjs; no other entry uses it

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
      // "module-sync" (Node 20.19+, 22.12+) implies process.getBuiltinModule, which node.mjs loads
      // its database code with; older Node (and Bun, bundlers, TypeScript) take legacy/node.mjs.
      node: { require: "./node.cjs", "module-sync": "./node.mjs", import: "./legacy/node.mjs" },
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
