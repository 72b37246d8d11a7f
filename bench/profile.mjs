// Where does the time of one snowfall-wasm call go?
//   node bench/profile.mjs [burst|bulk|into|decode|sustained] [seconds]
// Re-runs itself under `node --cpu-prof`, then prints the functions with the most self time
// (JS glue, wasm functions and V8 builtins appear by name). Needs pkg/ (npm run build).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const [, , scenario = 'burst', seconds = '3', child] = process.argv;

function ourEntry() {
  const p = JSON.parse(readFileSync(join(ROOT, 'pkg', 'package.json'), 'utf8'));
  let e = p.exports?.['.'] ?? p.exports;
  const pick = (t) => (typeof t === 'string' ? t : t && (pick(t.node) ?? pick(t.import) ?? pick(t.default)));
  return pathToFileURL(join(ROOT, 'pkg', pick(e) ?? p.module ?? p.main)).href;
}

if (child === '--child') {
  const { Snowfall, decodeGuid } = await import(ourEntry());
  const g = new Snowfall();
  const sink = new Array(1000);
  const target = new BigUint64Array(1000);
  const ids = [...g.getGuids(1000)];
  const end = performance.now() + +seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    if (scenario === 'sustained') {
      for (let i = 0; i < 1000; i++) sink[i] = g.getGuid();
    } else {
      const t = Date.now(); while (Date.now() === t) {}
      if (scenario === 'bulk') { const a = g.getGuids(1000); for (let i = 0; i < 1000; i++) sink[i] = a[i]; }
      else if (scenario === 'into') { const a = g.getGuidsInto(target); for (let i = 0; i < 1000; i++) sink[i] = a[i]; }
      else if (scenario === 'decode') for (let i = 0; i < 1000; i++) sink[i] = decodeGuid(ids[i]);
      else for (let i = 0; i < 1000; i++) sink[i] = g.getGuid();
    }
    n += 1000;
  }
  g.close();
  console.log(`${n} ids`);
  process.exit(0);
}

if (!existsSync(join(ROOT, 'pkg', 'package.json'))) throw new Error('build pkg/ first (npm run build)');
const dir = mkdtempSync(join(tmpdir(), 'snowfall-prof-'));
execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', dir, fileURLToPath(import.meta.url), scenario, seconds, '--child'], { stdio: 'inherit' });
const prof = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'));
rmSync(dir, { recursive: true });

// self time per node = samples hitting it x mean interval
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
const self = new Map();
let total = 0;
for (const node of prof.nodes) {
  const t = dt.get(node.id) ?? 0;
  if (!t) continue;
  const cf = node.callFrame;
  const where = cf.url ? `${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}` : '';
  const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + t);
  total += t;
}
const busy = total - (self.get('(idle)') ?? 0) - (self.get('(program)') ?? 0);
console.log(`\n${scenario}: self time by function (${(total / 1e3).toFixed(0)} ms sampled)`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${((t / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
}
console.log(`(non-idle/program: ${((busy / total) * 100).toFixed(1)} %)`);
