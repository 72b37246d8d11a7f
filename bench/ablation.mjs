// Where does a single getGuid() spend its time beyond the clock floor?
//   node --expose-gc bench/ablation.mjs
// Diagnostic only (not part of `npm run bench`). Loads copies of pkg/'s wasm-bindgen glue with one
// change each, stacked, and times the same burst (1000 calls right after a ms tick) for each:
//   A  Snowfall#getGuid, as shipped
//   B  the glue's Generator#nextId directly (no Snowfall wrapper)
// then, each stacked on the previous one when the glue still has what it changes:
//   C  B, reading the return slot through cached typed arrays (length check) instead of
//      getDataViewMemory0(), whose freshness check on Node 20 (no ArrayBuffer#detached) calls the
//      WebAssembly.Memory#buffer getter three times per id
//   D  C, with Date.now itself as the wasm import instead of the glue's JS shim around it
//   E  D, without BigInt.asUintN on the result
//   F  the raw export generator_nextId(retptr, ptr) alone: wasm core + clock import, no JS glue
// and, for getGuids(1000), its parts: the copy out of wasm memory (.slice()), the read-out floor,
// and nextIds returning a view of wasm memory instead of a copy.
// next to the floors of bench/floors.mjs. Needs pkg/ (npm run build).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { i64ReturnFloor, nowI64ReturnFloor } from './floors.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const RUNS = +(process.env.BENCH_RUNS ?? 3), ROUNDS = +(process.env.BENCH_ROUNDS ?? 5), BURSTS = +(process.env.BENCH_BURSTS ?? 40);
const N = 1000;
const gc = globalThis.gc ?? (() => {});

if (!existsSync(join(ROOT, 'pkg', 'package.json'))) throw new Error('build pkg/ first (npm run build)');
const tmp = join(ROOT, '.tmp', `ablation-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
cpSync(join(ROOT, 'pkg'), join(tmp, 'pkg'), { recursive: true });
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const glue = readFileSync(join(tmp, 'pkg', 'snowfall_wasm.js'), 'utf8');
const wasmModule = new WebAssembly.Module(readFileSync(join(tmp, 'pkg', 'snowfall_wasm_bg.wasm')));

function patch(src, re, to, what) {
  const out = src.replace(re, to);
  if (out === src) throw new Error(`patch "${what}" found nothing (the glue changed)`);
  return out;
}
const typedReads = (s) => patch(patch(s,
  /getDataViewMemory0\(\)\.getBigInt64\(retptr \+ 8 \* (\d+), true\)/g, '__i64()[(retptr >>> 3) + $1]', 'i64 reads'),
  /getDataViewMemory0\(\)\.getInt32\(retptr \+ 4 \* (\d+), true\)/g, '__i32()[(retptr >>> 2) + $1]', 'i32 reads') + `
let __I64 = null, __I32 = null;
function __i64() { if (__I64 === null || __I64.length === 0) __I64 = new BigInt64Array(wasm.memory.buffer); return __I64; }
function __i32() { if (__I32 === null || __I32.length === 0) __I32 = new Int32Array(wasm.memory.buffer); return __I32; }
`;
const directNow = (s) => patch(s, /(__wbg_now_\w+): function\(\) \{\s*const ret = Date\.now\(\);\s*return ret;\s*\}/, '$1: Date.now', 'Date.now import');
const noAsUint = (s) => patch(s, /return BigInt\.asUintN\(64, (\w+)\);/g, 'return $1;', 'asUintN');

let k = 0;
async function loadGlue(src) {
  const f = join(tmp, 'pkg', `glue-${k++}.mjs`);
  writeFileSync(f, src);
  const m = await import(pathToFileURL(f).href);
  const exports = m.initSync({ module: wasmModule });
  return { m, exports, gen: m.Generator.fromMemoryGroup({}) };
}

const variants = [];
const { Snowfall } = await import(pathToFileURL(join(tmp, 'pkg', 'node.mjs')).href);
variants.push({ name: 'A  Snowfall#getGuid (as shipped)', ctx: new Snowfall(), expr: 'ctx.getGuid()' });
// Each step stacks one more patch on the glue; a step whose patch no longer applies (the glue
// changed) is skipped and the next steps stack on the previous ones.
const steps = [
  ['C  + typed-array reads of the return slot', typedReads],
  ['D  + Date.now as the wasm import', directNow],
  ['E  - BigInt.asUintN', noAsUint],
];
let src = glue, last = null;
try { last = await loadGlue(src); variants.push({ name: 'B  glue Generator#nextId', ctx: last.gen, expr: 'ctx.nextId()' }); }
catch (e) { console.warn(`B: skipped (${e.message})`); }
for (const [name, fn] of steps) {
  let next;
  try { next = fn(src); } catch (e) { console.warn(`${name}: skipped (${e.message})`); continue; }
  src = next;
  last = await loadGlue(src);
  variants.push({ name, ctx: last.gen, expr: 'ctx.nextId()' });
}
if (last && typeof last.gen.nextIdAt === 'function') {
  variants.push({ name: 'B2 last glue: nextIdAt(Date.now()) (clock read in JS)', ctx: last.gen, expr: 'ctx.nextIdAt(Date.now())' });
  variants.push({ name: 'F2 raw export generator_nextIdAt(ptr, Date.now()), no JS glue', ctx: { w: last.exports, ptr: last.gen.__wbg_ptr }, expr: 'ctx.w.generator_nextIdAt(ctx.ptr, Date.now())' });
}
if (last) {
  const w = last.exports;
  const retptr = w.__wbindgen_add_to_stack_pointer(-16); // kept for the run
  // the export takes (retptr, ptr) when it returns a Result through memory, (ptr) when it returns the id
  const raw = w.generator_nextId.length === 2 ? 'ctx.w.generator_nextId(ctx.retptr, ctx.ptr)' : 'ctx.w.generator_nextId(ctx.ptr)';
  variants.push({ name: 'F  raw export generator_nextId (last glue\'s imports), no JS glue', ctx: { w, retptr, ptr: last.gen.__wbg_ptr }, expr: raw });
}
variants.push({ name: 'floor: wasm(Date.now import) -> i64', ctx: nowI64ReturnFloor(), expr: 'ctx()' });
variants.push({ name: 'floor: wasm -> i64', ctx: i64ReturnFloor(), expr: 'ctx()' });
variants.push({ name: 'floor: Date.now()', ctx: null, expr: 'Date.now()' });

// bulk: getGuids(1000) as shipped vs. its JS-side parts
let viewGen = null;
try {
  // only inside nextIds: other exports may copy arrays out the same way
  const patched = patch(glue, /(nextIds\(count\) \{[\s\S]*?)getArrayU64FromWasm0\(r0, r1\)\.slice\(\)/, '$1getArrayU64FromWasm0(r0, r1)', 'nextIds copy');
  const body = (src) => src.slice(src.indexOf('nextIds(count) {'), src.indexOf('\n    }\n', src.indexOf('nextIds(count) {')));
  if (body(patched) === body(glue)) throw new Error('nextIds does not copy out of wasm memory with .slice() any more');
  const g = await loadGlue(patched);
  viewGen = g.gen; // returns a view of wasm memory that is already freed: fine for timing, never for use
} catch (e) { console.warn(`bulk no-copy variant: skipped (${e.message})`); }
const bulkCtx = { gen: variants[0].ctx, viewGen, dst: new BigUint64Array(N), src: new BigUint64Array(N).map((_, i) => BigInt(Date.now()) << 23n | BigInt(i << 12)), n: N };
const bulk = [
  { name: 'bulk: getGuids(1000) + read every id (as shipped)', pre: 'const a = ctx.gen.getGuids(n);', read: true },
  { name: 'bulk: getGuids(1000), ids not read', pre: 'sink[0] = ctx.gen.getGuids(n);', read: false },
  { name: 'bulk: BigUint64Array(1000).slice() alone (a fresh array + copy, as any fresh-array design pays)', pre: 'sink[0] = ctx.src.slice();', read: false },
  { name: 'bulk: new BigUint64Array(1000) alone', pre: 'sink[0] = new BigUint64Array(n);', read: false },
  { name: 'bulk: slice() of a prefilled BigUint64Array + read every id', pre: 'const a = ctx.src.slice();', read: true },
  { name: 'bulk: copy into a reused BigUint64Array (target.set) alone', pre: 'ctx.dst.set(ctx.src); sink[0] = ctx.dst;', read: false },
  { name: 'bulk: copy into a reused BigUint64Array (target.set) + read every id', pre: 'ctx.dst.set(ctx.src); const a = ctx.dst;', read: true },
  { name: 'bulk floor: read a prefilled BigUint64Array', pre: 'const a = ctx.src;', read: true },
  ...(viewGen ? [
    { name: 'bulk: nextIds(1000) returning a view of wasm memory (no slice) + read every id', pre: 'const a = ctx.viewGen.nextIds(n);', read: true },
    { name: 'bulk: nextIds(1000) returning a view, ids not read (wasm fill + glue)', pre: 'sink[0] = ctx.viewGen.nextIds(n);', read: false },
  ] : []),
];
for (const b of bulk) {
  variants.push({ name: b.name, ctx: bulkCtx, bulk: true,
    body: `${b.pre} ${b.read ? 'for (let i = 0; i < n; i++) sink[i] = a[i];' : ''}` });
}

for (const v of variants) {
  v.fn = v.bulk ? new Function('ctx', 'sink', 'n', 'bursts', `// ${v.name.replace(/\W+/g, '_')}
    let total = 0;
    for (let b = 0; b < bursts; b++) {
      const t = Date.now(); while (Date.now() === t) {}
      const t0 = performance.now();
      ${v.body}
      total += performance.now() - t0;
    }
    return total * 1e6 / (n * bursts);`) : new Function('ctx', 'sink', 'n', 'bursts', `// ${v.name.replace(/\W+/g, '_')}
    let total = 0;
    for (let b = 0; b < bursts; b++) {
      const t = Date.now(); while (Date.now() === t) {}
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink[i] = ${v.expr};
      total += performance.now() - t0;
    }
    return total * 1e6 / (n * bursts);`);
  v.s = [];
}
const sink = new Array(N).fill(0);
for (const v of variants) for (let i = 0; i < 3; i++) v.fn(v.ctx, sink, N, 10); // warm-up
for (let r = 0; r < RUNS * ROUNDS; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    gc();
    v.s.push({ r, ns: v.fn(v.ctx, sink, N, BURSTS) });
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const floor = variants.find((v) => v.name.startsWith('floor: wasm(Date.now'));
const ratio = (v) => median(v.s.map((s) => s.ns / floor.s.find((t) => t.r === s.r).ns));
console.log(`\nburst of ${N} calls after a tick, ${RUNS * ROUNDS} rounds x ${BURSTS} bursts, Node ${process.version}\n`);
console.log('| variant | ns/id | vs. floor (Date.now + wasm i64) | step saves |');
console.log('|---|---:|---:|---:|');
let prev = null;
for (const v of variants) {
  const ns = median(v.s.map((s) => s.ns));
  if (v.bulk) {
    if (v === variants.find((u) => u.bulk)) console.log('|  |  |  |  |');
    console.log(`| ${v.name} | ${ns.toFixed(2)} | | |`);
    continue;
  }
  const step = prev && !v.name.startsWith('floor') ? (prev - ns).toFixed(1) : '';
  console.log(`| ${v.name} | ${ns.toFixed(1)} | ${ratio(v).toFixed(2)}x | ${step} |`);
  if (!v.name.startsWith('floor')) prev = ns;
}
