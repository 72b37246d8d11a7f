// `npx snowfall-wasm` (js/cli.mjs, run from the built pkg/): create-group, status, decode, generate
// on an SQLite file (the default) and on PostgreSQL and MariaDB URLs.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir, uniqueGroup } from "./helpers/databases.mjs";
import { mariadbUrl, postgresUrl } from "./helpers/servers.mjs";

const CLI = fileURLToPath(new URL("../../pkg/cli.mjs", import.meta.url));
const skip = existsSync(CLI) ? false : "pkg/cli.mjs missing: run `npm run build` first";
const tmp = tempDir();
after(() => tmp.remove());

async function cli(...args) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: tmp.dir, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
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

    r = await cli("generate", "--group", "orders", "--count", "5");
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
    assert.equal(s.slotCount, 4096);
    assert.deepEqual(s.live, [], "generate released its id");
  });

  test("bad input: group name with SQL, unknown command, missing group", async () => {
    let r = await cli("create-group", "--group", "x; DROP TABLE y");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_SCHEMA_GROUP_NAME/);
    r = await cli("frobnicate");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command/);
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
});
