// RedisSyncer on a real redis-server (Debian's, started on loopback by scripts/db/start-redis.sh)
// through both clients users have, ioredis and node-redis: the conformance kit, generators on
// it, and 8 processes x 64 claimers at once (all distinct). The chaos runs (kill -9, SIGSTOP past
// the lease, skewed clocks, a partition, a seeded random schedule) are in database-chaos.test.mjs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import Redis from "ioredis";
import { createClient } from "redis";
import { redisUrl } from "./helpers/servers.mjs";
import { proxy } from "./helpers/blackhole.mjs";
import { uniqueGroup } from "./helpers/databases.mjs";
import { sf } from "./helpers/package.mjs";
import { installedPackage } from "../runtimes/pack.mjs";

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL("./helpers/claim-worker.mjs", import.meta.url));
const { packageDir, packageJson } = await installedPackage();
const { checkStore } = await import(pathToFileURL(path.join(packageDir, packageJson.exports["./testing"].default)).href);

let ioredis, nodeRedis;
before(async () => {
  ioredis = new Redis(redisUrl());
  nodeRedis = createClient({ url: redisUrl() });
  await nodeRedis.connect();
});
after(async () => {
  ioredis.disconnect();
  await nodeRedis.quit();
});

for (const client of ["ioredis", "node-redis"]) {
  describe(`RedisSyncer with ${client}`, () => {
    const redis = () => (client === "ioredis" ? ioredis : nodeRedis);
    test("the Redis store passes the conformance kit", async () => {
      const schemaGroupName = uniqueGroup("conf_redis");
      const passed = await checkStore(() => new sf.RedisStore(redis(), schemaGroupName));
      assert.ok(passed.length >= 10, passed.join("\n"));
      await sf.RedisSyncer.dropSchemaGroup({ redis: redis(), schemaGroupName });
    });

    test("generators get distinct ids, renew, and release on close; status lists live ids", async () => {
      const schemaGroupName = uniqueGroup("gen_redis");
      await sf.RedisSyncer.createSchemaGroup({ redis: redis(), schemaGroupName, livelinessProbeS: 1 });
      await assert.rejects(sf.RedisSyncer.createSchemaGroup({ redis: redis(), schemaGroupName }), { code: "SCHEMA_GROUP_EXISTS" });
      const gens = await Promise.all(Array.from({ length: 16 }, () => sf.Snowfall.create({ syncer: sf.RedisSyncer, redis: redis(), schemaGroupName })));
      assert.equal(new Set(gens.map((g) => g.generatorId)).size, 16);
      const ids = gens.flatMap((g) => Array.from(g.getGuids(1000)));
      assert.equal(new Set(ids).size, ids.length);
      await new Promise((r) => setTimeout(r, 2500)); // past two probes: the timers kept every lease
      const status = await sf.RedisSyncer.status({ redis: redis(), schemaGroupName });
      assert.equal(status.live.length, 16);
      for (const g of gens) g.getGuid();
      await Promise.all(gens.map((g) => g.close()));
      assert.equal((await sf.RedisSyncer.status({ redis: redis(), schemaGroupName })).live.filter((s) => s.holder !== "").length, 0, "all released");
      await sf.RedisSyncer.dropSchemaGroup({ redis: redis(), schemaGroupName });
    });
  });
}

test("RedisSyncer: a missing group, a wrong client", async () => {
  await assert.rejects(sf.Snowfall.create({ syncer: sf.RedisSyncer, redis: ioredis, schemaGroupName: uniqueGroup("none") }), { code: "SCHEMA_GROUP_NOT_FOUND" });
  await assert.rejects(sf.Snowfall.create({ syncer: sf.RedisSyncer, redis: {}, schemaGroupName: "x" }), (e) => e.code === "INVALID_TYPE" && /ioredis/.test(e.message));
});

test("Redis blackholed: createSchemaGroup, status and dropSchemaGroup settle with STORE_TIMEOUT within storeTimeoutMs", { timeout: 60_000 }, async () => {
  const url = new URL(redisUrl());
  const hole = proxy({ host: url.hostname, port: Number(url.port) });
  url.host = `127.0.0.1:${await hole.listen()}`;
  const redis = new Redis(url.toString(), { maxRetriesPerRequest: null, enableOfflineQueue: true });
  const name = uniqueGroup("holeadm");
  try {
    await sf.RedisSyncer.createSchemaGroup({ redis, schemaGroupName: name });
    hole.blackhole(true);
    for (const [what, call] of [
      ["createSchemaGroup", () => sf.RedisSyncer.createSchemaGroup({ redis, schemaGroupName: uniqueGroup("holeadm"), storeTimeoutMs: 400 })],
      ["status", () => sf.RedisSyncer.status({ redis, schemaGroupName: name, storeTimeoutMs: 400 })],
      ["dropSchemaGroup", () => sf.RedisSyncer.dropSchemaGroup({ redis, schemaGroupName: name, storeTimeoutMs: 400 })],
    ]) {
      const t0 = Date.now();
      await assert.rejects(call(), (e) => e instanceof sf.SnowfallError && e.code === "STORE_TIMEOUT", what);
      const took = Date.now() - t0;
      assert.ok(took >= 390 && took < 1400, `${what} settled after ${took} ms`);
    }
    hole.blackhole(false);
    const status = await sf.RedisSyncer.status({ redis, schemaGroupName: name, storeTimeoutMs: 10_000 }).catch((e) => e);
    // The abandoned drop may have landed once the path healed: either answer is an answer.
    assert.ok(status.code === "SCHEMA_GROUP_NOT_FOUND" || status.livelinessProbeS === 5, String(status));
  } finally {
    hole.blackhole(false);
    await sf.RedisSyncer.dropSchemaGroup({ redis: ioredis, schemaGroupName: name }).catch(() => {});
    redis.disconnect();
    hole.close();
  }
});

test("contention on Redis: 8 processes x 64 claimers at once, all distinct", { timeout: 120_000 }, async () => {
  const group = uniqueGroup("cont_redis");
  await sf.RedisSyncer.createSchemaGroup({ redis: ioredis, schemaGroupName: group, livelinessProbeS: 60 });
  const entry = path.join(packageDir, packageJson.exports["."].node.import);
  const startAt = Date.now() + 3000;
  const outs = await Promise.all(Array.from({ length: 8 }, () =>
    run(process.execPath, [WORKER, JSON.stringify({ entry, kind: "redis", url: redisUrl(), group, claimers: 64, startAt })], { timeout: 90_000 })));
  const results = outs.map(({ stdout }) => JSON.parse(stdout.trim().split("\n").at(-1)));
  assert.deepEqual(results.flatMap((r) => r.errors), []);
  const ids = results.flatMap((r) => r.ids);
  assert.equal(ids.length, 512);
  assert.equal(new Set(ids).size, 512, "no generator id handed out twice");
  const lat = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  console.log(`[contention] ${JSON.stringify({ kind: "redis", claims: ids.length, p50Ms: +lat[256].toFixed(1), p99Ms: +lat[506].toFixed(1) })}`);
  await sf.RedisSyncer.dropSchemaGroup({ redis: ioredis, schemaGroupName: group });
});
