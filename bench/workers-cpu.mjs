// CPU of the first exhausted millisecond under a frozen clock, in real workerd (Miniflare 4): this
// build against the 0.1.0 package (which spun 2^16 clock reads before borrowing).
//
//   node scripts/build.mjs && node bench/workers-cpu.mjs [--reps 5000] [--trials 15] [--v010 /work/wt-v010/pkg]
//   (0.1.0 runs reps/25 repetitions and trials/3 trials: each of its repetitions costs ms)
//
// Method. A Worker holds one generator on an injected clock that only the Worker moves. One
// repetition = getGuids(2048) at time t (the millisecond's whole sequence, as one batch so that the
// floor stays small beside the difference), then one getGuid() more, then the
// clock jumps 5 s ahead (past any borrowed ms, so every repetition starts alike):
//   measured: the 2049th id comes at the same t: the ms is exhausted, the generator waits/borrows;
//   floor:    the clock moves to t+1 first: the 2049th id starts a fresh ms, nothing is exhausted.
// Both make the same ids with the same calls; the difference per repetition is what the first
// exhausted ms costs. Deployed Workers do not move Date.now()/performance.now() during synchronous
// work, so a Worker cannot time itself there; the figure is the CPU time of the workerd process
// (the sum over its threads of /proc/<pid>/task/<tid>/schedstat, ns on CPU) around each request,
// taken from outside, which a busy machine does not inflate the way wall time is. The two modes
// alternate, `trials` requests each, and the medians are compared. Printed beside it: the wall time
// of the same requests, and performance.now() inside the Worker (local workerd moves it; a
// cross-check only).
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Miniflare } from "miniflare";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({ options: {
  reps: { type: "string", default: "5000" },
  trials: { type: "string", default: "15" },
  v010: { type: "string", default: "/work/wt-v010/pkg" },
} });
const REPS = Number(args.reps);
const TRIALS = Number(args.trials);
const OLD = { reps: Math.max(1, Math.round(REPS / 25)), trials: Math.max(3, Math.round(TRIALS / 3)) | 1 };

const WORKER = `import { Snowfall } from "snowfall-wasm";
let t = Date.UTC(2026, 0, 1);
let reads = 0;
const clock = () => (reads++, t);
const gen = new Snowfall({ clock });
export default {
  fetch(request) {
    const url = new URL(request.url);
    const floor = url.pathname === "/floor";
    const reps = Number(url.searchParams.get("reps"));
    const p0 = performance.now();
    reads = 0;
    let sink = 0n;
    for (let r = 0; r < reps; r++) {
      sink ^= gen.getGuids(2048)[2047];
      if (floor) t += 1;
      sink ^= gen.getGuid();
      t += 5000;
    }
    return Response.json({ reads: reads / reps, sink: String(sink), inWorker: (performance.now() - p0) * 1e6 });
  },
};
`;

const work = path.join(tmpdir(), `snowfall-bench-workers-cpu-${process.pid}`);
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

/** Bundles the Worker against one package directory (esbuild, the README's recipe). */
async function bundle(name, packageDir) {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  cpSync(packageDir, path.join(dir, "node_modules", "snowfall-wasm"), { recursive: true });
  writeFileSync(path.join(dir, "index.js"), WORKER);
  const out = path.join(dir, "dist");
  await run(path.join(repo, "node_modules", ".bin", "esbuild"), ["index.js", "--bundle", "--format=esm", "--conditions=workerd",
    "--loader:.wasm=copy", `--outdir=${out}`, "--log-level=warning"], { cwd: dir });
  const files = readdirSync(out).map(String).sort((a, b) => (a === "index.js" ? -1 : b === "index.js" ? 1 : 0));
  return { out, modules: files.map((f) => ({ type: f.endsWith(".wasm") ? "CompiledWasm" : "ESModule", path: path.join(out, f) })) };
}

/** Every workerd process that is a child of this process (Miniflare's runtime). */
function workerdPids() {
  const pids = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid && /\(workerd\)/.test(stat)) pids.push(pid);
    } catch {}
  }
  return pids;
}

/** ns on CPU of the given processes, all threads. */
function cpuNs(pids) {
  let ns = 0;
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {}
    }
  }
  return ns;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function measure(name, packageDir, { reps, trials }) {
  const { out, modules } = await bundle(name, packageDir);
  const before = new Set(workerdPids());
  const mf = new Miniflare({ modules, modulesRoot: out, compatibilityDate: "2026-04-01" });
  try {
    await mf.ready;
    const pids = workerdPids().filter((p) => !before.has(p));
    if (pids.length === 0) throw new Error("no workerd child process found");
    const call = async (mode, reps) => {
      const c0 = cpuNs(pids);
      const w0 = performance.now();
      const res = await mf.dispatchFetch(`http://bench.test/${mode}?reps=${reps}`);
      const body = await res.json();
      if (res.status !== 200) throw new Error(JSON.stringify(body));
      return { cpu: cpuNs(pids) - c0, wall: (performance.now() - w0) * 1e6, ...body };
    };
    await call("floor", 50); // warm up (JIT)
    await call("measured", 50);
    const rows = { floor: [], measured: [] };
    for (let i = 0; i < trials; i++) {
      for (const mode of i % 2 ? ["measured", "floor"] : ["floor", "measured"]) rows[mode].push(await call(mode, reps));
    }
    const pick = (mode, key) => median(rows[mode].map((r) => r[key])) / reps;
    // Trial i's two requests ran back to back: their difference, sorted, gives the spread.
    const diffs = rows.floor.map((f, i) => (rows.measured[i].cpu - f.cpu) / reps).sort((a, b) => a - b);
    return {
      name, reps, trials, quartiles: [diffs[diffs.length >> 2], diffs[(3 * diffs.length) >> 2]],
      floorCpu: pick("floor", "cpu"), measuredCpu: pick("measured", "cpu"),
      floorWall: pick("floor", "wall"), measuredWall: pick("measured", "wall"),
      floorIn: pick("floor", "inWorker"), measuredIn: pick("measured", "inWorker"),
      readsFloor: rows.floor[0].reads, readsMeasured: rows.measured[0].reads,
    };
  } finally {
    await mf.dispose();
  }
}

const us = (ns) => (ns / 1000).toFixed(1);
const results = [await measure("this build", path.join(repo, "pkg"), { reps: REPS, trials: TRIALS })];
if (existsSync(path.join(args.v010, "package.json"))) results.push(await measure("0.1.0", args.v010, OLD));

console.log(`# first exhausted ms under a frozen clock, workerd (Miniflare 4), medians per repetition`);
console.log(`# (repetition = getGuids(2048) + getGuid(); floor: the clock moves before the getGuid(); measured: it does not)`);
for (const r of results) {
  const extraCpu = r.measuredCpu - r.floorCpu;
  console.log(`${r.name.padEnd(10)} ${r.reps} reps x ${r.trials} trials; CPU: floor ${us(r.floorCpu)} us, measured ${us(r.measuredCpu)} us -> first exhausted ms ${us(extraCpu)} us CPU ` +
    `(paired quartiles ${us(r.quartiles[0])}..${us(r.quartiles[1])} us; ${(extraCpu / 1e5).toFixed(3)}x the 0.1 ms target); wall: floor ${us(r.floorWall)} us, measured ${us(r.measuredWall)} us ` +
    `(+${us(r.measuredWall - r.floorWall)} us); in the Worker: +${us(r.measuredIn - r.floorIn)} us; ` +
    `clock reads per repetition: floor ${r.readsFloor}, measured ${r.readsMeasured}`);
}
if (results.length === 2) {
  // This build's cost sits near the noise of a request's CPU: compare against its upper quartile.
  const [now, old] = results;
  const bound = Math.max(now.quartiles[1], 100);
  console.log(`0.1.0 / this build, first exhausted ms CPU: >= ${((old.measuredCpu - old.floorCpu) / bound).toFixed(0)}x ` +
    `(0.1.0's median over this build's upper paired quartile, at least 0.1 us)`);
}
