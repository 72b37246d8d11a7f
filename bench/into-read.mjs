// Where does getGuidsInto + read lose to reading a prefilled array? (issue 11, bench.mjs "bulk")
//   node --expose-gc bench/into-read.mjs [pairs] [variant,variant,...]
//   BENCH_WARM_API=0 node --expose-gc bench/into-read.mjs ...   (without bench.mjs's API warm-up)
// Variants alternate burst by burst (rotated order) in one process, each compiled as its own
// function like bench.mjs makeBulk; each prints ns/id and the median of per-burst ratios to
// "floor" (read a prefilled BigUint64Array). Needs pkg/ (npm run build).
//
// What it showed (2026-12-01, 2 shared cores): the read loop after our call is not slower. Its
// machine code is the floor's, timed apart from the call it takes as long, and our call followed
// by reading the floor's own array (into-floor) cost nearly as much extra as into. The gap was the
// call, run once per burst right after a millisecond spin, whatever its count (into10-floor, 10
// ids, as slow as 1000): 8-12 us in baseline-tier code, against about 1 us for a call made just
// after another. bench.mjs compiled its loops before getGuidsInto had type feedback, so TurboFan
// could not inline it (warmBatchApi below; BENCH_WARM_API=0 for the old state): most of the gap.
// The rest: reading a target just written by our copy costs a little more than reading an
// untouched array, by the target's address (5-10 %; a plain JS set() then a read, set-read, less).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let uniq = 0;
/**
 * The bulk loop, also bench.mjs's: bulk(ctx, sink, n, bursts, target, other) -> ns/id. Each burst
 * waits for a millisecond tick, then times `getSrc` (an expression on the arguments) and, with
 * `read`, reading every element of its result into `sink`. Each call compiles its own function
 * (a unique tag), so no call site is shared between contenders.
 */
export const makeBulk = (tag, getSrc, read = true) => new Function('ctx', 'sink', 'n', 'bursts', 'target', 'other', `// bulk ${tag}_${++uniq}
    let total = 0;
    for (let b = 0; b < bursts; b++) {
      const t = Date.now(); while (Date.now() === t) {}
      const t0 = performance.now();
      const a = ${getSrc};
      ${read ? 'for (let i = 0; i < n; i++) sink[i] = a[i];' : 'sink[0] = a;'}
      total += performance.now() - t0;
    }
    return total * 1e6 / (n * bursts);`);

/**
 * The batch API of `gen` called in tight loops (about 10k ids), so that it has type feedback and
 * optimised code before any timed loop is compiled around it (bench.mjs explains why).
 */
export function warmBatchApi(gen) {
  const one = new BigUint64Array(1);
  for (let i = 0; i < 5000; i++) { gen.getGuidsInto(one); gen.getGuids(1); }
}

// Run as a script (bench.mjs imports the two above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
  const pj = JSON.parse(readFileSync(join(ROOT, 'pkg', 'package.json'), 'utf8'));
  const pick = (t) => (typeof t === 'string' ? t : t && (pick(t.node) ?? pick(t.import) ?? pick(t.default)));
  const { Snowfall } = await import(pathToFileURL(join(ROOT, 'pkg', pick(pj.exports?.['.'] ?? pj.exports) ?? pj.main)).href);

  const N = 1000;
  const PAIRS = +(process.argv[2] ?? 400);
  const gc = globalThis.gc ?? (() => {});

  const g = new Snowfall();
  const sample = g.getGuids(N);
  // bench.mjs's floor array: values (Date.now() << 23) | (i << 12), about 2^63.7
  const floorArray = new BigUint64Array(N).map((_, i) => (BigInt(Date.now()) << 23n) | BigInt(i << 12));
  // the same array, holding ids like ours (about 2^60)
  const idLike = sample.slice();
  const target = new BigUint64Array(N);
  const copySrc = sample.slice();

  const variants = {
    floor: [makeBulk('floor', 'ctx'), () => floorArray],
    into: [makeBulk('into', 'ctx.getGuidsInto(target)'), () => g],
    'into-noread': [makeBulk('into_noread', 'ctx.getGuidsInto(target)', false), () => g],
    // a prefilled array holding ids of our magnitude
    'floor-idlike': [makeBulk('floor_idlike', 'ctx'), () => idLike],
    // the target array, read after a plain JS copy into it (no wasm call)
    'set-read': [makeBulk('set_read', '(target.set(ctx), target)'), () => copySrc],
    // floorArray's values copied into the target by a plain JS copy
    'set-floorvals': [makeBulk('set_floorvals', '(target.set(ctx), target)'), () => floorArray],
    // our call, then the floor's array read (not the target)
    'into-floor': [makeBulk('into_floor', '(ctx.getGuidsInto(target), other)'), () => g],
    // the target (last filled by getGuidsInto elsewhere) read without a call
    'read-target': [makeBulk('read_target', 'target'), () => null],
    // getGuids (a fresh array) then the floor's array read
    'guids-floor': [makeBulk('guids_floor', '(ctx.getGuids(n), other)'), () => g],
    // a cheap wasm export then the floor's array read
    'wasm-floor': [makeBulk('wasm_floor', '(ctx.generatorId, other)'), () => g],
    // one id, then the floor's array read
    'guid-floor': [makeBulk('guid_floor', '(ctx.getGuid(), other)'), () => g],
    // 10 ids into a small array, then the floor's array read
    'into10-floor': [makeBulk('into10_floor', '(ctx.getGuidsInto(small), other)'), () => g],
    // a plain JS copy into the target, then the floor's array read
    'set-floor': [makeBulk('set_floor', '(target.set(ctx), other)'), () => copySrc],
    // a plain JS copy of 10 ids (80 bytes), then the floor's array read
    'set10-floor': [makeBulk('set10_floor', '(small.set(ctx), other)'), () => copySrc.subarray(0, 10)],
  };
  const small = new BigUint64Array(10);
  globalThis.small = small;
  // BENCH_WARM_API=0: no tight-loop warm-up of the API before the loops are compiled (the old bench.mjs)
  if (process.env.BENCH_WARM_API !== '0') warmBatchApi(g);
  const only = process.argv[3] ? process.argv[3].split(',') : Object.keys(variants);
  const sink = new Array(N).fill(0);
  for (let w = 0; w < 3; w++) for (const v of only) variants[v][0](variants[v][1](), sink, N, 20, target, floorArray);

  const res = Object.fromEntries(only.map((v) => [v, []]));
  gc();
  for (let p = 0; p < PAIRS; p++) {
    for (let k = 0; k < only.length; k++) {
      const v = only[(k + p) % only.length];
      res[v].push(variants[v][0](variants[v][1](), sink, N, 1, target, floorArray));
    }
  }
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
  const base = res.floor ?? res[only[0]];
  console.log(`${PAIRS} bursts each; ratio = median of per-burst ratios to ${res.floor ? 'floor' : only[0]}`);
  for (const v of only) {
    const r = median(res[v].map((x, i) => x / base[i]));
    console.log(`${v.padEnd(16)} ${median(res[v]).toFixed(2).padStart(7)} ns/id  ${r.toFixed(3)}x`);
  }
  g.close();
}
