// node.cjs only (scripts/build.mjs): the store and syncer code (js/database/*, js/stores/*,
// js/workers.js) is not in node.cjs but in node-stores.cjs, required on first use. Every name
// node.cjs takes from those files is a stand-in the build writes out as plain code (a class with
// the real one's constructor length and static methods, or a function of the real one's length,
// read from the real exports), each calling in here. The first call, `new` or static call requires
// the file (a literal require() in node.cjs, which bundlers follow) and hands it node.cjs's own
// modules (one SnowfallError class, one wasm instance, one registry), so the code that loads later
// is bound to the instance that import and require share. node.mjs carries the code itself: an ES
// module has no synchronous require that every bundler follows.
import { SnowfallError } from "../errors.js";
import { standsFor } from "../same-export.js";

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * The stand-ins' side of the lazily required file.
 * @param {() => (core: Record<string, object>) => Record<string, any>} requireFile `() =>
 *   require("./node-stores.cjs")`, written in node.cjs by the build
 * @param {() => Record<string, object>} core node.cjs's modules the file imports, by path (a
 *   function: called on first load, once every module of node.cjs has run)
 */
export function lazyFile(requireFile, core) {
  let exports;
  const stands = new Map(); // name -> stand-in (class or function)
  const linked = new Map(); // name -> real class
  function load() {
    if (exports !== undefined) return exports;
    let bind;
    try {
      bind = requireFile();
    } catch (cause) {
      throw new SnowfallError("UNSUPPORTED_RUNTIME", `the package's store code (node-stores.cjs, next to node.cjs) could not be loaded: ${cause?.message ?? cause}. Reinstall snowfall-wasm; a bundler must follow node.cjs's require("./node-stores.cjs")`, { cause });
    }
    const modules = core();
    for (const [file, names] of Object.entries(modules)) {
      for (const [name, value] of Object.entries(names)) {
        if (value === undefined) throw new SnowfallError("INTERNAL", `node.cjs handed its store code ${file}'s ${name} unset (a build error): please report this`);
      }
    }
    exports = bind(modules);
    // The loaded code compares what it is handed against its own classes (js/same-export.js).
    for (const [name, stand] of stands) standsFor(stand, exports[name]);
    return exports;
  }
  // The real class behind a stand-in. On first use the stand-in's prototype comes to inherit the
  // real one's, so instances made through it (a subclass's too) have the real fields and methods.
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
    /**
     * Registers a stand-in under its export name, names it so (it is defined anonymous: a bundler
     * renames a binding whose name another module of the bundle also uses, `LeaseSession2`, and a
     * class's or function's `name` with it), and returns it.
     */
    stand: (name, stand) => {
      Object.defineProperty(stand, "name", { value: name });
      stands.set(name, stand);
      return stand;
    },
    /** A stand-in function's call. */
    call: (name, that, args) => Reflect.apply(load()[name], that, args),
    /** `new` on a stand-in class (or a subclass of it): the real constructor, new.target kept. */
    construct: (name, args, newTarget) => Reflect.construct(real(name), args, newTarget),
    /** A static method of a stand-in class: the real one, on the real class (or a subclass). */
    callStatic: (name, key, that, args) => {
      const r = real(name);
      return Reflect.apply(r[key], that === stands.get(name) ? r : that, args);
    },
    /** A static getter of a stand-in class: the real one's, read on the real class (or a subclass). */
    getStatic: (name, key, that) => {
      const r = real(name);
      return Reflect.get(r, key, that === stands.get(name) ? r : that);
    },
    /** instanceof: what the stand-in made, and what the real class made itself. */
    hasInstance: (name, that, value) => Reflect.apply(ordinaryHasInstance, that, [value]) || (that === stands.get(name) && linked.has(name) && value instanceof linked.get(name)),
  };
}
