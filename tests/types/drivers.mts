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
