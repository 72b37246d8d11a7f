// Bundled browser code in headless Chromium (playwright-core, /usr/bin/chromium): the installed
// package bundled by esbuild as an ES module (the browser entry, top-level await; the .wasm copied
// next to the bundle, as README says) and as an iife (snowfall-wasm/init, `await init(url)`), the
// iife also as a classic service worker. Each makes ids with BrowserSyncer that decode to now and
// carry its generator id; neither bundle holds database code. webpack 5 (installed next to the
// package from the registry) bundles the default entry for the `web` target (a page) and the
// `webworker` target (a worker: the `worker` condition must pick the browser entry, not workerd's);
// Vite 8.3.8 builds a page (the default entry) with a module worker (snowfall-wasm/init, no
// configuration: Vite's default iife worker format cannot hold a top-level await); Rollup 4.68.8
// with @rollup/plugin-node-resolve 16.0.3 (`browser: true`) bundles the default entry, the .wasm
// copied next to the output as for esbuild (README's recipe).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
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
const WP_WORKER = `
import { Snowfall, BrowserSyncer, decodeGuid } from "snowfall-wasm";
const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "webpack" });
const ids = Array.from(gen.getGuids(1000), String);
postMessage({ generatorId: gen.generatorId, ids, t: decodeGuid(BigInt(ids[0])).timestamp.getTime(), now: Date.now() });
await gen.close();
`;
const VITE_MAIN = `
import { Snowfall, BrowserSyncer, decodeGuid } from "snowfall-wasm";
const pick = (gen) => { const ids = Array.from(gen.getGuids(1000), String); return { generatorId: gen.generatorId, ids, t: decodeGuid(BigInt(ids[0])).timestamp.getTime(), now: Date.now() }; };
const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "vite" });
const page = pick(gen);
const worker = await new Promise((resolve, reject) => {
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => reject(new Error("worker: " + e.message));
  w.postMessage("go");
});
window.result = { page, worker };
await gen.close();
`;
const VITE_WORKER = `
import { Snowfall, BrowserSyncer, decodeGuid } from "snowfall-wasm/init";
onmessage = async () => {
  try {
    const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "vite" });
    const ids = Array.from(gen.getGuids(1000), String);
    postMessage({ generatorId: gen.generatorId, ids, t: decodeGuid(BigInt(ids[0])).timestamp.getTime(), now: Date.now() });
    await gen.close();
  } catch (e) { postMessage({ error: String(e && e.stack || e) }); }
};
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

describe("browser bundles (esbuild esm and iife, webpack 5 web and webworker, Vite 8 build and dev server with a worker, Rollup 4; headless Chromium)", { timeout: 240_000 }, () => {
  let context, srv, dir;
  const figures = {};

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh --tests`);
    ({ projectDir: dir } = await installedPackage({ extraPackages: ["webpack@5.112", "vite@8.3.8", "rollup@4.68.8", "@rollup/plugin-node-resolve@16.0.3"] }));
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
    writeFileSync(path.join(dir, "wp-worker.mjs"), WP_WORKER);
    const webpack = createRequire(path.join(dir, "package.json"))("webpack");
    const pack = (config) => new Promise((resolve, reject) => webpack({ mode: "production", context: dir, ...config }, (err, stats) => {
      if (err || stats.hasErrors()) reject(err ?? new Error(stats.toString({ all: false, errors: true })));
      else resolve(stats);
    }));
    await pack({ target: "web", entry: "./esm-app.mjs", output: { path: path.join(dir, "wp-web"), filename: "app.js" } });
    await pack({ target: "webworker", entry: "./wp-worker.mjs", output: { path: path.join(dir, "wp-worker"), filename: "worker.js" } });
    mkdirSync(path.join(dir, "vite-app"), { recursive: true });
    writeFileSync(path.join(dir, "vite-app/index.html"), `<!doctype html><script type="module" src="./main.js"></script>`);
    writeFileSync(path.join(dir, "vite-app/main.js"), VITE_MAIN);
    writeFileSync(path.join(dir, "vite-app/worker.js"), VITE_WORKER);
    const vite = await import(pathToFileURL(createRequire(path.join(dir, "package.json")).resolve("vite")).href);
    await vite.build({ root: path.join(dir, "vite-app"), base: "/vite-app/dist/", logLevel: "error", build: { outDir: "dist", emptyOutDir: true } });
    const projectRequire = createRequire(path.join(dir, "package.json"));
    const { rollup } = await import(pathToFileURL(projectRequire.resolve("rollup")).href);
    const { nodeResolve } = await import(pathToFileURL(projectRequire.resolve("@rollup/plugin-node-resolve")).href);
    const rolled = await rollup({ input: path.join(dir, "esm-app.mjs"), plugins: [nodeResolve({ browser: true })], logLevel: "silent" });
    await rolled.write({ dir: path.join(dir, "rollup"), format: "es", entryFileNames: "app.js" });
    await rolled.close();
    copyFileSync(wasm, path.join(dir, "rollup", "snowfall_wasm_bg.wasm"));
    writeFileSync(path.join(dir, "rollup/index.html"), `<!doctype html><script type="module" src="./app.js"></script>`);
    writeFileSync(path.join(dir, "wp-web/index.html"), `<!doctype html><script src="./app.js"></script>`);
    for (const d of ["esm", "iife"]) copyFileSync(wasm, path.join(dir, d, "snowfall_wasm_bg.wasm"));
    writeFileSync(path.join(dir, "esm/index.html"), `<!doctype html><script type="module" src="./app.js"></script>`);
    writeFileSync(path.join(dir, "iife/index.html"), `<!doctype html><script src="./app.js"></script>`);
    const gz = (f) => gzipSync(readFileSync(path.join(dir, f))).length;
    figures.esbuildEsm = { jsGzip: gz("esm/app.js"), wasmGzip: gz("esm/snowfall_wasm_bg.wasm") };
    figures.esbuildIife = { jsGzip: gz("iife/app.js"), wasmGzip: gz("iife/snowfall_wasm_bg.wasm") };
    /** gzip bytes of the .js and the .wasm files a build emitted. */
    const emitted = (d) => {
      const files = readdirSync(path.join(dir, d), { recursive: true }).map(String);
      const sum = (ext) => files.filter((f) => f.endsWith(ext)).reduce((n, f) => n + gz(path.join(d, f)), 0);
      return { jsGzip: sum(".js"), wasmGzip: sum(".wasm") };
    };
    figures.webpackWeb = emitted("wp-web");
    figures.webpackWebworker = emitted("wp-worker");
    figures.viteWithWorker = emitted("vite-app/dist");
    figures.rollup = emitted("rollup");
    srv = await serve(dir);
    context = await chromium.launchPersistentContext(makeTempDir("snowfall-chromium-"), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    console.log("figures:", JSON.stringify(figures));
    // The bytes each bundle adds to a page, gzip (README "Browsers" quotes them).
    for (const [name, f] of Object.entries(figures)) {
      if (f.jsGzip !== undefined) console.log(`bytes a page gets, gzip: ${name}: ${f.jsGzip} JS + ${f.wasmGzip} wasm = ${f.jsGzip + f.wasmGzip}`);
    }
    await context?.close();
    await new Promise((r) => (srv ? srv.server.close(r) : r()));
  });

  test("the bundles carry no database code", () => {
    for (const f of ["esm/app.js", "iife/app.js", "iife/sw.js", "wp-web/app.js", "wp-worker/worker.js", "rollup/app.js"]) {
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

  test("Rollup 4 (@rollup/plugin-node-resolve, browser: true; the .wasm next to the output): ids from BrowserSyncer", async () => {
    const page = await context.newPage();
    await page.goto(`${srv.origin}/rollup/index.html`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    checkIds(await page.evaluate(() => window.result), "rollup bundle");
    assert.deepEqual(readdirSync(path.join(dir, "rollup")).sort(), ["app.js", "index.html", "snowfall_wasm_bg.wasm"], "one chunk: the browser entry, no database code split out");
    await page.close();
  });

  test("webpack 5: the web target (a page) and the webworker target (a worker) make ids with BrowserSyncer", async () => {
    const page = await context.newPage();
    await page.goto(`${srv.origin}/wp-web/index.html`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    const web = await page.evaluate(() => window.result);
    checkIds(web, "webpack web");
    const worker = await page.evaluate(() => new Promise((resolve, reject) => {
      const w = new Worker("/wp-worker/worker.js");
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      setTimeout(() => reject(new Error("the webpack worker did not answer in 20 s")), 20_000);
    }));
    checkIds(worker, "webpack webworker");
    assert.equal(readFileSync(path.join(dir, "wp-worker/worker.js"), "utf8").includes("workerd"), false, "the webworker bundle must not hold the Cloudflare entry");
    await page.close();
  });

  test("Vite 8.3.8 build: a page (default entry) and its module worker (snowfall-wasm/init) make ids with BrowserSyncer", async () => {
    const page = await context.newPage();
    await page.goto(`${srv.origin}/vite-app/dist/index.html`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    const r = await page.evaluate(() => window.result);
    checkIds(r.page, "vite page");
    checkIds(r.worker, "vite worker");
    assert.notEqual(r.page.generatorId, r.worker.generatorId, "page and worker hold distinct generator ids");
    await page.close();
  });

  test("Vite 8.3.8 dev server (createServer, no configuration): the page and its module worker make ids with BrowserSyncer", async () => {
    const vite = await import(pathToFileURL(createRequire(path.join(dir, "package.json")).resolve("vite")).href);
    const server = await vite.createServer({ root: path.join(dir, "vite-app"), configFile: false, logLevel: "error", server: { host: "127.0.0.1", port: 0 } });
    try {
      await server.listen();
      const url = server.resolvedUrls.local[0];
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
      const r = await page.evaluate(() => window.result);
      checkIds(r.page, "vite dev page");
      checkIds(r.worker, "vite dev worker");
      assert.notEqual(r.page.generatorId, r.worker.generatorId, "page and worker hold distinct generator ids");
      const wasm = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.includes(".wasm")));
      assert.ok(wasm.length > 0, "the page fetched the .wasm from the dev server");
      figures.viteDev = { wasmUrls: wasm.map((u) => new URL(u).pathname) };
      await page.close();
    } finally {
      await server.close();
    }
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
