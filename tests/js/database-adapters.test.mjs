// Every adapter against its real database: create a group, claim, renew, release, reclaim after
// expiry, exhaustion at 4096; then every adapter given every other driver's real object, and the
// check of what a custom adapter returns. (node:sqlite and bun:sqlite: tests/runtimes/other-runtimes.) Time is a manual clock handed to the syncer, so "expiry" is instant.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sf, ANY_SKEW } from "./helpers/package.mjs";

const { DatabaseSyncer } = sf;
import { statementsFor } from "../../js/database/dialects.js";
import { checkResult, fromBetterSqlite3, fromBunSqlite, fromD1, fromLibsql, fromMysql2, fromNodeSqlite, fromPGlite, fromPg, fromPostgresJs } from "../../js/database/adapters.js";
import { mariadbUrl, postgresUrl } from "./helpers/servers.mjs";
import { KINDS, MORE_KINDS, manualClock, openDatabase, uniqueGroup } from "./helpers/databases.mjs";

const PROBE_MS = 5000;

for (const kind of [...KINDS, ...MORE_KINDS]) {
  describe(`DatabaseSyncer on ${kind}`, () => {
    let db;
    let dialect;
    const groups = [];
    before(async () => { db = await openDatabase(kind); dialect = db.database.dialect; });
    after(async () => {
      for (const schemaGroupName of groups) await DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database: db.database });
      await db.close();
    });
    const newGroup = async (options = {}) => {
      const schemaGroupName = uniqueGroup(kind);
      groups.push(schemaGroupName);
      const props = await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, ...options });
      return { schemaGroupName, props, stmts: statementsFor(db.database.dialect, schemaGroupName) };
    };
    const slot = async (stmts, id) => {
      const { rows } = await db.database.execute(`SELECT generator_id, last_updated_ms, reserved_until_ms, holder FROM ${dialect === "mysql" ? "`" + stmts.manifestName + "`" : `"${stmts.manifestName}"`} WHERE generator_id = ${id}`, []);
      return rows[0];
    };
    // Test-only SQL: quote the table the dialect's way, number placeholders for PostgreSQL.
    const sql = (s, table) => {
      let i = 0;
      const text = s.replace("$T", dialect === "mysql" ? "`" + table + "`" : `"${table}"`);
      return dialect === "postgres" ? text.replace(/\?/g, () => `$${++i}`) : text;
    };
    // Marks every slot but `id` as freshly renewed, so the next claim must pick `id`.
    const holdAllBut = async (stmts, id, now) => {
      await db.database.execute(sql("UPDATE $T SET last_updated_ms = ? WHERE generator_id <> ?", stmts.manifestName), [now, id]);
    };

    test("createSchemaGroup writes the original's properties (epoch in seconds) and 4096 slots", async () => {
      const { schemaGroupName, props, stmts } = await newGroup({ livelinessProbeS: 7, epochStartDate: new Date("2021-02-03T04:05:06Z") });
      assert.equal(props.livelinessProbeS, 7);
      assert.equal(props.epochUnixMs, Date.parse("2021-02-03T04:05:06Z"));
      const { rows } = await db.database.execute(stmts.readProperties, []);
      const raw = Object.fromEntries(rows.map((r) => [r.k, r.v]));
      assert.deepEqual(raw, { liveliness_probe_s: 7, epoch_start_ms: 1612325106, max_claim_retries: 3, min_ms_between_claim_retries: 100, max_ms_between_claim_retries: 500 });
      const { rows: count } = await db.database.execute(stmts.countSlots, []);
      assert.equal(Number(count[0].n), 4096);
      await assert.rejects(DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database }), { code: "SCHEMA_GROUP_EXISTS" });
      const again = await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, ifNotExists: true, livelinessProbeS: 9 });
      assert.equal(again.livelinessProbeS, 7, "ifNotExists keeps the existing group's properties");
    });

    test("open of a missing group is SCHEMA_GROUP_NOT_FOUND; bad options are rejected", async () => {
      await assert.rejects(DatabaseSyncer.open({ schemaGroupName: uniqueGroup("missing"), database: db.database }), { code: "SCHEMA_GROUP_NOT_FOUND" });
      await assert.rejects(DatabaseSyncer.createSchemaGroup({ schemaGroupName: uniqueGroup(), database: db.database, epochStartDate: new Date(Math.ceil(Date.now() / 1000) * 1000 + 86_400_000) }), { code: "EPOCH_IN_FUTURE" });
      await assert.rejects(DatabaseSyncer.createSchemaGroup({ schemaGroupName: uniqueGroup(), database: db.database, livelinessProbeS: 0 }), { code: "OUT_OF_RANGE" });
    });

    test("claim, renew, expiry and takeover with a fenced window, lost lease, release, reclaim", async () => {
      const { schemaGroupName, stmts } = await newGroup();
      const clock = manualClock();
      const a = await DatabaseSyncer.open({ schemaGroupName, database: db.database, clock, ...ANY_SKEW });
      assert.equal(a.livelinessProbeMs, PROBE_MS);
      assert.equal(a.epochUnixMs, Date.UTC(2020, 0, 1));

      const l1 = await a.claim();
      assert.ok(l1.generatorId >= 0 && l1.generatorId < 4096);
      assert.equal(l1.windowStartUnixMs, 1, "a never-used slot's window starts after reserved_until_ms = 0");
      assert.equal(l1.windowEndUnixMs, clock() + 2 * PROBE_MS);
      let row = await slot(stmts, l1.generatorId);
      assert.equal(row.last_updated_ms, clock());
      assert.equal(row.reserved_until_ms, l1.windowEndUnixMs);
      assert.equal(row.holder.length, 36);

      clock.advance(PROBE_MS);
      const l2 = await a.renew();
      assert.deepEqual(l2, { generatorId: l1.generatorId, windowStartUnixMs: 1, windowEndUnixMs: clock() + 2 * PROBE_MS });
      row = await slot(stmts, l1.generatorId);
      assert.equal(row.reserved_until_ms, l2.windowEndUnixMs);

      // a goes silent past two probes; b may take its id, and b's window starts after a's.
      clock.advance(2 * PROBE_MS + 1);
      const b = await DatabaseSyncer.open({ schemaGroupName, database: db.database, clock, ...ANY_SKEW });
      await holdAllBut(stmts, l1.generatorId, clock());
      const l3 = await b.claim();
      assert.equal(l3.generatorId, l1.generatorId);
      assert.equal(l3.windowStartUnixMs, l2.windowEndUnixMs + 1, "the fence: strictly after the previous saved window");
      await assert.rejects(a.renew(), { code: "LEASE_LOST" }, "a's renewal finds the lease lost");
      assert.equal(a.lease, null);

      // b releases having minted up to start + 5: its fence is cut down to that, and last_updated_ms
      // is backdated two probes before it, so the slot is free once a clock has passed start + 5
      // (never while the original package, which mints at its own clock, could repeat b's ms).
      await b.release(l3.windowStartUnixMs + 5);
      row = await slot(stmts, l1.generatorId);
      assert.deepEqual([row.last_updated_ms, row.reserved_until_ms, row.holder], [l3.windowStartUnixMs + 5 - 2 * PROBE_MS, l3.windowStartUnixMs + 5, ""]);
      assert.equal(b.lease, null);

      const c = await DatabaseSyncer.open({ schemaGroupName, database: db.database, clock, ...ANY_SKEW });
      await holdAllBut(stmts, l1.generatorId, clock());
      assert.equal(clock(), l3.windowStartUnixMs, "b's window started in this clock's present");
      await assert.rejects(c.claim(), { code: "GENERATOR_IDS_EXHAUSTED" }, "not free before the clock passed b's last ms");
      clock.advance(6);
      await holdAllBut(stmts, l1.generatorId, clock());
      const l4 = await c.claim();
      assert.equal(l4.generatorId, l1.generatorId);
      assert.equal(l4.windowStartUnixMs, l3.windowStartUnixMs + 6);

      // A release that minted nothing keeps the previous fence (start - 1), never lower.
      await c.release(-1);
      row = await slot(stmts, l1.generatorId);
      assert.equal(row.reserved_until_ms, l4.windowStartUnixMs - 1);
    });

    test("concurrent createSchemaGroup({ ifNotExists }) calls all succeed with one complete group", async () => {
      const schemaGroupName = uniqueGroup(kind);
      groups.push(schemaGroupName);
      const results = await Promise.all(Array.from({ length: 6 }, () =>
        DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, ifNotExists: true })));
      assert.ok(results.every((r) => r.livelinessProbeS === 5));
      const { rows } = await db.database.execute(statementsFor(db.database.dialect, schemaGroupName).countSlots, []);
      assert.equal(Number(rows[0].n), 4096);
    });

    test("claimers prefer free slots whose fence is behind their clock", async () => {
      const { schemaGroupName, stmts } = await newGroup();
      const now = Date.now();
      // Two free slots: 10 was last held by a host whose clock ran an hour ahead, 11 is ordinary.
      await db.database.execute(sql("UPDATE $T SET last_updated_ms = ? WHERE generator_id NOT IN (10, 11)", stmts.manifestName), [now + 3_600_000]);
      await db.database.execute(sql("UPDATE $T SET reserved_until_ms = ? WHERE generator_id = 10", stmts.manifestName), [now + 3_600_000]);
      for (let i = 0; i < 5; i++) {
        const s = await DatabaseSyncer.open({ schemaGroupName, database: db.database });
        const lease = await s.claim();
        assert.equal(lease.generatorId, 11);
        await s.release(-1);
      }
    });

    test("renewals with unknown outcome (reply lost, then server down) do not lose the lease", async () => {
      const { schemaGroupName } = await newGroup();
      let mode = "up";
      const database = {
        dialect: db.database.dialect,
        async execute(text, params) {
          if (mode === "down") throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
          const result = await db.database.execute(text, params);
          if (mode === "reply-lost" && text.startsWith("UPDATE")) throw Object.assign(new Error("Connection terminated unexpectedly"), { code: "ECONNRESET" });
          return result;
        },
      };
      const clock = manualClock();
      const s = await DatabaseSyncer.open({ schemaGroupName, database, clock, ...ANY_SKEW });
      const lease = await s.claim();
      clock.advance(1000);
      mode = "reply-lost"; // this write lands, its reply does not
      await assert.rejects(s.renew(), { code: "DATABASE_ERROR" });
      for (let i = 0; i < 3; i++) {
        clock.advance(200);
        mode = "down"; // these never reach the server
        await assert.rejects(s.renew(), { code: "DATABASE_ERROR" });
      }
      assert.equal(s.lease.windowEndUnixMs, lease.windowEndUnixMs, "nothing unconfirmed was handed out");
      clock.advance(200);
      mode = "up";
      const renewed = await s.renew();
      assert.equal(renewed.generatorId, lease.generatorId);
      assert.equal(renewed.windowEndUnixMs, clock() + 2 * PROBE_MS);
      await s.release(-1);
    });

    for (const order of ["renewal lands first", "release lands first"]) {
      test(`release while a renewal is in flight (${order}): the slot ends up released, not revived`, async () => {
        const { schemaGroupName, stmts } = await newGroup();
        let hold = null;
        const database = {
          dialect: db.database.dialect,
          async execute(text, params) {
            const gate = text.startsWith("UPDATE") && params[2] !== "" ? hold : null; // taken now: the test clears `hold` soon
            if (gate && order === "release lands first") { await gate.promise; return db.database.execute(text, params); }
            const result = await db.database.execute(text, params);
            if (gate) await gate.promise; // landed; the reply waits
            return result;
          },
        };
        const clock = manualClock();
        const s = await DatabaseSyncer.open({ schemaGroupName, database, clock, ...ANY_SKEW });
        const lease = await s.claim();
        clock.advance(1000);
        let open;
        hold = { promise: new Promise((r) => { open = r; }) };
        const renewal = s.renew();
        await new Promise((r) => setTimeout(r, 20));
        const gate = hold;
        hold = null;
        await s.release(lease.windowStartUnixMs + 3);
        open();
        await gate.promise;
        const outcome = await renewal.then(() => "renewed", (e) => e.code);
        assert.ok(["renewed", "LEASE_LOST"].includes(outcome), outcome);
        assert.equal(s.lease, null, "the session does not hold it again");
        const { rows } = await db.database.execute(sql("SELECT holder, reserved_until_ms FROM $T WHERE generator_id = ?", stmts.manifestName), [lease.generatorId]);
        assert.deepEqual([rows[0].holder, rows[0].reserved_until_ms], ["", lease.windowStartUnixMs + 3], "released");
      });
    }

    test("a fractional-ms clock (performance.now-based) writes whole ms and renews; a string clock writes nothing", async () => {
      // 0.1.0: MariaDB rounded the fractional last_updated_ms, so every compare-and-swap missed;
      // PostgreSQL refused it as bad bigint syntax; a string clock burnt a slot with a
      // concatenated reserved_until_ms.
      const { schemaGroupName, stmts } = await newGroup();
      const base = Date.now();
      let extra = 0.25;
      const clock = () => base + extra + performance.now() % 1;
      const s = await DatabaseSyncer.open({ schemaGroupName, database: db.database, clock });
      const lease = await s.claim();
      assert.ok(Number.isSafeInteger(lease.windowEndUnixMs));
      extra = 1000.75;
      const renewed = await s.renew();
      assert.equal(renewed.generatorId, lease.generatorId, "the renewal's compare-and-swap matched the row it wrote");
      const row = await slot(stmts, lease.generatorId);
      assert.ok(Number.isSafeInteger(Number(row.last_updated_ms)) && Number(row.reserved_until_ms) === renewed.windowEndUnixMs);
      await s.release(-1);
      const before = await db.database.execute(sql("SELECT COUNT(*) AS n FROM $T WHERE holder <> ''", stmts.manifestName), []);
      await assert.rejects(DatabaseSyncer.open({ schemaGroupName, database: db.database, clock: () => String(Date.now()) }), { code: "INVALID_CLOCK_READING" });
      const stringy = await DatabaseSyncer.open({ schemaGroupName, database: db.database });
      const t = { v: Date.now() };
      const bad = await DatabaseSyncer.open({ schemaGroupName, database: db.database, clock: () => t.v });
      await bad.claim();
      t.v = String(Date.now());
      await assert.rejects(bad.renew(), { code: "INVALID_CLOCK_READING" });
      const after = await db.database.execute(sql("SELECT MAX(reserved_until_ms) AS m FROM $T", stmts.manifestName), []);
      assert.ok(Number(after.rows[0].m) < Date.now() + 3_600_000, `no absurd reservation written: ${after.rows[0].m}`);
      void stringy; void before;
    });

    test("a database clock far from this host's is refused at open (CLOCK_SKEW)", async () => {
      const { schemaGroupName } = await newGroup();
      await assert.rejects(DatabaseSyncer.open({ schemaGroupName, database: db.database, clock: () => Date.now() + 60_000 }), (e) => {
        // The skew the message names: -60 s, give or take the round trips of a loaded machine.
        const ms = Number(/(-?\d+) ms/.exec(e.message)?.[1]);
        return e.code === "CLOCK_SKEW" && ms <= -58_000 && ms >= -62_000;
      });
      const s = await DatabaseSyncer.open({ schemaGroupName, database: db.database, clock: () => Date.now() + 60_000, maxClockSkewMs: 120_000 });
      await s.claim();
      await s.release(-1);
    });

    test("a renewal after expiry still works if nobody took the id", async () => {
      const { schemaGroupName } = await newGroup();
      const clock = manualClock();
      const a = await DatabaseSyncer.open({ schemaGroupName, database: db.database, clock, ...ANY_SKEW });
      const l1 = await a.claim();
      clock.advance(10 * PROBE_MS);
      const l2 = await a.renew();
      assert.equal(l2.generatorId, l1.generatorId);
      assert.equal(l2.windowEndUnixMs, clock() + 2 * PROBE_MS);
    });

    test("all 4096 ids held: GENERATOR_IDS_EXHAUSTED after the retries, ids all distinct", async () => {
      // A long probe: the claims below must all still be live when the last one runs.
      const { schemaGroupName, stmts } = await newGroup({ livelinessProbeS: 3600, maxClaimRetries: 1, minMsBetweenClaimRetries: 1, maxMsBetweenClaimRetries: 2 });
      const session = await DatabaseSyncer.open({ schemaGroupName, database: db.database });
      // Miniflare's D1 takes ~20 ms a claim and PGlite ~6: there, all but the last 64 slots are
      // marked held directly and the syncer claims the rest; the other databases claim all 4096.
      const prefilled = kind === "d1" || kind === "pglite" ? 4096 - 64 : 0;
      if (prefilled) {
        await db.database.execute(sql("UPDATE $T SET last_updated_ms = ? WHERE generator_id < ?", stmts.manifestName), [Date.now(), prefilled]);
      }
      const ids = new Set();
      // claim() forgets the lease it held (without releasing), so one session fills the group.
      for (let i = prefilled; i < 4096; i++) ids.add((await session.claim()).generatorId);
      assert.equal(ids.size, 4096 - prefilled);
      assert.ok([...ids].every((id) => id >= prefilled));
      const t0 = Date.now();
      await assert.rejects(session.claim(), (err) => err.code === "GENERATOR_IDS_EXHAUSTED" && /all 4096 generator ids/.test(err.message));
      assert.ok(Date.now() - t0 < 2000, "fails fast, no hang");
    });
  });
}

// Each adapter given each other real driver object: refused at once, naming the adapter it needs.
describe("adapters refuse another driver's object, naming the right adapter", () => {
  const drivers = {};
  before(async () => {
    for (const kind of ["sqlite", "postgres", "mysql", "d1", ...MORE_KINDS]) drivers[kind] = await openDatabase(kind);
  });
  after(async () => { for (const d of Object.values(drivers)) await d.close(); });

  const ADAPTERS = { fromPg, fromMysql2, fromBetterSqlite3, fromD1, fromPGlite, fromPostgresJs, fromLibsql, fromNodeSqlite, fromBunSqlite };
  const RIGHT = { sqlite: "fromBetterSqlite3", postgres: "fromPg", mysql: "fromMysql2", d1: "fromD1", pglite: "fromPGlite", postgresjs: "fromPostgresJs", libsql: "fromLibsql" };

  test("every wrong pairing is INVALID_TYPE naming the right call; the right one works", async () => {
    for (const [kind, right] of Object.entries(RIGHT)) {
      const raw = drivers[kind].raw;
      for (const [name, adapter] of Object.entries(ADAPTERS)) {
        if (name === right) {
          const { rows } = await adapter(raw).execute("SELECT 1 AS one", []);
          assert.equal(Number(rows[0].one), 1, `${name} on ${kind}`);
          continue;
        }
        assert.throws(() => adapter(raw), (err) => err.code === "INVALID_TYPE" && err.message.startsWith(`${name}: `) && err.message.includes(`use ${right}(`),
          `${name}(${kind} driver) must name ${right}`);
      }
    }
  });

  test("a callback mysql2 pool is refused with the .promise() call to make", async () => {
    const { default: mysqlCallback } = await import("mysql2");
    const pool = mysqlCallback.createPool({ uri: mariadbUrl(), connectionLimit: 1 });
    try {
      assert.throws(() => fromMysql2(pool), { code: "INVALID_TYPE", message: /callback-style mysql2 .*use fromMysql2\(pool\.promise\(\)\)/ });
      const { rows } = await fromMysql2(pool.promise()).execute("SELECT 1 AS one", []);
      assert.equal(rows[0].one, 1);
    } finally {
      await new Promise((r) => pool.end(r));
    }
  });

  test("Neon's HTTP neon() function given to fromPg is INVALID_TYPE naming Neon's Pool", async () => {
    const { neon, Pool } = await import("@neondatabase/serverless");
    const sql = neon("postgres://user:password@db.example.invalid/neondb"); // makes no request
    for (const adapter of [fromPg, fromPostgresJs]) {
      assert.throws(() => adapter(sql), { code: "INVALID_TYPE", message: /Neon's HTTP query function .*fromPg\(new Pool\(\{ connectionString \}\)\)/ });
    }
    const pool = new Pool({ connectionString: "postgres://user:password@db.example.invalid/neondb" });
    assert.equal(fromPg(pool).dialect, "postgres", "Neon's pg-compatible Pool is accepted (not connected here)");
  });

  test("non-drivers are INVALID_TYPE saying what was expected", () => {
    for (const bad of [42, null, undefined, {}, "postgres://x"]) {
      for (const [name, adapter] of Object.entries(ADAPTERS)) {
        assert.throws(() => adapter(bad), (err) => err.code === "INVALID_TYPE" && err.message.startsWith(`${name}: expected `), `${name}(${String(bad)})`);
      }
    }
  });
});

describe("checkResult: what a custom adapter's execute() resolves to", () => {
  const SQL = "UPDATE \"snowfall_g_manifest\" SET last_updated_ms = ? WHERE generator_id = ?";
  test("a conforming result passes through; a bigint rowCount and bigint values become Numbers", () => {
    const ok = { rows: [{ n: 1 }], rowCount: 1 };
    assert.equal(checkResult(ok, SQL), ok);
    assert.deepEqual(checkResult({ rows: [], rowCount: 1n }, SQL), { rows: [], rowCount: 1 }, "Kysely's numAffectedRows is a bigint");
    assert.deepEqual(checkResult({ rows: [{ v: 1796146713785n, s: "x" }], rowCount: 1 }, SQL), { rows: [{ v: 1796146713785, s: "x" }], rowCount: 1 });
  });
  test("anything else is INVALID_TYPE naming the statement and the fault", () => {
    const cases = [
      [undefined, /resolved to undefined/],
      [[{ n: 1 }], /rows is undefined/],
      [{ rows: undefined, rowCount: 0 }, /rows is undefined/],
      [{ rows: [[1, 2]], rowCount: 1 }, /a row is an array: rows must be objects keyed by column name/],
      [{ rows: [], rowCount: "1" }, /rowCount is string "1": it must be the number of rows the statement matched/],
      [{ rows: [], rowCount: undefined }, /rowCount is undefined/],
      [{ rows: [], rowCount: 1.5 }, /rowCount is number/],
      [{ rows: [], rowCount: -1 }, /rowCount is number/],
    ];
    for (const [result, message] of cases) {
      assert.throws(() => checkResult(result, SQL), (err) => err.code === "INVALID_TYPE" && message.test(err.message) && err.message.includes("UPDATE \\\"snowfall_g_manifest\\\""), JSON.stringify(result));
    }
  });
  test("a Kysely-style adapter (bigint rowCount) leases through checkResult on real SQLite", async () => {
    const db = await openDatabase("sqlite");
    try {
      const database = {
        dialect: "sqlite",
        async execute(sql, params) {
          const r = await db.database.execute(sql, params);
          return checkResult({ rows: r.rows, rowCount: BigInt(r.rowCount) }, sql);
        },
      };
      const schemaGroupName = uniqueGroup("checked");
      await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database });
      const a = await DatabaseSyncer.open({ schemaGroupName, database });
      const b = await DatabaseSyncer.open({ schemaGroupName, database });
      const [la, lb] = [await a.claim(), await b.claim()];
      assert.notEqual(la.generatorId, lb.generatorId);
      await a.release(-1);
      await b.release(-1);
    } finally {
      await db.close();
    }
  });
});

// README's Kysely adapter and Drizzle's $client, on real databases: a group, two distinct leases.
describe("README recipes: Kysely and Drizzle", () => {
  const twoLeases = async (database) => {
    const schemaGroupName = uniqueGroup("recipe");
    await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database });
    const a = await DatabaseSyncer.open({ schemaGroupName, database });
    const b = await DatabaseSyncer.open({ schemaGroupName, database });
    const [la, lb] = [await a.claim(), await b.claim()];
    assert.notEqual(la.generatorId, lb.generatorId);
    await a.renew();
    await a.release(-1);
    await b.release(-1);
    await DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database });
  };
  // The README's 7 lines, for a Kysely instance `db` (its numAffectedRows is a bigint).
  const kyselyAdapter = (db, dialect, CompiledQuery) => ({
    dialect,
    async execute(sql, params) {
      const r = await db.executeQuery(CompiledQuery.raw(sql, params));
      return { rows: r.rows, rowCount: Number(r.numAffectedRows ?? r.rows.length) };
    },
  });

  test("Kysely (SqliteDialect on better-sqlite3) through the README adapter", async () => {
    const { Kysely, SqliteDialect, CompiledQuery } = await import("kysely");
    const sqlite = await openDatabase("sqlite");
    const db = new Kysely({ dialect: new SqliteDialect({ database: sqlite.raw }) });
    try {
      await twoLeases(kyselyAdapter(db, "sqlite", CompiledQuery));
    } finally {
      await db.destroy(); // closes the better-sqlite3 database
      await sqlite.close().catch(() => {});
    }
  });

  test("Kysely (PostgresDialect on a pg Pool whose int8 parser gives Numbers) through the README adapter", async () => {
    const { Kysely, PostgresDialect, CompiledQuery } = await import("kysely");
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 2, types: { getTypeParser: (oid, format) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) } });
    const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    try {
      await twoLeases(kyselyAdapter(db, "postgres", CompiledQuery));
    } finally {
      await db.destroy();
    }
  });

  test("Drizzle: the adapters take db.$client (node-postgres, PGlite, libSQL, better-sqlite3)", async () => {
    const { default: pg } = await import("pg");
    const { PGlite } = await import("@electric-sql/pglite");
    const { createClient } = await import("@libsql/client");
    const { drizzle: nodePg } = await import("drizzle-orm/node-postgres");
    const { drizzle: pglite } = await import("drizzle-orm/pglite");
    const { drizzle: libsql } = await import("drizzle-orm/libsql");
    const { drizzle: betterSqlite3 } = await import("drizzle-orm/better-sqlite3");
    const sqlite = await openDatabase("sqlite");
    const libsqlFile = await openDatabase("libsql");
    const dbs = {
      pg: nodePg(new pg.Pool({ connectionString: postgresUrl(), max: 2 })),
      pglite: pglite(new PGlite()),
      libsql: libsql(createClient({ url: `file:${libsqlFile.file}` })),
      sqlite: betterSqlite3(sqlite.raw),
    };
    try {
      await twoLeases(fromPg(dbs.pg.$client));
      await twoLeases(fromPGlite(dbs.pglite.$client));
      await twoLeases(fromLibsql(dbs.libsql.$client));
      await twoLeases(fromBetterSqlite3(dbs.sqlite.$client));
    } finally {
      await dbs.pg.$client.end();
      await dbs.pglite.$client.close();
      dbs.libsql.$client.close();
      await sqlite.close();
      await libsqlFile.close();
    }
  });
});
