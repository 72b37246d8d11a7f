// The README's ORM primary-key recipes ("### Primary keys in ORMs"), run as written: Drizzle
// (`$defaultFn`) and Kysely on SQLite (better-sqlite3) and PostgreSQL, with ids from a DatabaseSyncer
// generator on the same database. Each inserts rows without naming an id (Drizzle) or through the
// recipe's helper (Kysely), reads them back, and checks the ids are bigints equal to the ones made,
// increasing, of the generator's generator id, and above 2^53 (where a Number would round them).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { sqliteTable, text as sqliteText, customType } from "drizzle-orm/sqlite-core";
import { pgTable, bigint, text as pgText } from "drizzle-orm/pg-core";
import { asc } from "drizzle-orm";
import { Kysely, SqliteDialect, PostgresDialect } from "kysely";
import { sf, ANY_SKEW } from "./helpers/package.mjs";
import { openDatabase, uniqueGroup } from "./helpers/databases.mjs";
import { postgresUrl } from "./helpers/servers.mjs";

const ROWS = 50;

/** A generator on `database`'s own schema group, as the recipes assume. */
async function generatorOn(database) {
  const schemaGroupName = uniqueGroup("orm");
  await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName, database });
  return sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName, database, timers: false, ...ANY_SKEW });
}

/** The ids read back: bigints, increasing, this generator's, exact past 2^53. */
function checkIds(ids, gen, made) {
  assert.equal(ids.length, ROWS);
  for (const id of ids) assert.equal(typeof id, "bigint", `read back as a bigint, got ${typeof id}`);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], "increasing");
  assert.ok(ids.every((id) => Number(id & 4095n) === gen.generatorId), "made by this generator");
  assert.ok(ids[0] > 2n ** 53n, "past 2^53: a Number would have rounded them");
  if (made) assert.deepEqual(ids, made);
}

describe("ORM primary-key recipes on SQLite (better-sqlite3)", () => {
  let db, gen;
  before(async () => {
    db = await openDatabase("sqlite");
    gen = await generatorOn(db.database);
    db.raw.defaultSafeIntegers(true); // the recipe: INTEGER columns read back as bigint, exactly
  });
  after(async () => {
    await gen?.close();
    await db?.close();
  });

  test("Drizzle: a guid column with $defaultFn(() => gen.getGuid())", async () => {
    // --- recipe (README) ---
    const guid = customType({ dataType: () => "integer", fromDriver: (value) => BigInt(value) });
    const orders = sqliteTable("drizzle_orders", {
      id: guid("id").primaryKey().$defaultFn(() => gen.getGuid()),
      item: sqliteText("item").notNull(),
    });
    const orm = drizzleSqlite(db.raw);
    // --- end ---
    db.raw.exec("CREATE TABLE drizzle_orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)");
    const inserted = await orm.insert(orders).values(Array.from({ length: ROWS }, (_, i) => ({ item: `item ${i}` }))).returning({ id: orders.id });
    const rows = await orm.select().from(orders).orderBy(asc(orders.id));
    checkIds(rows.map((r) => r.id), gen, inserted.map((r) => r.id));
    assert.equal(rows[7].item, "item 7");
  });

  test("Kysely: ids from the recipe's insert helper", async () => {
    // --- recipe (README) ---
    const kdb = new Kysely({ dialect: new SqliteDialect({ database: db.raw }) });
    const withId = (row) => ({ id: gen.getGuid(), ...row });
    // --- end ---
    db.raw.exec("CREATE TABLE kysely_orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)");
    const made = [];
    for (let i = 0; i < ROWS; i++) {
      const row = withId({ item: `item ${i}` });
      made.push(row.id);
      await kdb.insertInto("kysely_orders").values(row).execute();
    }
    const rows = await kdb.selectFrom("kysely_orders").selectAll().orderBy("id").execute();
    checkIds(rows.map((r) => r.id), gen, made);
    const one = await kdb.selectFrom("kysely_orders").selectAll().where("id", "=", made[3]).executeTakeFirst();
    assert.equal(one.item, "item 3", "an id as a query parameter finds its row");
    // No kdb.destroy(): it would close the shared connection the generator's lease still uses.
  });
});

describe("ORM primary-key recipes on PostgreSQL", () => {
  let pool, gen;
  before(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl(), max: 2 });
    gen = await generatorOn(sf.fromPg(pool));
  });
  after(async () => {
    await gen?.close();
    await pool?.end();
  });

  test("Drizzle: bigint({ mode: \"bigint\" }).primaryKey().$defaultFn(() => gen.getGuid())", async () => {
    const table = uniqueGroup("drizzle_orders");
    // --- recipe (README) ---
    const orders = pgTable(table, {
      id: bigint("id", { mode: "bigint" }).primaryKey().$defaultFn(() => gen.getGuid()),
      item: pgText("item").notNull(),
    });
    const orm = drizzlePg(pool);
    // --- end ---
    await pool.query(`CREATE TABLE "${table}" (id BIGINT PRIMARY KEY, item TEXT NOT NULL)`);
    try {
      const inserted = await orm.insert(orders).values(Array.from({ length: ROWS }, (_, i) => ({ item: `item ${i}` }))).returning({ id: orders.id });
      const rows = await orm.select().from(orders).orderBy(asc(orders.id));
      checkIds(rows.map((r) => r.id), gen, inserted.map((r) => r.id));
    } finally {
      await pool.query(`DROP TABLE "${table}"`);
    }
  });

  test("Kysely: BIGINT read back as bigint through a pg type parser", async () => {
    const table = uniqueGroup("kysely_orders");
    // --- recipe (README) ---
    const pool8 = new pg.Pool({ connectionString: postgresUrl(), max: 1, types: { getTypeParser: (oid, format) => (oid === 20 ? BigInt : pg.types.getTypeParser(oid, format)) } });
    const kdb = new Kysely({ dialect: new PostgresDialect({ pool: pool8 }) });
    const withId = (row) => ({ id: gen.getGuid(), ...row });
    // --- end ---
    await pool.query(`CREATE TABLE "${table}" (id BIGINT PRIMARY KEY, item TEXT NOT NULL)`);
    try {
      const made = [];
      for (let i = 0; i < ROWS; i++) {
        const row = withId({ item: `item ${i}` });
        made.push(row.id);
        await kdb.insertInto(table).values(row).execute();
      }
      const rows = await kdb.selectFrom(table).selectAll().orderBy("id").execute();
      checkIds(rows.map((r) => r.id), gen, made);
    } finally {
      await pool.query(`DROP TABLE "${table}"`);
      await kdb.destroy();
    }
  });
});
