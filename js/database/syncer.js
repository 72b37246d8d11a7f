/**
 * # DatabaseSyncer: generator-id leases kept in the user's own database
 *
 * A facade: the tables and their SQL are the SQL store's (js/stores/sql.js over
 * js/database/dialects.js), the lease protocol is the core's (src/machine.rs; specified, with the
 * fencing argument, in docs/PROTOCOL.md), and js/lease/session.js runs one against the other.
 *
 * Groups made by the original Python package (no lease columns, no row 4095, epoch in seconds)
 * are upgraded in place when opened. Python instances only read and write last_updated_ms, so a
 * mixed fleet keeps apart by the original's rule (a slot renewed within two probes is taken).
 */
import { SnowfallError } from "../errors.js";
import { DEFAULT_EPOCH_UNIX_MS } from "../settings.js";
import { readClock } from "../clock.js";
import { epochValue, readOptions } from "../check.js";
import { administer, groupSettings, openSession } from "../lease/session.js";
import { SqlStore, MAX_SCHEMA_GROUP_NAME_LENGTH, validateGroupName } from "../stores/sql.js";

export { MAX_SCHEMA_GROUP_NAME_LENGTH, validateGroupName };

/** The longest grant window: 30 days. */
const MAX_GRANT_MS = 30 * 86_400_000;

/** The epoch as DatabaseSyncer stores it: a valid epoch (js/check.js), in whole seconds (as the original does). */
function epochOf(value) {
  const ms = typeof value === "string" ? Date.parse(value) : value;
  if (typeof value === "string" && !Number.isFinite(ms)) throw new SnowfallError("INVALID_TYPE", `epochStartDate must be a Date, an ISO date string or Unix ms, got the unparsable string ${JSON.stringify(value.slice(0, 40))}`);
  const epoch = epochValue(ms);
  if (epoch % 1000 !== 0) throw new SnowfallError("OUT_OF_RANGE", `epochStartDate must be a whole second (the properties table keeps seconds, as the original package does), got ${new Date(epoch).toISOString()}`);
  return epoch;
}


/**
 * A new group's properties as stores keep them, checked (settings ranges, the epoch, never in the
 * future): from `livelinessProbeS`, `epochStartDate`, `maxClaimRetries`, `minMsBetweenClaimRetries`,
 * `maxMsBetweenClaimRetries` and `clock` (every syncer's createSchemaGroup, and js/database/sql-text.js).
 */
export function groupProperties(o) {
  const [probeS, retries, minMs, maxMs] = groupSettings(o);
  const epochMs = epochOf(o.epochStartDate);
  const now = readClock(o.clock);
  if (epochMs > now) {
    throw new SnowfallError("EPOCH_IN_FUTURE", `epochStartDate ${new Date(epochMs).toISOString()} is in the future`);
  }
  return { livelinessProbeS: probeS, epochUnixMs: epochMs, maxClaimRetries: retries, minMsBetweenClaimRetries: minMs, maxMsBetweenClaimRetries: maxMs };
}

const GROUP_KEYS = ["schemaGroupName", "database", "livelinessProbeS", "epochStartDate", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries", "ifNotExists", "clock", "storeTimeoutMs"];
const OPEN_KEYS = ["schemaGroupName", "database", "clock", "storeTimeoutMs", "maxClockSkewMs"];

function storeOf(o) {
  return new SqlStore(o.database, o.schemaGroupName === undefined ? "default" : o.schemaGroupName);
}

export class DatabaseSyncer {
  /**
   * Creates a schema group's two tables (once per group and database).
   * @returns the group's properties (the existing ones if it existed and ifNotExists was set)
   */
  static async createSchemaGroup(options) {
    const o = readOptions(options, "options", GROUP_KEYS);
    const store = storeOf(o);
    const properties = groupProperties(o);
    return administer(o, "creating the schema group", () => store.createGroup(properties, { ifNotExists: o.ifNotExists === true }));
  }

  /**
   * Opens a lease session on an existing group (what `Snowfall.create({ syncer: DatabaseSyncer })`
   * calls). Claims nothing yet: call `claim()`.
   * @returns {Promise<import("../lease/session.js").LeaseSession>}
   */
  static async open(options) {
    const o = readOptions(options, "options", OPEN_KEYS);
    return openSession(storeOf(o), o);
  }

  /**
   * Grants a device a generator id and a window of `windowMs` to mint in offline (hours to days):
   * claims through the same lease protocol and fences, and returns a JSON-serialisable grant for
   * `BrowserSyncer`'s `fetchGrant`. The id stays taken until the window ends; nothing renews or
   * releases it. 4096 ids per group bound how many windows can be out at once.
   * @returns {Promise<{ version: 1, schemaGroupName: string, epochUnixMs: number, generatorId: number, windowStartUnixMs: number, windowEndUnixMs: number }>}
   */
  static async grant(options) {
    const o = readOptions(options, "options", [...OPEN_KEYS, "windowMs"]);
    if (!Number.isSafeInteger(o.windowMs) || o.windowMs < 1000 || o.windowMs > MAX_GRANT_MS) {
      throw new SnowfallError("OUT_OF_RANGE", `windowMs must be whole ms from 1000 to ${MAX_GRANT_MS} (30 days), got ${String(o.windowMs)}`);
    }
    const store = storeOf(o);
    const session = await openSession(store, o);
    let lease;
    try {
      lease = await session.grant(o.windowMs);
    } finally {
      // A grant write of unknown outcome (timed out, failed in flight) went to nobody: free its id
      // now rather than at its window's end (no I/O when there is none; docs/PROTOCOL.md).
      await session.release().catch(() => {});
    }
    return { version: 1, schemaGroupName: session.schemaGroupName, epochUnixMs: session.epochUnixMs, ...lease };
  }

  /** A group's properties and its live slots (renewed within two probes), for monitoring. */
  static async status(options) {
    const o = readOptions(options, "options", ["schemaGroupName", "database", "clock", "storeTimeoutMs"]);
    const store = storeOf(o);
    return administer(o, "reading the schema group's status", async () => {
      const props = await store.readGroup();
      if (!props) {
        throw new SnowfallError("SCHEMA_GROUP_NOT_FOUND", `schema group ${JSON.stringify(store.schemaGroupName)} does not exist in this database: create it first (DatabaseSyncer.createSchemaGroup or \`npx snowfall-wasm create-group\`)`);
      }
      const now = readClock(o.clock);
      const live = await store.liveSlots(now - 2 * props.livelinessProbeS * 1000);
      return { ...props, slotCount: await store.slotCount(), live };
    });
  }

  /** Drops a group's tables (tests and the CLI). Live holders lose their leases at their next renewal. */
  static async dropSchemaGroup(options) {
    const o = readOptions(options, "options", ["schemaGroupName", "database", "storeTimeoutMs"]);
    const store = storeOf(o);
    await administer(o, "dropping the schema group", () => store.drop());
  }
}
