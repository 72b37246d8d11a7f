// A claim whose compare-and-swap lands in the store but answers too late: real PostgreSQL (through
// DatabaseSyncer) and the Map-backed custom store (through `{ store }`), each behind a wrapper that
// performs the claim's write and then holds its answer back past storeTimeoutMs. `Snowfall.create`
// fails with STORE_TIMEOUT, and the id the write took is released before it settles: free at once,
// not held for a lease (docs/PROTOCOL.md, "Claims of unknown outcome"). A session that claims again
// instead re-adopts the id its write took, from the fence it was claimed from.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { postgresUrl } from "./helpers/servers.mjs";
import { uniqueGroup } from "./helpers/databases.mjs";
import { MapStore } from "./helpers/map-store.mjs";
import { sf } from "./helpers/package.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TIMEOUT_MS = 400;
// A lease of a minute: an id leaked by a failed create would stay taken for all of this test.
const PROBE_S = 30;

/**
 * The adapter `database`, with the answer to each of its next `late.count` writes (an UPDATE:
 * a compare-and-swap) held back `ms` after the database committed it; `late.writes` records them.
 */
function lateAdapter(database, ms) {
  const late = { count: 0, writes: [] };
  const adapter = {
    dialect: database.dialect,
    async execute(sql, params) {
      const result = await database.execute(sql, params);
      if (/^\s*UPDATE/i.test(sql) && late.count > 0) {
        late.count--;
        late.writes.push({ generatorId: Number(params[3]), holder: params[2], rowCount: Number(result.rowCount) });
        await sleep(ms);
      }
      return result;
    },
  };
  return { adapter, late };
}

describe("PostgreSQL: a claim write that lands unanswered", () => {
  let pool, schemaGroupName;
  before(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl(), max: 4 });
    schemaGroupName = uniqueGroup("unknown");
    await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: sf.fromPg(pool), livelinessProbeS: PROBE_S });
  });
  after(async () => {
    await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database: sf.fromPg(pool) }).catch(() => {});
    await pool.end();
  });

  const row = async (id) => {
    const { rows } = await pool.query(`SELECT last_updated_ms, reserved_until_ms, holder FROM snowfall_${schemaGroupName}_manifest WHERE generator_id = $1`, [id]);
    return { lastUpdatedMs: Number(rows[0].last_updated_ms), reservedUntilMs: Number(rows[0].reserved_until_ms), holder: rows[0].holder };
  };

  test("Snowfall.create fails with STORE_TIMEOUT, and the id its write took is free before it settles", { timeout: 30_000 }, async () => {
    const { adapter, late } = lateAdapter(sf.fromPg(pool), 3 * TIMEOUT_MS);
    late.count = 1;
    const t0 = Date.now();
    await assert.rejects(
      sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database: adapter, storeTimeoutMs: TIMEOUT_MS, timers: false }),
      (e) => e instanceof sf.SnowfallError && e.code === "STORE_TIMEOUT",
    );
    const took = Date.now() - t0;
    assert.equal(late.writes.length, 1);
    const [{ generatorId, holder, rowCount }] = late.writes;
    assert.equal(rowCount, 1, "the claim's write committed (its answer came too late)");
    assert.ok(took < 2 * TIMEOUT_MS + 300, `create settled after ${took} ms`);
    // Released before create settled: no holder, the fence it was claimed from, backdated a lease.
    const slot = await row(generatorId);
    assert.notEqual(slot.holder, holder);
    assert.deepEqual(slot, { lastUpdatedMs: 0 - 2 * PROBE_S * 1000, reservedUntilMs: 0, holder: "" });
    const status = await sf.DatabaseSyncer.status({ schemaGroupName, database: sf.fromPg(pool) });
    assert.deepEqual(status.live, [], "no id taken: the failed create holds nothing");
    // The late answer arrives after all, and changes nothing.
    await sleep(3 * TIMEOUT_MS);
    assert.deepEqual(await row(generatorId), slot);
  });

  test("a session that claims again re-adopts the id its unanswered write took, from the same fence", { timeout: 30_000 }, async () => {
    const { adapter, late } = lateAdapter(sf.fromPg(pool), 3 * TIMEOUT_MS);
    const session = await sf.DatabaseSyncer.open({ schemaGroupName, database: adapter, storeTimeoutMs: TIMEOUT_MS });
    late.count = 1;
    await assert.rejects(session.claim(), { code: "STORE_TIMEOUT" });
    const [{ generatorId, holder, rowCount }] = late.writes;
    assert.equal(rowCount, 1);
    const taken = await row(generatorId);
    assert.equal(taken.holder, holder, "our write holds the id; the session has no lease");
    assert.equal(session.lease, null);
    const before = Date.now();
    const lease = await session.claim();
    assert.equal(lease.generatorId, generatorId, "the same id, re-adopted");
    assert.equal(lease.windowStartUnixMs, 1, "from the fence it was claimed from (a fresh group's: 0)");
    assert.ok(lease.windowEndUnixMs >= before + 2 * PROBE_S * 1000);
    const adopted = await row(generatorId);
    assert.notEqual(adopted.holder, holder, "a fresh token");
    assert.equal(adopted.reservedUntilMs, lease.windowEndUnixMs);
    await session.release(lease.windowStartUnixMs);
    assert.equal((await row(generatorId)).holder, "");
  });

  test("DatabaseSyncer.grant fails with STORE_TIMEOUT, and the id its write took is not kept for the window", { timeout: 30_000 }, async () => {
    const { adapter, late } = lateAdapter(sf.fromPg(pool), 3 * TIMEOUT_MS);
    late.count = 1;
    await assert.rejects(sf.DatabaseSyncer.grant({ schemaGroupName, database: adapter, storeTimeoutMs: TIMEOUT_MS, windowMs: 86_400_000 }), { code: "STORE_TIMEOUT" });
    const [{ generatorId, rowCount }] = late.writes;
    assert.equal(rowCount, 1, "the grant's write committed (its answer came too late)");
    const slot = await row(generatorId);
    assert.equal(slot.holder, "", "released: the window went to nobody");
    assert.ok(slot.lastUpdatedMs < Date.now() - 2 * PROBE_S * 1000, "free now, not a day from now");
  });
});

describe("a custom store: a claim write that lands unanswered", () => {
  /** `store` with the answer to its next `late.count` compare-and-swaps held back `ms` after applying them. */
  function lateStore(store, ms) {
    const late = { count: 0, writes: [] };
    const wrapped = {
      readGroup: () => store.readGroup(),
      readFreeSlots: (q) => store.readFreeSlots(q),
      async compareAndSwap(q) {
        const swapped = await store.compareAndSwap(q);
        if (late.count > 0) {
          late.count--;
          late.writes.push({ ...q, swapped });
          await sleep(ms);
        }
        return swapped;
      },
    };
    return { wrapped, late };
  }

  test("Snowfall.create({ store }) fails with STORE_TIMEOUT; the id is free at once, and the next create can take it", async () => {
    const store = new MapStore({ probeS: PROBE_S });
    // Few ids, so that a leak would show: every id but 7 and 8 is somebody else's.
    for (let id = 0; id < 4096; id++) if (id !== 7 && id !== 8) store.slots.set(id, { lastUpdatedMs: Date.now() + 3_600_000, reservedUntilMs: 0, holder: "x" });
    const { wrapped, late } = lateStore(store, 3 * TIMEOUT_MS);
    late.count = 1;
    await assert.rejects(sf.Snowfall.create({ store: wrapped, storeTimeoutMs: TIMEOUT_MS, timers: false }), { code: "STORE_TIMEOUT" });
    const [{ generatorId, swapped }] = late.writes;
    assert.ok(swapped && (generatorId === 7 || generatorId === 8));
    assert.equal(store.slot(generatorId).holder, "", "released before create settled");
    // Both free ids are free again: two creates get them (a leaked one would be taken for a minute).
    const a = await sf.Snowfall.create({ store: wrapped, storeTimeoutMs: TIMEOUT_MS, timers: false });
    const b = await sf.Snowfall.create({ store: wrapped, storeTimeoutMs: TIMEOUT_MS, timers: false });
    assert.deepEqual([a.generatorId, b.generatorId].sort((x, y) => x - y), [7, 8]);
    await a.close();
    await b.close();
  });
});
