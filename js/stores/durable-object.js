// The Durable Object store: a schema group's 4096 slots in ONE Durable Object (per group name, in
// the namespace the user binds), kept in its SQLite-backed storage. I/O only, like every store:
// the object reads slots, compare-and-swaps one slot, reads/creates the group, and reads its clock;
// every lease rule is the core's (src/machine.rs, docs/PROTOCOL.md). Each store call is ONE
// request to the object (`stub.fetch`), so a claim, renewal or release costs what the core asks
// for, and the driver (js/lease/session.js) puts its deadline on each.
//
//   wrangler.toml: [[durable_objects.bindings]] name = "LEASES", class_name = "SnowfallLeases"
//                  [[migrations]] tag = "v1", new_sqlite_classes = ["SnowfallLeases"]
//   src/index.js:  export { SnowfallLeases } from "snowfall-wasm";
//
// Atomicity: a Durable Object runs one event at a time and the SQL API is synchronous, so each
// operation (a compare-and-swap is one UPDATE) runs start to end with nothing in between.
import { SnowfallError } from "../errors.js";
import { readClock } from "../clock.js";
import { administer, openSession } from "../lease/session.js";
import { groupProperties } from "../database/syncer.js";
import { readOptions } from "../check.js";
import { validateGroupName } from "./sql.js";

const GENERATOR_ID_COUNT = 4096;
const ORIGIN = "https://snowfall-leases.internal/";
const HOLDER = /^$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROPERTY_KEYS = ["livelinessProbeS", "epochUnixMs", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries"];

const fail = (code, message) => { throw new SnowfallError(code, message); };
const safeInt = (v, what) => (Number.isSafeInteger(v) ? v : fail("INVALID_TYPE", `${what} must be a safe integer, got ${JSON.stringify(v)}`));
function slotOf(v, what) {
  if (v === null || typeof v !== "object") fail("INVALID_TYPE", `${what} must be a slot { lastUpdatedMs, reservedUntilMs, holder }`);
  if (typeof v.holder !== "string" || !HOLDER.test(v.holder)) fail("INVALID_TYPE", `${what}.holder must be "" or a 36-character holder token`);
  return [safeInt(v.lastUpdatedMs, `${what}.lastUpdatedMs`), safeInt(v.reservedUntilMs, `${what}.reservedUntilMs`), v.holder];
}

/**
 * The Durable Object class that keeps one schema group's slots. Export it from your Worker and
 * bind it (SQLite-backed: `new_sqlite_classes` in the migration). It holds no lease rules.
 */
export class SnowfallLeases {
  #sql; #storage; #setupError = null;

  constructor(state, env) {
    this.#storage = state?.storage;
    try {
      this.#sql = state.storage.sql; // KV-backed storage has none (or one whose exec throws)
      this.#sql.exec("CREATE TABLE IF NOT EXISTS snowfall_properties (key TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL)");
      this.#sql.exec("CREATE TABLE IF NOT EXISTS snowfall_slots (generator_id INTEGER NOT NULL PRIMARY KEY, last_updated_ms INTEGER NOT NULL, reserved_until_ms INTEGER NOT NULL, holder TEXT NOT NULL)");
    } catch (cause) {
      this.#setupError = new SnowfallError("INVALID_SYNCER", `the SnowfallLeases Durable Object needs SQLite-backed storage: declare it with new_sqlite_classes = ["SnowfallLeases"] in a [[migrations]] entry of wrangler.toml (a class deployed with new_classes cannot be changed: bind a new class name); the storage said: ${cause?.message ?? cause}`, { cause });
    }
  }

  /** One store call: POST /{op} with a JSON body; answers { value } or { error: { code, message } }. */
  async fetch(request) {
    try {
      if (this.#setupError) throw this.#setupError;
      const op = new URL(request.url).pathname.slice(1);
      let body;
      try {
        body = await request.json();
      } catch {
        fail("INVALID_TYPE", "a SnowfallLeases request must carry a JSON body: call it through DurableObjectSyncer");
      }
      return Response.json({ value: this.#handle(op, body ?? {}) });
    } catch (err) {
      const code = err instanceof SnowfallError ? err.code : "DATABASE_ERROR";
      return Response.json({ error: { code, message: String(err?.message ?? err) } });
    }
  }

  #handle(op, body) {
    switch (op) {
      case "readGroup": {
        const group = this.#group();
        if (group === null && body.create != null) return this.#createGroup(body.create, true);
        return group;
      }
      case "createGroup":
        return this.#createGroup(body.group, body.ifNotExists === true);
      case "readFreeSlots": {
        const from = safeInt(body.from, "from"), to = safeInt(body.to, "to"), limit = safeInt(body.limit, "limit"), before = safeInt(body.freeBeforeMs, "freeBeforeMs");
        if (this.#group() === null) fail("SCHEMA_GROUP_NOT_FOUND", "this Durable Object holds no schema group: create it first (DurableObjectSyncer.createSchemaGroup, or createIfMissing)");
        return this.#sql.exec(
          "SELECT generator_id, last_updated_ms, reserved_until_ms, holder FROM snowfall_slots WHERE generator_id >= ? AND generator_id < ? AND last_updated_ms < ? ORDER BY generator_id LIMIT ?",
          from, to, before, Math.max(0, limit),
        ).toArray().map((r) => ({ generatorId: r.generator_id, lastUpdatedMs: r.last_updated_ms, reservedUntilMs: r.reserved_until_ms, holder: r.holder }));
      }
      case "compareAndSwap": {
        const id = safeInt(body.generatorId, "generatorId");
        const [eu, er, eh] = slotOf(body.expected, "expected");
        const [nu, nr, nh] = slotOf(body.next, "next");
        const cursor = this.#sql.exec(
          "UPDATE snowfall_slots SET last_updated_ms = ?, reserved_until_ms = ?, holder = ? WHERE generator_id = ? AND last_updated_ms = ? AND reserved_until_ms = ? AND holder = ?",
          nu, nr, nh, id, eu, er, eh,
        );
        cursor.toArray();
        return cursor.rowsWritten === 1;
      }
      case "now":
        return Date.now();
      case "liveSlots":
        return this.#sql.exec("SELECT generator_id, last_updated_ms, reserved_until_ms, holder FROM snowfall_slots WHERE last_updated_ms >= ? ORDER BY generator_id", safeInt(body.sinceMs, "sinceMs"))
          .toArray().map((r) => ({ generatorId: r.generator_id, lastUpdatedMs: r.last_updated_ms, reservedUntilMs: r.reserved_until_ms, holder: r.holder }));
      default:
        return fail("INVALID_TYPE", `unknown SnowfallLeases operation ${JSON.stringify(op)}: call the object through DurableObjectSyncer of the same package version`);
    }
  }

  #group() {
    const rows = this.#sql.exec("SELECT key, value FROM snowfall_properties").toArray();
    if (rows.length === 0) return null;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** The properties and 4096 free slots, in one transaction (a half-made group is never seen). */
  #createGroup(group, ifNotExists) {
    const existing = this.#group();
    if (existing !== null) {
      if (ifNotExists) return existing;
      fail("SCHEMA_GROUP_EXISTS", "the schema group already exists in this Durable Object (pass ifNotExists: true to accept that)");
    }
    const values = PROPERTY_KEYS.map((k) => safeInt(group?.[k], `group.${k}`));
    this.#storage.transactionSync(() => {
      for (let id = 0; id < GENERATOR_ID_COUNT; id++) this.#sql.exec("INSERT OR IGNORE INTO snowfall_slots VALUES (?, 0, 0, '')", id);
      PROPERTY_KEYS.forEach((k, i) => this.#sql.exec("INSERT INTO snowfall_properties VALUES (?, ?)", k, values[i]));
    });
    return this.#group();
  }
}

function checkNamespace(namespace) {
  if (!namespace || typeof namespace.idFromName !== "function" || typeof namespace.get !== "function") {
    fail("INVALID_TYPE", "namespace must be a Durable Object namespace binding (env.LEASES, bound to the SnowfallLeases class in wrangler.toml)");
  }
  return namespace;
}

/** The store on one schema group's SnowfallLeases object (one request per call). */
export class DurableObjectStore {
  #namespace; #create;

  /**
   * @param {DurableObjectNamespace} namespace the binding of the SnowfallLeases class
   * @param {string} [schemaGroupName] default "default"; names the object (idFromName)
   * @param {{ createIfMissing?: object | null }} [options] properties (checked) to create the group with on first read
   */
  constructor(namespace, schemaGroupName = "default", { createIfMissing = null } = {}) {
    this.#namespace = checkNamespace(namespace);
    this.schemaGroupName = validateGroupName(schemaGroupName);
    this.#create = createIfMissing;
  }

  /** One request to the object. The stub is made per call, so it belongs to the current request. */
  async #call(op, body) {
    let reply;
    try {
      const stub = this.#namespace.get(this.#namespace.idFromName(this.schemaGroupName));
      const res = await stub.fetch(ORIGIN + op, { method: "POST", body: JSON.stringify(body) });
      reply = await res.json();
    } catch (err) {
      const e = new SnowfallError("DATABASE_ERROR", `the SnowfallLeases Durable Object did not answer ${op} (${err?.message ?? err}): check the binding and its migration in wrangler.toml`, { cause: err });
      if (err?.retryable === true || err?.overloaded === true) e.contention = true; // a reset or overloaded object: a retry can succeed
      throw e;
    }
    if (reply?.error) throw new SnowfallError(reply.error.code ?? "DATABASE_ERROR", `SnowfallLeases ${op}: ${reply.error.message}`);
    return reply?.value;
  }

  readGroup() {
    return this.#call("readGroup", { create: this.#create });
  }

  /** Creates the group (checkStore uses it); `group` in the store's form (docs/PROTOCOL.md). */
  createGroup(group, { ifNotExists = false } = {}) {
    return this.#call("createGroup", { group, ifNotExists });
  }

  readFreeSlots(request) {
    return this.#call("readFreeSlots", request);
  }

  compareAndSwap(request) {
    return this.#call("compareAndSwap", request);
  }

  /** The object's clock (Unix ms), for the skew check at open. */
  now() {
    return this.#call("now", {});
  }

  /** Slots updated at or after `sinceMs` (status). */
  liveSlots(sinceMs) {
    return this.#call("liveSlots", { sinceMs });
  }
}

const STORE_KEYS = ["namespace", "schemaGroupName", "createIfMissing"];
const GROUP_KEYS = ["livelinessProbeS", "epochStartDate", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries", "clock"];

function storeOf(o) {
  const create = o.createIfMissing === undefined || o.createIfMissing === false ? null
    : groupProperties(readOptions(o.createIfMissing === true ? {} : o.createIfMissing, "createIfMissing", GROUP_KEYS));
  return new DurableObjectStore(o.namespace, o.schemaGroupName ?? "default", { createIfMissing: create });
}

/**
 * Generator-id leases in a Durable Object: `Snowfall.create({ syncer: DurableObjectSyncer,
 * namespace: env.LEASES, schemaGroupName })`, or per request through `forWorker`.
 */
export class DurableObjectSyncer {
  /** The store for a schema group (for `Snowfall.create({ store })` and `checkStore`). */
  static store(namespace, schemaGroupName = "default", options = {}) {
    return storeOf({ ...readOptions(options, "options", ["createIfMissing"]), namespace, schemaGroupName });
  }

  /** Creates the group in its object (4096 free slots); returns its properties. */
  static async createSchemaGroup(options) {
    const o = readOptions(options, "options", [...STORE_KEYS, ...GROUP_KEYS, "ifNotExists", "storeTimeoutMs"]);
    const store = storeOf(o);
    const properties = groupProperties(o);
    return administer(o, "creating the schema group", () => store.createGroup(properties, { ifNotExists: o.ifNotExists === true }));
  }

  /** Opens a lease session (what `Snowfall.create({ syncer: DurableObjectSyncer })` calls). */
  static async open(options) {
    const o = readOptions(options, "options", [...STORE_KEYS, "clock", "storeTimeoutMs", "maxClockSkewMs"]);
    return openSession(storeOf(o), o);
  }

  /** The group's properties and its live slots (renewed within two probes), for monitoring. */
  static async status(options) {
    const o = readOptions(options, "options", ["namespace", "schemaGroupName", "clock", "storeTimeoutMs"]);
    const store = storeOf(o);
    return administer(o, "reading the schema group's status", async () => {
      const group = await store.readGroup();
      if (group == null) fail("SCHEMA_GROUP_NOT_FOUND", `schema group ${JSON.stringify(store.schemaGroupName)} does not exist in its Durable Object: create it first (DurableObjectSyncer.createSchemaGroup, or createIfMissing)`);
      const now = readClock(o.clock);
      return { schemaGroupName: store.schemaGroupName, ...group, live: await store.liveSlots(now - 2 * group.livelinessProbeS * 1000) };
    });
  }
}
