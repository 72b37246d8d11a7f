// The isolate's generator in Cloudflare Workers: one `Snowfall.create` per isolate however many
// first requests arrive at once, and every store call made on the bindings of the request that is
// running now. I/O objects (a Durable Object stub, a pg client through Hyperdrive) belong to the
// request that made them; a renewal through one captured in an earlier request fails with
// "Cannot perform I/O on behalf of a different request". So the options come from a factory,
// called per request, and the generator's store is a thin forwarder pointed at the newest one.
import { SnowfallError } from "./errors.js";
import { SETTINGS } from "./settings.js";
import { Snowfall } from "./snowfall.js";
import { DatabaseSyncer } from "./database/syncer.js";
import { SqlStore } from "./stores/sql.js";
import { DurableObjectSyncer } from "./stores/durable-object.js";
import { isExport } from "./same-export.js";

/** The store the options of one request describe (bound to that request's I/O objects). */
function storeOf(opts) {
  if (opts.store !== undefined) return opts.store;
  if (isExport(opts.syncer, DatabaseSyncer)) return new SqlStore(opts.database, opts.schemaGroupName ?? "default");
  if (isExport(opts.syncer, DurableObjectSyncer)) {
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
  let creating = null; // { promise, deadline }: the one creation under way or done
  return async function generator(env, ctx) {
    const opts = await makeOptions(env, ctx);
    if (opts === null || typeof opts !== "object") {
      throw new SnowfallError("INVALID_TYPE", `forWorker's options function must return an options object, got ${opts === null ? "null" : typeof opts}`);
    }
    current = storeOf(opts);
    for (;;) {
      if (creating === null) creating = create(opts, ctx);
      const made = creating;
      const left = made.deadline - Date.now();
      if (left <= 0 && !made.settled) { // begun in an earlier request that never finished it
        creating = null;
        continue;
      }
      const gen = made.settled ? await made.promise : await withTimer(made.promise, left);
      if (gen === EXPIRED) {
        if (creating === made) creating = null;
        throw new SnowfallError("STORE_TIMEOUT", "the isolate's generator, created in an earlier request, was not ready in time: the next request creates it afresh (storeTimeoutMs sets the bound)");
      }
      if (gen.closed) { // closed by the app: the next generator takes its place
        if (creating === made) creating = null;
        continue;
      }
      await gen.ready();
      return gen;
    }
  };

  /** One Snowfall.create on the forwarding store, bounded like create itself (2 x storeTimeoutMs). */
  function create(opts, ctx) {
    const { syncer, store, ...rest } = opts;
    const timeoutMs = Number.isFinite(opts.storeTimeoutMs) ? opts.storeTimeoutMs : DEFAULT_STORE_TIMEOUT_MS;
    const made = { promise: null, deadline: Date.now() + 2 * timeoutMs + 50, settled: false };
    made.promise = Snowfall.create({ ...rest, store: forwarder(() => current, typeof current.now === "function"), timers: false });
    made.promise.then(
      (gen) => {
        made.settled = true;
        if (creating !== made) gen.close().catch(() => {}); // abandoned, then done after all: give the id back
      },
      () => { if (creating === made) creating = null; }, // the next call tries again
    );
    ctx?.waitUntil?.(made.promise.catch(() => {})); // let it finish even if this request's response goes first
    return made;
  }
}

const DEFAULT_STORE_TIMEOUT_MS = SETTINGS.storeTimeoutMs.default;
const EXPIRED = Symbol("expired");

/** `promise`, or EXPIRED once `ms` have passed on a timer of the current request. */
function withTimer(promise, ms) {
  let timer;
  const expired = new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, ms), EXPIRED); });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
