// Contention: 8 OS processes x 64 claimers claim at the same instant against one group, on each
// database with a server (and a shared SQLite file). Every claim must succeed with a distinct id.
// Prints `[contention] {json}` with latency percentiles and statements per claim.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sf } from "./helpers/package.mjs";
import { installedPackage } from "../runtimes/pack.mjs";

const { DatabaseSyncer } = sf;
import { openDatabase, tempDir, uniqueGroup } from "./helpers/databases.mjs";
import { mariadbUrl, postgresUrl } from "./helpers/servers.mjs";

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL("./helpers/claim-worker.mjs", import.meta.url));
const PROCESSES = 8;
const CLAIMERS = 64;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const tmp = tempDir();
after(() => tmp.remove());

for (const kind of ["sqlite", "postgres", "mysql"]) {
  describe(`contention on ${kind}`, () => {
    test(`${PROCESSES} processes x ${CLAIMERS} claimers at once: all distinct`, { timeout: 120_000 }, async () => {
      const file = join(tmp.dir, "contention.db");
      const db = await openDatabase(kind, kind === "sqlite" ? { file } : {});
      const group = uniqueGroup(`cont_${kind}`);
      await DatabaseSyncer.createSchemaGroup({ schemaGroupName: group, database: db.database, livelinessProbeS: 60 });
      const url = kind === "sqlite" ? file : kind === "postgres" ? postgresUrl() : mariadbUrl();
      const { packageDir, packageJson } = await installedPackage();
      const entry = join(packageDir, packageJson.exports["."].node.import);
      const startAt = Date.now() + 3000; // time for every process to load and connect
      try {
        const outs = await Promise.all(Array.from({ length: PROCESSES }, () =>
          run(process.execPath, [WORKER, JSON.stringify({ entry, kind, url, group, claimers: CLAIMERS, startAt })], { timeout: 90_000 })));
        const results = outs.map(({ stdout }) => JSON.parse(stdout.trim().split("\n").at(-1)));
        const errors = results.flatMap((r) => r.errors);
        assert.deepEqual(errors, [], "every claim succeeds");
        const ids = results.flatMap((r) => r.ids);
        assert.equal(ids.length, PROCESSES * CLAIMERS);
        assert.equal(new Set(ids).size, ids.length, "no generator id handed out twice");
        const lat = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
        const statements = results.reduce((n, r) => n + r.statements, 0);
        console.log(`[contention] ${JSON.stringify({ kind, claims: ids.length, p50Ms: +pct(lat, 50).toFixed(1), p99Ms: +pct(lat, 99).toFixed(1), maxMs: +lat.at(-1).toFixed(1), statementsPerClaim: +(statements / ids.length).toFixed(2) })}`);
      } finally {
        await DatabaseSyncer.dropSchemaGroup({ schemaGroupName: group, database: db.database });
        await db.close();
      }
    });
  });
}
