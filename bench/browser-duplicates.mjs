#!/usr/bin/env node
// Duplicate ids between two browser realms minting at once for 3 s, in headless Chromium
// (playwright-core, /usr/bin/chromium), the packed and installed package served from loopback:
// the table of issue 8 re-measured with BrowserSyncer. Pairs: two tabs of one origin, a page and
// its module Worker, two same-origin iframes of one tab, two browser profiles ("devices": two
// contexts, each with its own IndexedDB and Web Locks, generator ids granted by a server through
// DatabaseSyncer.grant on SQLite). Rates: burst (as fast as each realm mints, yielding every 2 ms
// so that iframes sharing a thread interleave) and paced (~1 id / 10 ms). Every id is counted:
// both realms' ids are sorted together and equal neighbours counted. The control row mints with
// `new Snowfall()` (SimpleSyncer, generator id 0 everywhere: the 0.1.0 README's way), to show the
// counter sees duplicates when there are some.
//
//   npm run build && node bench/browser-duplicates.mjs [--seconds 3]
import { existsSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { chromium } from "playwright-core";
import { installedPackage, makeTempDir } from "../tests/runtimes/pack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const at = process.argv.indexOf("--seconds");
const SECONDS = at > 0 ? Number(process.argv[at + 1]) : 3;
const PKG = "/node_modules/snowfall-wasm";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

// Runs in every realm: make a generator, wait for the common start, mint for durationMs.
const MINTER = `
const yieldNow = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0); });
export async function mint(lib, { group, startAt, durationMs, paced, syncer, grants }) {
  if (lib.init) await lib.init();
  const gen = syncer === "simple" ? new lib.Snowfall()
    : await lib.Snowfall.create({ syncer: lib.BrowserSyncer, schemaGroupName: group, maxClaimRetries: 40, minMsBetweenClaimRetries: 100, maxMsBetweenClaimRetries: 200,
        ...(grants ? { fetchGrant: async () => (await fetch("/grant?group=" + group, { signal: AbortSignal.timeout(5000) })).json() } : {}) });
  const generatorId = gen.generatorId;
  while (Date.now() < startAt) await new Promise((r) => setTimeout(r, Math.min(20, Math.max(0, startAt - Date.now()))));
  const cap = paced ? Math.ceil(durationMs / 10) : 8_000_000;
  const out = new BigUint64Array(cap);
  let n = 0;
  const first = Date.now();
  for (let now = first; now < first + durationMs && n < cap; now = Date.now()) {
    if (paced) {
      const due = Math.min(cap, Math.floor((now - first) / 10) + 1);
      if (n < due) out[n++] = gen.getGuid();
      else await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const until = now + 2;
    while (Date.now() < until && n < cap) { const k = Math.min(256, cap - n); gen.getGuidsInto(out.subarray(n, n + k)); n += k; }
    await yieldNow();
  }
  const last = Date.now();
  if (syncer === "simple") gen.close(); else await gen.close();
  const bytes = new Uint8Array(out.buffer, 0, n * 8);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return { generatorId, first, last, count: n, b64: btoa(s) };
}`;
const WORKER = `
import * as lib from "${PKG}/init.mjs";
import { mint } from "/minter.mjs";
onmessage = async (e) => { try { postMessage(await mint(lib, e.data)); } catch (err) { postMessage({ error: String(err?.code ?? "") + " " + (err?.stack ?? err) }); } };`;
const PAGE = `<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">{ "imports": { "snowfall-wasm": "${PKG}/browser.mjs" } }</script>
<script type="module">
  try { window.lib = await import("snowfall-wasm"); window.minter = await import("/minter.mjs"); window.loaded = "ok"; }
  catch (e) { window.loaded = "error: " + (e && e.stack || e); }
</script></head><body></body></html>`;
const FRAMES = `<!doctype html><html><body><iframe src="/page.html?frame=1"></iframe><iframe src="/page.html?frame=2"></iframe></body></html>`;

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh --tests`);
  const { projectDir } = await installedPackage();
  const lib = await import(pathToFileURL(path.join(projectDir, "node_modules/snowfall-wasm/node.mjs")).href);
  const database = lib.fromBetterSqlite3(new Database(":memory:"));
  const granted = new Set();
  const routes = { "/page.html": [PAGE, ".html"], "/frames.html": [FRAMES, ".html"], "/minter.mjs": [MINTER, ".mjs"], "/worker.mjs": [WORKER, ".mjs"] };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/grant") {
      const schemaGroupName = url.searchParams.get("group");
      try {
        if (!granted.has(schemaGroupName)) { granted.add(schemaGroupName); await lib.DatabaseSyncer.createSchemaGroup({ database, schemaGroupName }); }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(await lib.DatabaseSyncer.grant({ database, schemaGroupName, windowMs: 3_600_000 })));
      } catch (e) { res.writeHead(500).end(String(e?.message)); }
      return;
    }
    if (routes[url.pathname]) return res.writeHead(200, { "content-type": TYPES[routes[url.pathname][1]], "cache-control": "no-store" }).end(routes[url.pathname][0]);
    const file = path.join(projectDir, path.normalize(decodeURIComponent(url.pathname)));
    if (!file.startsWith(projectDir + path.sep) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  const origin = await new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(`http://127.0.0.1:${server.address().port}`)));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const loaded = async (frame) => {
    await frame.waitForFunction(() => window.loaded !== undefined, null, { timeout: 30_000 });
    const state = await frame.evaluate(() => window.loaded);
    if (state !== "ok") throw new Error(state);
  };
  const open = async (context, url = "/page.html") => {
    const page = await context.newPage();
    await page.goto(`${origin}${url}`);
    if (url === "/page.html") await loaded(page.mainFrame());
    return page;
  };
  const inFrame = (frame) => (job) => frame.evaluate((j) => window.minter.mint(window.lib, j), job);
  const inWorker = (page) => (job) => page.evaluate((j) => new Promise((resolve, reject) => {
    const w = new Worker("/worker.mjs", { type: "module" });
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    w.postMessage(j);
  }), job);

  // Each pair: a function that opens its two realms (fresh contexts, so no state carries over)
  // and returns two minters and a clean-up.
  const pairs = {
    "two tabs of one origin": async () => {
      const context = await browser.newContext();
      const [a, b] = [await open(context), await open(context)];
      return { minters: [inFrame(a.mainFrame()), inFrame(b.mainFrame())], close: () => context.close() };
    },
    "page + its module Worker": async () => {
      const context = await browser.newContext();
      const a = await open(context);
      return { minters: [inFrame(a.mainFrame()), inWorker(a)], close: () => context.close() };
    },
    "two same-origin iframes": async () => {
      const context = await browser.newContext();
      const host = await open(context, "/frames.html");
      await host.waitForFunction(() => [...document.querySelectorAll("iframe")].every((f) => f.contentWindow?.loaded !== undefined), null, { timeout: 30_000 });
      const frames = host.frames().filter((f) => f.url().includes("/page.html"));
      for (const f of frames) await loaded(f);
      return { minters: frames.map(inFrame), close: () => context.close() };
    },
    'two browser profiles ("devices", grants)': async () => {
      const contexts = [await browser.newContext(), await browser.newContext()];
      const pages = [await open(contexts[0]), await open(contexts[1])];
      return { minters: pages.map((p) => inFrame(p.mainFrame())), grants: true, close: () => Promise.all(contexts.map((c) => c.close())) };
    },
  };
  const decode = (r) => {
    const b = Buffer.from(r.b64, "base64");
    return new BigUint64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  };
  const count = (arrays) => {
    const all = new BigUint64Array(arrays.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of arrays) { all.set(a, at); at += a.length; }
    all.sort();
    let dup = 0;
    for (let i = 1; i < all.length; i++) if (all[i] === all[i - 1]) dup++;
    return { total: all.length, dup };
  };
  const runPair = async (name, open, { paced, syncer = "browser" }) => {
    const { minters, grants, close } = await open();
    const group = `bench_${Object.keys(pairs).indexOf(name)}_${paced ? "paced" : "burst"}_${syncer}`;
    const job = { group, startAt: Date.now() + 3000, durationMs: SECONDS * 1000, paced, syncer, grants };
    const results = await Promise.all(minters.map((m) => m(job)));
    await close();
    for (const r of results) if (r.error) throw new Error(`${name}: ${r.error}`);
    const { total, dup } = count(results.map(decode));
    const overlapMs = Math.min(...results.map((r) => r.last)) - Math.max(...results.map((r) => r.first));
    return { generatorIds: results.map((r) => r.generatorId), ids: results.map((r) => r.count), total, dup, overlapMs };
  };

  const rows = [];
  const fmt = (n) => n.toLocaleString("en-US");
  for (const [name, openPair] of [...Object.entries(pairs), ["control: two tabs, new Snowfall() (SimpleSyncer)", pairs["two tabs of one origin"]]]) {
    const syncer = name.startsWith("control") ? "simple" : "browser";
    const burst = await runPair(name, openPair, { paced: false, syncer });
    const paced = await runPair(name, openPair, { paced: true, syncer });
    rows.push({ name, burst, paced });
    process.stderr.write(`[bench] ${name}: ${JSON.stringify({ burst: { ...burst }, paced: { ...paced } })}\n`);
  }
  console.log(`\nDuplicate ids between two realms minting at once for ${SECONDS} s (headless Chromium ${browser.version()}, BrowserSyncer)\n`);
  console.log(`| pair | generator ids (burst; paced) | ids minted, burst | duplicates (burst) | ids minted, ~1 id / 10 ms | duplicates at ~1 id / 10 ms | overlap (burst; paced) |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const { name, burst, paced } of rows) {
    console.log(`| ${name} | ${burst.generatorIds.join(" & ")}; ${paced.generatorIds.join(" & ")} | ${burst.ids.map(fmt).join(" + ")} | ${fmt(burst.dup)} | ${paced.ids.map(fmt).join(" + ")} | ${fmt(paced.dup)} | ${burst.overlapMs} ms; ${paced.overlapMs} ms |`);
  }
  await browser.close();
  await new Promise((r) => server.close(r));
  const bad = rows.filter((r) => !r.name.startsWith("control") && (r.burst.dup > 0 || r.paced.dup > 0));
  if (bad.length) { console.error(`duplicates with BrowserSyncer: ${bad.map((r) => r.name).join(", ")}`); process.exitCode = 1; }
}

main().catch((e) => { console.error(e); process.exit(1); });
