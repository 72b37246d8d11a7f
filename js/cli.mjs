#!/usr/bin/env node
// `npx snowfall-wasm`: set up and inspect schema groups, decode and generate ids from a shell.
// The database drivers are optional peer dependencies, loaded only for the URL given, so
// `npx snowfall-wasm decode ...` needs none and the default (an SQLite file) needs better-sqlite3.
import { parseArgs } from "node:util";
import { DatabaseSyncer, Snowfall, SnowfallError, decodeGuid, fromBetterSqlite3, fromMysql2, fromPg } from "./node.mjs";

const USAGE = `usage: npx snowfall-wasm <command> [options]

commands:
  create-group   create a schema group's tables
                   --group NAME (default "default")  --probe-s N (5)  --epoch ISO-DATE (2020-01-01T00:00:00Z)
                   --max-claim-retries N (3)  --min-retry-ms N (100)  --max-retry-ms N (500)  --if-not-exists
  status         a group's settings and its live generator ids       --group NAME  --json
  decode ID...   split ids into time, counter and generator id       --epoch ISO-DATE, or --group to read it
  generate       lease a generator id, print ids, release it         --group NAME  --count N (1)

options:
  --database URL   sqlite:PATH | postgres://... | mysql://...   (default sqlite:./snowfall.db)
                   drivers: better-sqlite3, pg, mysql2 (install the one you use)
  -h, --help`;

const OPTIONS = {
  database: { type: "string", default: "sqlite:./snowfall.db" },
  group: { type: "string", default: "default" },
  "probe-s": { type: "string" },
  epoch: { type: "string" },
  "max-claim-retries": { type: "string" },
  "min-retry-ms": { type: "string" },
  "max-retry-ms": { type: "string" },
  "if-not-exists": { type: "boolean", default: false },
  count: { type: "string", default: "1" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
};

class UsageError extends Error {}

function integer(name, text) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

async function loadDriver(name) {
  try {
    return (await import(name)).default;
  } catch (err) {
    if (err?.code === "ERR_MODULE_NOT_FOUND") throw new UsageError(`this database needs the \`${name}\` package: npm install ${name}`);
    throw err;
  }
}

/** Opens the database named by a URL; returns the adapter and a close function. */
async function connect(url) {
  if (url.startsWith("sqlite:")) {
    const Database = await loadDriver("better-sqlite3");
    const raw = new Database(url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, ""), { timeout: 5000 });
    return { database: fromBetterSqlite3(raw), close: async () => raw.close() };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pg = await loadDriver("pg");
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    return { database: fromPg(pool), close: () => pool.end() };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    const mysql = await loadDriver("mysql2/promise");
    const pool = mysql.createPool({ uri: url.replace(/^mariadb:/, "mysql:"), connectionLimit: 2 });
    return { database: fromMysql2(pool), close: () => pool.end() };
  }
  throw new UsageError(`--database must be sqlite:PATH, postgres://... or mysql://..., got ${JSON.stringify(url)}`);
}

const iso = (ms) => (ms > 0 ? new Date(ms).toISOString() : "-");

async function withDatabase(values, fn) {
  const { database, close } = await connect(values.database);
  try {
    return await fn(database);
  } finally {
    await close();
  }
}

const commands = {
  "create-group": (values) => withDatabase(values, async (database) => {
    const props = await DatabaseSyncer.createSchemaGroup({
      schemaGroupName: values.group,
      database,
      livelinessProbeS: integer("probe-s", values["probe-s"]),
      epochStartDate: values.epoch,
      maxClaimRetries: integer("max-claim-retries", values["max-claim-retries"]),
      minMsBetweenClaimRetries: integer("min-retry-ms", values["min-retry-ms"]),
      maxMsBetweenClaimRetries: integer("max-retry-ms", values["max-retry-ms"]),
      ifNotExists: values["if-not-exists"],
    });
    print(values, props, () => `schema group ${props.schemaGroupName}: liveliness probe ${props.livelinessProbeS} s, epoch ${iso(props.epochUnixMs)}, ` +
      `claim retries ${props.maxClaimRetries} every ${props.minMsBetweenClaimRetries}-${props.maxMsBetweenClaimRetries} ms`);
  }),

  status: (values) => withDatabase(values, async (database) => {
    const s = await DatabaseSyncer.status({ schemaGroupName: values.group, database });
    print(values, s, () => {
      const now = Date.now();
      const lines = [
        `schema group ${s.schemaGroupName}: probe ${s.livelinessProbeS} s, epoch ${iso(s.epochUnixMs)}, ${s.slotCount} generator ids, ${s.live.length} live`,
      ];
      if (s.live.length) lines.push("generator_id  last_renewal (age)                 window_end                  holder");
      for (const l of s.live) {
        lines.push(`${String(l.generatorId).padStart(12)}  ${iso(l.lastUpdatedMs)} (${((now - l.lastUpdatedMs) / 1000).toFixed(1)} s)  ${iso(l.reservedUntilMs)}  ${l.holder || "(original package)"}`);
      }
      return lines.join("\n");
    });
  }),

  decode: async (values, ids) => {
    if (ids.length === 0) throw new UsageError("decode needs at least one id");
    let epochStartDate = values.epoch === undefined ? undefined : new Date(values.epoch);
    if (epochStartDate === undefined && values.group !== "default") {
      epochStartDate = await withDatabase(values, async (database) => new Date((await DatabaseSyncer.status({ schemaGroupName: values.group, database })).epochUnixMs));
    }
    const out = ids.map((id) => {
      const d = decodeGuid(id, epochStartDate ? { epochStartDate } : undefined);
      return { id, timestamp: d.timestamp.toISOString(), msSinceEpoch: d.msSinceEpoch, loopingCounter: d.loopingCounter, generatorId: d.generatorId };
    });
    print(values, out, () => out.map((d) => `${d.id}  ${d.timestamp}  counter ${d.loopingCounter}  generator ${d.generatorId}`).join("\n"));
  },

  generate: (values) => withDatabase(values, async (database) => {
    const count = integer("count", values.count);
    const gen = await Snowfall.create({ syncer: DatabaseSyncer, schemaGroupName: values.group, database, timers: false });
    try {
      const ids = gen.getGuidStrings(count);
      print(values, ids, () => ids.join("\n"));
    } finally {
      await gen.close();
    }
  }),
};

function print(values, data, text) {
  console.log(values.json ? JSON.stringify(data, null, 2) : text());
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const fn = commands[command];
  if (!fn) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (command !== "decode" && rest.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  await fn(values, rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    if (err instanceof UsageError) {
      console.error(`snowfall-wasm: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof SnowfallError) {
      console.error(`snowfall-wasm: ${err.code}: ${err.message}`);
      process.exitCode = 1;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
