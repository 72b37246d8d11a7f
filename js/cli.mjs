#!/usr/bin/env node
// `npx snowfall-wasm`: set up and inspect schema groups, decode and generate ids from a shell, in
// Node, Deno and Bun. The database drivers are optional peer dependencies, loaded only for the URL
// given; SQLite uses the runtime's own where it has one (bun:sqlite, node:sqlite), else better-sqlite3.
// Every failure is one line on stderr, `error CODE: message`; exit 1, or 2 for a usage error.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

// Deno's import entry needs no read permission; everywhere else the Node entry.
const sf = await import(typeof Deno === "object" ? "./deno.mjs" : "./node.mjs");
const { DatabaseSyncer, SimpleSyncer, Snowfall, SnowfallError, decodeGuid, guidLimits, fromBetterSqlite3, fromBunSqlite, fromMysql2, fromNodeSqlite, fromPg, schemaGroupSql } = sf;

const DEFAULT_SQLITE = "sqlite:./snowfall.db";
const DATABASE_HELP = `  --database URL   sqlite:PATH | postgres://... | mysql://...   (or $DATABASE_URL; default ${DEFAULT_SQLITE})
  --group NAME     schema group (or $SNOWFALL_GROUP; default "default")`;

const COMMANDS = {
  "create-group": {
    summary: "create a schema group's tables",
    usage: "create-group [--group NAME] [--database URL] [options]",
    options: `  --probe-s N              liveliness probe, seconds (5)
  --epoch ISO-DATE         epoch of the ids (2020-01-01T00:00:00Z)
  --max-claim-retries N (3)  --min-retry-ms N (100)  --max-retry-ms N (500)
  --if-not-exists          succeed if the group exists
${DATABASE_HELP}`,
  },
  sql: {
    summary: "print a schema group's tables and rows as SQL (for wrangler d1 execute --file, migrations)",
    usage: "sql [--dialect sqlite|postgres|mysql] [--group NAME] [options]",
    options: `  --dialect D              sqlite (D1; default), postgres or mysql
  --group NAME             schema group (or $SNOWFALL_GROUP; default "default")
  --probe-s N              liveliness probe, seconds (5)
  --epoch ISO-DATE         epoch of the ids (2020-01-01T00:00:00Z)
  --max-claim-retries N (3)  --min-retry-ms N (100)  --max-retry-ms N (500)
  Touches no database: e.g. snowfall-wasm sql --group orders > orders.sql && wrangler d1 execute DB --file orders.sql`,
  },
  status: {
    summary: "a group's settings and its live generator ids (read-only)",
    usage: "status [--group NAME] [--database URL]",
    options: `${DATABASE_HELP}
  Never creates a database: a missing SQLite file is DATABASE_NOT_FOUND.`,
  },
  decode: {
    summary: "split ids into time, counter and generator id",
    usage: "decode ID... [--epoch ISO-DATE | --group NAME]",
    options: `  --epoch ISO-DATE   the ids' epoch (default 2020-01-01T00:00:00Z)
  --group NAME       read the epoch from this group's database instead (read-only)
  --database URL     where that group is (or $DATABASE_URL)`,
  },
  generate: {
    summary: "lease a generator id, print ids, release it",
    usage: "generate [--count N] [--group NAME] [--database URL]",
    options: `  --count N          how many ids (1)
  --group NAME       schema group (or $SNOWFALL_GROUP; default "default")
  --database URL     lease the generator id in this database (or $DATABASE_URL). Without either,
                     ids come from an in-memory generator (generator id 0, --epoch to set the epoch):
                     unique within this run only`,
  },
};

const USAGE = `usage: snowfall-wasm <command> [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`).join("\n")}
  help COMMAND  options of a command

options for every command:
  --json           machine-readable output on stdout
  -h, --help       this help (snowfall-wasm COMMAND --help: the command's)
  --version        the package version

environment: DATABASE_URL (for --database), SNOWFALL_GROUP (for --group)
drivers: better-sqlite3 (SQLite on Node 20; Node 22.13+, Deno and Bun use their own), pg, mysql2
exit codes: 0 success, 1 failure (error CODE: message on stderr), 2 usage error`;

const commandHelp = (name) => `usage: snowfall-wasm ${COMMANDS[name].usage}\n\n${COMMANDS[name].summary}\n\n${COMMANDS[name].options}\n  --json           machine-readable output`;

const OPTIONS = {
  database: { type: "string" },
  group: { type: "string" },
  "probe-s": { type: "string" },
  epoch: { type: "string" },
  "max-claim-retries": { type: "string" },
  "min-retry-ms": { type: "string" },
  "max-retry-ms": { type: "string" },
  "if-not-exists": { type: "boolean", default: false },
  dialect: { type: "string" },
  count: { type: "string", default: "1" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", default: false },
};

/** An error of the command line itself (exit 2). */
const usageError = (message) => Object.assign(new SnowfallError("USAGE", `${message} (see snowfall-wasm --help)`), { exitCode: 2 });

// Deno without --allow-env refuses to read the environment: read it as unset.
function env(name) {
  try {
    return process.env[name] || undefined;
  } catch {
    return undefined;
  }
}

function integer(name, text) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw usageError(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

// The package a module comes from: `npm install mysql2`, never `npm install mysql2/promise`.
const packageOf = (specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

async function loadDriver(specifier, hint = "") {
  try {
    return await import(specifier);
  } catch (err) {
    // Node's codes, Yarn Plug'n'Play's (pnpCode: a peer the project does not provide), or the text.
    const notFound = err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND" || typeof err?.pnpCode === "string" ||
      /Cannot find (module|package)|not found/i.test(String(err?.message));
    if (notFound) throw new SnowfallError("DRIVER_NOT_INSTALLED", `this database needs the ${packageOf(specifier)} package: npm install ${packageOf(specifier)}${hint}`);
    throw err;
  }
}

// Node 22 warns on stderr that node:sqlite is experimental: not this command's output.
async function quietly(load) {
  const emitWarning = process.emitWarning;
  process.emitWarning = (w, ...rest) => (/SQLite is an experimental/.test(String(w?.message ?? w)) ? undefined : emitWarning.call(process, w, ...rest));
  try {
    return await load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

// For a hint only: Deno without --allow-read refuses to look (treated as absent).
function exists(file) {
  try {
    return existsSync(file);
  } catch {
    return false;
  }
}

// SQLite: the runtime's own (Bun, Deno, Node 22.13+) unless better-sqlite3 is installed in Node.
async function openSqlite(file, { readOnly }) {
  if (readOnly && file !== ":memory:" && !existsSync(file)) {
    throw new SnowfallError("DATABASE_NOT_FOUND", `no SQLite database at ${file}: create a group there with \`snowfall-wasm create-group\`, or pass --database (or DATABASE_URL)`);
  }
  const opening = async () => {
    if (typeof Bun === "object") {
      const { Database } = await import("bun:sqlite");
      const raw = new Database(file, readOnly ? { readonly: true } : { create: true });
      raw.run("PRAGMA busy_timeout = 5000");
      return { database: fromBunSqlite(raw), close: async () => raw.close() };
    }
    let BetterSqlite3;
    if (typeof Deno !== "object") {
      try { BetterSqlite3 = (await import("better-sqlite3")).default; } catch { /* the runtime's own, if any */ }
    }
    if (BetterSqlite3) {
      const raw = new BetterSqlite3(file, { timeout: 5000, readonly: readOnly, fileMustExist: readOnly });
      return { database: fromBetterSqlite3(raw), close: async () => raw.close() };
    }
    const { DatabaseSync } = await quietly(() => loadDriver("node:sqlite")).catch(() => ({}));
    if (!DatabaseSync) await loadDriver("better-sqlite3", " (or run on Node 22.13+, Deno or Bun, which have SQLite built in)");
    const raw = new DatabaseSync(file, { timeout: 5000, readOnly });
    return { database: fromNodeSqlite(raw), close: async () => raw.close() };
  };
  try {
    return await opening();
  } catch (err) {
    if (err instanceof SnowfallError) throw err;
    throw new SnowfallError("DATABASE_ERROR", `cannot open the SQLite database ${file}: ${err?.message ?? err}`, { cause: err });
  }
}

/** Opens the database named by a URL; returns the adapter and a close function. */
async function connect(url, { readOnly = false } = {}) {
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, ""), { readOnly });
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pg = (await loadDriver("pg")).default;
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    return { database: fromPg(pool), close: () => pool.end() };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    const mysql = (await loadDriver("mysql2/promise")).default;
    const pool = mysql.createPool({ uri: url.replace(/^mariadb:/, "mysql:"), connectionLimit: 2 });
    return { database: fromMysql2(pool), close: () => pool.end() };
  }
  throw usageError(`--database must be sqlite:PATH, postgres://... or mysql://..., got ${JSON.stringify(url)}`);
}

const iso = (ms) => (ms > 0 ? new Date(ms).toISOString() : "-");

async function withDatabase(values, fn, options) {
  const { database, close } = await connect(values.database ?? DEFAULT_SQLITE, options);
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

  sql: async (values) => {
    const text = schemaGroupSql({
      dialect: values.dialect ?? "sqlite",
      schemaGroupName: values.group,
      livelinessProbeS: integer("probe-s", values["probe-s"]),
      epochStartDate: values.epoch,
      maxClaimRetries: integer("max-claim-retries", values["max-claim-retries"]),
      minMsBetweenClaimRetries: integer("min-retry-ms", values["min-retry-ms"]),
      maxMsBetweenClaimRetries: integer("max-retry-ms", values["max-retry-ms"]),
    });
    print(values, { dialect: values.dialect ?? "sqlite", schemaGroupName: values.group, sql: text }, () => text.trimEnd());
  },

  status: (values) => withDatabase(values, async (database) => {
    const s = await DatabaseSyncer.status({ schemaGroupName: values.group, database });
    const l = guidLimits({ epochStartDate: s.epochUnixMs });
    const limits = { liveGeneratorIds: s.live.length, idsPassSignedBigint: l.passesSignedBigint.toISOString(), idsEnd: l.layoutEnds.toISOString() };
    print(values, { ...s, ...limits }, () => {
      const now = Date.now();
      const lines = [
        `schema group ${s.schemaGroupName}: probe ${s.livelinessProbeS} s, epoch ${iso(s.epochUnixMs)}, ${s.live.length} of ${s.slotCount} generator ids live`,
        `ids pass 2^63 (signed BIGINT columns) on ${limits.idsPassSignedBigint}; the last ms of the layout (2^64) is ${limits.idsEnd}`,
      ];
      if (s.live.length) lines.push("generator_id  last_renewal (age)                 window_end                  holder");
      for (const l of s.live) {
        lines.push(`${String(l.generatorId).padStart(12)}  ${iso(l.lastUpdatedMs)} (${((now - l.lastUpdatedMs) / 1000).toFixed(1)} s)  ${iso(l.reservedUntilMs)}  ${l.holder || "(original package)"}`);
      }
      return lines.join("\n");
    });
  }, { readOnly: true }),

  decode: async (values, ids) => {
    if (ids.length === 0) throw usageError("decode needs at least one id");
    let epochStartDate = values.epoch === undefined ? undefined : new Date(values.epoch);
    if (epochStartDate === undefined && values.group !== "default") {
      epochStartDate = await withDatabase(values, async (database) => new Date((await DatabaseSyncer.status({ schemaGroupName: values.group, database })).epochUnixMs), { readOnly: true });
    }
    const out = ids.map((id) => {
      const d = decodeGuid(id, epochStartDate ? { epochStartDate } : undefined);
      return { id, timestamp: d.timestamp.toISOString(), msSinceEpoch: d.msSinceEpoch, loopingCounter: d.loopingCounter, generatorId: d.generatorId };
    });
    print(values, out, () => out.map((d) => `${d.id}  ${d.timestamp}  counter ${d.loopingCounter}  generator ${d.generatorId}`).join("\n"));
  },

  generate: async (values) => {
    const count = integer("count", values.count);
    const emit = (gen) => {
      const ids = gen.getGuidStrings(count);
      print(values, ids, () => ids.join("\n"));
    };
    if (values.database === undefined) {
      const unused = exists("snowfall.db") ? " (./snowfall.db is not used: pass --database sqlite:./snowfall.db)" : "";
      console.error(`note: no --database or DATABASE_URL: ids from an in-memory generator, unique within this run only${unused}`);
      if (!SimpleSyncer.hasSchemaGroup(values.group)) {
        SimpleSyncer.createSchemaGroup({ schemaGroupName: values.group, epochStartDate: values.epoch === undefined ? undefined : new Date(values.epoch) });
      }
      const gen = new Snowfall({ schemaGroupName: values.group });
      try { emit(gen); } finally { gen.close(); }
      return;
    }
    await withDatabase(values, async (database) => {
      const gen = await Snowfall.create({ syncer: DatabaseSyncer, schemaGroupName: values.group, database, timers: false });
      try { emit(gen); } finally { await gen.close(); }
    });
  },
};

function print(values, data, text) {
  console.log(values.json ? JSON.stringify(data, null, 2) : text());
}

function version() {
  return JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version;
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(err.message);
  }
  const { values, positionals } = parsed;
  let [command, ...rest] = positionals;
  if (values.version) {
    print(values, { version: version() }, () => `snowfall-wasm ${version()}`);
    return 0;
  }
  if (command === "help") {
    [command, ...rest] = rest;
    if (!command) { console.log(USAGE); return 0; }
    values.help = true;
  }
  if (!command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!Object.hasOwn(commands, command)) throw usageError(`unknown command ${JSON.stringify(command)}`);
  if (values.help) {
    console.log(commandHelp(command));
    return 0;
  }
  if (command !== "decode" && rest.length) throw usageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  values.database ??= env("DATABASE_URL");
  values.group ??= env("SNOWFALL_GROUP") ?? "default";
  await commands[command](values, rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // Deno's refusals (NotCapable: run again with --allow-read...) are PERMISSION_DENIED.
    const code = err instanceof SnowfallError ? err.code : err?.name === "NotCapable" ? "PERMISSION_DENIED" : "INTERNAL";
    const message = String(err?.message ?? err).replace(/\s*\n\s*/g, " ");
    console.error(`error ${code}: ${message}`);
    process.exitCode = err?.exitCode ?? 1;
  },
);
