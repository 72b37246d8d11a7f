// BrowserSyncer in real headless Chromium (playwright-core driving /usr/bin/chromium) against the
// packed and installed package served from loopback: every realm of one origin (two tabs, two
// iframes, a module Worker, a SharedWorker, a module service worker) mints at once and the ids are
// counted for duplicates; a reload after the page clock stepped back 1 s and a crashed tab's
// successor are forced onto the same generator id (another tab holds every other id's Web Lock)
// and must continue above the persisted fence; checkStore runs against the IndexedDB store in the
// page; the browser entry's module graph carries no database code; snowfall-wasm/init loads with
// no top-level await (service worker, SharedWorker's first connect).
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { installedPackage, makeTempDir } from "./pack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json" };
const PKG = "/node_modules/snowfall-wasm";

// The minting code every realm runs (the page imports browser.mjs, workers init.mjs: import maps
// do not reach workers, and service workers refuse top-level await).
const MINTER = `
export async function mint(lib, { group, startAt, durationMs, cap, syncer = "browser", probeS = 5, clockToleranceMs }) {
  const options = { schemaGroupName: group, livelinessProbeS: probeS, maxClaimRetries: 40, minMsBetweenClaimRetries: 100, maxMsBetweenClaimRetries: 200 };
  if (clockToleranceMs !== undefined) options.clockToleranceMs = clockToleranceMs;
  const gen = syncer === "browser"
    ? await lib.Snowfall.create({ syncer: lib.BrowserSyncer, ...options })
    : (await lib.init?.(), new lib.Snowfall({ schemaGroupName: "default" }));
  const generatorId = gen.generatorId;
  const createdAt = Date.now();
  while (Date.now() < startAt) await new Promise((r) => setTimeout(r, Math.min(20, Math.max(0, startAt - Date.now()))));
  const out = new BigUint64Array(cap);
  let n = 0;
  const first = Date.now();
  // Paced: about cap ids spread over durationMs, so every realm mints through the whole period.
  for (let now = first; now < first + durationMs && n < cap; now = Date.now()) {
    const due = Math.min(cap, Math.ceil(((now - first + 1) / durationMs) * cap));
    // Yield often: same-origin iframes of one tab share one thread.
    if (n >= due) { await new Promise((r) => setTimeout(r, 0)); continue; }
    const k = Math.min(256, due - n);
    gen.getGuidsInto(out.subarray(n, n + k));
    n += k;
  }
  const last = Date.now();
  if (syncer === "browser") await gen.close(); else gen.close();
  const bytes = new Uint8Array(out.buffer, 0, n * 8);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return { generatorId, createdAt, first, last, count: n, b64: btoa(s) };
}
export async function hold(lib, { group, generatorId }) {
  return lib.Snowfall.create({ syncer: lib.BrowserSyncer, schemaGroupName: group, livelinessProbeS: 1 });
}
`;
const WORKER = `
import * as lib from "${PKG}/init.mjs";
import { mint } from "/minter.mjs";
const codeOf = (f) => { try { f(); return "no error"; } catch (e) { return e.code ?? String(e); } };
const before = [codeOf(() => new lib.Snowfall()), codeOf(() => lib.SimpleSyncer.createSchemaGroup({ schemaGroupName: "w" })), codeOf(() => lib.decodeGuid(1n))].join(",");
onmessage = async (e) => {
  try { postMessage({ ...(await mint(lib, e.data)), beforeInit: before }); } catch (err) { postMessage({ error: String(err?.code ?? "") + " " + (err?.stack ?? err) }); }
};`;
const SHARED = `
import * as lib from "${PKG}/init.mjs";
import { mint } from "/minter.mjs";
onconnect = (c) => {
  const port = c.ports[0];
  port.onmessage = async (e) => {
    try { port.postMessage(await mint(lib, e.data)); } catch (err) { port.postMessage({ error: String(err?.code ?? "") + " " + (err?.stack ?? err) }); }
  };
};`;
const SW = `
import * as lib from "${PKG}/init.mjs";
import { mint } from "/minter.mjs";
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("message", (e) => {
  const port = e.ports[0];
  e.waitUntil(mint(lib, e.data).then((r) => port.postMessage(r), (err) => port.postMessage({ error: String(err?.code ?? "") + " " + (err?.stack ?? err) })));
});`;
const PAGE = `<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">{ "imports": { "snowfall-wasm": "${PKG}/browser.mjs", "snowfall-wasm/testing": "${PKG}/testing.js" } }</script>
<script type="module">
  try {
    window.lib = await import("snowfall-wasm");
    window.minter = await import("/minter.mjs");
    window.loaded = "ok";
  } catch (e) { window.loaded = "error: " + (e && e.stack || e); }
</script></head><body></body></html>`;
const FRAMES = `<!doctype html><html><body><iframe src="/page.html?frame=1"></iframe><iframe src="/page.html?frame=2"></iframe></body></html>`;

function serve(root) {
  const requests = [];
  const routes = { "/page.html": [PAGE, ".html"], "/frames.html": [FRAMES, ".html"], "/minter.mjs": [MINTER, ".mjs"], "/worker.mjs": [WORKER, ".mjs"], "/shared.mjs": [SHARED, ".mjs"], "/sw.mjs": [SW, ".mjs"] };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    requests.push(rel);
    if (routes[rel]) {
      res.writeHead(200, { "content-type": TYPES[routes[rel][1]], "cache-control": "no-store" }).end(routes[rel][0]);
      return;
    }
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, requests, origin: `http://127.0.0.1:${server.address().port}` })));
}

const ids = (r) => {
  const b = Buffer.from(r.b64, "base64");
  return new BigUint64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const genIdOf = (id) => Number(id & 4095n);
const msOf = (id) => Number(id >> 23n);

/** Duplicates among all ids of all realms (sorted, adjacent equal). */
function countDuplicates(arrays) {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const all = new BigUint64Array(total);
  let at = 0;
  for (const a of arrays) { all.set(a, at); at += a.length; }
  all.sort();
  let dup = 0;
  for (let i = 1; i < all.length; i++) if (all[i] === all[i - 1]) dup++;
  return { total, dup };
}

describe("BrowserSyncer (headless Chromium: tabs, iframes, workers, reloads, crashes)", { timeout: 280_000 }, () => {
  let browser, context, srv, projectDir;
  const pageErrors = [];
  const figures = {};

  const open = async (url = "/page.html", ctx = context) => {
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(`${url}: ${e?.stack ?? e}`));
    await page.goto(`${srv.origin}${url}`);
    if (url.startsWith("/page.html")) await loaded(page.mainFrame());
    return page;
  };
  const loaded = async (frame) => {
    await frame.waitForFunction(() => window.loaded !== undefined, null, { timeout: 30_000 });
    const state = await frame.evaluate(() => window.loaded);
    assert.equal(state, "ok", state);
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh --tests`);
    ({ projectDir } = await installedPackage());
    srv = await serve(projectDir);
    context = await chromium.launchPersistentContext(makeTempDir("snowfall-chromium-"), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    browser = context;
  });
  after(async () => {
    if (Object.keys(figures).length) console.log("figures:", JSON.stringify(figures));
    await browser?.close();
    await new Promise((r) => (srv ? srv.server.close(r) : r()));
  });

  test("the browser entry's module graph has no database code (server-only names throw UNSUPPORTED_RUNTIME); the bytes it adds", async () => {
    const page = await open();
    const js = [...new Set(srv.requests.filter((r) => r.startsWith(PKG) && r.endsWith(".js") || r.startsWith(PKG) && r.endsWith(".mjs")))];
    assert.ok(js.includes(`${PKG}/browser.mjs`) && js.includes(`${PKG}/init.mjs`) && js.includes(`${PKG}/stores/browser.js`), js.join(" "));
    const bad = js.filter((r) => /\/database\/|stores\/sql|adapters|dialects/.test(r));
    assert.deepEqual(bad, [], `the browser entry loaded database code: ${bad.join(", ")}`);
    // (init.mjs having no top-level await is shown by the service worker and the SharedWorker's first connect below.)
    const gz = (f) => gzipSync(readFileSync(path.join(projectDir, f))).length;
    figures.browserEntry = { jsFiles: js.length, jsGzip: js.reduce((n, f) => n + gz(f), 0), wasmGzip: gz(`${PKG}/snowfall_wasm_bg.wasm`) };
    const exported = await page.evaluate(() => Object.keys(window.lib));
    for (const name of ["Snowfall", "BrowserSyncer", "IndexedDbStore", "init", "SimpleSyncer", "decodeGuid", "DatabaseSyncer"]) assert.ok(exported.includes(name), `missing export ${name}`);
    const stub = await page.evaluate(async () => { try { await window.lib.DatabaseSyncer.open({}); return "no error"; } catch (e) { return e.code; } });
    assert.equal(stub, "UNSUPPORTED_RUNTIME");
    await page.close();
  });

  test("checkStore (snowfall-wasm/testing) passes against the IndexedDB store in the page", async () => {
    const page = await open();
    const r = await page.evaluate(async () => {
      const { checkStore } = await import("snowfall-wasm/testing");
      try {
        return { passed: await checkStore(() => new window.lib.IndexedDbStore({ schemaGroupName: "conformance" })) };
      } catch (e) { return { error: `${e.code}: ${e.message}` }; }
    });
    assert.equal(r.error, undefined, r.error);
    assert.ok(r.passed.length >= 9, `checks passed: ${r.passed.length}`);
    await page.close();
  });

  test("seven realms minting at once (2 tabs, 2 iframes, module Worker, SharedWorker, module service worker): distinct generator ids, 0 duplicates; SimpleSyncer in two tabs: duplicates", async () => {
    const [tab1, tab2, host] = [await open(), await open(), await open("/frames.html")];
    await host.waitForFunction(() => [...document.querySelectorAll("iframe")].every((f) => f.contentWindow?.loaded !== undefined), null, { timeout: 30_000 });
    const frames = host.frames().filter((f) => f.url().includes("/page.html"));
    assert.equal(frames.length, 2);
    for (const f of frames) await loaded(f);
    const startAt = Date.now() + 4000;
    const job = { group: "realms", startAt, durationMs: 1000, cap: 150_000 };
    const inPage = (frame, j = job) => frame.evaluate((j) => window.minter.mint(window.lib, j), j);
    const dedicated = tab1.evaluate((j) => new Promise((resolve, reject) => {
      const w = new Worker("/worker.mjs", { type: "module" });
      w.onmessage = (e) => { w.terminate(); resolve(e.data); };
      w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      w.postMessage(j);
    }), job);
    const shared = tab2.evaluate((j) => new Promise((resolve, reject) => {
      const w = new SharedWorker("/shared.mjs", { type: "module" });
      w.onerror = (e) => reject(new Error(`shared worker: ${e.message ?? e}`));
      w.port.onmessage = (e) => resolve(e.data);
      w.port.postMessage(j); // the first message on the first connection
    }), job);
    const service = tab1.evaluate(async (j) => {
      const reg = await navigator.serviceWorker.register("/sw.mjs", { type: "module", scope: "/" });
      const sw = reg.installing ?? reg.waiting ?? reg.active;
      if (sw.state !== "activated") await new Promise((r) => sw.addEventListener("statechange", () => sw.state === "activated" && r()));
      const channel = new MessageChannel();
      const reply = new Promise((r) => { channel.port1.onmessage = (e) => r(e.data); });
      sw.postMessage(j, [channel.port2]);
      return reply;
    }, job);
    const names = ["tab1", "tab2", "iframe1", "iframe2", "worker", "sharedWorker", "serviceWorker"];
    const results = await Promise.all([inPage(tab1.mainFrame()), inPage(tab2.mainFrame()), inPage(frames[0]), inPage(frames[1]), dedicated, shared, service]);
    results.forEach((r, i) => assert.equal(r.error, undefined, `${names[i]}: ${r.error}`));
    assert.equal(results[4].beforeInit, "NOT_INITIALIZED,NOT_INITIALIZED,NOT_INITIALIZED", "new Snowfall(), SimpleSyncer.createSchemaGroup(), decodeGuid() before init() in snowfall-wasm/init");
    const genIds = results.map((r) => r.generatorId);
    assert.equal(new Set(genIds).size, 7, `generator ids: ${genIds}`);
    const arrays = results.map(ids);
    arrays.forEach((a, i) => {
      assert.ok(a.length > 1000, `${names[i]} minted ${a.length}`);
      assert.ok(a.every((id) => genIdOf(id) === genIds[i]), `${names[i]}'s ids carry its generator id`);
    });
    // All at once: every realm's minting overlaps every other's.
    const latestFirst = Math.max(...results.map((r) => r.first)), earliestLast = Math.min(...results.map((r) => r.last));
    assert.ok(latestFirst < earliestLast, `minting periods do not overlap: ${JSON.stringify(results.map((r) => [r.first, r.last]))}`);
    const { total, dup } = countDuplicates(arrays);
    figures.sevenRealms = { generatorIds: genIds, ids: total, duplicates: dup, perRealm: Object.fromEntries(names.map((n, i) => [n, arrays[i].length])) };
    assert.equal(dup, 0);

    // The control: the same counter finds SimpleSyncer's duplicates (generator id 0 in both tabs).
    const simple = { group: "unused", startAt: Date.now() + 1500, durationMs: 300, cap: 150_000, syncer: "simple" };
    const ctl = await Promise.all([inPage(tab1.mainFrame(), simple), inPage(tab2.mainFrame(), simple)]);
    const control = countDuplicates(ctl.map(ids));
    figures.simpleSyncerControl = { generatorIds: ctl.map((r) => r.generatorId), ids: control.total, duplicates: control.dup };
    assert.ok(control.dup > 0, "the duplicate counter must see SimpleSyncer's duplicates");
    await Promise.all([tab1.close(), tab2.close(), host.close()]);
  });

  /** A tab holding the Web Locks of every generator id of `group` except `keep`. */
  async function holdAllBut(group, keep) {
    const page = await open();
    const n = await page.evaluate(async ({ group, keep }) => {
      window.releaseAll = [];
      let held = 0;
      for (let id = 0; id < 4096; id++) {
        if (id === keep) continue;
        await new Promise((got) => navigator.locks.request(window.lib.lockName(group, id), { ifAvailable: true }, (lock) => {
          got();
          if (!lock) return undefined;
          held++;
          return new Promise((r) => window.releaseAll.push(r));
        }));
      }
      return held;
    }, { group, keep });
    assert.equal(n, 4095);
    return page;
  }

  test("reload after the page clock stepped back 1 s, forced onto the same generator id: 0 repeats, ids continue above the fence", async () => {
    const page = await open();
    const job = (j) => page.evaluate((j) => window.minter.mint(window.lib, j), { group: "reload", startAt: 0, durationMs: 500, cap: 400_000, probeS: 1, ...j });
    // First run: keep the generator (no close) so the reload is what ends it.
    const first = await page.evaluate(async () => {
      const gen = await window.lib.Snowfall.create({ syncer: window.lib.BrowserSyncer, schemaGroupName: "reload", livelinessProbeS: 1, maxClaimRetries: 40, minMsBetweenClaimRetries: 100, maxMsBetweenClaimRetries: 200 });
      const out = new BigUint64Array(400_000);
      let n = 0;
      const end = Date.now() + 500;
      while (n < out.length && Date.now() < end) { const k = Math.min(256, out.length - n); gen.getGuidsInto(out.subarray(n, n + k)); n += k; }
      window.keep = gen;
      const bytes = new Uint8Array(out.buffer, 0, n * 8);
      let s = "";
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return { generatorId: gen.generatorId, b64: btoa(s) };
    });
    const filler = await holdAllBut("reload", first.generatorId);
    await page.addInitScript(() => {
      const realNow = Date.now.bind(Date);
      Date.now = () => realNow() - 1000;
    });
    await page.reload();
    await loaded(page.mainFrame());
    const stepped = await page.evaluate(() => Date.now() - performance.timeOrigin - performance.now());
    assert.ok(Math.abs(stepped + 1000) < 50, `the page clock is stepped back 1 s (${stepped})`);
    const afterReload = await filler.evaluate((id) => new window.lib.IndexedDbStore({ schemaGroupName: "reload" }).readSlot(id), first.generatorId);
    // The fence may be up to a window (2 probes) ahead of the real clock, 3 s ahead of the page's:
    // the generator rides that out by minting ahead (clockToleranceMs), never below the fence.
    const second = await job({ clockToleranceMs: 5000 });
    assert.equal(second.error, undefined, second.error);
    assert.equal(second.generatorId, first.generatorId, "forced onto the same generator id");
    const a = ids(first), b = ids(second);
    const { total, dup } = countDuplicates([a, b]);
    const maxA = a.reduce((m, x) => (x > m ? x : m), 0n), minB = b.reduce((m, x) => (x < m ? x : m), b[0]);
    figures.reloadClockBack = { releaseWrittenByPagehide: afterReload.holder === "", generatorId: second.generatorId, before: a.length, after: b.length, repeats: dup, gapMs: msOf(minB) - msOf(maxA) };
    assert.equal(dup, 0);
    assert.ok(minB > maxA, "every id after the reload is above every id before it");
    await filler.close();
    await page.close();
  });

  test("a crashed tab (no close(), no pagehide): its successor on the same generator id continues above its persisted fence", async () => {
    const victim = await open();
    const first = await victim.evaluate(async () => {
      const gen = await window.lib.Snowfall.create({ syncer: window.lib.BrowserSyncer, schemaGroupName: "crash", livelinessProbeS: 1, maxClaimRetries: 40, minMsBetweenClaimRetries: 100, maxMsBetweenClaimRetries: 200 });
      const out = gen.getGuids(200_000);
      window.keep = gen;
      return { generatorId: gen.generatorId, last: String(out[out.length - 1]), count: out.length };
    });
    const filler = await holdAllBut("crash", first.generatorId);
    const fenceBefore = await filler.evaluate((id) => new window.lib.IndexedDbStore({ schemaGroupName: "crash" }).readSlot(id), first.generatorId);
    assert.ok(fenceBefore.holder !== "" && fenceBefore.reservedUntilMs > 0, `the victim's slot is held: ${JSON.stringify(fenceBefore)}`);
    const crashed = new Promise((r) => victim.once("crash", r));
    const cdp = await context.newCDPSession(victim);
    cdp.send("Page.crash").catch(() => {});
    await crashed;
    // The filler tab must have survived (another renderer process).
    assert.equal(await filler.evaluate(() => window.releaseAll.length), 4095);
    const fence = await filler.evaluate((id) => new window.lib.IndexedDbStore({ schemaGroupName: "crash" }).readSlot(id), first.generatorId);
    const successor = await open();
    const r = await successor.evaluate((j) => window.minter.mint(window.lib, j), { group: "crash", startAt: 0, durationMs: 300, cap: 100_000, probeS: 1 });
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.generatorId, first.generatorId, "the successor holds the crashed tab's generator id");
    const b = ids(r);
    const minB = b.reduce((m, x) => (x < m ? x : m), b[0]);
    const epoch = Date.UTC(2020, 0, 1);
    figures.crashSuccessor = { generatorId: r.generatorId, victimIds: first.count, successorIds: b.length, fence: fence.reservedUntilMs, successorFirstMs: epoch + msOf(minB) };
    assert.ok(epoch + msOf(minB) > fence.reservedUntilMs, `the successor's first id (${epoch + msOf(minB)}) is above the persisted fence (${fence.reservedUntilMs})`);
    assert.ok(minB > BigInt(first.last), "the successor's ids are above the crashed tab's");
    await filler.close();
    await successor.close();
  });

  test("a live generator holds its Web Lock and no other; close() writes the fence (holder cleared, the last minted ms) and releases the lock", async () => {
    const page = await open();
    const r = await page.evaluate(async () => {
      const { Snowfall, BrowserSyncer, IndexedDbStore, lockName, decodeGuid } = window.lib;
      const gen = await Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "locks" });
      const id = gen.generatorId;
      const last = gen.getGuids(5000).at(-1);
      const held = (await navigator.locks.query()).held.map((l) => l.name).filter((n) => n.startsWith("snowfall-wasm:locks:"));
      const during = await new IndexedDbStore({ schemaGroupName: "locks" }).readSlot(id);
      await gen.close();
      const after = (await navigator.locks.query()).held.map((l) => l.name).filter((n) => n.startsWith("snowfall-wasm:locks:"));
      const slot = await new IndexedDbStore({ schemaGroupName: "locks" }).readSlot(id);
      // Generators of one realm exclude each other too (each holds its own lock).
      const two = await Promise.all([0, 1].map(() => Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: "locks" })));
      const twoIds = two.map((g) => g.generatorId);
      await Promise.all(two.map((g) => g.close()));
      return { twoIds, id, held, expected: lockName("locks", id), during, after, slot, lastMs: decodeGuid(last).timestamp.getTime() };
    });
    assert.deepEqual(r.held, [r.expected], "exactly the leased id's lock is held (no candidate locks left)");
    assert.ok(r.during.holder !== "" && r.during.reservedUntilMs >= r.lastMs, `while held: ${JSON.stringify(r.during)}`);
    assert.deepEqual(r.after, [], "close() releases the lock");
    assert.notEqual(r.twoIds[0], r.twoIds[1], "two generators in one page");
    assert.equal(r.slot.holder, "");
    assert.equal(r.slot.reservedUntilMs, r.lastMs, "the fence is the last ms minted");
    await page.close();
  });

  test("a tab closed without close(): its lock is free at once; its fence covers what it minted (the last ms if pagehide's release landed, else its window end)", async () => {
    const tab = await open();
    const r = await tab.evaluate(async () => {
      const gen = await window.lib.Snowfall.create({ syncer: window.lib.BrowserSyncer, schemaGroupName: "closing" });
      const last = gen.getGuids(3000).at(-1);
      window.keep = gen;
      return { generatorId: gen.generatorId, lastMs: window.lib.decodeGuid(last).timestamp.getTime() };
    });
    await tab.close(); // runs pagehide, not close()
    const other = await open();
    const seen = await other.evaluate(async ({ id }) => {
      const name = window.lib.lockName("closing", id);
      for (let i = 0; i < 50; i++) {
        const held = (await navigator.locks.query()).held.some((l) => l.name === name);
        const slot = await new window.lib.IndexedDbStore({ schemaGroupName: "closing" }).readSlot(id);
        if (!held) return { held, slot, polls: i };
        await new Promise((ok) => setTimeout(ok, 100));
      }
      return { held: true };
    }, { id: r.generatorId });
    assert.equal(seen.held, false, "the closed tab's lock is free");
    figures.tabClosed = { generatorId: r.generatorId, lockPolls: seen.polls, releaseWritten: seen.slot.holder === "" };
    // pagehide starts the release; an unloading page may not finish the write (best effort).
    if (seen.slot.holder === "") assert.equal(seen.slot.reservedUntilMs, r.lastMs, "a written release leaves the fence at the last ms minted");
    else assert.ok(seen.slot.reservedUntilMs >= r.lastMs, `an unwritten release leaves the window end as the fence: ${JSON.stringify(seen.slot)}`);
    await other.close();
  });

  test("every IndexedDB and Web Locks call is bounded: a silent IndexedDB or lock manager ends in STORE_TIMEOUT within storeTimeoutMs", async () => {
    const page = await open();
    const r = await page.evaluate(async () => {
      const { Snowfall, BrowserSyncer } = window.lib;
      const attempt = async (options) => {
        const t0 = performance.now();
        try {
          const gen = await Snowfall.create({ syncer: BrowserSyncer, storeTimeoutMs: 300, ...options });
          await gen.close();
          return { code: "no error" };
        } catch (e) {
          return { code: e.code, isSnowfallError: e instanceof window.lib.SnowfallError, ms: performance.now() - t0, message: e.message };
        }
      };
      const realOpen = indexedDB.open.bind(indexedDB);
      indexedDB.open = () => ({}); // a request that never fires
      const idb = await attempt({ schemaGroupName: "silent_idb", databaseName: "silent" });
      indexedDB.open = realOpen;
      await new Promise((r) => setTimeout(r, 1100)); // an open silent for a second is not joined again
      const recovered = await attempt({ schemaGroupName: "silent_idb", databaseName: "silent" }); // not stuck on the silent open
      const realRequest = navigator.locks.request.bind(navigator.locks);
      navigator.locks.request = () => new Promise(() => {});
      const locks = await attempt({ schemaGroupName: "silent_locks" });
      navigator.locks.request = realRequest;
      return { idb, locks, recovered };
    });
    assert.equal(r.recovered.code, "no error", `after IndexedDB answers again: ${JSON.stringify(r.recovered)}`);
    delete r.recovered;
    for (const [what, x] of Object.entries(r)) {
      assert.equal(x.code, "STORE_TIMEOUT", `${what}: ${JSON.stringify(x)}`);
      assert.equal(x.isSnowfallError, true);
      assert.ok(x.ms < 1500, `${what}: settled after ${x.ms} ms (storeTimeoutMs 300; create may take two)`);
    }
    await page.close();
  });

  test("BrowserSyncer where there is no IndexedDB or Web Locks (Node): UNSUPPORTED_RUNTIME", async () => {
    const { Snowfall, BrowserSyncer } = await import(pathToFileURL(path.join(projectDir, "node_modules/snowfall-wasm/node.mjs")).href);
    assert.equal(BrowserSyncer.supported, false);
    await assert.rejects(Snowfall.create({ syncer: BrowserSyncer }), (e) => e.code === "UNSUPPORTED_RUNTIME" && /navigator\.locks|IndexedDB/.test(e.message));
  });

  test("no uncaught page errors", () => {
    assert.deepEqual(pageErrors.filter((e) => !/crash/i.test(e)), []);
  });
});
