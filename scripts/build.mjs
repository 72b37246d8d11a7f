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
const common = { bundle: true, platform: "node", target: "node18", logLevel: "warning", minifySyntax: true, absWorkingDir: pkg, write: true };

// node.cjs's store code (issue 11, cold start: require() parsed ~68 KB of store and syncer code it
// did not run). What only the SQL, Redis, Durable Object, browser and Workers APIs need is not in
// node.cjs but in node-stores.cjs, which the first use of one of them requires (js/stores/lazy.js).
// It is built first: a function of node.cjs's own modules (errors, clock, lease session, ...: every
// file outside the lazy set), so it shares the instance of whichever entry loaded first. node.mjs
// keeps the code (an ES module has no synchronous require that every bundler follows).
const STORES_CHUNK = "node-stores.cjs";
const lazyFiles = new Set([
  ...["adapters.js", "dialects.js", "sql-text.js", "syncer.js"].map((f) => join(pkg, "database", f)),
  ...["sql.js", "redis.js", "durable-object.js", "browser.js"].map((f) => join(pkg, "stores", f)),
  join(pkg, "workers.js"),
  // What only Snowfall.create (async) and the syncers use: the lease session and its keeper.
  join(pkg, "lease", "session.js"), join(pkg, "lease", "keeper.js"),
]);
const rel = (abs) => abs.slice(pkg.length + 1).split("\\").join("/");
// The names the lazy files import from node.cjs's own modules, by module: node.cjs hands over
// exactly those (a module's whole namespace would keep all of it in node.cjs, untree-shaken).
const coreUsed = new Map(); // "errors.js" -> Set of names
for (const file of lazyFiles) {
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/^import\s+(.*?)\s+from\s+"([^"]+)";/gms)) {
    const abs = join(dirname(file), m[2]);
    if (lazyFiles.has(abs)) continue;
    const named = /^\{([^}]*)\}$/.exec(m[1].trim());
    if (named === null) throw new Error(`build: ${rel(file)} imports ${m[2]} as ${m[1]}: the lazy files import node.cjs's modules by name only ({ a, b })`);
    const names = coreUsed.get(rel(abs)) ?? new Set();
    for (const spec of named[1].split(",").map((x) => x.trim()).filter(Boolean)) {
      const n = /^([A-Za-z_$][\w$]*)(\s+as\s+[A-Za-z_$][\w$]*)?$/.exec(spec)?.[1]; // the imported name of `a` or `a as b`
      if (n === undefined) throw new Error(`build: ${rel(file)} imports ${JSON.stringify(spec)} from ${m[2]}: plain names only`);
      names.add(n);
    }
    coreUsed.set(rel(abs), names);
  }
}
const resolveRelative = (args) => (args.path.startsWith(".") ? join(args.resolveDir, args.path) : null);
await esbuild.build({
  ...common,
  format: "iife", globalName: "__snowfall_stores",
  stdin: { contents: [...lazyFiles].map((f) => `export * from ${JSON.stringify(f)};`).join("\n"), resolveDir: pkg, sourcefile: "snowfall-stores-entry.mjs" },
  outfile: join(pkg, STORES_CHUNK),
  plugins: [{
    name: "snowfall-core-modules",
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        const abs = resolveRelative(args);
        if (lazyFiles.has(abs)) return { path: abs };
        if (!coreUsed.has(rel(abs))) throw new Error(`build: a lazy file imports ${rel(abs)} in a way the build did not see (${args.importer})`);
        return { path: rel(abs), namespace: "snowfall-core" };
      });
      b.onLoad({ filter: /.*/, namespace: "snowfall-core" }, (args) => ({ contents: `module.exports = __snowfall_core[${JSON.stringify(args.path)}];`, loader: "js" }));
    },
  }],
});
writeFileSync(join(pkg, STORES_CHUNK), `"use strict";\n// snowfall-wasm's store and syncer code for node.cjs, required on first use (js/stores/lazy.js).\nmodule.exports = function bind(__snowfall_core) {\n${readFileSync(join(pkg, STORES_CHUNK), "utf8")}return __snowfall_stores;\n};\n`);

// What each of its exports looks like (name, length, static methods), for the stand-ins: read from
// the real ones, bound to the unbundled modules in pkg/ (nothing runs but the files' top levels).
const core = {};
for (const f of coreUsed.keys()) core[f] = await import(pathToFileURL(join(pkg, f)).href);
const isAsync = (fn) => Object.getPrototypeOf(fn) === Object.getPrototypeOf(async function () {});
const constructible = (fn) => {
  try {
    Reflect.construct(String, [], fn); // a new.target of fn: throws unless fn has [[Construct]]
    return true;
  } catch {
    return false;
  }
};
const shapes = {};
for (const [name, value] of Object.entries(createRequire(import.meta.url)(join(pkg, STORES_CHUNK))(core))) {
  if (typeof value !== "function") {
    if (value !== null && typeof value === "object") throw new Error(`build: ${name}, an object, cannot be loaded lazily: keep it out of the lazy files or make it a function`);
    shapes[name] = { value }; // a primitive: copied
  } else if (/^class\b/.test(Function.prototype.toString.call(value))) {
    const statics = Object.getOwnPropertyNames(value).filter((k) => !["length", "name", "prototype"].includes(k)).map((k) => {
      const d = Object.getOwnPropertyDescriptor(value, k);
      if (d.get !== undefined && d.set === undefined) return { name: k, getter: true };
      if (typeof d.value !== "function") throw new Error(`build: ${name}.${k} is neither a method nor a getter: a stand-in class has only those`);
      return { name: k, length: d.value.length, isAsync: isAsync(d.value) };
    });
    shapes[name] = { kind: "class", length: value.length, statics };
  } else {
    shapes[name] = { kind: "function", length: value.length, isAsync: isAsync(value), constructible: constructible(value) };
  }
}

// In node.cjs, an import of a lazy file from anywhere else gets the stand-ins: plain classes and
// functions (as cheap to evaluate at start as the real definitions) calling js/stores/lazy.js.
const identifier = (n) => {
  if (!/^[A-Za-z_$][\w$]*$/.test(n)) throw new Error(`build: ${JSON.stringify(n)} is not a plain name: no stand-in can be written for it`);
  return n;
};
const params = (n) => Array.from({ length: n }, (_, i) => `a${i}`).join(", ");
const standIn = (name, s) => {
  if (s.kind === undefined) return `export const ${name} = ${JSON.stringify(s.value)};`;
  const q = JSON.stringify(name);
  if (s.kind === "function") {
    const body = `(${params(s.length)}) { return lazy.call(${q}, this, arguments); }`;
    // A function declaration stays constructible (as the real one), a method is not (an arrow's
    // stand-in). Named again after: a bundler may rename the binding, and with it the name.
    const named = `Object.defineProperty(${name}, "name", { value: ${q} });`;
    if (s.constructible) return `export function ${name}${body}\n${named}`;
    return `export const ${name} = { ${s.isAsync ? "async " : ""}${name}${body} }.${name};\n${named}`;
  }
  return [
    `export class ${name} {`,
    `  constructor(${params(s.length)}) { return lazy.construct(${q}, arguments, new.target); }`,
    `  static [Symbol.hasInstance](value) { return lazy.hasInstance(${q}, this, value); }`,
    ...s.statics.map((m) => (m.getter
      ? `  static get ${identifier(m.name)}() { return lazy.getStatic(${q}, ${JSON.stringify(m.name)}, this); }`
      : `  static ${m.isAsync ? "async " : ""}${identifier(m.name)}(${params(m.length)}) { return lazy.callStatic(${q}, ${JSON.stringify(m.name)}, this, arguments); }`)),
    "}",
    `lazy.stand(${q}, ${name});`,
  ].join("\n");
};
const standInSource = [
  `import { lazyFile } from ${JSON.stringify(join(pkg, "stores/lazy.js"))};`,
  ...[...coreUsed].map(([f, names], i) => `import { ${[...names].map((n) => `${n} as m${i}_${n}`).join(", ")} } from ${JSON.stringify(join(pkg, f))};`),
  // A literal require of the file next to node.cjs: Node resolves it there, and a bundler that
  // bundles node.cjs follows it into the same bundle.
  // The modules as a function, read on first load: this module is evaluated before some of them
  // (snowfall.js imports the lease stand-ins), so their bindings are not set yet at its top level.
  `const lazy = lazyFile(() => require(${JSON.stringify(`./${STORES_CHUNK}`)}), () => ({`,
  ...[...coreUsed].map(([f, names], i) => `  ${JSON.stringify(f)}: { ${[...names].map((n) => `${n}: m${i}_${n}`).join(", ")} },`),
  "}));",
  ...Object.entries(shapes).map(([name, s]) => standIn(identifier(name), s)),
].join("\n");
const lazyStores = {
  name: "snowfall-lazy-stores",
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      if (args.path === `./${STORES_CHUNK}`) return { path: args.path, external: true };
      const abs = resolveRelative(args);
      return lazyFiles.has(abs) ? { path: "stand-ins", namespace: "snowfall-lazy" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "snowfall-lazy" }, () => ({ contents: standInSource, loader: "js", resolveDir: pkg }));
  },
};
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
