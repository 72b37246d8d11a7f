// A browser consumer (customConditions browser or worker): the browser entry's types, which hold no database, Redis or Workers
// API (tests/runtimes/types.test.mjs compiles it; an unused @ts-expect-error is an error, TS2578).
import { Snowfall, BrowserSyncer, IndexedDbStore, SimpleSyncer, decodeGuid, lockName, SnowfallError, init, isInitialized } from "snowfall-wasm";
import { fromPg, DatabaseSyncer } from "snowfall-wasm";
import type { Grant, Store } from "snowfall-wasm";
// @ts-expect-error RedisSyncer is not in the browser entry
import { RedisSyncer } from "snowfall-wasm";
// @ts-expect-error forWorker is not in the browser entry
import { forWorker } from "snowfall-wasm";
import { guidReplacer, guidReviver } from "snowfall-wasm";
void [RedisSyncer, forWorker];

async function page(fetchGrant: () => Promise<Grant>): Promise<bigint> {
  await init();
  const ready: boolean = isInitialized();
  const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "notes", fetchGrant, grants: 2 });
  const store: Store = new IndexedDbStore({ schemaGroupName: "notes" });
  SimpleSyncer.createSchemaGroup({ schemaGroupName: "local" });
  const id = gen.getGuid();
  const back: { id: bigint } = JSON.parse(JSON.stringify({ id }, guidReplacer), guidReviver("id"));
  void back;
  void [ready, store, decodeGuid(id), lockName("notes", 1), new SnowfallError("INVALID_TYPE", "x")];
  return id;
}
void page;

// The server-only names exist (one import line for isomorphic code) but only throw here.
const never: never = fromPg({});
void never;
// @ts-expect-error DatabaseSyncer.grant runs on your server, not in the browser entry
void DatabaseSyncer.grant;
