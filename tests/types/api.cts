// CommonJS consumers (`require` condition of the exports map: node.d.cts, testing.d.cts) get the same
// types; under node16 an ESM declaration here would be TS1479.
import { Snowfall, decodeGuid, SnowfallError, DatabaseSyncer, fromPg } from "snowfall-wasm";
import type { Database, PgQueryableLike, Store } from "snowfall-wasm";
import { checkStore } from "snowfall-wasm/testing";

const gen = new Snowfall();
const id: bigint = gen.getGuid();
const when: Date = decodeGuid(id).timestamp;
const isError: boolean = new Error() instanceof SnowfallError;
void gen.close();
void [when, isError];

async function server(pool: PgQueryableLike, store: Store): Promise<string[]> {
  const database: Database = fromPg(pool);
  const g = await Snowfall.create({ syncer: DatabaseSyncer, database, schemaGroupName: "orders" });
  await g.close();
  // @ts-expect-error DatabaseSyncer needs database (CommonJS types are as exact as ESM ones)
  void Snowfall.create({ syncer: DatabaseSyncer });
  return checkStore(() => store);
}
void server;
