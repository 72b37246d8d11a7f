// npm run bench  (= node --expose-gc bench/bench.mjs)
//
// snowfall-wasm against the generators users would otherwise pick, in ONE process:
// 3 runs x 5 rounds, contenders interleaved within each round (rotated order), medians.
// Ratios are taken between measurements of the same round, then the median of those ratios is
// reported: absolute times on a noisy machine only compare within one run.
//
// Scenarios
//   1. floors: Date.now(); a wasm export returning i64 -> BigInt; a wasm export that reads an
//      imported Date.now and returns i64 (hand-written modules, bench/floors.mjs)
//   2. burst: 1000 single-id calls right after a millisecond tick (below every per-ms cap)
//   3. sustained: one generator called continuously for 200 ms -> ids/s vs. the format cap
//   4. bulk: getGuids(1000) right after a tick, every id read out of the BigUint64Array, against
//      the floors of any API returning a fresh array (slice() of a prefilled BigUint64Array + read)
//      and of reading a reused one (getGuidsInto); the contenders alternate burst by burst and
//      each ratio is the median of per-burst-pair ratios (a descheduled burst is an outlier)
//   5. decode: decodeGuid per call against @sapphire/snowflake's deconstruct, alternating in
//      samples of 2,000 calls, ratios from sample pairs likewise
//   6. wasm size, imports and cold start in fresh processes, paired with @sapphire/snowflake
//      (bench/cold.mjs, which also prints the stage breakdown on its own)
//   6. memory: wasm memory after 1M `new Snowfall()` + close() and after one getGuids(2^24), in a
//      child process (bench/memory.mjs; BENCH_MEMORY_GENERATORS sets the 1M)
//   correctness: 100k ids in a tight loop per contender -> duplicates, order violations, throws
//
// Options (env): BENCH_RUNS, BENCH_ROUNDS, BENCH_BURSTS (bursts per round), BENCH_SUSTAIN_MS,
// BENCH_COLD (cold-start samples), BENCH_ONLY=burst,sustained,bulk,decode,cold,correct,memory (subset).

import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { i64ReturnFloor, nowI64ReturnFloor } from './floors.mjs';
import { coldContenders, coldTable, measureCold } from './cold.mjs';
import { makeBulk, warmBatchApi } from './into-read.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const require = createRequire(import.meta.url);

const RUNS = +(process.env.BENCH_RUNS ?? 3);
const ROUNDS = +(process.env.BENCH_ROUNDS ?? 5);
const BURSTS = +(process.env.BENCH_BURSTS ?? 40); // bursts of BURST_N calls per contender per round
const BURST_N = 1000;
const SUSTAIN_MS = +(process.env.BENCH_SUSTAIN_MS ?? 200);
const COLD_SAMPLES = +(process.env.BENCH_COLD ?? 31); // whole-process ratios differ by a few % of ~150 ms: 15 samples left them to noise
const CORRECT_N = 100_000;
const ONLY = new Set((process.env.BENCH_ONLY ?? 'burst,sustained,bulk,decode,cold,correct,memory').split(','));
const EPOCH = Date.UTC(2020, 0, 1);
const OURS = 'snowfall-wasm';
const CAP_PER_S = 2048 * 1000; // 11-bit counter per ms

const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.warn('(run with --expose-gc, i.e. `npm run bench`, for steadier figures)');

// ---------------------------------------------------------------- our package, if built
function resolveExport(target, conditions) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) { const r = resolveExport(t, conditions); if (r) return r; }
    return null;
  }
  if (target && typeof target === 'object') {
    for (const [k, v] of Object.entries(target)) {
      if (conditions.includes(k)) { const r = resolveExport(v, conditions); if (r) return r; }
    }
  }
  return null;
}

function entryOf(dir, kind = 'import') {
  const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  let exp = p.exports;
  if (exp && typeof exp === 'object' && !Array.isArray(exp) && '.' in exp) exp = exp['.'];
  const rel = kind === 'require'
    ? (exp && resolveExport(exp, ['node', 'require', 'default'])) ?? p.main
    : (exp && resolveExport(exp, ['node', 'import', 'default'])) ?? p.module ?? p.main;
  if (!rel) throw new Error(`${dir}/package.json has no usable entry for node/import`);
  return join(dir, rel);
}

// pkg/ is rebuilt (rm -rf + regenerate) by `npm run build`, possibly while the bench runs: the
// bench works on a snapshot of it taken at start (under .tmp/, which is gitignored), so every
// measurement, including the cold-start children, sees one complete build.
function findOurEntry() {
  const src = join(ROOT, 'pkg');
  for (let attempt = 0; attempt < 30; attempt++) {
    if (!existsSync(join(src, 'package.json'))) return null;
    try {
      if (!existsSync(entryOf(src))) throw new Error('entry missing');
      const snap = join(ROOT, '.tmp', `bench-pkg-${process.pid}`);
      rmSync(snap, { recursive: true, force: true });
      mkdirSync(dirname(snap), { recursive: true });
      cpSync(src, snap, { recursive: true });
      const entry = entryOf(snap);
      if (!existsSync(entry) || walk(snap).length === 0) throw new Error('incomplete copy');
      process.on('exit', () => rmSync(snap, { recursive: true, force: true }));
      let cjs = null;
      try { cjs = entryOf(snap, 'require'); if (!cjs.endsWith('.cjs') || !existsSync(cjs)) cjs = null; } catch { cjs = null; }
      return { url: pathToFileURL(entry).href, dir: snap, cjs };
    } catch {
      // a build is in progress: wait for it
      execFileSync('sleep', ['2']);
    }
  }
  throw new Error('pkg/ stayed incomplete for 60 s (a build in progress?)');
}

const OUR = findOurEntry();
const OUR_ENTRY = OUR?.url;
const ours = OUR ? await import(OUR_ENTRY) : null;
if (!ours) console.warn('pkg/package.json not found: our rows are skipped (run `npm run build` first)');

// ---------------------------------------------------------------- peers
const { Snowflake: NodejsSnowflake } = require('nodejs-snowflake');
const { Snowflake: SapphireSnowflake } = await import('@sapphire/snowflake');
const FlakeId = require('flake-idgen');
const { v7: uuidv7 } = await import('uuid');

const ver = (n) => JSON.parse(readFileSync(join(ROOT, 'node_modules', n, 'package.json'), 'utf8')).version;

// Per-contender descriptions. `expr` is the single-id call on `ctx`; each contender gets its own
// freshly compiled loop functions (new Function with a unique tag) so no call site is shared
// between contenders and each stays monomorphic, as it would be in an application.
const contenders = [];
function contender(c) { contenders.push(c); return c; }

const floorNow = contender({ name: 'floor: Date.now()', kind: 'floor', ctx: () => null, expr: 'Date.now()' });
const floorI64 = contender({ name: 'floor: wasm export -> i64 BigInt', kind: 'floor', ctx: () => i64ReturnFloor(), expr: 'ctx()' });
const floorNowI64 = contender({ name: 'floor: wasm(Date.now import) -> i64 BigInt', kind: 'floor', ctx: () => nowI64ReturnFloor(), expr: 'ctx()' });
const us = ours && contender({
  name: OURS, kind: 'ours', cap: CAP_PER_S,
  ctx: () => new ours.Snowfall(), close: (g) => g.close?.(),
  expr: 'ctx.getGuid()', toBig: (x) => x,
});
const nodejsSnowflake = contender({
  name: `nodejs-snowflake ${ver('nodejs-snowflake')}`, kind: 'peer', cap: 1024 * 1000,
  ctx: () => new NodejsSnowflake({ custom_epoch: EPOCH, instance_id: 1 }), close: (g) => g.free?.(),
  expr: 'ctx.getUniqueID()', toBig: (x) => x,
});
const sapphire = contender({
  name: `@sapphire/snowflake ${ver('@sapphire/snowflake')}`, kind: 'peer', capNote: 'none: 12-bit counter wraps without waiting',
  ctx: () => new SapphireSnowflake(EPOCH), expr: 'ctx.generate()', toBig: (x) => x,
});
const flake = contender({
  name: `flake-idgen ${ver('flake-idgen')}`, kind: 'peer', cap: 4096 * 1000,
  ctx: () => new FlakeId({ epoch: EPOCH, id: 1 }),
  // sync next() throws when the 4096 per-ms sequence is exhausted; a caller has to retry
  expr: 'ctx.next()', retry: true, toBig: (b) => b.readBigUInt64BE(0),
});
const uuid = contender({
  name: `uuid ${ver('uuid')} v7`, kind: 'peer', ctx: () => uuidv7, expr: 'ctx()', toBig: null,
});
const peers = [nodejsSnowflake, sapphire, flake, uuid];
const generators = [us, ...peers].filter(Boolean);

// ---------------------------------------------------------------- loop factories
let uniq = 0;
const tagOf = (c) => `${c.name.replace(/[^a-z0-9]+/gi, '_')}_${++uniq}`;
const callSrc = (c) => c.retry
  ? `{ for (;;) { try { v = ${c.expr}; break; } catch (e) { throws++; } } }`
  : `v = ${c.expr};`;

// burst(ctx, sink, n, bursts) -> ns/id: wait for a ms tick, time n calls, repeat.
function makeBurst(c) {
  return new Function('ctx', 'sink', 'n', 'bursts', `// burst ${tagOf(c)}
    let total = 0, v, throws = 0;
    for (let b = 0; b < bursts; b++) {
      const t = Date.now(); while (Date.now() === t) {}
      const t0 = performance.now();
      for (let i = 0; i < n; i++) { ${callSrc(c)} sink[i] = v; }
      total += performance.now() - t0;
    }
    return total * 1e6 / (n * bursts);`);
}

// sustained(ctx, sink, ms) -> ns/id over `ms` of continuous calls (clock checked every 1024).
function makeSustained(c) {
  return new Function('ctx', 'sink', 'ms', `// sustained ${tagOf(c)}
    let n = 0, v, throws = 0, t;
    const t0 = performance.now(), end = t0 + ms;
    do {
      for (let i = 0; i < 1024; i++) { ${callSrc(c)} sink[i] = v; }
      n += 1024;
      t = performance.now();
    } while (t < end);
    return [(t - t0) * 1e6 / n, throws];`);
}

// bulk(ctx, sink, n, bursts, target) -> ns/id: makeBulk from bench/into-read.mjs.

// ---------------------------------------------------------------- stats
const median = (xs) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0) : 'n/a');
const fx = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');
const fint = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');

// samples[scenario][name] = [{ run, round, v }]
const samples = {};
function record(scenario, name, run, round, v) {
  ((samples[scenario] ??= {})[name] ??= []).push({ run, round, v });
}
function medOf(scenario, name) {
  const xs = samples[scenario]?.[name];
  if (!xs) return NaN;
  // median of each run's median
  const runs = [...new Set(xs.map((s) => s.run))];
  return median(runs.map((r) => median(xs.filter((s) => s.run === r).map((s) => s.v))));
}
function runMeds(scenario, name) {
  const xs = samples[scenario]?.[name] ?? [];
  const runs = [...new Set(xs.map((s) => s.run))];
  return runs.map((r) => median(xs.filter((s) => s.run === r).map((s) => s.v)));
}
// median over rounds of (a / b), both measured in the same round
function ratioOf(scenarioA, a, scenarioB, b) {
  const xa = samples[scenarioA]?.[a], xb = samples[scenarioB]?.[b];
  if (!xa || !xb) return NaN;
  const r = [];
  for (const s of xa) {
    const t = xb.find((u) => u.run === s.run && u.round === s.round);
    if (t) r.push(s.v / t.v);
  }
  return median(r);
}

// ---------------------------------------------------------------- timed scenarios
const sink = new Array(BURST_N).fill(0);
const sinkS = new Array(1024).fill(0);
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

const burstFns = new Map(contenders.map((c) => [c, makeBurst(c)]));
const sustainedFns = new Map(generators.map((c) => [c, makeSustained(c)]));
const bulkOurs = us && makeBulk('ours_getGuids', 'ctx.getGuids(n)');
// getGuidsInto: the same ids written into one reused array (no allocation, so no GC per batch).
// (The target is an argument: a property added to the generator would change its hidden class
// under the burst and sustained loops' call sites.)
const bulkOursInto = us && makeBulk('ours_getGuidsInto', 'ctx.getGuidsInto(target)');
const intoTarget = new BigUint64Array(BURST_N);
// The batch alone, the array kept (not read).
const bulkOursIntoNoRead = us && makeBulk('ours_getGuidsInto_noread', 'ctx.getGuidsInto(target)', false);
const bulkOursNoRead = us && makeBulk('ours_getGuids_noread', 'ctx.getGuids(n)', false);
const bulkFloor = makeBulk('floor_read', 'ctx');
// The floor of any API that returns a fresh array: copy a prefilled one (slice), then read it.
const bulkSliceFloor = makeBulk('floor_slice', 'ctx.slice()');

// decode(f, ids, n) -> ns/call over n calls cycling through 1024 ids
const makeDecode = (tag) => new Function('f', 'ids', 'n', 'sink', `// decode ${tag}_${++uniq}
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink[i & 1023] = f(ids[i & 1023]);
    return (performance.now() - t0) * 1e6 / n;`);
const DECODE_N = 100_000;
const DECODE_CHUNK = 2000; // calls per sample (about 0.3 ms: short enough to be rarely descheduled)
const sapphireForDecode = new SapphireSnowflake(EPOCH);
const decoders = ours ? [
  { name: OURS, f: ours.decodeGuid, ids: (() => { const g = new ours.Snowfall(); const a = [...g.getGuids(1024)]; g.close(); return a; })() },
  { name: `${OURS} + timestamp`, f: (id) => ours.decodeGuid(id).timestamp, ids: (() => { const g = new ours.Snowfall(); const a = [...g.getGuids(1024)]; g.close(); return a; })() },
  { name: sapphire.name, f: (id) => sapphireForDecode.deconstruct(id), ids: Array.from({ length: 1024 }, () => sapphireForDecode.generate()) },
] : [];
const decodeFns = new Map(decoders.map((d) => [d, makeDecode(d.name.replace(/[^a-z0-9]+/gi, '_'))]));
const floorArray = new BigUint64Array(BURST_N).map((_, i) => (BigInt(Date.now()) << 23n) | BigInt(i << 12));

// Warm the batch API first, in tight loops, before any timed loop that calls it is compiled. The
// bulk loops call it once per burst (once per ms), so the 10-burst warm-up below compiled each of
// them (OSR) after a handful of calls, before getGuidsInto and its callees had type feedback:
// TurboFan could not inline them, and every measured burst then called unoptimised (baseline)
// code, which getGuidsInto leaves only after more than 1,000 calls (more than a run makes). What
// the compile had to go on depended on when it ran, hence 1.17x-1.59x for getGuidsInto + read
// from run to run (BENCH_WARM_API=0 node bench/into-read.mjs shows the old state). An application
// loop that batches this often is compiled with the API warm.
if (us) {
  const g = us.ctx();
  warmBatchApi(g);
  us.close(g);
}

// warm-up: get every loop optimised before anything is recorded (not recorded)
{
  const ctxs = new Map(contenders.map((c) => [c, c.ctx()]));
  for (let i = 0; i < 3; i++) {
    for (const c of contenders) burstFns.get(c)(ctxs.get(c), sink, BURST_N, 10);
    for (const c of generators) sustainedFns.get(c)(ctxs.get(c), sinkS, 20);
    if (us) {
      bulkOurs(ctxs.get(us), sink, BURST_N, 10);
      bulkOursNoRead(ctxs.get(us), sink, BURST_N, 10);
      bulkOursInto(ctxs.get(us), sink, BURST_N, 10, intoTarget);
      bulkOursIntoNoRead(ctxs.get(us), sink, BURST_N, 10, intoTarget);
    }
    bulkFloor(floorArray, sink, BURST_N, 10);
    bulkSliceFloor(floorArray, sink, BURST_N, 10);
    for (const d of decoders) decodeFns.get(d)(d.f, d.ids, DECODE_N / 10, sink);
  }
  for (const c of contenders) c.close?.(ctxs.get(c));
}

const t0Bench = performance.now();
for (let run = 1; run <= RUNS; run++) {
  // fresh generators per run
  const ctxs = new Map(contenders.map((c) => [c, c.ctx()]));
  for (let round = 1; round <= ROUNDS; round++) {
    const k = (run - 1) * ROUNDS + round - 1;
    if (ONLY.has('burst')) {
      for (const c of rotate(contenders, k)) {
        gc();
        record('burst', c.name, run, round, burstFns.get(c)(ctxs.get(c), sink, BURST_N, BURSTS));
      }
    }
    // Bulk and decode: the contenders alternate sample by sample (one burst, or DECODE_CHUNK calls,
    // each), in rotated order, so a sample pair shares the machine's state; ratios are medians of
    // per-pair ratios, and a pair the scheduler split (one sample descheduled) is an outlier the
    // median drops. Each pair is its own "round" (round * 1000 + sample) for ratioOf.
    if (ONLY.has('bulk') && us) {
      const order = ['ours', 'ours-noread', 'ours-into', 'ours-into-noread', 'floor', 'floor-slice'];
      gc();
      for (let b = 0; b < BURSTS; b++) {
        const pair = round * 1000 + b;
        for (const which of rotate(order, k + b)) {
          if (which === 'ours') record('bulk', OURS, run, pair, bulkOurs(ctxs.get(us), sink, BURST_N, 1));
          else if (which === 'ours-noread') record('bulk', 'getGuids only', run, pair, bulkOursNoRead(ctxs.get(us), sink, BURST_N, 1));
          else if (which === 'ours-into') record('bulk', 'getGuidsInto', run, pair, bulkOursInto(ctxs.get(us), sink, BURST_N, 1, intoTarget));
          else if (which === 'ours-into-noread') record('bulk', 'getGuidsInto only', run, pair, bulkOursIntoNoRead(ctxs.get(us), sink, BURST_N, 1, intoTarget));
          else if (which === 'floor-slice') record('bulk', 'floor: slice + read', run, pair, bulkSliceFloor(floorArray, sink, BURST_N, 1));
          else record('bulk', 'floor: read BigUint64Array', run, pair, bulkFloor(floorArray, sink, BURST_N, 1));
        }
      }
    }
    if (ONLY.has('decode')) {
      gc();
      for (let c = 0; c < DECODE_N / DECODE_CHUNK; c++) {
        for (const d of rotate(decoders, k + c)) record('decode', d.name, run, round * 1000 + c, decodeFns.get(d)(d.f, d.ids, DECODE_CHUNK, sink));
      }
    }
    if (ONLY.has('sustained')) {
      for (const c of rotate(generators, k)) {
        gc();
        const cpu0 = process.cpuUsage(), w0 = performance.now();
        const [ns, throws] = sustainedFns.get(c)(ctxs.get(c), sinkS, SUSTAIN_MS);
        const cpu = process.cpuUsage(cpu0), wall = performance.now() - w0;
        record('sustained', c.name, run, round, ns);
        record('sustained-cpu', c.name, run, round, (cpu.user + cpu.system) / 1000 / wall);
        record('sustained-throws', c.name, run, round, throws);
      }
    }
    // the floor is also interleaved with the burst scenario; record it next to sustained too
    process.stderr.write(`run ${run}/${RUNS} round ${round}/${ROUNDS} done (${((performance.now() - t0Bench) / 1000).toFixed(1)} s)\n`);
  }
  for (const c of contenders) c.close?.(ctxs.get(c));
}

// ---------------------------------------------------------------- correctness: 100k tight loop
const correctness = new Map();
if (ONLY.has('correct')) {
  for (const c of generators) {
    const g = c.ctx();
    const ids = new Array(CORRECT_N);
    let throws = 0;
    const fn = new Function('ctx', 'ids', 'n', `// correct ${tagOf(c)}
      let v, throws = 0;
      for (let i = 0; i < n; i++) { ${callSrc(c)} ids[i] = v; }
      return throws;`);
    const t0 = performance.now();
    throws = fn(g, ids, CORRECT_N);
    const ms = performance.now() - t0;
    c.close?.(g);
    const keys = c.toBig ? ids.map(c.toBig) : ids;
    const dups = CORRECT_N - new Set(keys).size;
    let disorder = 0;
    for (let i = 1; i < keys.length; i++) if (!(keys[i] > keys[i - 1])) disorder++;
    correctness.set(c.name, { dups, disorder, throws, ms });
  }
}

// ---------------------------------------------------------------- wasm size and cold start
function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.wasm')) out.push(p);
  }
  return out;
}
const wasmFiles = [
  ...(OUR ? walk(OUR.dir).map((p) => ({ who: OURS, p, shown: join('pkg', relative(OUR.dir, p)) })) : []),
  ...walk(join(ROOT, 'node_modules', 'nodejs-snowflake')).map((p) => ({ who: nodejsSnowflake.name, p })),
];
const wasmSizes = wasmFiles.map(({ who, p, shown }) => {
  const b = readFileSync(p);
  return { who, file: shown ?? relative(ROOT, p), bytes: b.length, gz: gzipSync(b, { level: 9 }).length };
});

let cold = new Map();
let wasmImports = NaN;
if (OUR) {
  const ourWasm = walk(OUR.dir).find((p) => p.endsWith('snowfall_wasm_bg.wasm'));
  if (ourWasm) wasmImports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(ourWasm))).length;
}
if (ONLY.has('cold')) {
  const { list, cleanup } = coldContenders({
    esmUrl: OUR_ENTRY, cjsPath: OUR?.cjs, wasmPath: OUR && walk(OUR.dir).find((p) => p.endsWith('snowfall_wasm_bg.wasm')),
  }, { floors: Boolean(OUR) });
  try {
    cold = measureCold(list, COLD_SAMPLES);
  } finally {
    cleanup();
  }
}

let memory = null;
if (ONLY.has('memory') && us) {
  const out = execFileSync(process.execPath, ['--expose-gc', join(HERE, 'memory.mjs'), OUR.dir], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
  memory = JSON.parse(out.trim().split('\n').pop());
}

// ---------------------------------------------------------------- report
const L = [];
const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
L.push(`# snowfall-wasm benchmark`, '');
L.push(`Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs (load average ${loadavg()[0].toFixed(1)} at the end), ${stamp}. One process, ${RUNS} runs x ${ROUNDS} rounds, ` +
  `contenders interleaved in each round; figures are the median of each run's median, ratios the median of ` +
  `per-round ratios (measurements taken side by side; for bulk and decode, of per-sample-pair ratios, the contenders alternating sample by sample). Machines are noisy: compare ratios, not absolute ns across runs. ` +
  `Reproduce with \`npm run bench\`.`, '');
if (!us) L.push('**pkg/ was not built: snowfall-wasm rows are missing (run `npm run build`, then `npm run bench`).**', '');

const FLOOR = floorNowI64.name;
if (ONLY.has('burst')) {
  L.push(`## Single id: burst of ${BURST_N} calls right after a millisecond tick (below every per-ms cap)`, '');
  L.push(`| generator | output | ns/id | vs. floor (Date.now + wasm i64) | ${us ? `this ÷ ${OURS} (>1: ${OURS} faster)` : ''} | dups in 100k tight loop | out of order | throws |`);
  L.push(`|---|---|---:|---:|---:|---:|---:|---:|`);
  const outputs = { [OURS]: 'bigint', [nodejsSnowflake.name]: 'bigint', [sapphire.name]: 'bigint', [flake.name]: 'Buffer', [uuid.name]: 'string (128-bit)' };
  for (const c of contenders) {
    const ns = medOf('burst', c.name);
    const vsFloor = ratioOf('burst', c.name, 'burst', FLOOR);
    const vsUs = us && c.kind === 'peer' ? fx(ratioOf('burst', c.name, 'burst', OURS)) : '';
    const cr = correctness.get(c.name);
    const name = c.kind === 'ours' ? `**${c.name}**` : c.name;
    L.push(`| ${name} | ${outputs[c.name] ?? (c.name.includes('Date.now()') ? 'number' : 'bigint')} | ${f1(ns)} | ${fx(vsFloor)} | ${vsUs} | ` +
      `${cr ? fint(cr.dups) : ''} | ${cr ? fint(cr.disorder) : ''} | ${cr ? fint(cr.throws) : ''} |`);
  }
  L.push('');
  if (us) {
    const r = ratioOf('burst', OURS, 'burst', FLOOR);
    L.push(`Target: ${OURS} <= 1.2x the Date.now + wasm i64 floor: **${fx(r)} — ${r <= 1.2 ? 'met' : 'MISSED'}**.`, '');
  }
}

if (ONLY.has('sustained')) {
  L.push(`## Sustained: one generator called continuously for ${SUSTAIN_MS} ms`, '');
  L.push(`| generator | ns/id | ids/s | % of its own per-generator cap | % of the 2.048M/s Snowfall cap | ${us ? `${OURS} ids/s ÷ this` : ''} | throws caught | CPU share | % of own cap ÷ CPU share |`);
  L.push(`|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const c of generators) {
    const ns = medOf('sustained', c.name);
    const ips = 1e9 / ns;
    const vsUs = us && c.kind === 'peer' ? fx(ratioOf('sustained', c.name, 'sustained', OURS)) : '';
    const name = c.kind === 'ours' ? `**${c.name}**` : c.name;
    L.push(`| ${name} | ${f1(ns)} | ${fint(ips)} | ${c.cap ? `${pct(ips / c.cap)} of ${(c.cap / 1e6).toFixed(3)}M` : (c.capNote ?? 'none')} | ` +
      `${pct(ips / CAP_PER_S)} | ${vsUs} | ${fint(median(samples['sustained-throws'][c.name].map((s) => s.v)))} /round | ${pct(medOf('sustained-cpu', c.name))} | ${c.cap ? pct(ips / c.cap / medOf('sustained-cpu', c.name)) : ''} |`);
  }
  L.push('');
}

if (ONLY.has('bulk') && us) {
  L.push(`## Bulk: \`getGuids(${BURST_N})\` right after a tick, every id read out of the BigUint64Array as a bigint`, '');
  L.push(`| what | ns/id | ÷ read floor | ÷ slice + read floor |`);
  L.push(`|---|---:|---:|---:|`);
  for (const n of [OURS, 'getGuids only', 'getGuidsInto', 'getGuidsInto only', 'floor: slice + read', 'floor: read BigUint64Array']) {
    const label = n === OURS ? `**${OURS}: getGuids(${BURST_N}) + read every id**` :
      n === 'getGuids only' ? `${OURS}: getGuids(${BURST_N}) alone (no read)` :
      n === 'getGuidsInto only' ? `${OURS}: getGuidsInto(a reused BigUint64Array(${BURST_N})) alone (no read)` :
      n === 'getGuidsInto' ? `**${OURS}: getGuidsInto(a reused BigUint64Array(${BURST_N})) + read every id**` :
      n === 'floor: slice + read' ? 'floor: `slice()` of a prefilled BigUint64Array + read every id' : 'floor: read a prefilled BigUint64Array';
    L.push(`| ${label} | ${f1(medOf('bulk', n))} | ${fx(ratioOf('bulk', n, 'bulk', 'floor: read BigUint64Array'))} | ${fx(ratioOf('bulk', n, 'bulk', 'floor: slice + read'))} |`);
  }
  L.push('');
  const rSlice = ratioOf('bulk', OURS, 'bulk', 'floor: slice + read');
  const rInto = ratioOf('bulk', 'getGuidsInto', 'bulk', 'floor: read BigUint64Array');
  L.push(`Targets: getGuids(${BURST_N}) + read <= 1.1x the slice + read floor: **${fx(rSlice)} — ${rSlice <= 1.1 ? 'met' : 'MISSED'}**; ` +
    `getGuidsInto + read <= 1.2x the read floor: **${fx(rInto)} — ${rInto <= 1.2 ? 'met' : 'MISSED'}**.`, '');
}

if (ONLY.has('decode') && decoders.length) {
  L.push(`## Decode: one id per call (${OURS} \`decodeGuid\`, @sapphire/snowflake \`deconstruct\`)`, '');
  L.push(`| decoder | ns/call | ÷ @sapphire deconstruct (same round) |`);
  L.push(`|---|---:|---:|`);
  for (const d of decoders) L.push(`| ${d.name === OURS ? `**${OURS} decodeGuid** (its timestamp Date is made on first read)` : d.name === `${OURS} + timestamp` ? `${OURS} decodeGuid + read its timestamp (a Date)` : `${d.name} deconstruct (bigints, no Date)`} | ${f1(medOf('decode', d.name))} | ${fx(ratioOf('decode', d.name, 'decode', sapphire.name))} |`);
  L.push('');
  const r = ratioOf('decode', OURS, 'decode', sapphire.name);
  L.push(`Target: decodeGuid <= 1.0x deconstruct: **${fx(r)} — ${r <= 1.0 ? 'met' : 'MISSED'}**.`, '');
}

L.push(`## Size and cold start`, '');
if (wasmSizes.length) {
  L.push(`| wasm file | bytes | gzip -9 |`);
  L.push(`|---|---:|---:|`);
  for (const w of wasmSizes) L.push(`| ${w.who}: \`${w.file}\` | ${fint(w.bytes)} | ${fint(w.gz)} |`);
  L.push('');
  if (Number.isFinite(wasmImports)) L.push(`Our wasm imports ${wasmImports} function(s) from JS (budget 44,000 B after wasm-opt).`, '');
}
if (cold.size) {
  L.push(`Cold start: a fresh \`node\` per contender per sample, ${COLD_SAMPLES} samples, each sample spawning every contender once ` +
    `(rotated order); ratios are medians of per-sample ratios to @sapphire/snowflake (ESM) in the same sample. "import + first id" ` +
    `is timed inside the child (\`await import()\`, or \`require()\` for the "(require)" rows, then construct + first id); "whole ` +
    `process" is spawn to exit, Node's own start-up included. Floors add one stage each (bench/cold.mjs prints this table alone).`, '');
  L.push(...coldTable(cold), '');
  const base = cold.get('@sapphire/snowflake');
  const nss = cold.get('nodejs-snowflake');
  for (const n of [OURS, `${OURS} (require)`]) {
    const r = cold.get(n);
    if (!r || !base) continue;
    L.push(`Target ${n}: whole process <= 1.3x @sapphire: **${fx(r.wallRatio)} — ${r.wallRatio <= 1.3 ? 'met' : 'MISSED'}**` +
      ` (import + first id: ${fx(r.totalRatio)}); faster than nodejs-snowflake, whole process / import + first id: ` +
      `**${nss ? `${r.wallRatio < nss.wallRatio ? 'yes' : 'NO'} / ${r.totalRatio < nss.totalRatio ? 'yes' : 'NO'}` : 'n/a'}**` +
      ` (nodejs-snowflake ${nss ? `${fx(nss.wallRatio)} whole process, ${fx(nss.totalRatio)} import + first id` : 'n/a'}).`, '');
  }
}

if (memory) {
  const mib = (b) => (b / 2 ** 20).toFixed(1);
  L.push(`## Wasm memory`, '');
  L.push(`Bytes of the instance's memory (it grows, never shrinks), in a fresh process (bench/memory.mjs).`, '');
  L.push(`| at start | after ${fint(memory.generators)} \`new Snowfall()\` + \`close()\` (${fint(memory.generatorsMs)} ms) | after one \`getGuids(2 ** 24)\` |`);
  L.push(`|---:|---:|---:|`);
  L.push(`| ${mib(memory.start)} MiB | ${mib(memory.afterGenerators)} MiB | ${mib(memory.afterBatch)} MiB |`, '');
}

L.push(`## Notes`, '');
L.push(`- Where our time goes: \`node bench/profile.mjs burst|bulk|into|decode|sustained\` (CPU profile); cold start by stage: \`node bench/cold.mjs\`.`);
L.push(`- Floors: \`Date.now()\` alone ${f1(medOf('burst', floorNow.name))} ns; a wasm export returning an i64 (-> BigInt) ` +
  `${f1(medOf('burst', floorI64.name))} ns; a wasm export that calls an imported Date.now and returns an i64 ` +
  `${f1(medOf('burst', FLOOR))} ns (hand-written modules in bench/floors.mjs). A generator that reads the clock once per id cannot go below the last.`);
L.push(`- Correctness: ${CORRECT_N.toLocaleString('en-US')} ids from one generator in a tight loop; "out of order" counts ids not strictly greater than the previous one ` +
  `(uuid strings compared as strings). flake-idgen's sync \`next()\` throws when a millisecond's 4096 sequence numbers are used up; the loops catch and retry.`);
L.push(`- Sustained: a capped generator (2048/ms for Snowfall, 1024/ms for nodejs-snowflake) cannot make up a millisecond in which ` +
  `its thread was not running, so on a loaded machine its ids/s falls below the cap by about the share of time the process was ` +
  `descheduled; "CPU share" is the process's CPU time over wall time during the loop (below 100 %: the thread lost the CPU; ` +
  `GC helper threads can push it above 100 %); the last column estimates the share of the cap reached while the thread ran.`);
L.push(`- Per-generator caps: Snowfall 2048 ids/ms (11-bit counter), nodejs-snowflake 1024/ms, @sapphire/snowflake and flake-idgen 4096/ms ` +
  `(@sapphire does not tie the counter to the millisecond, which is why it duplicates).`);
L.push('');

const md = L.join('\n');
console.log('\n' + md);
if (!process.env.BENCH_NO_WRITE) writeFileSync(join(HERE, 'results.md'), md);

// raw per-run medians for the curious (stderr, not in results.md)
process.stderr.write('\nper-run medians (ns/id):\n');
for (const sc of ['burst', 'sustained', 'bulk', 'decode']) {
  for (const name of Object.keys(samples[sc] ?? {})) {
    process.stderr.write(`  ${sc.padEnd(10)} ${name.padEnd(48)} ${runMeds(sc, name).map(f1).join('  ')}\n`);
  }
}
