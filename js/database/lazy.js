// Node bundles only (scripts/build.mjs): the database code (js/database/*, js/stores/{sql,redis,
// durable-object}.js) is not in node.mjs / node.cjs but in node-database.cjs, loaded on first use.
// Every name the bundle imports from those files becomes a stand-in that the build writes out as
// plain code (a class with the real one's constructor length and static methods, or a function of
// the real one's length: the build reads them from the real exports), each calling in here. The
// first call, `new` or static call loads the file, synchronously (require), and hands it this
// bundle's own modules (one SnowfallError class, one wasm instance, one registry), so the code
// that loads later is bound to the instance import and require share.
import { SnowfallError } from "../errors.js";

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * A require() for files next to the bundle, found without importing node:module at start (a static
 * import of it costs the ESM entry about half a millisecond): node.cjs has its own (the build's
 * banner names it __snowfall_require), node.mjs takes process.getBuiltinModule (Node 20.16+ and
 * 22.3+, Bun, Deno), and on older Node the ESM entry is legacy/node.mjs, which imports node:module
 * and leaves its createRequire under a versioned globalThis key before any of this runs.
 */
function requireHere(url) {
  if (typeof __snowfall_require === "function") return __snowfall_require;
  const nodeModule = typeof process.getBuiltinModule === "function" ? process.getBuiltinModule("node:module") : undefined;
  const createRequire = nodeModule?.createRequire ?? globalThis[Symbol.for(`${__SNOWFALL_INSTANCE_KEY__}/createRequire`)];
  if (typeof createRequire !== "function") throw new Error("neither process.getBuiltinModule nor the createRequire of legacy/node.mjs is there");
  return createRequire(url());
}

/**
 * The stand-ins' side of one lazily loaded file.
 * @param {string} file the file next to the bundle, e.g. "./node-database.cjs"
 * @param {Record<string, object>} core this bundle's modules the file imports, by path
 * @param {() => string} url the bundle's own URL (`() => import.meta.url`: import.meta is made on
 *   first access, which costs a few tenths of a ms, so not at start)
 */
export function lazyFile(file, core, url) {
  let exports;
  const stands = new Map(); // name -> stand-in class
  const linked = new Map(); // name -> real class
  function load() {
    if (exports !== undefined) return exports;
    let bind;
    try {
      bind = requireHere(url)(file);
    } catch (cause) {
      throw new SnowfallError("UNSUPPORTED_RUNTIME", `the package's database code (${file}, next to its Node entry) could not be loaded: ${cause?.message ?? cause}`, { cause });
    }
    exports = bind(core);
    return exports;
  }
  // The real class behind a stand-in. On first use the stand-in's prototype comes to inherit the
  // real one's, so instances made through it (a subclass's too) have the real fields and methods.
  // (Stand-ins are named, not referenced, in their own bodies: esbuild renames a class that refers
  // to itself, and its `name` with it.)
  function real(name) {
    let r = linked.get(name);
    if (r === undefined) {
      r = load()[name];
      const stand = stands.get(name);
      Object.setPrototypeOf(stand.prototype, r.prototype);
      Object.setPrototypeOf(stand, r);
      linked.set(name, r);
    }
    return r;
  }
  return {
    /** Registers a stand-in class (right after its definition). */
    stand: (stand) => { stands.set(stand.name, stand); },
    /** A stand-in function's call. */
    call: (name, that, args) => Reflect.apply(load()[name], that, args),
    /** `new` on a stand-in class (or a subclass of it): the real constructor, new.target kept. */
    construct: (name, args, newTarget) => Reflect.construct(real(name), args, newTarget),
    /** A static method of a stand-in class: the real one, on the real class (or a subclass). */
    callStatic: (name, key, that, args) => {
      const r = real(name);
      return Reflect.apply(r[key], that === stands.get(name) ? r : that, args);
    },
    /** instanceof: what the stand-in made, and what the real class made itself. */
    hasInstance: (name, that, value) => Reflect.apply(ordinaryHasInstance, that, [value]) || (that === stands.get(name) && linked.has(name) && value instanceof linked.get(name)),
  };
}
