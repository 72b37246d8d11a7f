// The isolate's generator in Cloudflare Workers: one `Snowfall.create` per isolate however many
// first requests arrive at once, and every store call made on the bindings of the request that is
// running now. I/O objects (a Durable Object stub, a pg client through Hyperdrive) belong to the
// request that made them; a renewal through one captured in an earlier request fails with
// "Cannot perform I/O on behalf of a different request". So the options come from a factory,
// called per request, and the generator's store is a thin forwarder pointed at the newest one.
import { SnowfallError } from "./errors.js";
import { Snowfall } from "./snowfall.js";
import { DatabaseSyncer } from "./database/syncer.js";
import { SqlStore } from "./stores/sql.js";
import { DurableObjectSyncer } from "./stores/durable-object.js";

/** The store the options of one request describe (bound to that request's I/O objects). */
function storeOf(opts) {
  if (opts.store !== undefined) return opts.store;
  if (opts.syncer === DatabaseSyncer) return new SqlStore(opts.database, opts.schemaGroupName ?? "default");
  if (opts.syncer === DurableObjectSyncer) {
    return DurableObjectSyncer.store(opts.namespace, opts.schemaGroupName ?? "default", { createIfMissing: opts.createIfMissing });
  }
  throw new SnowfallError("INVALID_SYNCER", "forWorker needs options with { store }, { syncer: DatabaseSyncer, database } or { syncer: DurableObjectSyncer, namespace } (SimpleSyncer needs no forWorker: use new Snowfall())");
}

/** A store whose every call goes to `target()` (the newest request's store). */
function forwarder(target, withClock) {
  const store = {
    readGroup: () => target().readGroup(),
    readFreeSlots: (request) => target().readFreeSlots(request),
    compareAndSwap: (request) => target().compareAndSwap(request),
  };
  if (withClock) store.now = () => target().now();
  return store;
}

/**
 * The isolate's generator, made once and kept fresh per request:
 *
 *   const generator = forWorker((env) => ({ syncer: DurableObjectSyncer, namespace: env.LEASES, schemaGroupName: "orders" }));
 *   export default { async fetch(request, env, ctx) { const gen = await generator(env, ctx); ... } };
 *
 * `makeOptions(env, ctx)` runs on every call (it must only build objects: bindings, adapters); the
 * first call creates the generator (concurrent first calls share that one creation; a failed one
 * is retried by the next call), each call then renews the lease if due (`ready()`) through the
 * store of the options it just made. No timers: Workers run nothing between requests.
 * @param {(env: any, ctx?: any) => object | Promise<object>} makeOptions
 * @returns {(env: any, ctx?: any) => Promise<Snowfall>}
 */
export function forWorker(makeOptions) {
  if (typeof makeOptions !== "function") {
    throw new SnowfallError("INVALID_TYPE", "forWorker takes a function (env, ctx) => options, called per request so the generator uses that request's bindings");
  }
  let current = null;
  let creating = null;
  return async function generator(env, ctx) {
    const opts = await makeOptions(env, ctx);
    if (opts === null || typeof opts !== "object") {
      throw new SnowfallError("INVALID_TYPE", `forWorker's options function must return an options object, got ${opts === null ? "null" : typeof opts}`);
    }
    current = storeOf(opts);
    for (;;) {
      if (creating === null) {
        const { syncer, store, ...rest } = opts;
        const p = Snowfall.create({ ...rest, store: forwarder(() => current, typeof current.now === "function"), timers: false });
        creating = p;
        p.catch(() => { if (creating === p) creating = null; });
      }
      const made = creating;
      const gen = await made;
      if (gen.closed) { // closed by the app: the next generator takes its place
        if (creating === made) creating = null;
        continue;
      }
      await gen.ready();
      return gen;
    }
  };
}
