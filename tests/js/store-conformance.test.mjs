// The conformance kit (snowfall-wasm/testing, as installed) against every store the package ships
// (the SQL store on SQLite, PostgreSQL, MariaDB and D1) and the Map-backed custom store of the
// tests; and against broken stores, which it must refuse, each for the reason it is broken.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { KINDS, openDatabase, uniqueGroup } from "./helpers/databases.mjs";
import { MapStore } from "./helpers/map-store.mjs";
import { sf } from "./helpers/package.mjs";
import { installedPackage } from "../runtimes/pack.mjs";

const { packageDir, packageJson } = await installedPackage();
const { checkStore } = await import(pathToFileURL(path.join(packageDir, packageJson.exports["./testing"].default)).href);

for (const kind of KINDS) {
  describe(`the SQL store on ${kind}`, () => {
    let db;
    after(() => db?.close());
    test("passes the conformance kit", { timeout: 240_000 }, async () => {
      db = await openDatabase(kind);
      const schemaGroupName = uniqueGroup(`conf_${kind}`);
      const passed = await checkStore(() => new sf.SqlStore(db.database, schemaGroupName));
      assert.ok(passed.length >= 10, `${passed.length} checks`);
      await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName, database: db.database });
    });
  });
}

describe("custom stores", () => {
  test("the Map-backed store of the tests passes", async () => {
    const passed = await checkStore(() => new MapStore({ probeS: 5 }));
    assert.ok(passed.length >= 9);
  });

  const broken = {
    "a compareAndSwap that ignores the holder": (s) => {
      const cas = s.compareAndSwap.bind(s);
      s.compareAndSwap = async (r) => cas({ ...r, expected: { ...r.expected, holder: s.slot(r.generatorId).holder } });
    },
    "a readFreeSlots that ignores the limit": (s) => {
      const read = s.readFreeSlots.bind(s);
      s.readFreeSlots = async (r) => read({ ...r, limit: 4096 });
    },
    "a store that rounds values (a DOUBLE column)": (s) => {
      const cas = s.compareAndSwap.bind(s);
      s.compareAndSwap = async (r) => cas({ ...r, next: { ...r.next, reservedUntilMs: Math.round(r.next.reservedUntilMs / 1024) * 1024 } });
    },
    "a compareAndSwap that is not atomic (read, then write after a pause)": (s) => {
      s.compareAndSwap = async ({ generatorId, expected, next }) => {
        const cur = s.slot(generatorId);
        const matches = cur.lastUpdatedMs === expected.lastUpdatedMs && cur.reservedUntilMs === expected.reservedUntilMs && cur.holder === expected.holder;
        await new Promise((r) => setTimeout(r, 1));
        if (matches) s.slots.set(generatorId, { ...next });
        return matches;
      };
    },
  };
  for (const [what, breakIt] of Object.entries(broken)) {
    test(`${what} fails the kit, naming the check`, async () => {
      const store = new MapStore({ probeS: 5 });
      breakIt(store);
      await assert.rejects(checkStore(() => store), (e) => e instanceof sf.SnowfallError && e.code === "STORE_CHECK_FAILED" && e.failed.length >= 1 && e.passed.length >= 1);
    });
  }
});
