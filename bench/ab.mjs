// node bench/ab.mjs <pkgA> <pkgB> [rounds]
//
// A/B of two built packages (pkg/ directories from `node scripts/build.mjs`) in ONE process: is B
// as fast as A on the hot paths? For a change to the wasm (its size, its Rust) that must not slow
// minting. Each package is copied to a fresh temporary directory first and loaded through its
// init.mjs + initSync(bytes), so A and B are separate module graphs with separate wasm instances
// even when both paths name the same package (an A/A run, for the noise band: run one too).
//
// Each generator gets `clock: () => base + (n++ >> 10)`: 1 ms per 1024 clock reads, so neither is
// capped by the format's 2,048 ids/ms and the fast path runs like a real burst. Rounds interleave
// A and B (order alternating) over getGuid x 100k, getGuids(1000) + reading every id x 100, and
// getGuidsInto(1000) + reading x 100. Printed: the median over rounds of the per-round ratio
// time(B) / time(A) per scenario (below 1: B is faster). Absolute times are not compared.
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dirA, dirB, roundsArg] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error("usage: node bench/ab.mjs <pkgA> <pkgB> [rounds]");
  process.exit(2);
}
const rounds = Number(roundsArg ?? 41);
const temp = mkdtempSync(join(tmpdir(), "snowfall-ab-"));
process.on("exit", () => rmSync(temp, { recursive: true, force: true }));

async function load(dir, name) {
  const copy = join(temp, name);
  cpSync(resolve(dir), copy, { recursive: true });
  const m = await import(pathToFileURL(join(copy, "init.mjs")).href);
  m.initSync(readFileSync(join(copy, "snowfall_wasm_bg.wasm")));
  return m;
}
const A = await load(dirA, "a");
const B = await load(dirB, "b");

const base = Date.now();
let nA = 0;
let nB = 0;
const gA = new A.Snowfall({ clock: () => base + (nA++ >> 10) });
const gB = new B.Snowfall({ clock: () => base + (nB++ >> 10) });
const into = new BigUint64Array(1000);
let sink = 0n; // every id is used

/** Milliseconds `run` takes; what it returns (the XOR of the ids it read) is kept. */
function timed(run) {
  const t = performance.now();
  const s = run();
  const ms = performance.now() - t;
  sink ^= s;
  return ms;
}
const burst = (g) => timed(() => {
  let s = 0n;
  for (let i = 0; i < 100_000; i++) s ^= g.getGuid();
  return s;
});
const bulk = (g) => timed(() => {
  let s = 0n;
  for (let i = 0; i < 100; i++) {
    const a = g.getGuids(1000);
    for (let j = 0; j < a.length; j++) s ^= a[j];
  }
  return s;
});
const bulkInto = (g) => timed(() => {
  let s = 0n;
  for (let i = 0; i < 100; i++) {
    g.getGuidsInto(into);
    for (let j = 0; j < into.length; j++) s ^= into[j];
  }
  return s;
});

const scenarios = [["getGuid", burst], ["getGuids+read", bulk], ["getGuidsInto+read", bulkInto]];
const ratios = Object.fromEntries(scenarios.map(([k]) => [k, []]));
for (let round = 0; round < rounds; round++) {
  for (const [k, f] of scenarios) {
    let a, b;
    if (round % 2) {
      a = f(gA);
      b = f(gB);
    } else {
      b = f(gB);
      a = f(gA);
    }
    ratios[k].push(b / a);
  }
}
const median = (xs) => xs.slice().sort((x, y) => x - y)[xs.length >> 1];
const sizes = [dirA, dirB].map((d) => readFileSync(join(d, "snowfall_wasm_bg.wasm")).length);
console.log(`A ${dirA} (${sizes[0]} B wasm)  B ${dirB} (${sizes[1]} B wasm)  ${rounds} rounds`);
console.log(
  scenarios.map(([k]) => `${k} ${median(ratios[k]).toFixed(3)}`).join("  "),
  "(median of time B / time A per round)",
);
