// Part of scripts/build.mjs: node.cjs's store code, required on first use (issue 11, cold start).
// require() parsed about 90 KB of store, syncer and lease-session code that a plain
// `new Snowfall()` never runs. What only the SQL, Redis, Durable Object, browser and Workers APIs
// and Snowfall.create need is not in node.cjs but in node-stores.cjs, which the first use of one of
// them requires (js/stores/lazy.js). It is built first: a function of node.cjs's own modules
// (errors, clock, checks, ...: every file outside the lazy set), so it shares the instance of
// whichever entry loaded first. node.mjs keeps the code (an ES module has no synchronous require
// that every bundler follows).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Builds pkg/node-stores.cjs and returns the esbuild plugin that gives node.cjs stand-ins for it.
 * @param {{ esbuild: any, pkg: string, common: object }} options
 */
export async function buildStoresChunk({ esbuild, pkg, common }) {
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
  // Each is `lazy.stand(name, ...)`, marked pure, so esbuild drops those that node.cjs's own
  // modules never import (the lazy files' internal exports).
  const identifier = (n) => {
    if (!/^[A-Za-z_$][\w$]*$/.test(n)) throw new Error(`build: ${JSON.stringify(n)} is not a plain name: no stand-in can be written for it`);
    return n;
  };
  const params = (n) => Array.from({ length: n }, (_, i) => `a${i}`).join(", ");
  const standIn = (name, s) => {
    if (s.kind === undefined) return `export const ${name} = ${JSON.stringify(s.value)};`;
    const q = JSON.stringify(name);
    const stand = (value) => `export const ${name} = /* @__PURE__ */ lazy.stand(${q}, ${value});`;
    if (s.kind === "function") {
      const body = `(${params(s.length)}) { return lazy.call(${q}, this, arguments); }`;
      // As the real one: a function expression is constructible, an async one or a method (an
      // arrow's stand-in) is not. (esbuild drops an unused method only with the object around it.)
      if (s.constructible || s.isAsync) return stand(`${s.isAsync ? "async " : ""}function ${body}`);
      return stand(`{ ${name}${body} }.${name}`);
    }
    return stand([
      "class {",
      `  constructor(${params(s.length)}) { return lazy.construct(${q}, arguments, new.target); }`,
      `  static [Symbol.hasInstance](value) { return lazy.hasInstance(${q}, this, value); }`,
      ...s.statics.map((m) => (m.getter
        ? `  static get ${identifier(m.name)}() { return lazy.getStatic(${q}, ${JSON.stringify(m.name)}, this); }`
        : `  static ${m.isAsync ? "async " : ""}${identifier(m.name)}(${params(m.length)}) { return lazy.callStatic(${q}, ${JSON.stringify(m.name)}, this, arguments); }`)),
      "}",
    ].join("\n"));
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
  return lazyStores;
}
