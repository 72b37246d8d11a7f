// The Redis store, and RedisSyncer over it: a schema group's slots in one Redis hash, through
// ioredis or node-redis (the user's client; no driver imported here). I/O only: each store call is
// one atomic Lua script, every lease decision is the core's (src/machine.rs, docs/PROTOCOL.md).
//
// Keys (one hash tag, so a Redis Cluster keeps a group on one node):
//   snowfall:{<group>}:slots   hash: generator id -> "lastUpdatedMs|reservedUntilMs|holder"
//   snowfall:{<group>}:group   hash: livelinessProbeS, epochUnixMs, maxClaimRetries, ...
// A slot never written reads "0|0|" (as a database manifest's fresh row).
import { SnowfallError } from "../errors.js";
import { validateGroupName } from "./sql.js";
import { administer, groupSettings, openSession } from "../lease/session.js";
import { readClock } from "../clock.js";
import { epochValue, readOptions } from "../check.js";

// KEYS[1] slots; ARGV from, to, limit, freeBefore. Returns [id, updated, reserved, holder, ...].
const READ_FREE = `
local out, n = {}, 0
local from, to, limit, free = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local id = from
while id < to and n < limit do
  local last = math.min(id + 63, to - 1)
  local chunk = {}
  for i = id, last do chunk[#chunk + 1] = i end
  local got = redis.call('HMGET', KEYS[1], unpack(chunk))
  for j = 1, #chunk do
    local a, b, h = string.match(got[j] or '0|0|', '^(-?%d+)|(-?%d+)|(.*)$')
    if n < limit and tonumber(a) < free then
      out[#out + 1] = chunk[j]; out[#out + 1] = a; out[#out + 1] = b; out[#out + 1] = h
      n = n + 1
    end
  end
  id = last + 1
end
return out`;

// KEYS[1] slots; ARGV id, expected, next (encoded). 1 if swapped, else 0.
const COMPARE_AND_SWAP = `
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or '0|0|'
if cur ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

// KEYS[1] group; ARGV field, value, ... Creates the group unless it exists: 1 created, 0 existed.
const CREATE_GROUP = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

/** The user's client as one `command(args) -> Promise` (ioredis: call; node-redis: sendCommand). */
function commandOf(client) {
  if (client && typeof client.call === "function" && typeof client.sendCommand === "function" && typeof client.pipeline === "function") {
    return (args) => client.call(...args); // ioredis
  }
  if (client && typeof client.sendCommand === "function") {
    return (args) => client.sendCommand(args.map(String)); // node-redis 4+
  }
  throw new SnowfallError("INVALID_TYPE", "redis must be a connected client: new Redis() from ioredis, or createClient() from redis (node-redis) after `await client.connect()`");
}

const encode = (s) => `${s.lastUpdatedMs}|${s.reservedUntilMs}|${s.holder}`;
const wrap = (what, err) => (err instanceof SnowfallError ? err : new SnowfallError("DATABASE_ERROR", `${what}: ${err?.message ?? err}`, { cause: err }));

export class RedisStore {
  #command; #slots; #group;

  /**
   * @param {object} redis an ioredis or node-redis client
   * @param {string} schemaGroupName
   */
  constructor(redis, schemaGroupName) {
    this.schemaGroupName = validateGroupName(schemaGroupName);
    this.#command = commandOf(redis);
    this.#slots = `snowfall:{${schemaGroupName}}:slots`;
    this.#group = `snowfall:{${schemaGroupName}}:group`;
  }

  async #run(what, args) {
    try {
      return await this.#command(args);
    } catch (err) {
      throw wrap(what, err);
    }
  }

  async readGroup() {
    const flat = await this.#run("reading the schema group", ["HGETALL", this.#group]);
    // ioredis answers HGETALL through call() as a flat array; node-redis's sendCommand too.
    const entries = Array.isArray(flat) ? flat : Object.entries(flat ?? {}).flat();
    if (entries.length === 0) return null;
    const p = {};
    for (let i = 0; i + 1 < entries.length; i += 2) p[String(entries[i])] = Number(entries[i + 1]);
    return {
      schemaGroupName: this.schemaGroupName,
      livelinessProbeS: p.livelinessProbeS,
      epochUnixMs: p.epochUnixMs,
      maxClaimRetries: p.maxClaimRetries,
      minMsBetweenClaimRetries: p.minMsBetweenClaimRetries,
      maxMsBetweenClaimRetries: p.maxMsBetweenClaimRetries,
    };
  }

  /** Creates the group; SCHEMA_GROUP_EXISTS unless `ifNotExists`. */
  async createGroup(props, { ifNotExists = false } = {}) {
    const fields = ["livelinessProbeS", "epochUnixMs", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries"]
      .filter((k) => props[k] !== undefined).flatMap((k) => [k, String(props[k])]);
    const created = await this.#run("creating the schema group", ["EVAL", CREATE_GROUP, "1", this.#group, ...fields]);
    if (Number(created) !== 1 && !ifNotExists) {
      throw new SnowfallError("SCHEMA_GROUP_EXISTS", `schema group ${JSON.stringify(this.schemaGroupName)} already exists in this Redis (pass ifNotExists: true to accept that)`);
    }
    return this.readGroup();
  }

  async readFreeSlots({ from, to, limit, freeBeforeMs }) {
    const flat = await this.#run("reading free generator ids", ["EVAL", READ_FREE, "1", this.#slots, String(from), String(to), String(limit), String(freeBeforeMs)]);
    const rows = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      rows.push({ generatorId: Number(flat[i]), lastUpdatedMs: Number(flat[i + 1]), reservedUntilMs: Number(flat[i + 2]), holder: String(flat[i + 3]) });
    }
    return rows;
  }

  async compareAndSwap({ generatorId, expected, next }) {
    const r = await this.#run(`writing generator id ${generatorId}`, ["EVAL", COMPARE_AND_SWAP, "1", this.#slots, String(generatorId), encode(expected), encode(next)]);
    return Number(r) === 1;
  }

  /** Redis's clock (TIME), for the skew check at open. */
  async now() {
    const [s, us] = await this.#run("reading the Redis clock", ["TIME"]);
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  /** Slots renewed at or after `sinceMs` (status). */
  async liveSlots(sinceMs) {
    return (await this.readFreeSlots({ from: 0, to: 4096, limit: 4096, freeBeforeMs: Number.MAX_SAFE_INTEGER }))
      .filter((s) => s.lastUpdatedMs >= sinceMs);
  }

  /** Deletes the group's keys. */
  async drop() {
    await this.#run("dropping the schema group", ["DEL", this.#slots, this.#group]);
  }
}

// As DatabaseSyncer's: the group's settings are read where a group is made; open() reads the
// group's own from Redis (and only the options it uses, as its types say).
const GROUP_KEYS = ["redis", "schemaGroupName", "livelinessProbeS", "epochStartDate", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries", "ifNotExists", "clock", "storeTimeoutMs"];
const OPEN_KEYS = ["redis", "schemaGroupName", "clock", "storeTimeoutMs", "maxClockSkewMs"];
const TARGET_KEYS = ["redis", "schemaGroupName", "clock", "storeTimeoutMs"];
const read = (options, keys = GROUP_KEYS) => readOptions(options, "options", keys);
const storeOf = (o) => new RedisStore(o.redis, o.schemaGroupName === undefined ? "default" : o.schemaGroupName);

/**
 * Generator-id leases in Redis:
 *   await RedisSyncer.createSchemaGroup({ redis, schemaGroupName: "orders" });
 *   const gen = await Snowfall.create({ syncer: RedisSyncer, redis, schemaGroupName: "orders" });
 */
export class RedisSyncer {
  /** Creates a group (options as DatabaseSyncer's, with `redis` for `database`). */
  static async createSchemaGroup(options) {
    const o = read(options);
    const store = storeOf(o);
    const [probeS, retries, minMs, maxMs] = groupSettings(o);
    const epochUnixMs = epochValue(o.epochStartDate);
    if (epochUnixMs > readClock(o.clock)) throw new SnowfallError("EPOCH_IN_FUTURE", `epochStartDate ${new Date(epochUnixMs).toISOString()} is in the future`);
    const group = { livelinessProbeS: probeS, epochUnixMs, maxClaimRetries: retries, minMsBetweenClaimRetries: minMs, maxMsBetweenClaimRetries: maxMs };
    return administer(o, "creating the schema group", () => store.createGroup(group, { ifNotExists: o.ifNotExists === true }));
  }

  /** Opens a lease session (what `Snowfall.create({ syncer: RedisSyncer })` calls). */
  static async open(options) {
    const o = read(options, OPEN_KEYS);
    return openSession(storeOf(o), o);
  }

  /** The group's settings and its live slots. */
  static async status(options) {
    const o = read(options, TARGET_KEYS);
    const store = storeOf(o);
    return administer(o, "reading the schema group's status", async () => {
      const group = await store.readGroup();
      if (!group) throw new SnowfallError("SCHEMA_GROUP_NOT_FOUND", `schema group ${JSON.stringify(store.schemaGroupName)} does not exist in this Redis: create it first (RedisSyncer.createSchemaGroup)`);
      return { ...group, live: await store.liveSlots(readClock(o.clock) - 2 * group.livelinessProbeS * 1000) };
    });
  }

  /** Deletes a group's keys. */
  static async dropSchemaGroup(options) {
    const o = read(options, TARGET_KEYS);
    const store = storeOf(o);
    await administer(o, "dropping the schema group", () => store.drop());
  }
}
