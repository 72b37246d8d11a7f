// Everything the package exports, whichever runtime entry loaded the wasm.
export { Snowfall } from "./snowfall.js";
export { SimpleSyncer } from "./simple-syncer.js";
export { SnowfallError } from "./errors.js";
export { decodeGuid, guidRange } from "./decode.js";
export { guidReplacer, guidReviver } from "./json.js";
export { DatabaseSyncer } from "./database/syncer.js";
export { LeaseSession, openSession } from "./lease/session.js";
export { SqlStore } from "./stores/sql.js";
export { RedisStore, RedisSyncer } from "./stores/redis.js";
export { fromPg, fromMysql2, fromBetterSqlite3, fromD1, fromNodeSqlite, fromBunSqlite, fromPostgresJs, fromPGlite, fromLibsql } from "./database/adapters.js";
export { DurableObjectSyncer, DurableObjectStore, SnowfallLeases } from "./stores/durable-object.js";
export { forWorker } from "./workers.js";
export { schemaGroupSql } from "./database/sql-text.js";
export { BrowserSyncer, IndexedDbStore, lockName } from "./stores/browser.js";
export { guidLimits } from "./limits.js";
import { DEFAULT_EPOCH_UNIX_MS } from "./settings.js";

/** The default epoch, 2020-01-01T00:00:00Z. */
export const DEFAULT_EPOCH = new Date(DEFAULT_EPOCH_UNIX_MS);
