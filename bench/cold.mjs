// Cold start in fresh processes, paired: every sample spawns each contender once (rotated order),
// so a ratio to @sapphire/snowflake is taken between processes started side by side, then the
// median of those ratios is reported (a noisy machine drifts between samples, not within a pair).
//
//   node bench/cold.mjs [samples]     the stage breakdown: floors that add one start-up stage each
//                                     (empty ESM package, createRequire, node:fs + read the .wasm,
//                                     compile + instantiate it), then this package (import only,
//                                     import + first id, require + first id) and the peers
//   node bench/cold.mjs [samples] --before <dir>
//                                     adds the same three rows for another built package (e.g. a
//                                     copy of main's pkg/), in the same paired samples: before/after
// bench/bench.mjs uses measureCold() for its cold-start table. Needs pkg/ (npm run build).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
export const BASE = '@sapphire/snowflake';

export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN;
};

/**
 * One fresh process per contender per sample. contenders: [{ name, child, entry }]. runtime: the
 * binary and its arguments before the child script (default this Node; bench/cold-runtimes.mjs
 * passes Node 22, Deno and Bun).
 */
export function measureCold(contenders, samples, runtime = { bin: process.execPath, args: [] }) {
  const res = new Map(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < samples; i++) {
    const order = contenders.map((_, k) => contenders[(k + i) % contenders.length]);
    const row = new Map();
    for (const c of order) {
      const t0 = performance.now();
      const r = spawnSync(runtime.bin, [...runtime.args, join(HERE, 'cold-start.mjs'), c.child ?? c.name, c.entry ?? ''], { cwd: ROOT, encoding: 'utf8' });
      const wallMs = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr}`);
      row.set(c.name, { wallMs, ...JSON.parse(r.stdout.trim().split('\n').pop()) });
    }
    for (const [n, v] of row) res.get(n).push({ ...v, base: row.get(BASE) });
  }
  const out = new Map();
  for (const [n, xs] of res) {
    out.set(n, {
      wallMs: median(xs.map((x) => x.wallMs)),
      totalMs: median(xs.map((x) => x.totalMs)),
      importMs: median(xs.map((x) => x.importMs)),
      firstIdMs: median(xs.map((x) => x.firstIdMs)),
      processMs: median(xs.map((x) => x.sinceProcessStartMs)),
      // paired ratios to @sapphire/snowflake: the whole process (spawn to exit), and import + first id
      wallRatio: xs[0].base ? median(xs.map((x) => x.wallMs / x.base.wallMs)) : NaN,
      totalRatio: xs[0].base ? median(xs.map((x) => x.totalMs / x.base.totalMs)) : NaN,
      samples: xs, // per sample, for other paired ratios (--before)
    });
  }
  return out;
}

/** The floors' fixture (a tiny ESM package) and contenders, given our entries. */
export function coldContenders({ esmUrl, cjsPath, wasmPath }, { floors = false } = {}) {
  const list = [];
  let cleanup = () => {};
  if (floors) {
    const dir = mkdtempSync(join(tmpdir(), 'snowfall-cold-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(dir, 'index.js'), 'let n = 0n;\nexport const id = () => ++n;\n');
    const tiny = pathToFileURL(join(dir, 'index.js')).href;
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    list.push(
      { name: 'floor: empty ESM package', entry: tiny },
      { name: 'floor: + createRequire bridge', entry: tiny },
      { name: 'floor: + node:fs, read the .wasm', entry: `${tiny}|${wasmPath}` },
      { name: 'floor: + compile and instantiate it (stub imports)', entry: `${tiny}|${wasmPath}` },
      { name: 'snowfall-wasm (import only)', entry: esmUrl },
    );
  }
  if (esmUrl) list.push({ name: 'snowfall-wasm', entry: esmUrl });
  if (cjsPath) list.push({ name: 'snowfall-wasm (require)', entry: cjsPath });
  list.push({ name: 'nodejs-snowflake' }, { name: BASE }, { name: `${BASE} (require)` }, { name: 'flake-idgen' }, { name: 'uuid v7' });
  return { list, cleanup };
}

export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
export const fx = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');

/** The row name of another build's `name` (--before): "snowfall-wasm (before)", "... (require, before)". */
export const beforeName = (name) => (name === 'snowfall-wasm' ? 'snowfall-wasm (before)' : name.replace(')', ', before)'));

/** Median of per-sample ratios a/b of `key` ('totalMs', 'wallMs') between two rows of one measureCold(). */
export const pairedRatio = (cold, a, b, key) => median(cold.get(a).samples.map((x, i) => x[key] / cold.get(b).samples[i][key]));

/** `[samples] [--before <pkg dir>]` of a bench script's command line. */
export function coldArgs(argv, defaultSamples) {
  const args = argv.slice();
  const at = args.indexOf('--before');
  const before = at >= 0 ? args.splice(at, 2)[1] : undefined;
  if (at >= 0 && !before) throw new Error('--before needs the directory of a built package');
  return { samples: +(args[0] ?? defaultSamples), before };
}

/** Markdown rows for a measureCold() result. */
export function coldTable(cold) {
  const L = [
    `| package / stage | import ms | first id ms | import + first id ms | ÷ ${BASE} (paired) | whole process ms (spawn to exit) | ÷ ${BASE} (paired) |`,
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [n, r] of cold) {
    L.push(`| ${n.startsWith('snowfall-wasm') ? `**${n}**` : n} | ${f2(r.importMs)} | ${f2(r.firstIdMs)} | ${f2(r.totalMs)} | ${fx(r.totalRatio)} | ${f2(r.wallMs)} | ${fx(r.wallRatio)} |`);
  }
  return L;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { samples, before } = coldArgs(process.argv.slice(2), 21);
  const pkg = join(ROOT, 'pkg');
  const { list, cleanup } = coldContenders({
    esmUrl: pathToFileURL(join(pkg, 'node.mjs')).href, cjsPath: join(pkg, 'node.cjs'), wasmPath: join(pkg, 'snowfall_wasm_bg.wasm'),
  }, { floors: true });
  if (before) {
    const dir = resolve(before);
    const at = list.findIndex((c) => c.name === 'nodejs-snowflake');
    list.splice(at, 0,
      { name: beforeName('snowfall-wasm (import only)'), child: 'snowfall-wasm (import only)', entry: pathToFileURL(join(dir, 'node.mjs')).href },
      { name: beforeName('snowfall-wasm'), child: 'snowfall-wasm', entry: pathToFileURL(join(dir, 'node.mjs')).href },
      { name: beforeName('snowfall-wasm (require)'), child: 'snowfall-wasm (require)', entry: join(dir, 'node.cjs') });
  }
  try {
    const cold = measureCold(list, samples);
    console.log(`Cold start, ${samples} paired samples (medians), Node ${process.version}, ${new Date().toISOString()}\n`);
    console.log(coldTable(cold).join('\n'));
    if (before) {
      // after ÷ before, paired per sample like the ratios to @sapphire/snowflake
      console.log(`\nThis pkg/ ÷ ${before} (paired medians): import + first id / whole process`);
      for (const n of ['snowfall-wasm (import only)', 'snowfall-wasm', 'snowfall-wasm (require)']) {
        console.log(`  ${n}: ${fx(pairedRatio(cold, n, beforeName(n), 'totalMs'))} / ${fx(pairedRatio(cold, n, beforeName(n), 'wallMs'))}`);
      }
    }
  } finally {
    cleanup();
  }
}
