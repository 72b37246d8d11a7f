// GET /?n=5    ids leased from the SnowfallLeases Durable Object (group "orders", made on first use)
// GET /d1?n=5  ids leased from the D1 schema group "orders" (made by `npm run d1:setup`)
import { DatabaseSyncer, DurableObjectSyncer, SnowfallError, forWorker, fromD1 } from "snowfall-wasm";

// wrangler.toml binds this class as LEASES.
export { SnowfallLeases } from "snowfall-wasm";

// One generator per isolate and group, however many first requests arrive at once; the options
// function runs per request, so every lease renewal uses that request's bindings.
const fromObject = forWorker((env) => ({
  syncer: DurableObjectSyncer,
  namespace: env.LEASES,
  schemaGroupName: "orders",
  createIfMissing: { livelinessProbeS: 5 },
}));
const fromDatabase = forWorker((env) => ({ syncer: DatabaseSyncer, database: fromD1(env.DB), schemaGroupName: "orders" }));

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const n = Math.max(1, Math.min(1000, Number(url.searchParams.get("n") ?? "1") || 1));
    try {
      const gen = await (url.pathname === "/d1" ? fromDatabase : fromObject)(env, ctx);
      // Ids are bigints: send them as decimal strings (JSON has no bigint).
      return Response.json({ generatorId: gen.generatorId, ids: gen.getGuidStrings(n) });
    } catch (err) {
      if (!(err instanceof SnowfallError)) throw err;
      return Response.json({ code: err.code, message: err.message }, { status: 503 });
    }
  },
};
