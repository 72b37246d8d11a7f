// The adapters accept each driver's real object under its own published types, and refuse
// another driver's (compiled by tests/runtimes/types.test.mjs with the drivers installed).
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import { PGlite } from "@electric-sql/pglite";
import { createClient } from "@libsql/client";
import { fromLibsql, fromNodeSqlite, fromPGlite, fromPostgresJs } from "snowfall-wasm";
import type { Database } from "snowfall-wasm";

const sqlite = new DatabaseSync(":memory:");
const sql = postgres("postgres://localhost/db");
const pg = new PGlite();
const client = createClient({ url: "file:x.db" });

const adapters: Database[] = [fromNodeSqlite(sqlite), fromPostgresJs(sql), fromPGlite(pg), fromLibsql(client)];

// @ts-expect-error a PGlite is not a postgres.js sql function
fromPostgresJs(pg);
// @ts-expect-error a libSQL client is not a node:sqlite database
fromNodeSqlite(client);
// @ts-expect-error a number is no driver
fromPGlite(42);
// @ts-expect-error a postgres.js sql function is not a libSQL client
fromLibsql(sql);
void adapters;

// pg (Pool, Client, PoolClient) and Neon's Pool, mysql2's promise API, better-sqlite3.
import pgDriver from "pg";
import { Pool as NeonPool } from "@neondatabase/serverless";
import mysql from "mysql2/promise";
import { createPool as createCallbackPool } from "mysql2";
import BetterSqlite3 from "better-sqlite3";
import { fromBetterSqlite3, fromMysql2, fromPg } from "snowfall-wasm";

async function classicDrivers(): Promise<Database[]> {
  const pool = new pgDriver.Pool({ connectionString: "postgres://localhost/db" });
  const pgClient = new pgDriver.Client();
  const poolClient = await pool.connect();
  const neon = new NeonPool({ connectionString: "postgres://localhost/db" });
  const mysqlPool = mysql.createPool({ uri: "mysql://localhost/db" });
  const mysqlConnection = await mysql.createConnection({ uri: "mysql://localhost/db" });
  const callbackPool = createCallbackPool({ uri: "mysql://localhost/db" });
  const sqliteDb = new BetterSqlite3(":memory:");
  // @ts-expect-error fromPg takes a pg Pool or Client, not a number
  fromPg(42);
  // @ts-expect-error a better-sqlite3 Database is not a pg Pool
  fromPg(sqliteDb);
  // @ts-expect-error mysql2's callback pool: pass pool.promise()
  fromMysql2(callbackPool);
  // @ts-expect-error a pg Pool is not a better-sqlite3 Database
  fromBetterSqlite3(pool);
  return [fromPg(pool), fromPg(pgClient), fromPg(poolClient), fromPg(neon), fromMysql2(mysqlPool), fromMysql2(mysqlConnection),
    fromMysql2(callbackPool.promise()), fromBetterSqlite3(sqliteDb)];
}
void classicDrivers;
