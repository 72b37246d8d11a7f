// What a page downloads for the generator: JS + wasm, gzip -9, for
//   1. the unbundled browser entry (browser.mjs and every module it imports, followed statically)
//   2. a Vite build (vite@8.3.8, as tests/runtimes/browser-bundlers.test.mjs pins it) of a page that
//      imports { Snowfall } and makes one id
// and whether any database/store code (js/database/, js/stores/sql.js, redis.js, durable-object.js,
// the lease session used by syncers) is among those bytes.
//   node bench/browser-bytes.mjs        (packs and installs the package into a temp dir: ~1 min)
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { installedPackage } from '../tests/runtimes/pack.mjs';

const gz = (b) => gzipSync(b, { level: 9 }).length;
const DB_FILES = /(^|\/)(database\/|stores\/(sql|redis|durable-object)\.js|workers\.js)/;
// Strings only database/store code carries (identifiers may be minified; SQL text and driver names are not).
const DB_MARKERS = ['INSERT INTO', 'ON CONFLICT', 'better-sqlite3', 'ioredis', 'mysql2'];

export async function browserBytes() {
  const { projectDir } = await installedPackage({ extraPackages: ['vite@8.3.8'] });
  const pkg = join(projectDir, 'node_modules/snowfall-wasm');

  // 1. unbundled: follow static `import ... from "./x"` / `export ... from "./x"` from browser.mjs
  const seen = new Set();
  const queue = ['browser.mjs'];
  while (queue.length) {
    const f = queue.pop();
    if (seen.has(f)) continue;
    seen.add(f);
    const src = readFileSync(join(pkg, f), 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/g)) {
      if (m[1].endsWith('.wasm')) continue;
      queue.push(relative(pkg, join(pkg, dirname(f), m[1])));
    }
  }
  const files = [...seen].sort();
  const jsGz = files.reduce((n, f) => n + gz(readFileSync(join(pkg, f))), 0);
  const wasmGz = gz(readFileSync(join(pkg, 'snowfall_wasm_bg.wasm')));
  const unbundled = { files: files.length, jsGz, wasmGz, totalGz: jsGz + wasmGz, dbFiles: files.filter((f) => DB_FILES.test(f)) };

  // 2. Vite build of a page making one id
  const app = join(projectDir, 'bytes-app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
  writeFileSync(join(app, 'main.js'), 'import { Snowfall } from "snowfall-wasm";\nconst g = new Snowfall();\ndocument.title = String(g.getGuid());\n');
  const vite = await import(pathToFileURL(createRequire(join(projectDir, 'package.json')).resolve('vite')).href);
  await vite.build({ root: app, base: '/', logLevel: 'error', build: { outDir: 'dist', emptyOutDir: true } });
  const out = [];
  const walk = (d) => { for (const e of readdirSync(d)) { const p = join(d, e); statSync(p).isDirectory() ? walk(p) : out.push(p); } };
  walk(join(app, 'dist'));
  const js = out.filter((p) => p.endsWith('.js'));
  const wasm = out.filter((p) => p.endsWith('.wasm'));
  const jsText = js.map((p) => readFileSync(p, 'utf8')).join('\n');
  const viteBuild = {
    jsGz: js.reduce((n, p) => n + gz(readFileSync(p)), 0),
    wasmGz: wasm.reduce((n, p) => n + gz(readFileSync(p)), 0),
    dbMarkers: DB_MARKERS.filter((m) => jsText.includes(m)),
  };
  viteBuild.totalGz = viteBuild.jsGz + viteBuild.wasmGz;
  return { unbundled, viteBuild };
}

export function browserBytesTable({ unbundled: u, viteBuild: v }) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  return [
    '| what a page loads (gzip -9) | JS | wasm | total | database / store code among it |',
    '|---|---:|---:|---:|---|',
    `| unbundled \`browser.mjs\` (${u.files} modules) | ${kb(u.jsGz)} | ${kb(u.wasmGz)} | **${kb(u.totalGz)}** | ${u.dbFiles.length ? `yes: ${u.dbFiles.join(', ')}` : 'none'} |`,
    `| Vite 8 build of \`new Snowfall().getGuid()\` | ${kb(v.jsGz)} | ${kb(v.wasmGz)} | **${kb(v.totalGz)}** | ${v.dbMarkers.length ? `yes (${v.dbMarkers.join(', ')})` : 'none'} |`,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await browserBytes();
  console.log(browserBytesTable(r).join('\n'));
}
