// `npx snowfall-wasm` (js/cli.mjs): create-group, status, decode, generate on an SQLite file (the
// default) and on PostgreSQL and MariaDB URLs, run from the built pkg/ (the repo's drivers resolve
// from there); help, --version, environment, errors; missing drivers from the installed package
// (a consumer project with no driver). Node 22, Deno and Bun: tests/runtimes/other-runtimes.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir, uniqueGroup } from "./helpers/databases.mjs";
import { mariadbUrl, postgresUrl } from "./helpers/servers.mjs";
import { installedPackage } from "../runtimes/pack.mjs";

const CLI = fileURLToPath(new URL("../../pkg/cli.mjs", import.meta.url));
const skip = existsSync(CLI) ? false : "pkg/cli.mjs missing: run `npm run build` first";
const tmp = tempDir();
after(() => tmp.remove());

async function cliIn(cwd, cli, args, env = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { cwd, timeout: 30_000, env: { ...process.env, DATABASE_URL: "", SNOWFALL_GROUP: "", ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const cli = (...args) => cliIn(tmp.dir, CLI, args);
/** A new empty directory, to see what a command leaves behind. */
const emptyDir = () => mkdtempSync(path.join(tmp.dir, "empty-"));

/** Asserts a failure: this exit code and exactly one stderr line `error CODE: ...`, no stack. */
function failsWith(r, exitCode, code, re) {
  assert.equal(r.code, exitCode, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.ok(lines[0].startsWith(`error ${code}: `), lines[0]);
  if (re) assert.match(lines[0], re);
}

describe("snowfall-wasm CLI", { skip }, () => {
  test("default SQLite file: create-group, generate, decode, status", async () => {
    let r = await cli("create-group", "--group", "orders", "--probe-s", "2", "--epoch", "2021-01-01T00:00:00Z");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(`${tmp.dir}/snowfall.db`), "defaults to ./snowfall.db");
    r = await cli("create-group", "--group", "orders");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SCHEMA_GROUP_EXISTS/);
    assert.equal((await cli("create-group", "--group", "orders", "--if-not-exists")).code, 0);

    r = await cli("generate", "--database", "sqlite:./snowfall.db", "--group", "orders", "--count", "5");
    assert.equal(r.code, 0, r.stderr);
    const ids = r.stdout.trim().split("\n").map(BigInt);
    assert.equal(ids.length, 5);
    for (let i = 1; i < 5; i++) assert.ok(ids[i] > ids[i - 1]);

    r = await cli("decode", "--group", "orders", "--json", String(ids[0]));
    const [d] = JSON.parse(r.stdout);
    assert.ok(Math.abs(Date.parse(d.timestamp) - Date.now()) < 60_000, "decoded with the group's 2021 epoch");
    r = await cli("decode", "133494887688437760");
    assert.match(r.stdout, /2020-07-03T04:30:30\.720Z\s+counter 0\s+generator 0/);

    r = await cli("status", "--group", "orders", "--json");
    const s = JSON.parse(r.stdout);
    assert.equal(s.livelinessProbeS, 2);
    assert.deepEqual([s.idsPassSignedBigint, s.idsEnd], ["2055-11-04T19:53:47.776Z", "2090-09-07T15:47:35.551Z"], "2^40 ms and 2^41 - 1 ms after the 2021 epoch");
    r = await cli("status", "--group", "orders");
    assert.match(r.stdout, /0 of 4096 generator ids live\nids pass 2\^63 \(signed BIGINT columns\) on 2055-11-04T19:53:47\.776Z; the last ms of the layout \(2\^64\) is 2090-09-07T15:47:35\.551Z/);
    assert.equal(s.slotCount, 4096);
    assert.deepEqual(s.live, [], "generate released its id");
  });

  test("status shows the live generator ids against 4096 while a generator holds one, and the 2^63 / 2^64 dates of guidLimits", async () => {
    const { sf } = await import("./helpers/package.mjs");
    const { openDatabase } = await import("./helpers/databases.mjs");
    const dir = emptyDir();
    const file = path.join(dir, "live.db");
    const group = uniqueGroup("live");
    assert.equal((await cliIn(dir, CLI, ["create-group", "--database", `sqlite:${file}`, "--group", group])).code, 0);
    const db = await openDatabase("sqlite", { file });
    const gen = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName: group, database: db.database, timers: false });
    try {
      const args = ["status", "--database", `sqlite:${file}`, "--group", group];
      const s = JSON.parse((await cliIn(dir, CLI, [...args, "--json"])).stdout);
      const limits = sf.guidLimits({ epochStartDate: s.epochUnixMs });
      assert.deepEqual([s.liveGeneratorIds, s.slotCount, s.live.map((l) => l.generatorId)], [1, 4096, [gen.generatorId]]);
      assert.deepEqual([s.idsPassSignedBigint, s.idsEnd], [limits.passesSignedBigint.toISOString(), limits.layoutEnds.toISOString()]);
      assert.deepEqual([s.idsPassSignedBigint, s.idsEnd], ["2054-11-03T19:53:47.776Z", "2089-09-06T15:47:35.551Z"], "the default 2020 epoch");
      const text = (await cliIn(dir, CLI, args)).stdout;
      assert.match(text, /1 of 4096 generator ids live\nids pass 2\^63 \(signed BIGINT columns\) on 2054-11-03T19:53:47\.776Z/);
      assert.match(text, new RegExp(`^\\s+${gen.generatorId}  \\d{4}-`, "m"), "a row for the live id");
      await gen.close();
      assert.equal(JSON.parse((await cliIn(dir, CLI, [...args, "--json"])).stdout).liveGeneratorIds, 0, "released");
    } finally {
      await gen.close();
      await db.close();
    }
  });

  test("sql: a group's DDL and rows for D1 (applied to a fresh SQLite file, it opens as a schema group); touches no database", async () => {
    const dir = emptyDir();
    const r = await cliIn(dir, CLI, ["sql", "--group", "orders", "--probe-s", "7"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(dir), [], "no file made");
    assert.match(r.stdout, /CREATE TABLE IF NOT EXISTS "snowfall_orders_manifest"/);
    const { default: Database } = await import("better-sqlite3");
    const file = path.join(dir, "d1.db");
    const raw = new Database(file);
    raw.exec(r.stdout);
    raw.exec(r.stdout); // twice: changes nothing
    raw.close();
    const s = await cliIn(dir, CLI, ["status", "--database", `sqlite:${file}`, "--group", "orders", "--json"]);
    assert.equal(s.code, 0, s.stderr);
    const status = JSON.parse(s.stdout);
    assert.equal(status.livelinessProbeS, 7);
    assert.equal(status.slotCount, 4096);
    const bad = await cliIn(dir, CLI, ["sql", "--group", "x; DROP TABLE t"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error INVALID_SCHEMA_GROUP_NAME: /);
    const pg = await cliIn(dir, CLI, ["sql", "--dialect", "postgres", "--group", "orders", "--json"]);
    assert.equal(pg.code, 0, pg.stderr);
    assert.doesNotMatch(JSON.parse(pg.stdout).sql, /\$\d|\?/, "no placeholder left");
  });

  test("bad input: group name with SQL, unknown command, missing group", async () => {
    let r = await cli("create-group", "--group", "x; DROP TABLE y");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_SCHEMA_GROUP_NAME/);
    r = await cli("frobnicate");
    failsWith(r, 2, "USAGE", /unknown command "frobnicate" \(see snowfall-wasm --help\)/);
    r = await cli("status", "--group", "nothere");
    assert.match(r.stderr, /SCHEMA_GROUP_NOT_FOUND/);
  });

  for (const [kind, url] of [["postgres", postgresUrl], ["mysql", mariadbUrl]]) {
    test(`--database ${kind}://`, async () => {
      const group = uniqueGroup(`cli_${kind}`);
      assert.equal((await cli("create-group", "--database", url(), "--group", group)).code, 0);
      const r = await cli("generate", "--database", url(), "--group", group, "--count", "2");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split("\n").length, 2);
      const s = JSON.parse((await cli("status", "--database", url(), "--group", group, "--json")).stdout);
      assert.equal(s.schemaGroupName, group);
    });
  }

  test("--version, --help (exit codes), help COMMAND = COMMAND --help, help of an unknown command", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../pkg/package.json", import.meta.url), "utf8"));
    let r = await cli("--version");
    assert.deepEqual([r.code, r.stdout.trim()], [0, `snowfall-wasm ${version}`]);
    assert.deepEqual(JSON.parse((await cli("--version", "--json")).stdout), { version });
    r = await cli("--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /exit codes: 0 success, 1 failure \(error CODE: message on stderr\), 2 usage error/);
    assert.match(r.stdout, /DATABASE_URL.*SNOWFALL_GROUP/);
    for (const command of ["create-group", "status", "decode", "generate"]) {
      r = await cli("help", command);
      assert.equal(r.code, 0);
      assert.ok(r.stdout.startsWith(`usage: snowfall-wasm ${command}`), r.stdout);
      assert.equal((await cli(command, "--help")).stdout, r.stdout);
    }
    failsWith(await cli("help", "nope"), 2, "USAGE", /unknown command "nope"/);
    failsWith(await cli("status", "--bogus"), 2, "USAGE", /Unknown option '--bogus'/);
    failsWith(await cli("generate", "--count", "many"), 2, "USAGE", /--count must be a non-negative integer/);
    assert.equal((await cli()).code, 2, "no command: usage, exit 2");
  });

  test("read-only commands create no file: status and decode --group on a missing SQLite file", async () => {
    const dir = emptyDir();
    failsWith(await cliIn(dir, CLI, ["status"]), 1, "DATABASE_NOT_FOUND", /no SQLite database at \.\/snowfall\.db: create a group there with `snowfall-wasm create-group`/);
    failsWith(await cliIn(dir, CLI, ["status", "--database", "sqlite:other.db", "--json"]), 1, "DATABASE_NOT_FOUND", /other\.db/);
    failsWith(await cliIn(dir, CLI, ["decode", "--group", "orders", "133494887688437760"]), 1, "DATABASE_NOT_FOUND");
    assert.deepEqual(readdirSync(dir), [], "nothing was created");
  });

  test("an SQLite path in a missing directory is one line DATABASE_ERROR, no stack", async () => {
    failsWith(await cli("create-group", "--database", "sqlite:/nonexistent/dir/x.db"), 1, "DATABASE_ERROR", /cannot open the SQLite database \/nonexistent\/dir\/x\.db: .*directory does not exist/);
  });

  test("generate with no --database or DATABASE_URL: in memory, no file, --json, --epoch, --group", async () => {
    const dir = emptyDir();
    let r = await cliIn(dir, CLI, ["generate", "--count", "3"]);
    assert.equal(r.code, 0, r.stderr);
    const ids = r.stdout.trim().split("\n").map(BigInt);
    assert.equal(ids.length, 3);
    assert.ok(ids[0] < ids[1] && ids[1] < ids[2]);
    assert.match(r.stderr, /^note: no --database or DATABASE_URL: ids from an in-memory generator, unique within this run only\n$/);
    r = await cliIn(dir, CLI, ["generate", "--json", "--count", "2", "--group", "orders", "--epoch", "2024-01-01T00:00:00Z"]);
    const json = JSON.parse(r.stdout);
    assert.equal(json.length, 2);
    const decoded = JSON.parse((await cliIn(dir, CLI, ["decode", "--json", "--epoch", "2024-01-01T00:00:00Z", json[0]])).stdout);
    assert.ok(Math.abs(Date.parse(decoded[0].timestamp) - Date.now()) < 60_000, "made with the 2024 epoch");
    assert.deepEqual(readdirSync(dir), [], "no database file");
  });

  test("DATABASE_URL and SNOWFALL_GROUP come from the environment; flags win", async () => {
    const dir = emptyDir();
    const env = { DATABASE_URL: "sqlite:./env.db", SNOWFALL_GROUP: "from_env" };
    let r = await cliIn(dir, CLI, ["create-group", "--json"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).schemaGroupName, "from_env");
    assert.deepEqual(readdirSync(dir), ["env.db"]);
    r = await cliIn(dir, CLI, ["generate", "--count", "2"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "leased in the database, no in-memory note");
    const s = JSON.parse((await cliIn(dir, CLI, ["status", "--json"], env)).stdout);
    assert.deepEqual([s.schemaGroupName, s.live], ["from_env", []]);
    failsWith(await cliIn(dir, CLI, ["status", "--group", "other"], env), 1, "SCHEMA_GROUP_NOT_FOUND");
    failsWith(await cliIn(dir, CLI, ["status", "--database", "sqlite:./none.db"], env), 1, "DATABASE_NOT_FOUND");
  });

  test("--json on every command: create-group, status, decode, generate, --version", async () => {
    const dir = emptyDir();
    const db = ["--database", "sqlite:./j.db", "--json"];
    for (const args of [["create-group", ...db], ["status", ...db], ["generate", ...db], ["decode", "--json", "133494887688437760"], ["--version", "--json"]]) {
      const r = await cliIn(dir, CLI, args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.doesNotThrow(() => JSON.parse(r.stdout), `${args.join(" ")} prints JSON`);
    }
  });

  test("missing drivers (installed package, no driver): the package to install, exit 1, one line", async () => {
    const { projectDir, packageDir } = await installedPackage();
    const installedCli = path.join(packageDir, "cli.mjs");
    const run = (...args) => cliIn(projectDir, installedCli, args);
    failsWith(await run("status", "--database", "mysql://u@127.0.0.1:1/x"), 1, "DRIVER_NOT_INSTALLED", /needs the mysql2 package: npm install mysql2$/);
    failsWith(await run("status", "--database", "postgres://u@127.0.0.1:1/x"), 1, "DRIVER_NOT_INSTALLED", /needs the pg package: npm install pg$/);
    failsWith(await run("create-group", "--database", "sqlite:./x.db"), 1, "DRIVER_NOT_INSTALLED",
      /needs the better-sqlite3 package: npm install better-sqlite3 \(or run on Node 22\.13\+, Deno or Bun, which have SQLite built in\)$/);
    assert.equal(existsSync(path.join(projectDir, "x.db")), false);
    const r = await run("decode", "133494887688437760");
    assert.equal(r.code, 0, "decode needs no driver");
  });
});
