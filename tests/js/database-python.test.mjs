// Interop with the original Python package (snowfall 1.0.7 from PyPI, in a virtualenv made by
// scripts/db/python-snowfall.sh): a group it creates opens here; a group created here works for
// it (claim, heartbeat, ids); and in a mixed fleet neither side takes an id the other holds.
// (The original cannot create groups on MySQL/MariaDB at all: its SMALLINT primary key becomes
// AUTO_INCREMENT and inserting id 0 collides with id 1, so only the JS-created direction runs there.)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sf, ANY_SKEW } from "./helpers/package.mjs";

const { DatabaseSyncer } = sf;
import { statementsFor } from "../../js/database/dialects.js";
import { openDatabase, tempDir, uniqueGroup } from "./helpers/databases.mjs";
import { mariadbUrl, postgresUrl, scriptsDir } from "./helpers/servers.mjs";

const INSTANCE = fileURLToPath(new URL("./helpers/python-instance.py", import.meta.url));
let python;
const tmp = tempDir();
const children = new Set();
before(() => {
  python = execFileSync("bash", [scriptsDir + "python-snowfall.sh"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n").pop();
});
after(() => {
  for (const c of children) c.kill("SIGKILL");
  tmp.remove();
});

/** Runs the original package's create_schema_group. */
function pyCreate(url, group, probe) {
  execFileSync(python, [INSTANCE, JSON.stringify({ action: "create", url, group, probe })], { encoding: "utf8", timeout: 60_000 });
}

/** Starts a Python Snowfall instance; resolves to { generatorId, guids, stop() } once it holds an id. */
function pyHold(url, group) {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [INSTANCE, JSON.stringify({ action: "hold", url, group })], { stdio: ["pipe", "pipe", "pipe"] });
    children.add(child);
    let out = "", err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        const info = JSON.parse(out.split("\n")[0]);
        resolve({ ...info, stop: () => new Promise((r) => { child.on("exit", r); child.stdin.end(); }) });
      }
    });
    child.stderr.on("data", (d) => { err += d; });
    child.on("exit", (code) => { children.delete(child); if (!out.includes("\n")) reject(new Error(`python instance exited ${code}: ${err.split("\n").slice(-4).join("\n")}`)); });
  });
}

const KINDS = {
  sqlite: { pyCreates: true },
  postgres: { pyCreates: true },
  mysql: { pyCreates: false },
};

for (const [kind, { pyCreates }] of Object.entries(KINDS)) {
  describe(`original Python package and snowfall-wasm on ${kind}`, () => {
    let db;
    let pyUrl;
    const groups = [];
    before(async () => {
      const file = join(tmp.dir, `${kind}.db`);
      db = await openDatabase(kind, kind === "sqlite" ? { file } : {});
      pyUrl = kind === "sqlite" ? `sqlite:///${file}` : kind === "postgres" ? postgresUrl().replace(/^postgres:/, "postgresql:") : mariadbUrl().replace(/^mysql:/, "mysql+pymysql:");
    });
    after(async () => {
      for (const schemaGroupName of groups) await DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database: db.database });
      await db.close();
    });
    const q = (s, table) => {
      let i = 0;
      const text = s.replaceAll("$T", kind === "mysql" ? "`" + table + "`" : `"${table}"`);
      return kind === "postgres" ? text.replace(/\?/g, () => `$${++i}`) : text;
    };

    if (!pyCreates) {
      test("the original cannot create a group on MySQL/MariaDB (its defect): groups there are created here", () => {
        assert.throws(() => pyCreate(pyUrl, uniqueGroup(`pyc_${kind}`), 5));
      });
    }

    if (pyCreates) test("a group created by the Python package opens here and ids decode alike", async () => {
      const group = uniqueGroup(`pyc_${kind}`);
      groups.push(group);
      pyCreate(pyUrl, group, 5);
      const s = await DatabaseSyncer.open({ schemaGroupName: group, database: db.database });
      assert.equal(s.epochUnixMs, Date.UTC(2020, 0, 1));
      const lease = await s.claim();
      const py = await pyHold(pyUrl, group);
      assert.notEqual(py.generatorId, lease.generatorId);
      const pyId = BigInt(py.guids[0]);
      assert.equal(Number(pyId & 4095n), py.generatorId);
      assert.ok(Math.abs(Number(pyId >> 23n) + s.epochUnixMs - Date.now()) < 60_000, "same epoch on both sides");
      await py.stop();
    });

    test("a group created here works for Python instances, and a mixed fleet never shares an id", async () => {
      const group = uniqueGroup(`jsc_${kind}`);
      groups.push(group);
      await DatabaseSyncer.createSchemaGroup({ schemaGroupName: group, database: db.database, livelinessProbeS: 2, maxClaimRetries: 1, minMsBetweenClaimRetries: 1, maxMsBetweenClaimRetries: 2 });
      const { manifestName } = statementsFor(db.database.dialect, group);
      // Only ids 5 and 6 free: one for each side, then both must find the group full.
      await db.database.execute(q("UPDATE $T SET last_updated_ms = ? WHERE generator_id NOT IN (5, 6)", manifestName), [Date.now() + 3_600_000]);
      const s = await DatabaseSyncer.open({ schemaGroupName: group, database: db.database });
      const jsLease = await s.claim();
      const py = await pyHold(pyUrl, group);
      assert.deepEqual([jsLease.generatorId, py.generatorId].sort(), [5, 6]);
      assert.equal(Number(BigInt(py.guids[0]) & 4095n), py.generatorId);
      await s.renew();
      await assert.rejects((await DatabaseSyncer.open({ schemaGroupName: group, database: db.database })).claim(), { code: "GENERATOR_IDS_EXHAUSTED" });
      await assert.rejects(pyHold(pyUrl, group), /in use|OverflowError/);

      // Python's heartbeat (a compare-and-swap on last_updated_ms) keeps working on our table.
      const before = (await db.database.execute(q("SELECT last_updated_ms FROM $T WHERE generator_id = ?", manifestName), [py.generatorId])).rows[0].last_updated_ms;
      await new Promise((r) => setTimeout(r, 2600));
      await s.renew();
      const afterBeat = (await db.database.execute(q("SELECT last_updated_ms FROM $T WHERE generator_id = ?", manifestName), [py.generatorId])).rows[0].last_updated_ms;
      assert.ok(afterBeat > before, "the Python instance renewed its row");
      await assert.rejects((await DatabaseSyncer.open({ schemaGroupName: group, database: db.database })).claim(), { code: "GENERATOR_IDS_EXHAUSTED" }, "its id is still taken");
      await py.stop();
      await s.release(-1);
    });

    test("a released id is not taken by a Python instance whose clock is behind the last ms minted", async () => {
      const group = uniqueGroup(`rel_${kind}`);
      groups.push(group);
      await DatabaseSyncer.createSchemaGroup({ schemaGroupName: group, database: db.database, maxClaimRetries: 1, minMsBetweenClaimRetries: 1, maxMsBetweenClaimRetries: 2 });
      const { manifestName } = statementsFor(db.database.dialect, group);
      await db.database.execute(q("UPDATE $T SET last_updated_ms = ? WHERE generator_id <> 9", manifestName), [Date.now() + 3_600_000]);
      // This JS host's clock runs 60 s ahead of the Python host's (the real clock).
      const ahead = () => Date.now() + 60_000;
      const s = await DatabaseSyncer.open({ schemaGroupName: group, database: db.database, clock: ahead, ...ANY_SKEW });
      const lease = await s.claim();
      assert.equal(lease.generatorId, 9);
      await s.release(ahead()); // minted up to its "now"
      // The original would mint id 9 at its own (earlier) clock, repeating milliseconds just used.
      await assert.rejects(pyHold(pyUrl, group), /in use|OverflowError/);
      // A claimer with the same clock as the releaser gets the id back at once.
      await new Promise((r) => setTimeout(r, 2));
      assert.equal((await (await DatabaseSyncer.open({ schemaGroupName: group, database: db.database, clock: ahead, ...ANY_SKEW })).claim()).generatorId, 9);
    });
  });
}
