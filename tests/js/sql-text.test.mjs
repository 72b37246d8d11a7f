// schemaGroupSql: the SQL text of a schema group is exactly what DatabaseSyncer.createSchemaGroup
// makes (applied to SQLite here; to D1 through wrangler in tests/runtimes/workers-leases.test.mjs),
// idempotent, and refuses bad options with the syncer's codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { sf } from "./helpers/package.mjs";

const dump = (db, group) => ({
  manifest: db.prepare(`SELECT * FROM "snowfall_${group}_manifest" ORDER BY generator_id`).all(),
  properties: db.prepare(`SELECT * FROM "snowfall_${group}_properties" ORDER BY "key"`).all(),
  schema: db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.sql),
});

test("the SQLite text makes the same tables and rows as createSchemaGroup, and applies twice", async () => {
  const settings = { schemaGroupName: "orders", livelinessProbeS: 7, epochStartDate: new Date("2024-01-01T00:00:00Z"), maxClaimRetries: 4, minMsBetweenClaimRetries: 20, maxMsBetweenClaimRetries: 90 };
  const fromText = new Database(":memory:");
  const text = sf.schemaGroupSql({ dialect: "sqlite", ...settings });
  fromText.exec(text);
  fromText.exec(text);
  const fromApi = new Database(":memory:");
  await sf.DatabaseSyncer.createSchemaGroup({ database: sf.fromBetterSqlite3(fromApi), ...settings });
  assert.deepEqual(dump(fromText, "orders"), dump(fromApi, "orders"));
  assert.equal(dump(fromText, "orders").manifest.length, 4096);
  const gen = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, database: sf.fromBetterSqlite3(fromText), schemaGroupName: "orders", timers: false });
  assert.equal(gen.epochStartDate.getTime(), settings.epochStartDate.getTime());
  assert.equal(typeof gen.getGuid(), "bigint");
  await gen.close();
});

test("PostgreSQL and MySQL text use their own placeholders-free spelling", () => {
  const pg = sf.schemaGroupSql({ dialect: "postgres", schemaGroupName: "o", livelinessProbeS: 3 });
  assert.match(pg, /INSERT INTO "snowfall_o_properties" \("key", value\) VALUES \('liveliness_probe_s', 3\), .* ON CONFLICT DO NOTHING;/);
  const my = sf.schemaGroupSql({ dialect: "mysql", schemaGroupName: "o" });
  assert.match(my, /INSERT IGNORE INTO `snowfall_o_properties` \(`key`, value\) VALUES \('liveliness_probe_s', 5\)/);
  for (const text of [pg, my]) assert.doesNotMatch(text, /\?|\$\d/, "no placeholder is left");
});

test("bad options are SnowfallErrors with the syncer's codes", () => {
  const code = (options) => { try { sf.schemaGroupSql(options); return "no error"; } catch (e) { assert.ok(e instanceof sf.SnowfallError); return e.code; } };
  assert.equal(code({ schemaGroupName: "o" }), "INVALID_TYPE");
  assert.equal(code({ dialect: "oracle" }), "INVALID_TYPE");
  assert.equal(code({ dialect: "sqlite", schemaGroupName: "bad-name" }), "INVALID_SCHEMA_GROUP_NAME");
  assert.equal(code({ dialect: "sqlite", epochStartDate: Date.now() + 86_400_000 - (Date.now() % 1000) }), "EPOCH_IN_FUTURE");
  assert.equal(code({ dialect: "sqlite", livelinessProbeS: 0 }), "OUT_OF_RANGE");
});
