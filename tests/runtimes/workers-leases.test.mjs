// Cloudflare Workers leases, in real workerd (Miniflare 4) with the installed package bundled by
// wrangler: DurableObjectSyncer (the SnowfallLeases Durable Object the package exports), forWorker
// (one generator per isolate under a burst of first requests, store calls on the current
// request's bindings), and a D1 schema group set up from schemaGroupSql's text with
// `wrangler d1 execute --local --file`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { installedPackage, makeTempDir, repoBin, repoRoot } from "./pack.mjs";
import { COMPAT_DATE, bundleModules, bundleWorker, wrangler } from "./workers-helpers.mjs";

const run = promisify(execFile);
const EPOCH_MS = Date.UTC(2024, 0, 1);
const PROBE_S = 1;

// Every Worker of the suite runs this bundle (so each also exports the class; only "host" serves it).
const LEASES_WORKER = `
import { Snowfall, DurableObjectSyncer, DurableObjectStore, openSession, forWorker, SnowfallError } from "snowfall-wasm";
import { checkStore } from "snowfall-wasm/testing";
export { SnowfallLeases } from "snowfall-wasm";
/** A Durable Object that takes every request and never answers (a store gone silent). */
export class Silent {
  fetch() { return new Promise(() => {}); }
}

const EPOCH = ${EPOCH_MS};
const create = { livelinessProbeS: ${PROBE_S}, epochStartDate: EPOCH };
// One generator per isolate and group, each store call on the current request's namespace.
const generators = new Map();
function generatorFor(group) {
  if (!generators.has(group)) {
    generators.set(group, forWorker((env) => ({ syncer: DurableObjectSyncer, namespace: env.LEASES, schemaGroupName: group, createIfMissing: create, storeTimeoutMs: 5000 })));
  }
  return generators.get(group);
}

/** The store of one group, restricted to one generator id (to aim a claim at one slot). */
function onlyId(store, id) {
  return {
    readGroup: () => store.readGroup(),
    now: () => store.now(),
    readFreeSlots: (r) => (id >= r.from && id < r.to ? store.readFreeSlots({ ...r, from: id, to: id + 1 }) : []),
    compareAndSwap: (r) => store.compareAndSwap(r),
  };
}

// A creation that an earlier request began and never finished (its store stalls) must not hold up
// later requests: the store's readGroup never answers while stalled.
let stalled = false;
const stallable = (store) => ({ ...store, readGroup: () => (stalled ? new Promise(() => {}) : store.readGroup()),
  readFreeSlots: (r) => store.readFreeSlots(r), compareAndSwap: (r) => store.compareAndSwap(r), now: () => store.now() });
const abandoned = forWorker((env) => ({ store: stallable(DurableObjectSyncer.store(env.LEASES, "abandoned", { createIfMissing: create })), storeTimeoutMs: 300 }));

let captured = null;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = (k, d) => url.searchParams.get(k) ?? d;
    try {
      switch (url.pathname) {
        case "/conformance":
          return Response.json({ passed: await checkStore(() => DurableObjectSyncer.store(env.LEASES, q("group"))) });
        case "/ids": {
          const gen = await generatorFor(q("group"))(env);
          const ids = gen.getGuidStrings(Number(q("n", "10")));
          return Response.json({ generatorId: gen.generatorId, ids });
        }
        case "/fanout": { // n requests at once to another Worker (a service binding): real concurrency in workerd
          const n = Number(q("n", "50"));
          const replies = await Promise.all(Array.from({ length: n }, () => env.TARGET.fetch("http://target" + q("path")).then((r) => r.json())));
          return Response.json({ replies });
        }
        case "/live": {
          const s = await DurableObjectSyncer.status({ namespace: env.LEASES, schemaGroupName: q("group") });
          return Response.json({ live: s.live, now: Date.now() });
        }
        case "/slot": { // the slot as the object keeps it (free or not)
          const rows = await DurableObjectSyncer.store(env.LEASES, q("group")).readFreeSlots({ from: Number(q("id")), to: Number(q("id")) + 1, limit: 1, freeBeforeMs: Number.MAX_SAFE_INTEGER });
          return Response.json({ slot: rows[0] ?? null });
        }
        case "/claim-id": { // a successor aiming at one id: it gets it only once the id is free
          const session = await openSession(onlyId(DurableObjectSyncer.store(env.LEASES, q("group")), Number(q("id"))), { storeTimeoutMs: 5000 });
          try {
            const lease = await session.claim();
            await session.release(-1);
            return Response.json({ lease });
          } catch (e) {
            return Response.json({ code: e.code, snowfall: e instanceof SnowfallError });
          }
        }
        case "/stale-stub": { // a stub kept from an earlier request (what forWorker avoids)
          const stub = captured ?? env.LEASES.get(env.LEASES.idFromName(q("group")));
          const first = captured === null;
          captured = stub;
          try {
            const res = await stub.fetch("https://snowfall-leases.internal/now", { method: "POST", body: "{}" });
            await res.text();
            return Response.json({ first, ok: true });
          } catch (e) {
            return Response.json({ first, ok: false, message: String(e?.message ?? e) });
          }
        }
        case "/calls": { // requests to the object per lease operation (uncontended)
          const store = DurableObjectSyncer.store(env.LEASES, q("group"), { createIfMissing: create });
          const calls = [];
          const counted = Object.fromEntries(["readGroup", "readFreeSlots", "compareAndSwap", "now"].map((m) => [m, (r) => { calls.push(m); return store[m](r); }]));
          const steps = {};
          const step = async (name, fn) => { calls.length = 0; await fn(); steps[name] = [...calls]; };
          let session;
          await step("open", async () => { session = await openSession(counted); });
          await step("claim", () => session.claim());
          await new Promise((r) => setTimeout(r, 5));
          await step("renew", () => session.renew());
          await step("release", () => session.release(-1));
          return Response.json(steps);
        }
        case "/abandon-start": // begins the creation and answers at once (no ctx: nothing keeps it going)
          stalled = true;
          abandoned(env).catch(() => {});
          return Response.json({ started: true });
        case "/abandon-next": {
          stalled = false;
          const t0 = Date.now();
          try {
            const gen = await abandoned(env);
            return Response.json({ ok: true, generatorId: gen.generatorId, ms: Date.now() - t0 });
          } catch (e) {
            return Response.json({ ok: false, code: e.code, ms: Date.now() - t0 });
          }
        }
        case "/lifecycle": { // a failed creation is retried by the next call; a closed generator is replaced
          const group = q("group");
          const generator = forWorker((env) => ({ syncer: DurableObjectSyncer, namespace: env.LEASES, schemaGroupName: group }));
          const out = {};
          try { await generator(env); out.first = "no error"; } catch (e) { out.first = e.code; }
          await DurableObjectSyncer.createSchemaGroup({ namespace: env.LEASES, schemaGroupName: group, livelinessProbeS: ${PROBE_S} });
          const g1 = await generator(env);
          const last = g1.getGuid();
          out.same = (await generator(env)) === g1;
          await g1.close();
          const g2 = await generator(env);
          out.replaced = g2 !== g1 && !g2.closed && g2.getGuid() > last;
          out.live = (await DurableObjectSyncer.status({ namespace: env.LEASES, schemaGroupName: group })).live.filter((s) => s.holder !== "").length;
          return Response.json(out);
        }
        case "/admin-silent": { // group administration on an object that never answers: bounded by storeTimeoutMs
          const out = {};
          for (const [name, fn] of Object.entries({
            create: () => DurableObjectSyncer.createSchemaGroup({ namespace: env.SILENT, schemaGroupName: "silent", storeTimeoutMs: 400 }),
            status: () => DurableObjectSyncer.status({ namespace: env.SILENT, schemaGroupName: "silent", storeTimeoutMs: 400 }),
          })) {
            const t0 = Date.now();
            try { await fn(); out[name] = { code: "no error" }; } catch (e) { out[name] = { code: e.code, snowfall: e instanceof SnowfallError }; }
            out[name].ms = Date.now() - t0;
          }
          // the same calls on a live object still work afterwards
          await DurableObjectSyncer.createSchemaGroup({ namespace: env.LEASES, schemaGroupName: "after_silent", livelinessProbeS: ${PROBE_S}, storeTimeoutMs: 400 });
          out.after = (await DurableObjectSyncer.status({ namespace: env.LEASES, schemaGroupName: "after_silent", storeTimeoutMs: 400 })).live.length;
          return Response.json(out);
        }
        case "/errors": {
          const out = {};
          for (const [name, fn] of Object.entries({
            notNamespace: () => DurableObjectSyncer.store({}, "g"),
            badName: () => DurableObjectSyncer.store(env.LEASES, "no-dashes"),
            missing: () => Snowfall.create({ syncer: DurableObjectSyncer, namespace: env.LEASES, schemaGroupName: "never_created_" + Date.now() }),
            forWorkerNotFn: () => forWorker({}),
          })) {
            try { await fn(); out[name] = "no error"; } catch (e) { out[name] = { snowfall: e instanceof SnowfallError, code: e.code, message: e.message }; }
          }
          return Response.json(out);
        }
        default:
          return Response.json({ error: "not found" }, { status: 404 });
      }
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e), code: e?.code }, { status: 500 });
    }
  },
};
`;

const layout = (id) => { const b = BigInt(id); return { ms: Number(b >> 23n), generatorId: Number(b & 4095n) }; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe("Cloudflare Workers: DurableObjectSyncer (SnowfallLeases, SQLite-backed) and forWorker", { timeout: 280_000 }, () => {
  let mf;
  let options;
  const get = async (worker, p) => {
    const res = await (await mf.getWorker(worker)).fetch(`http://worker.test${p}`);
    const text = await res.text();
    assert.equal(res.status, 200, `${worker}${p}: HTTP ${res.status}: ${text.slice(0, 3000)}`);
    return JSON.parse(text);
  };
  before(async () => {
    const { projectDir } = await installedPackage();
    const bundle = await bundleWorker(projectDir, "snowfall-leases", LEASES_WORKER);
    const modules = bundleModules(bundle);
    const worker = (name, own) => ({
      name, modules, modulesRoot: bundle.outdir, compatibilityDate: COMPAT_DATE, serviceBindings: own ? { TARGET: "burst" } : {},
      durableObjects: {
        LEASES: own ? { className: "SnowfallLeases", useSQLite: true } : { className: "SnowfallLeases", scriptName: "host", useSQLite: true },
        SILENT: own ? { className: "Silent" } : { className: "Silent", scriptName: "host" },
      },
    });
    const kvhost = { ...worker("kvhost", true), durableObjects: { LEASES: { className: "SnowfallLeases" } } }; // KV-backed storage
    options = { workers: [worker("host", true), ...["a", "b", "c", "d", "burst"].map((n) => worker(n, false)), kvhost], durableObjectsPersist: mkdtempSync(path.join(tmpdir(), "snowfall-do-")) };
    mf = new Miniflare(options);
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
  });

  test("the store passes the conformance kit, run inside a Worker", async () => {
    const { passed } = await get("a", "/conformance?group=conformance");
    console.log(`# DurableObjectStore conformance: ${passed.length} checks passed:\n# - ${passed.join("\n# - ")}`);
    assert.equal(passed.length, 10, `every check of the kit (10 with now()): ${JSON.stringify(passed)}`);
  });

  test("50 concurrent first requests to a fresh isolate lease exactly one generator id", async () => {
    const { replies } = await get("host", `/fanout?n=50&path=${encodeURIComponent("/ids?group=burst&n=5")}`);
    const ids = replies.flatMap((r) => r.ids);
    assert.equal(new Set(replies.map((r) => r.generatorId)).size, 1, "every request used one generator");
    assert.equal(new Set(ids).size, ids.length, "ids unique");
    const { live } = await get("host", "/live?group=burst");
    assert.equal(live.length, 1, `live slots in the object: ${JSON.stringify(live)}`);
    assert.equal(live[0].generatorId, replies[0].generatorId);
  });

  test("four Workers (isolates) get distinct ids; 100,000 ids unique", async () => {
    const workers = ["a", "b", "c", "d"];
    const seen = new Set();
    const byWorker = {};
    for (let round = 0; round < 4; round++) {
      const replies = await Promise.all(workers.map((w) => get(w, "/ids?group=shared&n=6250")));
      replies.forEach((r, i) => {
        (byWorker[workers[i]] ??= new Set()).add(r.generatorId);
        for (const id of r.ids) {
          assert.equal(layout(id).generatorId, r.generatorId);
          seen.add(id);
        }
      });
    }
    assert.equal(seen.size, 100_000, "100,000 ids, all distinct");
    const gids = workers.map((w) => [...byWorker[w]]);
    for (const g of gids) assert.equal(g.length, 1, "a Worker keeps its generator id across requests");
    assert.equal(new Set(gids.flat()).size, 4, `four Workers, four generator ids: ${JSON.stringify(gids)}`);
    const { live } = await get("host", "/live?group=shared");
    assert.deepEqual(live.map((s) => s.generatorId).sort((x, y) => x - y), gids.flat().sort((x, y) => x - y));
  });

  test("a discarded isolate's id is reclaimed after two probes, its successor fenced above it", async () => {
    const mine = await get("c", "/ids?group=discard&n=100");
    const id = mine.generatorId;
    const lastMs = layout(mine.ids.at(-1)).ms + EPOCH_MS;
    // Discard every isolate (the generator is never closed), keeping the object's storage.
    await mf.setOptions(options);
    const early = await get("d", `/claim-id?group=discard&id=${id}`);
    assert.equal(early.code, "GENERATOR_IDS_EXHAUSTED", `within two probes the id is still held: ${JSON.stringify(early)}`);
    const { slot } = await get("host", `/slot?group=discard&id=${id}`);
    await sleep(Math.max(0, slot.lastUpdatedMs + 2 * PROBE_S * 1000 + 50 - Date.now()));
    const taken = await get("d", `/claim-id?group=discard&id=${id}`);
    assert.equal(taken.lease?.generatorId, id, `after two probes the id is claimed again: ${JSON.stringify(taken)}`);
    assert.equal(taken.lease.windowStartUnixMs, slot.reservedUntilMs + 1, "the successor's window starts right after the old one");
    assert.ok(taken.lease.windowStartUnixMs > lastMs, "the successor is fenced above every id the discarded isolate minted");
  });

  test("a stub kept from an earlier request is refused; forWorker's store keeps working across requests", async () => {
    const first = await get("a", "/stale-stub?group=stale");
    assert.equal(first.ok, true, JSON.stringify(first));
    const second = await get("a", "/stale-stub?group=stale");
    assert.equal(second.ok, false, "workerd refuses a stub made in an earlier request");
    assert.match(second.message, /Cannot perform I\/O on behalf of a different request/);
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push(...(await get("a", "/ids?group=stale&n=5")).ids);
      await sleep(PROBE_S * 1000 + 100); // each later request renews through its own stub
    }
    assert.equal(new Set(ids.map((x) => layout(x).generatorId)).size, 1, "renewals kept the one lease");
    assert.equal(new Set(ids).size, 15);
  });

  test("forWorker: a failed creation is retried by the next call, a closed generator replaced", async () => {
    const r = await get("a", "/lifecycle?group=lifecycle");
    assert.deepEqual(r, { first: "SCHEMA_GROUP_NOT_FOUND", same: true, replaced: true, live: 1 });
  });

  test("each lease operation is the fewest requests to the object: renew and release one each", async () => {
    const steps = await get("a", "/calls?group=calls");
    assert.deepEqual(steps, { open: ["readGroup", "now"], claim: ["readFreeSlots", "compareAndSwap"], renew: ["compareAndSwap"], release: ["compareAndSwap"] });
  });

  test("forWorker: a creation begun in an earlier request that stalls never holds up a later one", async () => {
    await get("b", "/abandon-start");
    const next = await get("b", "/abandon-next");
    console.log(`# the request after a stalled creation: ${JSON.stringify(next)}`);
    assert.ok(next.ms < 1500, `answered after ${next.ms} ms (storeTimeoutMs 300): ${JSON.stringify(next)}`);
    if (!next.ok) assert.equal(next.code, "STORE_TIMEOUT");
    const then = await get("b", "/abandon-next");
    assert.equal(then.ok, true, JSON.stringify(then));
    const { live } = await get("host", "/live?group=abandoned");
    assert.equal(live.filter((x) => x.holder !== "").length, 1, `one live slot: ${JSON.stringify(live)}`);
  });

  test("a Durable Object without SQLite storage is refused with what to change", async () => {
    const res = await (await mf.getWorker("kvhost")).fetch("http://worker.test/ids?group=kv");
    const body = await res.json();
    assert.equal(body.code, "INVALID_SYNCER", JSON.stringify(body));
    assert.match(body.error, /new_sqlite_classes/);
  });

  test("createSchemaGroup and status on an object that never answers settle with STORE_TIMEOUT within storeTimeoutMs", async () => {
    const r = await get("host", "/admin-silent");
    for (const name of ["create", "status"]) {
      assert.equal(r[name].code, "STORE_TIMEOUT", `${name}: ${JSON.stringify(r[name])}`);
      assert.equal(r[name].snowfall, true);
      assert.ok(r[name].ms >= 350 && r[name].ms < 3000, `${name} settled after ${r[name].ms} ms (storeTimeoutMs: 400)`);
    }
    assert.equal(r.after, 0, "a live object's group, made after, has no holders");
  });

  test("misuse is a SnowfallError with a code that says what to do", async () => {
    const e = await get("a", "/errors");
    assert.equal(e.notNamespace.code, "INVALID_TYPE");
    assert.equal(e.badName.code, "INVALID_SCHEMA_GROUP_NAME");
    assert.equal(e.missing.code, "SCHEMA_GROUP_NOT_FOUND");
    assert.equal(e.forWorkerNotFn.code, "INVALID_TYPE");
    for (const v of Object.values(e)) assert.equal(v.snowfall, true);
  });
});

// D1 without the CLI: schemaGroupSql's text applied by `wrangler d1 execute --local --file`, then a
// Worker opens the group (forWorker + DatabaseSyncer on the D1 binding).
const D1_WORKER = `
import { DatabaseSyncer, fromD1, forWorker } from "snowfall-wasm";
const generator = forWorker((env) => ({ syncer: DatabaseSyncer, database: fromD1(env.DB), schemaGroupName: "orders" }));
export default {
  async fetch(request, env) {
    try {
      const gen = await generator(env);
      return Response.json({ generatorId: gen.generatorId, epoch: gen.epochStartDate.getTime(), ids: gen.getGuidStrings(10) });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e), code: e?.code }, { status: 500 });
    }
  },
};
`;

// n requests at once to the Worker bound as TARGET: concurrent in workerd (Miniflare's dispatchFetch
// hands requests to one Worker one at a time, so a burst from Node would prove nothing).
const FANOUT_WORKER = `
export default {
  async fetch(request, env) {
    const n = Number(new URL(request.url).searchParams.get("n"));
    const replies = await Promise.all(Array.from({ length: n }, () => env.TARGET.fetch("http://target/").then((r) => r.json())));
    return Response.json({ replies });
  },
};
`;

describe("Cloudflare Workers: a D1 schema group from schemaGroupSql, applied with wrangler d1 execute --local", { timeout: 280_000 }, () => {
  let mf;
  let sf;
  before(async () => {
    const { projectDir, packageDir, packageJson } = await installedPackage();
    sf = await import(path.join(packageDir, packageJson.exports["."].node.import));
    const bundle = await bundleWorker(projectDir, "snowfall-d1-sql", D1_WORKER,
      '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "leases"\ndatabase_id = "00000000-0000-4000-8000-000000000001"\n');
    const sqlFile = path.join(makeTempDir("snowfall-sql-"), "orders.sql");
    writeFileSync(sqlFile, sf.schemaGroupSql({ dialect: "sqlite", schemaGroupName: "orders", livelinessProbeS: 3, epochStartDate: new Date(EPOCH_MS) }));
    const persist = path.join(bundle.dir, ".wrangler", "state");
    await wrangler(bundle.dir, projectDir, ["d1", "execute", "leases", "--local", "--persist-to", persist, "--file", sqlFile]);
    await wrangler(bundle.dir, projectDir, ["d1", "execute", "leases", "--local", "--persist-to", persist, "--file", sqlFile]); // idempotent
    mf = new Miniflare({ workers: [
      { name: "driver", modules: true, script: FANOUT_WORKER, compatibilityDate: COMPAT_DATE, serviceBindings: { TARGET: "d1" } },
      { name: "d1", modules: bundleModules(bundle), modulesRoot: bundle.outdir, compatibilityDate: COMPAT_DATE,
        d1Databases: { DB: "00000000-0000-4000-8000-000000000001" } },
    ], d1Persist: path.join(persist, "v3", "d1") });
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
  });

  test("the group opens with the text's settings; 50 concurrent first requests lease one id", async () => {
    const res = await mf.dispatchFetch("http://driver.test/?n=50");
    const { replies: bodies } = await res.json();
    assert.equal(bodies.length, 50);
    for (const body of bodies) assert.equal(body.error, undefined, JSON.stringify(body));
    assert.equal(bodies[0].epoch, EPOCH_MS, "the epoch written by the SQL text");
    assert.equal(new Set(bodies.map((b) => b.generatorId)).size, 1);
    const ids = bodies.flatMap((b) => b.ids);
    assert.equal(new Set(ids).size, 500);
    const db = await mf.getD1Database("DB", "d1");
    const { results: slots } = await db.prepare('SELECT COUNT(*) AS n FROM "snowfall_orders_manifest"').all();
    assert.equal(slots[0].n, 4096, "4096 slots");
    const { results: live } = await db.prepare('SELECT generator_id FROM "snowfall_orders_manifest" WHERE holder <> \'\'').all();
    assert.deepEqual(live.map((r) => r.generator_id), [bodies[0].generatorId], "exactly one live slot");
    const { results: props } = await db.prepare('SELECT "key", value FROM "snowfall_orders_properties" ORDER BY "key"').all();
    assert.equal(props.find((p) => p.key === "liveliness_probe_s").value, 3);
  });
});

// examples/worker as a user copies it: its D1 set-up script, `wrangler deploy --dry-run`, and the
// bundle run in workerd with its D1 database and Durable Object.
describe("examples/worker: set up, bundled by wrangler deploy --dry-run, run in workerd", { timeout: 280_000 }, () => {
  let mf;
  let dryRun;
  let sizes;
  before(async () => {
    const { projectDir } = await installedPackage();
    const dir = path.join(projectDir, "example-worker");
    cpSync(path.join(repoRoot, "examples", "worker"), dir, { recursive: true, filter: (src) => !/node_modules|\.wrangler|dist/.test(path.relative(repoRoot, src)) });
    await run(process.execPath, ["d1-schema.mjs"], { cwd: dir });
    const persist = path.join(dir, ".wrangler", "state");
    await wrangler(dir, projectDir, ["d1", "execute", "DB", "--local", "--persist-to", persist, "--file", ".wrangler/snowfall-orders.sql"]);
    const outdir = path.join(dir, "dist");
    dryRun = (await wrangler(dir, projectDir, ["deploy", "--dry-run", "--outdir", outdir])).stdout;
    const files = readdirSync(outdir, { recursive: true }).map(String).filter((f) => /\.(m?js|wasm)$/.test(f));
    const bytes = files.map((f) => readFileSync(path.join(outdir, f)));
    sizes = { files, raw: bytes.reduce((n, b) => n + b.length, 0), gzip: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0) };
    console.log(`# examples/worker bundle: ${files.join(", ")}: ${sizes.raw} bytes raw, ${sizes.gzip} bytes gzip; wrangler: ${dryRun.match(/Total Upload:[^\n]*/)?.[0]}`);
    mf = new Miniflare({ workers: [
      { name: "example", modules: bundleModules({ outdir, files }), modulesRoot: outdir, compatibilityDate: COMPAT_DATE,
        d1Databases: { DB: "00000000-0000-4000-8000-000000000000" },
        durableObjects: { LEASES: { className: "SnowfallLeases", useSQLite: true } } },
    ], d1Persist: path.join(persist, "v3", "d1") });
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
  });

  test("wrangler sees both bindings and the bundle stays small", () => {
    assert.match(dryRun, /env\.LEASES \(SnowfallLeases\)/, dryRun);
    assert.match(dryRun, /env\.DB \(snowfall-example\)/, dryRun);
    assert.equal(sizes.files.filter((f) => f.endsWith(".wasm")).length, 1, "one .wasm module");
    assert.ok(sizes.gzip < 100_000, `gzip ${sizes.gzip} bytes`);
  });

  test("the README's esbuild recipe (--conditions=workerd --loader:.wasm=copy) bundles a Worker that runs and wrangler deploys with no_bundle", async () => {
    const { projectDir } = await installedPackage();
    const dir = path.join(projectDir, "example-worker");
    const out = path.join(dir, "esbuild-dist");
    await run(repoBin("esbuild"), ["src/index.js", "--bundle", "--format=esm", "--conditions=workerd", "--loader:.wasm=copy", `--outdir=${out}`, "--log-level=warning"], { cwd: dir });
    const files = readdirSync(out).map(String);
    assert.equal(files.filter((f) => f.endsWith(".wasm")).length, 1, files.join(", "));
    const own = new Miniflare({ modules: bundleModules({ outdir: out, files }), modulesRoot: out, compatibilityDate: COMPAT_DATE,
      durableObjects: { LEASES: { className: "SnowfallLeases", useSQLite: true } } });
    try {
      const res = await own.dispatchFetch("http://example.test/?n=5");
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(new Set(body.ids).size, 5);
    } finally {
      await own.dispose();
    }
    // ... and wrangler deploys that output as it is (no_bundle, the .wasm a CompiledWasm rule).
    const toml = readFileSync(path.join(dir, "wrangler.toml"), "utf8").replace(/^main = .*$/m,
      `main = "esbuild-dist/index.js"\nno_bundle = true\nrules = [{ type = "CompiledWasm", globs = ["**/*.wasm"] }]`);
    writeFileSync(path.join(dir, "wrangler.esbuild.toml"), toml);
    const deployed = path.join(dir, "esbuild-deployed");
    const { stdout } = await wrangler(dir, projectDir, ["deploy", "--dry-run", "--config", "wrangler.esbuild.toml", "--outdir", deployed]);
    assert.match(stdout, /env\.LEASES \(SnowfallLeases\)/, stdout);
    assert.equal(readdirSync(deployed).map(String).filter((f) => f.endsWith(".wasm")).length, 1, stdout);
  });

  for (const route of ["/", "/d1"]) {
    test(`GET ${route}: ids from one generator id, unique`, async () => {
      const replies = [];
      for (let i = 0; i < 3; i++) {
        const res = await (await mf.getWorker("example")).fetch(`http://example.test${route}?n=100`);
        assert.equal(res.status, 200, await res.clone().text());
        replies.push(await res.json());
      }
      assert.equal(new Set(replies.map((r) => r.generatorId)).size, 1);
      assert.ok(Number.isInteger(replies[0].generatorId) && replies[0].generatorId >= 0 && replies[0].generatorId < 4096);
      const ids = replies.flatMap((r) => r.ids);
      assert.equal(new Set(ids).size, 300);
    });
  }
});

// Hyperdrive: PostgreSQL through a pg pool made per request (the README's pattern), Miniflare's
// local Hyperdrive pointing at a loopback PostgreSQL (scripts/db/start-postgres.sh).
const HYPERDRIVE_WORKER = `
import pg from "pg";
import { DatabaseSyncer, forWorker, fromPg } from "snowfall-wasm";
const generator = forWorker(({ pool }) => ({ syncer: DatabaseSyncer, database: fromPg(pool), schemaGroupName: GROUP, storeTimeoutMs: 3000 }));
export default {
  async fetch(request, env, ctx) {
    const pool = new pg.Pool({ connectionString: env.HYPERDRIVE.connectionString, max: 1, connectionTimeoutMillis: 3000 });
    try {
      const gen = await generator({ pool });
      return Response.json({ generatorId: gen.generatorId, ids: gen.getGuidStrings(20) });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e), code: e?.code }, { status: 500 });
    } finally {
      ctx.waitUntil(pool.end());
    }
  },
};
`;

/** Miniflare's Hyperdrive wants a password in the URL; the test server trusts loopback, so any will do. */
function withPassword(url) {
  const u = new URL(url);
  u.password ||= "unused";
  return u.href;
}

describe("Cloudflare Workers: PostgreSQL through Hyperdrive, a pg pool per request", { timeout: 280_000 }, () => {
  let mf;
  let admin;
  const group = `hyperdrive_${process.pid}`;
  before(async () => {
    const { postgresUrl } = await import("../js/helpers/servers.mjs");
    const url = postgresUrl();
    const { projectDir, packageDir, packageJson } = await installedPackage({ extraPackages: ["pg@8.23.1"] });
    const sf = await import(path.join(packageDir, packageJson.exports["."].node.import));
    const pg = (await import("pg")).default;
    admin = new pg.Pool({ connectionString: url, max: 1 });
    await sf.DatabaseSyncer.createSchemaGroup({ database: sf.fromPg(admin), schemaGroupName: group, livelinessProbeS: 1 });
    const bundle = await bundleWorker(projectDir, "snowfall-hyperdrive", HYPERDRIVE_WORKER.replace("GROUP", JSON.stringify(group)),
      'compatibility_flags = ["nodejs_compat"]\n');
    mf = new Miniflare({ modules: bundleModules(bundle), modulesRoot: bundle.outdir, compatibilityDate: COMPAT_DATE,
      compatibilityFlags: ["nodejs_compat"], hyperdrives: { HYPERDRIVE: withPassword(url) } });
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
    if (admin) {
      await admin.query(`DROP TABLE IF EXISTS "snowfall_${group}_manifest", "snowfall_${group}_properties"`);
      await admin.end();
    }
  });

  test("every request answers on its own pool; the lease is renewed across requests; ids unique and increasing", async () => {
    const started = Date.now();
    const replies = [];
    for (let i = 0; i < 6; i++) {
      const res = await mf.dispatchFetch("http://worker.test/");
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      replies.push(body);
      await sleep(700); // renewals fall due (probe 1 s) and run through a later request's pool
    }
    assert.equal(new Set(replies.map((r) => r.generatorId)).size, 1, "one generator id throughout");
    const ids = replies.flatMap((r) => r.ids).map(BigInt);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], "ids increase across requests");
    const { rows } = await admin.query(`SELECT last_updated_ms FROM "snowfall_${group}_manifest" WHERE generator_id = $1`, [replies[0].generatorId]);
    assert.ok(Number(rows[0].last_updated_ms) >= started + 2000, `renewed in a later request (last_updated_ms ${rows[0].last_updated_ms}, started ${started})`);
  });
});
