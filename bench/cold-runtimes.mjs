// Cold start in the other runtimes the package claims (issue 11: "nothing else regresses in Deno
// and Bun"): Node 22, Deno 2 and Bun 1 from tests/runtimes/engines (scripts/setup.sh --tests), each
// contender in a fresh process per sample, paired like bench/cold.mjs, ratios to @sapphire/snowflake
// in the same runtime and sample. Each runtime imports the entry the exports map gives it (Deno:
// deno.mjs, Node and Bun: node.mjs; require: node.cjs), read from each package's exports map.
//
//   node bench/cold-runtimes.mjs [samples] [--before <pkg dir>]
//     --before adds the same rows for another built package (e.g. 0.1.0's pkg/): after/before
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measureCold } from './cold.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENGINES = join(ROOT, 'tests/runtimes/engines/node_modules');
const RUNTIMES = [
  { name: 'Node 22', bin: join(ENGINES, 'node/bin/node'), args: [], conditions: ['node'] },
  // -A: nodejs-snowflake reads its .wasm from disk; our deno.mjs needs no permission
  { name: 'Deno 2', bin: join(ENGINES, '.bin/deno'), args: ['run', '--quiet', '-A'], conditions: ['deno', 'node'] },
  { name: 'Bun 1', bin: join(ENGINES, '.bin/bun'), args: [], conditions: ['bun', 'node'] },
];

/** The file a package's exports map gives `conditions` (then import or require, then default). */
function entryOf(dir, conditions, kind) {
  const pick = (t) => {
    if (typeof t === 'string') return t;
    if (t === null || typeof t !== 'object') return undefined;
    for (const k of [...conditions, kind, 'default']) if (k in t) { const r = pick(t[k]); if (r !== undefined) return r; }
    return undefined;
  };
  const exp = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).exports;
  const file = pick(exp['.'] ?? exp);
  if (file === undefined) throw new Error(`${dir}: no ${kind} entry for ${conditions.join(', ')}`);
  return join(dir, file);
}
const BASE = '@sapphire/snowflake';

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN;
};
const fx = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** Rows per runtime: { runtime, rows: Map(name -> { totalMs, totalRatio, wallRatio, vsBefore }) }. */
export function measureRuntimes(samples, before) {
  const out = [];
  for (const rt of RUNTIMES) {
    if (!existsSync(rt.bin)) throw new Error(`${rt.name} is not installed at ${rt.bin}: run bash scripts/setup.sh --tests`);
    const list = [];
    for (const [tag, dir] of [['', join(ROOT, 'pkg')], ...(before ? [[', before', resolve(before)]] : [])]) {
      list.push({ name: `snowfall-wasm${tag}`, child: 'snowfall-wasm', entry: pathToFileURL(entryOf(dir, rt.conditions, 'import')).href });
      list.push({ name: `snowfall-wasm (require${tag})`, child: 'snowfall-wasm (require)', entry: entryOf(dir, rt.conditions, 'require') });
    }
    list.push({ name: 'nodejs-snowflake' }, { name: BASE });
    const cold = measureCold(list, samples, rt);
    for (const [n, r] of cold) {
      r.totalRatio = median(r.samples.map((x) => x.totalMs / x.base.totalMs));
      const b = before && n.startsWith('snowfall-wasm') && !n.includes('before') ? cold.get(n === 'snowfall-wasm' ? 'snowfall-wasm, before' : n.replace(')', ', before)')) : undefined;
      r.vsBefore = b ? median(r.samples.map((x, i) => x.totalMs / b.samples[i].totalMs)) : NaN;
      r.wallVsBefore = b ? median(r.samples.map((x, i) => x.wallMs / b.samples[i].wallMs)) : NaN;
    }
    out.push({ runtime: rt.name, cold });
  }
  return out;
}

/** Markdown rows. */
export function runtimesTable(results, before) {
  const L = [
    `| runtime | contender | import + first id ms | ÷ ${BASE} (paired) | whole process ÷ ${BASE} (paired) |${before ? ' import + first id ÷ before | whole process ÷ before |' : ''}`,
    `|---|---|---:|---:|---:|${before ? '---:|---:|' : ''}`,
  ];
  for (const { runtime, cold } of results) {
    for (const [n, r] of cold) {
      L.push(`| ${runtime} | ${n.startsWith('snowfall-wasm') ? `**${n}**` : n} | ${f2(r.totalMs)} | ${fx(r.totalRatio)} | ${fx(r.wallRatio)} |${before ? ` ${fx(r.vsBefore)} | ${fx(r.wallVsBefore)} |` : ''}`);
    }
  }
  return L;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--before');
  const before = at >= 0 ? args.splice(at, 2)[1] : undefined;
  if (at >= 0 && !before) throw new Error('--before needs the directory of a built package');
  const samples = +(args[0] ?? 15);
  const results = measureRuntimes(samples, before);
  console.log(`Cold start in other runtimes, ${samples} paired samples (medians), ${new Date().toISOString()}${before ? `; before = ${before}` : ''}\n`);
  console.log(runtimesTable(results, before).join('\n'));
}
