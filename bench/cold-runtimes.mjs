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
import { beforeName, coldArgs, f2, fx, measureCold, pairedRatio } from './cold.mjs';

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

/** Per runtime: { runtime, cold: measureCold()'s Map, our rows with vsBefore / wallVsBefore (--before) }. */
export function measureRuntimes(samples, before) {
  const out = [];
  for (const rt of RUNTIMES) {
    if (!existsSync(rt.bin)) throw new Error(`${rt.name} is not installed at ${rt.bin}: run bash scripts/setup.sh --tests`);
    const list = [];
    const ours = ['snowfall-wasm', 'snowfall-wasm (require)'];
    for (const [name, dir] of [...ours.map((n) => [n, join(ROOT, 'pkg')]), ...(before ? ours.map((n) => [beforeName(n), resolve(before)]) : [])]) {
      const child = ours.find((n) => name === n || name === beforeName(n));
      list.push({ name, child, entry: child === 'snowfall-wasm' ? pathToFileURL(entryOf(dir, rt.conditions, 'import')).href : entryOf(dir, rt.conditions, 'require') });
    }
    list.push({ name: 'nodejs-snowflake' }, { name: BASE });
    const cold = measureCold(list, samples, rt);
    for (const n of before ? ours : []) {
      const r = cold.get(n);
      r.vsBefore = pairedRatio(cold, n, beforeName(n), 'totalMs');
      r.wallVsBefore = pairedRatio(cold, n, beforeName(n), 'wallMs');
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
  const { samples, before } = coldArgs(process.argv.slice(2), 15);
  const results = measureRuntimes(samples, before);
  console.log(`Cold start in other runtimes, ${samples} paired samples (medians), ${new Date().toISOString()}${before ? `; before = ${before}` : ''}\n`);
  console.log(runtimesTable(results, before).join('\n'));
}
