// The original package's pitfalls, as regression tests on every database: a group name carrying
// SQL, two claimers racing for one row (SQLite ignores SELECT ... FOR UPDATE, so the original gave
// both the same id), and a group created by the Python package (no lease columns, no row 4095,
// epoch_start_ms in seconds) opening and working, side by side with a Python-style holder.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { MAX_SCHEMA_GROUP_NAME_LENGTH } from "../../js/stores/sql.js";
import { sf } from "./helpers/package.mjs";

const { DatabaseSyncer } = sf;
import { statementsFor } from "../../js/database/dialects.js";
import { fromBetterSqlite3 } from "../../js/database/adapters.js";
import { KINDS, openDatabase, tempDir, uniqueGroup } from "./helpers/databases.mjs";
import Database from "better-sqlite3";
import { join } from "node:path";

describe("schema group names", () => {
  const database = { dialect: "sqlite", execute: async () => assert.fail("no statement may run for a bad name") };
  const bad = ["", "x; DROP TABLE users; --", "a-b", "naïve", "a b", "x\"y", "x`y", "x'y", "a".repeat(MAX_SCHEMA_GROUP_NAME_LENGTH + 1), 42, null];
  for (const name of bad) {
    test(`rejects ${JSON.stringify(name)?.slice(0, 40)}`, async () => {
      await assert.rejects(DatabaseSyncer.createSchemaGroup({ schemaGroupName: name, database }), { code: "INVALID_SCHEMA_GROUP_NAME" });
      await assert.rejects(DatabaseSyncer.open({ schemaGroupName: name, database }), { code: "INVALID_SCHEMA_GROUP_NAME" });
    });
  }
  test("the longest allowed name fits PostgreSQL's 63-byte and MySQL's 64-byte identifiers", () => {
    const s = statementsFor("postgres", "a".repeat(MAX_SCHEMA_GROUP_NAME_LENGTH));
    assert.ok(s.propertiesName.length <= 63 && s.manifestName.length <= 63);
  });
  test("a SQL-carrying name never reaches the database (real SQLite file stays intact)", async () => {
    const tmp = tempDir();
    const raw = new Database(join(tmp.dir, "x.db"));
    raw.exec("CREATE TABLE users (id INTEGER)");
    const db = fromBetterSqlite3(raw);
    await assert.rejects(DatabaseSyncer.createSchemaGroup({ schemaGroupName: "x_manifest (a INT); DROP TABLE users; --", database: db }), { code: "INVALID_SCHEMA_GROUP_NAME" });
    assert.equal(raw.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'users'").get().n, 1);
    raw.close();
    tmp.remove();
  });
});

for (const kind of KINDS) {
  describe(`regressions on ${kind}`, () => {
    let db;
    const groups = [];
    before(async () => { db = await openDatabase(kind); });
    after(async () => {
      for (const schemaGroupName of groups) await DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database: db.database });
      await db.close();
    });
    const q = (s, table) => {
      let i = 0;
      const text = s.replaceAll("$T", kind === "mysql" ? "`" + table + "`" : `"${table}"`).replaceAll("$K", kind === "mysql" ? "`key`" : '"key"');
      return kind === "postgres" ? text.replace(/\?/g, () => `$${++i}`) : text;
    };
    const run = (s, table, params = []) => db.database.execute(q(s, table), params);

    test("a mixed-case group name keeps its case (quoted, as SQLAlchemy quotes it) and works", async () => {
      const schemaGroupName = `Mixed_${uniqueGroup(kind)}`;
      groups.push(schemaGroupName);
      await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database });
      await assert.rejects(DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database }), { code: "SCHEMA_GROUP_EXISTS" });
      const s = await DatabaseSyncer.open({ schemaGroupName, database: db.database });
      const lease = await s.claim();
      assert.equal((await DatabaseSyncer.status({ schemaGroupName, database: db.database })).live[0].generatorId, lease.generatorId);
      const lower = schemaGroupName.toLowerCase();
      if (db.database.dialect === "sqlite") {
        // SQLite identifiers ignore case: the same tables, so the same group (and "exists").
        await assert.rejects(DatabaseSyncer.createSchemaGroup({ schemaGroupName: lower, database: db.database }), { code: "SCHEMA_GROUP_EXISTS" });
      } else {
        await assert.rejects(DatabaseSyncer.open({ schemaGroupName: lower, database: db.database }), { code: "SCHEMA_GROUP_NOT_FOUND" });
      }
    });

    test("two claimers racing for the last free row: exactly one wins, the other is told", async () => {
      const schemaGroupName = uniqueGroup(`race_${kind}`);
      groups.push(schemaGroupName);
      await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, maxClaimRetries: 1, minMsBetweenClaimRetries: 1, maxMsBetweenClaimRetries: 2 });
      const { manifestName } = statementsFor(db.database.dialect, schemaGroupName);
      await run("UPDATE $T SET last_updated_ms = ? WHERE generator_id <> 77", manifestName, [Date.now() + 3_600_000]);

      // A reads the free row, then waits at a gate before its compare-and-swap; B claims meanwhile.
      let release;
      const gate = new Promise((r) => { release = r; });
      let paused = false;
      const gated = {
        dialect: db.database.dialect,
        async execute(sql, params) {
          const result = await db.database.execute(sql, params);
          if (!paused && sql.includes("AND last_updated_ms < ") && result.rows.length > 0) {
            paused = true;
            await gate;
          }
          return result;
        },
      };
      const a = await DatabaseSyncer.open({ schemaGroupName, database: gated });
      // On SQLite, B is a second connection to the same file (as another process would be).
      const second = kind === "sqlite" ? new Database(db.file, { timeout: 5000 }) : null;
      const b = await DatabaseSyncer.open({ schemaGroupName, database: second ? fromBetterSqlite3(second) : db.database });
      const claimA = a.claim();
      while (!paused) await new Promise((r) => setTimeout(r, 1));
      const leaseB = await b.claim();
      assert.equal(leaseB.generatorId, 77);
      release();
      await assert.rejects(claimA, { code: "GENERATOR_IDS_EXHAUSTED" });
      assert.equal(a.lease, null);
      const { rows } = await run("SELECT holder FROM $T WHERE generator_id = 77", manifestName);
      assert.equal(rows[0].holder.length, 36, "the row carries B's token");
      assert.ok(await b.renew(), "B still holds it");
      second?.close();
    });

    test("a group created by the Python package opens, is upgraded in place, and shares with Python holders", async () => {
      const schemaGroupName = uniqueGroup(`py_${kind}`);
      groups.push(schemaGroupName);
      const { manifestName, propertiesName } = statementsFor(db.database.dialect, schemaGroupName);
      // The original's DDL and rows (SQLAlchemy): two columns, ids 0..4094, epoch in seconds.
      await run("CREATE TABLE $T (generator_id SMALLINT NOT NULL, last_updated_ms BIGINT NOT NULL, PRIMARY KEY (generator_id))", manifestName);
      await run("CREATE TABLE $T ($K VARCHAR(32) NOT NULL, value BIGINT NOT NULL, PRIMARY KEY ($K))", propertiesName);
      for (let from = 0; from < 4095; from += 500) {
        const rows = [];
        for (let id = from; id < Math.min(from + 500, 4095); id++) rows.push(`(${id}, 0)`);
        await run(`INSERT INTO $T (generator_id, last_updated_ms) VALUES ${rows.join(", ")}`, manifestName);
      }
      const props = [["liveliness_probe_s", 5], ["epoch_start_ms", 1577836800], ["max_claim_retries", 3], ["min_ms_between_claim_retries", 100], ["max_ms_between_claim_retries", 500]];
      await run(`INSERT INTO $T ($K, value) VALUES ${props.map(() => "(?, ?)").join(", ")}`, propertiesName, props.flat());

      // Python instances hold every id it created (its heartbeat writes last_updated_ms only).
      const now = Date.now();
      await run("UPDATE $T SET last_updated_ms = ?", manifestName, [now]);

      const session = await DatabaseSyncer.open({ schemaGroupName, database: db.database });
      assert.equal(session.epochUnixMs, Date.UTC(2020, 0, 1), "epoch_start_ms read as seconds");
      assert.equal(session.livelinessProbeMs, 5000);
      const lease = await session.claim();
      assert.equal(lease.generatorId, 4095, "the only id no Python instance holds is the added 4095");
      const { rows } = await run("SELECT COUNT(*) AS n FROM $T", manifestName);
      assert.equal(Number(rows[0].n), 4096);
      await assert.rejects(session.claim(), { code: "GENERATOR_IDS_EXHAUSTED" });

      // A Python holder's heartbeat (compare-and-swap on last_updated_ms) still works on the new columns.
      const beat = await run("UPDATE $T SET last_updated_ms = ? WHERE generator_id = ? AND last_updated_ms = ?", manifestName, [now + 5000, 12, now]);
      assert.equal(beat.rowCount, 1);
      // Python's claim query (first row older than two probes) does not see the JS-held id 4095.
      const { rows: free } = await run("SELECT generator_id FROM $T WHERE last_updated_ms < ?", manifestName, [Date.now() - 10_000]);
      assert.deepEqual(free, []);
      // Opening again (another JS instance) is a no-op upgrade.
      await DatabaseSyncer.open({ schemaGroupName, database: db.database });
      // And createSchemaGroup({ ifNotExists }) on it keeps the Python properties.
      const again = await DatabaseSyncer.createSchemaGroup({ schemaGroupName, database: db.database, ifNotExists: true, livelinessProbeS: 9 });
      assert.equal(again.livelinessProbeS, 5);
    });
  });
}
