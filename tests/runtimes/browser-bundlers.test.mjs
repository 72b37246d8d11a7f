// Bundled browser code in headless Chromium (playwright-core, /usr/bin/chromium): the installed
// package bundled by esbuild as an ES module (the browser entry, top-level await; the .wasm copied
// next to the bundle, as README says) and as an iife (snowfall-wasm/init, `await init(url)`), the
// iife also as a classic service worker. Each makes ids with BrowserSyncer that decode to now and
// carry its generator id; neither bundle holds database code.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { installedPackage, makeTempDir, repoBin } from "./pack.mjs";

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

const ESM_APP = `
import { Snowfall, BrowserSyncer, decodeGuid } from "snowfall-wasm";
const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "esbuild_esm" });
const ids = Array.from(gen.getGuids(1000), String);
window.result = { generatorId: gen.generatorId, ids, t: decodeGuid(BigInt(ids[0])).timestamp.getTime(), now: Date.now() };
await gen.close();
`;
const IIFE_APP = `
import { init, Snowfall, BrowserSyncer, decodeGuid } from "snowfall-wasm/init";
(async () => {
  let before;
  try { new Snowfall(); } catch (e) { before = e.code; }
  await init(new URL("/iife/snowfall_wasm_bg.wasm", location.href));
  const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "esbuild_iife" });
  const ids = Array.from(gen.getGuids(1000), String);
  window.result = { before, generatorId: gen.generatorId, ids, t: decodeGuid(BigInt(ids[0])).timestamp.getTime(), now: Date.now() };
  await gen.close();
})().catch((e) => { window.result = { error: String(e && e.stack || e) }; });
`;
const IIFE_SW = `
import { init, Snowfall, BrowserSyncer, decodeGuid } from "snowfall-wasm/init";
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("message", (e) => e.waitUntil((async () => {
  try {
    await init(new URL("/iife/snowfall_wasm_bg.wasm", self.location.href));
    const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "esbuild_iife" });
    const ids = Array.from(gen.getGuids(1000), String);
    e.ports[0].postMessage({ generatorId: gen.generatorId, ids, t: decodeGuid(BigInt(ids[0])).timestamp.getTime(), now: Date.now() });
    await gen.close();
  } catch (err) { e.ports[0].postMessage({ error: String(err && err.stack || err) }); }
})()));
`;

function serve(root) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

function checkIds(r, what) {
  assert.equal(r.error, undefined, `${what}: ${r.error}`);
  assert.equal(r.ids.length, 1000);
  const big = r.ids.map(BigInt);
  for (let i = 1; i < big.length; i++) assert.ok(big[i] > big[i - 1], `${what}: ids increase`);
  assert.ok(big.every((id) => Number(id & 4095n) === r.generatorId), `${what}: ids carry generator id ${r.generatorId}`);
  assert.ok(Math.abs(r.now - r.t) < 2000, `${what}: ids decode to now`);
}

describe("browser bundles (esbuild esm and iife, in headless Chromium)", { timeout: 240_000 }, () => {
  let context, srv, dir;
  const figures = {};

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh --tests`);
    ({ projectDir: dir } = await installedPackage());
    const esbuild = repoBin("esbuild");
    const wasm = path.join(dir, "node_modules/snowfall-wasm/snowfall_wasm_bg.wasm");
    writeFileSync(path.join(dir, "esm-app.mjs"), ESM_APP);
    writeFileSync(path.join(dir, "iife-app.mjs"), IIFE_APP);
    writeFileSync(path.join(dir, "iife-sw.mjs"), IIFE_SW);
    for (const d of ["esm", "iife"]) mkdirSync(path.join(dir, d), { recursive: true });
    const common = ["--bundle", "--platform=browser", "--log-level=error", "--minify"];
    await run(esbuild, ["esm-app.mjs", ...common, "--format=esm", "--outfile=esm/app.js"], { cwd: dir });
    await run(esbuild, ["iife-app.mjs", ...common, "--format=iife", "--outfile=iife/app.js"], { cwd: dir });
    await run(esbuild, ["iife-sw.mjs", ...common, "--format=iife", "--outfile=iife/sw.js"], { cwd: dir });
    for (const d of ["esm", "iife"]) copyFileSync(wasm, path.join(dir, d, "snowfall_wasm_bg.wasm"));
    writeFileSync(path.join(dir, "esm/index.html"), `<!doctype html><script type="module" src="./app.js"></script>`);
    writeFileSync(path.join(dir, "iife/index.html"), `<!doctype html><script src="./app.js"></script>`);
    const gz = (f) => gzipSync(readFileSync(path.join(dir, f))).length;
    figures.esbuildEsm = { jsGzip: gz("esm/app.js"), wasmGzip: gz("esm/snowfall_wasm_bg.wasm") };
    figures.esbuildIife = { jsGzip: gz("iife/app.js") };
    srv = await serve(dir);
    context = await chromium.launchPersistentContext(makeTempDir("snowfall-chromium-"), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    console.log("figures:", JSON.stringify(figures));
    await context?.close();
    await new Promise((r) => (srv ? srv.server.close(r) : r()));
  });

  test("the bundles carry no database code", () => {
    for (const f of ["esm/app.js", "iife/app.js", "iife/sw.js"]) {
      const text = readFileSync(path.join(dir, f), "utf8");
      assert.ok(!/CREATE TABLE|INSERT INTO|information_schema/i.test(text), `${f} holds database code`);
      assert.ok(text.includes("snowfall-wasm:"), `${f} holds BrowserSyncer (its lock names)`);
    }
  });

  test("esbuild esm bundle (browser entry, top-level await, .wasm next to the bundle): ids from BrowserSyncer", async () => {
    const page = await context.newPage();
    await page.goto(`${srv.origin}/esm/index.html`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    checkIds(await page.evaluate(() => window.result), "esm bundle");
    await page.close();
  });

  test("esbuild iife bundle (snowfall-wasm/init, await init(url)): NOT_INITIALIZED before, ids after; the same bundle as a classic service worker", async () => {
    const page = await context.newPage();
    await page.goto(`${srv.origin}/iife/index.html`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    const r = await page.evaluate(() => window.result);
    checkIds(r, "iife bundle");
    assert.equal(r.before, "NOT_INITIALIZED");
    const sw = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.register("/iife/sw.js", { scope: "/iife/" });
      const w = reg.installing ?? reg.waiting ?? reg.active;
      if (w.state !== "activated") await new Promise((ok) => w.addEventListener("statechange", () => w.state === "activated" && ok()));
      const ch = new MessageChannel();
      const reply = new Promise((ok) => { ch.port1.onmessage = (e) => ok(e.data); });
      w.postMessage(null, [ch.port2]);
      return reply;
    });
    checkIds(sw, "classic service worker (iife)");
    await page.close();
  });
});
