// npm run bench:db  (= node bench/db.mjs)
//
// The DatabaseSyncer's figures on loopback PostgreSQL, MariaDB and an SQLite file (issue 3,
// "Figures to report"): these are benchmark numbers, not timed tests.
//   1. claim latency p50/p99: N sequential claim() + release() on one session (uncontended)
//   2. renewal latency p50/p99: N sequential renew() of one held lease
//   3. claims per second under contention: P processes x C claimers, each claiming and releasing
//      in a loop for D seconds against one schema group (plus the claim p99 they saw)
//   4. ids per second per generator (single getGuid() calls) while background renewals run with
//      a 1 s liveliness probe, as a % of the format's cap of 2048 ids per ms (2.048M/s)
//   5. statements per claim and per renewal, counted by wrapping the adapter's execute()
// Prints a markdown table and writes bench/db-results.md.
//
// The servers are the test servers of scripts/db (started, and installed if missing, on first
// use). The package is a snapshot of pkg/ taken at start (`npm run build` may run meanwhile).
//
// Options (env): BENCH_DB_KINDS=sqlite,postgres,mysql  BENCH_DB_N (sequential claims, default 300)
// BENCH_DB_PROCS (4) BENCH_DB_CLAIMERS (32) BENCH_DB_CONTENTION_S (3) BENCH_DB_IDS_S (4)
// BENCH_DB_BASELINE=<a built pkg/ of another version, e.g. 0.1.0>: claim and renewal latency are
// also measured with it, in alternating rounds on the same group, and printed side by side.
import { execFileSync, fork } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setImmediate as yieldToLoop } from "node:timers/promises";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const CAP_PER_S = 2048 * 1000;
const env = process.env;
const KINDS = (env.BENCH_DB_KINDS ?? "sqlite,postgres,mysql").split(",");
const N = +(env.BENCH_DB_N ?? 300);
const PROCS = +(env.BENCH_DB_PROCS ?? 4);
const CLAIMERS = +(env.BENCH_DB_CLAIMERS ?? 32);
const CONTENTION_S = +(env.BENCH_DB_CONTENTION_S ?? 3);
const IDS_S = +(env.BENCH_DB_IDS_S ?? 4);
const ROUNDS = 6; // alternating rounds of the BENCH_DB_BASELINE comparison
const NAMES = { sqlite: "SQLite (file, WAL)", postgres: "PostgreSQL", mysql: "MariaDB" };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const ms = (x) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));
const int = (x) => Math.round(x).toLocaleString("en-US");

// ---------------------------------------------------------------- the package (snapshot of pkg/)
function snapshotPackage(src = join(ROOT, "pkg"), tag = "pkg") {
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      const meta = JSON.parse(readFileSync(join(src, "package.json"), "utf8"));
      const rel = meta.exports["."].node.import;
      const snap = join(ROOT, ".tmp", `bench-db-${tag}-${process.pid}`);
      rmSync(snap, { recursive: true, force: true });
      mkdirSync(dirname(snap), { recursive: true });
      cpSync(src, snap, { recursive: true });
      const entry = join(snap, rel);
      if (!existsSync(entry) || !existsSync(join(snap, "snowfall_wasm_bg.wasm"))) throw new Error("incomplete copy");
      process.on("exit", () => rmSync(snap, { recursive: true, force: true }));
      return entry;
    } catch {
      if (!existsSync(join(src, "package.json")) && attempt === 0 && !existsSync(src)) break;
      execFileSync("sleep", ["2"]);
    }
  }
  throw new Error("pkg/ is missing or stayed incomplete: run `npm run build` first");
}

// ---------------------------------------------------------------- databases
const serverUrl = (script) =>
  execFileSync("bash", [join(ROOT, "scripts/db", script)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop();

/** The adapter for `kind`, its execute() wrapped to count statements. */
async function connect(sf, kind, target, poolSize = 4) {
  let database;
  let close;
  let version = "";
  if (kind === "postgres") {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: target, max: poolSize });
    pool.on("error", () => {});
    database = sf.fromPg(pool);
    close = () => pool.end();
    version = (await pool.query("SHOW server_version")).rows[0].server_version;
  } else if (kind === "mysql") {
    const { default: mysql } = await import("mysql2/promise");
    const pool = mysql.createPool({ uri: target, connectionLimit: poolSize });
    database = sf.fromMysql2(pool);
    close = () => pool.end();
    version = (await pool.query("SELECT VERSION() AS v"))[0][0].v;
  } else {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(target, { timeout: 5000 });
    db.pragma("journal_mode = WAL");
    database = sf.fromBetterSqlite3(db);
    close = async () => db.close();
    version = db.prepare("SELECT sqlite_version() AS v").get().v;
  }
  const counted = {
    dialect: database.dialect,
    statements: 0,
    execute(sql, params) {
      counted.statements++;
      return database.execute(sql, params);
    },
  };
  return { database: counted, close, version };
}

// ---------------------------------------------------------------- contention child
if (process.argv[2] === "--child") {
  const cfg = JSON.parse(process.argv[3]);
  const sf = await import(pathToFileURL(cfg.entry).href);
  const { database, close } = await connect(sf, cfg.kind, cfg.target, cfg.poolSize);
  const sessions = [];
  for (let i = 0; i < cfg.claimers; i++) sessions.push(await sf.DatabaseSyncer.open({ schemaGroupName: cfg.group, database }));
  const before = database.statements;
  await sleep(Math.max(0, cfg.startAt - Date.now()));
  const lat = [];
  const failures = {};
  let claims = 0;
  await Promise.all(sessions.map(async (s) => {
    while (Date.now() < cfg.endAt) {
      const t0 = performance.now();
      try {
        await s.claim();
        lat.push(performance.now() - t0);
        claims++;
        await s.release(-1);
      } catch (err) {
        failures[err?.code ?? "error"] = (failures[err?.code ?? "error"] ?? 0) + 1;
      }
    }
  }));
  const statements = database.statements - before;
  await close();
  process.send({ claims, failures, statements, lat }, () => process.exit(0));
} else {
  await main();
}

async function main() {
  const entry = snapshotPackage();
  const sf = await import(pathToFileURL(entry).href);
  const baseline = env.BENCH_DB_BASELINE ? await import(pathToFileURL(snapshotPackage(env.BENCH_DB_BASELINE, "baseline")).href) : null;
  const baselineVersion = env.BENCH_DB_BASELINE ? JSON.parse(readFileSync(join(env.BENCH_DB_BASELINE, "package.json"), "utf8")).version : null;
  const tmp = mkdtempSync(join(tmpdir(), "snowfall-bench-db-"));
  process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
  const rows = [];
  for (const kind of KINDS) {
    const target = kind === "sqlite" ? join(tmp, `${kind}.db`) : serverUrl(kind === "postgres" ? "start-postgres.sh" : "start-mariadb.sh");
    console.error(`[bench:db] ${NAMES[kind]} ...`);
    const row = await measure(sf, entry, kind, target);
    if (baseline) Object.assign(row, await compareLatency(sf, baseline, kind, target));
    rows.push(row);
  }
  let table = renderTable(rows);
  if (baseline) table += `\n\nAgainst ${baselineVersion} (BENCH_DB_BASELINE), same group, ${ROUNDS} alternating rounds of ${Math.round(N / ROUNDS)} sequential calls each:\n\n${renderComparison(rows, baselineVersion)}`;
  console.log(table);
  const header = [
    "# snowfall-wasm: DatabaseSyncer figures",
    "",
    `Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} cores (${cpus()[0]?.model?.trim() ?? "?"}), load ${loadavg().map((x) => x.toFixed(2)).join(" ")}, ${new Date().toISOString()}.`,
    `Servers on loopback (scripts/db: PostgreSQL fsync=off, synchronous_commit=off; MariaDB innodb_flush_log_at_trx_commit=2); SQLite a WAL file on ${tmpdir()}.`,
    `Versions: ${rows.map((r) => `${NAMES[r.kind]} ${r.version}`).join(", ")}. Reproduce with \`npm run bench:db\`.`,
    "",
    `- claim / release / renew: ${N} sequential calls on one session, after a warm-up; a claim is a read of up to 16 free slots plus one compare-and-swap UPDATE. Each renewal moves the session's clock 1 ms on, so none is skipped as a no-op.`,
    `- contention: ${PROCS} processes x ${CLAIMERS} claimers (one session each; ${"pool of 8 connections per process"} for the servers), each claiming and releasing in a loop for ${CONTENTION_S} s on one group; claims/s counts successful claims, the p99 is theirs. On this 2-core machine the ${PROCS} client processes and the server share the cores, so this measures the machine as much as the protocol.`,
    `- ids/s: one generator, single \`getGuid()\` calls for ${IDS_S} s with a 1 s liveliness probe (the loop yields to the event loop every ~5 ms so the unref'd renewal timer runs), in 250 ms slices alternating with an in-memory generator (\`new Snowfall()\`, no renewals) running the same loop; median slice, best slice, median of the pairwise ratios, and the median CPU share this process got during its slices (below 100 %: other processes took the core); cap = 2048 ids/ms (a slice can read slightly above 100 %: it touches one millisecond more than its length).`,
    "- statements: counted by wrapping the adapter's `execute()`.",
    "",
  ].join("\n");
  const notes = rows.map((r) => `- ${NAMES[r.kind]}: contention failures ${JSON.stringify(r.contentionFailures)}; errors while minting ${JSON.stringify(r.mintErrors)}; renewals during the ids run ${r.renewalsDuringRun} (${r.renewalStatementsDuringRun} statements).`).join("\n");
  writeFileSync(join(HERE, "db-results.md"), `${header}\n${table}\n\n${notes}\n`);
  console.error(`[bench:db] wrote bench/db-results.md`);
}

async function measure(sf, entry, kind, target) {
  const { database, close, version } = await connect(sf, kind, target, 4);
  const group = `bench_${kind}_${process.pid}`;
  await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName: group, database });
  await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName: group, database, livelinessProbeS: 1 });
  const out = { kind, version };
  try {
    // 1, 2, 5: sequential claim / release / renew on one session.
    // The session's clock runs 1 ms ahead per renewal: back-to-back renewals in one real ms would
    // otherwise be skipped as no-ops (nothing to write), and measure nothing.
    let bump = 0;
    const session = await sf.DatabaseSyncer.open({ schemaGroupName: group, database, clock: () => Date.now() + bump });
    for (let i = 0; i < 20; i++) { await session.claim(); await session.release(-1); }
    const claimLat = [], releaseLat = [], renewLat = [];
    let claimStmts = 0, releaseStmts = 0, renewStmts = 0;
    for (let i = 0; i < N; i++) {
      let s0 = database.statements, t0 = performance.now();
      await session.claim();
      claimLat.push(performance.now() - t0);
      claimStmts += database.statements - s0;
      s0 = database.statements; t0 = performance.now();
      await session.release(-1);
      releaseLat.push(performance.now() - t0);
      releaseStmts += database.statements - s0;
    }
    await session.claim();
    for (let i = 0; i < N; i++) {
      bump++;
      const s0 = database.statements, t0 = performance.now();
      if (!(await session.renew())) throw new Error("renewal lost the lease");
      renewLat.push(performance.now() - t0);
      renewStmts += database.statements - s0;
    }
    await session.release(-1);
    Object.assign(out, {
      claimP50: quantile(claimLat, 0.5), claimP99: quantile(claimLat, 0.99),
      releaseP50: quantile(releaseLat, 0.5), renewP50: quantile(renewLat, 0.5), renewP99: quantile(renewLat, 0.99),
      stmtsPerClaim: claimStmts / N, stmtsPerRelease: releaseStmts / N, stmtsPerRenew: renewStmts / N,
    });

    // 3: contention, P processes x C claimers.
    const startAt = Date.now() + 1500 + 300 * PROCS;
    const endAt = startAt + CONTENTION_S * 1000;
    const children = Array.from({ length: PROCS }, () => new Promise((resolve, reject) => {
      const child = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify({ entry, kind, target, group, claimers: CLAIMERS, poolSize: 8, startAt, endAt })], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      let result = null;
      child.on("message", (m) => { result = m; });
      child.on("exit", (code) => (result ? resolve(result) : reject(new Error(`contention child exited ${code}`))));
    }));
    const results = await Promise.all(children);
    const claims = results.reduce((a, r) => a + r.claims, 0);
    const lat = results.flatMap((r) => r.lat);
    const failures = {};
    for (const r of results) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
    Object.assign(out, {
      claimsPerS: claims / CONTENTION_S,
      contendedP50: quantile(lat, 0.5), contendedP99: quantile(lat, 0.99),
      // Each contended loop is claim + release: subtract the one release statement per claim.
      stmtsPerContendedClaim: (results.reduce((a, r) => a + r.statements, 0) - claims) / Math.max(1, claims),
      contentionFailures: failures,
    });

    // 4: ids/s per generator while the background renewal runs (probe 1 s), in 250 ms slices
    // alternating with an in-memory generator running the same loop (no renewals at all): the
    // machine's load drifts, so slices are compared pairwise (median of the per-pair ratios).
    const gen = await sf.Snowfall.create({ syncer: sf.DatabaseSyncer, schemaGroupName: group, database });
    const mem = new sf.Snowfall();
    const dbSlices = [], memSlices = [], cpuShares = [];
    const errors = {};
    const s0 = database.statements;
    for (let round = 0; round < IDS_S * 4; round++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      dbSlices.push(await mintFor(gen, 250, errors));
      cpuShares.push((() => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1000 / (performance.now() - t0); })());
      memSlices.push(await mintFor(mem, 250, errors));
    }
    const renewalStatements = database.statements - s0;
    await gen.close();
    mem.close();
    Object.assign(out, {
      idsPerS: quantile(dbSlices, 0.5), pctCap: quantile(dbSlices, 0.5) / CAP_PER_S, bestPctCap: Math.max(...dbSlices) / CAP_PER_S,
      memIdsPerS: quantile(memSlices, 0.5), ratioToMem: quantile(dbSlices.map((x, i) => x / memSlices[i]), 0.5),
      cpuShare: quantile(cpuShares, 0.5), mintErrors: errors,
      renewalStatementsDuringRun: renewalStatements,
      renewalsDuringRun: Math.round(renewalStatements / Math.max(1, out.stmtsPerRenew)),
    });
  } finally {
    await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName: group, database }).catch(() => {});
    await close();
  }
  return out;
}

/** Claim and renewal latency of this package and `baseline`, alternating rounds on one group. */
async function compareLatency(sf, baseline, kind, target) {
  const { database, close } = await connect(sf, kind, target, 4);
  const group = `benchcmp_${kind}_${process.pid}`;
  await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName: group, database });
  await sf.DatabaseSyncer.createSchemaGroup({ schemaGroupName: group, database, livelinessProbeS: 1 });
  const lat = { new: { claim: [], renew: [] }, old: { claim: [], renew: [] } };
  try {
    let bump = 0;
    const clock = () => Date.now() + bump;
    const sessions = {
      new: await sf.DatabaseSyncer.open({ schemaGroupName: group, database, clock }),
      old: await baseline.DatabaseSyncer.open({ schemaGroupName: group, database, clock }),
    };
    for (const s of Object.values(sessions)) for (let i = 0; i < 20; i++) { await s.claim(); await s.release(-1); }
    for (let round = 0; round < ROUNDS; round++) {
      for (const which of round % 2 ? ["old", "new"] : ["new", "old"]) {
        const s = sessions[which];
        for (let i = 0; i < N / ROUNDS; i++) {
          const t0 = performance.now();
          await s.claim();
          lat[which].claim.push(performance.now() - t0);
          await s.release(-1);
        }
        await s.claim();
        for (let i = 0; i < N / ROUNDS; i++) {
          bump++;
          const t0 = performance.now();
          await s.renew();
          lat[which].renew.push(performance.now() - t0);
        }
        await s.release(-1);
      }
    }
  } finally {
    await sf.DatabaseSyncer.dropSchemaGroup({ schemaGroupName: group, database }).catch(() => {});
    await close();
  }
  const q = (xs) => [quantile(xs, 0.5), quantile(xs, 0.99)];
  return { cmp: { newClaim: q(lat.new.claim), oldClaim: q(lat.old.claim), newRenew: q(lat.new.renew), oldRenew: q(lat.old.renew) } };
}

function renderComparison(rows, baselineVersion) {
  const L = [`| database | claim p50 / p99 (ms), this | claim p50 / p99, ${baselineVersion} | p50 ratio | renew p50 / p99 (ms), this | renew p50 / p99, ${baselineVersion} | p50 ratio |`, "|---|---:|---:|---:|---:|---:|---:|"];
  for (const r of rows) {
    const c = r.cmp;
    L.push(`| ${NAMES[r.kind]} | ${ms(c.newClaim[0])} / ${ms(c.newClaim[1])} | ${ms(c.oldClaim[0])} / ${ms(c.oldClaim[1])} | ${(c.newClaim[0] / c.oldClaim[0]).toFixed(2)} | ${ms(c.newRenew[0])} / ${ms(c.newRenew[1])} | ${ms(c.oldRenew[0])} / ${ms(c.oldRenew[1])} | ${(c.newRenew[0] / c.oldRenew[0]).toFixed(2)} |`);
  }
  return L.join("\n");
}

/** Single getGuid() calls for `durMs`, yielding to the event loop every ~5 ms; resolves to ids/s. */
async function mintFor(gen, durMs, errors) {
  let last = 0n;
  let n = 0;
  const t0 = performance.now();
  const end = t0 + durMs;
  let now = t0;
  while (now < end) {
    const slice = now + 5;
    while (now < slice) {
      try {
        for (let i = 0; i < 1024; i++) {
          const id = gen.getGuid();
          if (id <= last) throw new Error("ids out of order");
          last = id;
          n++;
        }
      } catch (err) {
        const code = err.code ?? err.message;
        errors[code] = (errors[code] ?? 0) + 1;
      }
      now = performance.now();
    }
    await yieldToLoop();
    now = performance.now();
  }
  return n / ((performance.now() - t0) / 1000);
}

function renderTable(rows) {
  const L = [];
  L.push("| database | claim p50 / p99 (ms) | release p50 (ms) | renew p50 / p99 (ms) | claims/s, " + `${PROCS}x${CLAIMERS} claimers | contended claim p50 / p99 (ms) | ids/s per generator, renewals running: median (% of 2.048M/s cap) | best slice | ÷ in-memory generator, same loop | CPU share | statements per claim (contended) | per renewal | per release |`);
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    L.push(`| ${NAMES[r.kind]} ${r.version} | ${ms(r.claimP50)} / ${ms(r.claimP99)} | ${ms(r.releaseP50)} | ${ms(r.renewP50)} / ${ms(r.renewP99)} | ${int(r.claimsPerS)} | ${ms(r.contendedP50)} / ${ms(r.contendedP99)} | ${int(r.idsPerS)} (${(100 * r.pctCap).toFixed(1)} %) | ${(100 * r.bestPctCap).toFixed(1)} % | ${r.ratioToMem.toFixed(3)} | ${(100 * r.cpuShare).toFixed(0)} % | ${r.stmtsPerClaim.toFixed(2)} (${r.stmtsPerContendedClaim.toFixed(2)}) | ${r.stmtsPerRenew.toFixed(2)} | ${r.stmtsPerRelease.toFixed(2)} |`);
  }
  return L.join("\n");
}
