// Node bundles only (scripts/build.mjs): the database code (js/database/*, js/stores/{sql,redis,
// durable-object}.js) is not in node.mjs / node.cjs but in node-database.cjs, loaded on first use.
// Every name the bundle imports from those files becomes a stand-in made here, with the name,
// length and static methods of the real export (the build reads them from the real one); the
// first call, `new` or static call loads the file, synchronously (require), and hands it this
// bundle's own modules (one SnowfallError class, one wasm instance, one registry), so the code
// that loads later is bound to the instance import and require share.
import { createRequire } from "node:module";
import { SnowfallError } from "../errors.js";

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * The loader of one lazily loaded file: `load()` returns its exports (loaded once).
 * @param {string} file the file next to the bundle, e.g. "./node-database.cjs"
 * @param {Record<string, object>} core this bundle's modules the file imports, by path
 * @param {string} url the bundle's own URL (import.meta.url)
 * @returns {() => Record<string, any>}
 */
export function lazyFile(file, core, url) {
  let exports;
  return function load() {
    if (exports !== undefined) return exports;
    let bind;
    try {
      // process.getBuiltinModule (Node 20.16+, 22.3+, Bun, Deno) costs nothing until called.
      const nodeModule = typeof process.getBuiltinModule === "function" ? process.getBuiltinModule("node:module") : undefined;
      bind = (nodeModule?.createRequire ?? createRequire)(url)(file);
    } catch (cause) {
      throw new SnowfallError("UNSUPPORTED_RUNTIME", `the package's database code (${file}, next to its Node entry) could not be loaded: ${cause?.message ?? cause}`, { cause });
    }
    exports = bind(core);
    return exports;
  };
}

/** A stand-in function: calls the real one (an async one rejects if the file cannot load). */
export function lazyFunction(name, { length, isAsync }, load) {
  const stub = isAsync
    ? { async [name](...args) { return Reflect.apply(load()[name], this, args); } }[name]
    : { [name](...args) { return Reflect.apply(load()[name], this, args); } }[name];
  Object.defineProperty(stub, "length", { value: length });
  return stub;
}

/**
 * A stand-in class. `new` constructs the real class with this one as new.target, and its prototype
 * then inherits the real one's, so instances (a subclass's too) have the real fields and methods
 * and are instances of both. Static methods are there from the start, and call the real ones.
 * Instances the real code makes itself count as instances of the stand-in as well.
 */
export function lazyClass(name, { length, statics }, load) {
  let real;
  const resolve = () => {
    if (real === undefined) {
      const r = load()[name];
      Object.setPrototypeOf(stand.prototype, r.prototype);
      Object.setPrototypeOf(stand, r);
      real = r;
    }
    return real;
  };
  // A class (not a function): strict and uncallable without `new` even in the CommonJS bundle.
  const stand = {
    [name]: class {
      constructor(...args) {
        return Reflect.construct(resolve(), args, new.target);
      }
    },
  }[name];
  Object.defineProperty(stand, "length", { value: length });
  Object.defineProperty(stand, Symbol.hasInstance, {
    configurable: true,
    value: function hasInstance(value) {
      if (Reflect.apply(ordinaryHasInstance, this, [value])) return true;
      return this === stand && real !== undefined && value instanceof real;
    },
  });
  for (const s of statics) {
    const self = (that) => (that === stand ? resolve() : that);
    const method = s.isAsync
      ? { async [s.name](...args) { return Reflect.apply(resolve()[s.name], self(this), args); } }[s.name]
      : { [s.name](...args) { return Reflect.apply(resolve()[s.name], self(this), args); } }[s.name];
    Object.defineProperty(method, "length", { value: s.length });
    Object.defineProperty(stand, s.name, { configurable: true, writable: true, value: method });
  }
  return stand;
}
