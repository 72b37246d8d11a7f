// Server-granted leases for offline devices, in headless Chromium: a Node server grants windows
// from SQLite through DatabaseSyncer.grant (the installed package, better-sqlite3); two browser
// contexts are two devices (separate IndexedDB and Web Locks), each minting with BrowserSyncer +
// fetchGrant; then the grant server is cut off (every /grant request aborted) and each device
// reloads and mints again from the grants it kept. Counted: 0 duplicates across devices and
// reloads, each device continuing above its own ids; past the window: LEASE_EXPIRED; no grant left
// and no server: GRANT_UNAVAILABLE. (Pages and scripts still load from the server; a real offline
// app serves them from a service worker's cache: README "Offline devices".)
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { chromium } from "playwright-core";
import { installedPackage } from "./pack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const PKG = "/node_modules/snowfall-wasm";
const PAGE = `<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">{ "imports": { "snowfall-wasm": "${PKG}/browser.mjs" } }</script>
<script type="module">
  try {
    const lib = await import("snowfall-wasm");
    window.lib = lib;
    window.grantsKept = async (group) => (await new lib.IndexedDbStore({ schemaGroupName: group }).readGrants()).map((g) => g.generatorId);
    window.mint = async (group, count, more = {}) => {
      try {
        const gen = await lib.Snowfall.create({ syncer: lib.BrowserSyncer, schemaGroupName: group, fetchGrant: async () => {
          const res = await fetch("/grant?group=" + group);
          if (!res.ok) throw new Error("grant server: HTTP " + res.status);
          return res.json();
        }, ...more });
        const ids = Array.from(gen.getGuids(count), String);
        window.keep = gen;
        return { generatorId: gen.generatorId, ids };
      } catch (e) { return { error: e.code + ": " + e.message }; }
    };
    window.loaded = "ok";
  } catch (e) { window.loaded = "error: " + (e && e.stack || e); }
</script></head><body></body></html>`;

describe("server-granted leases: two devices, grant server cut off, reloads", { timeout: 200_000 }, () => {
  let browser, srv, lib, database;
  const figures = {};
  const windows = { notes: 3_600_000, short: 4_000 };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh --tests`);
    const { projectDir } = await installedPackage();
    lib = await import(pathToFileURL(path.join(projectDir, "node_modules/snowfall-wasm/node.mjs")).href);
    database = lib.fromBetterSqlite3(new Database(":memory:"));
    for (const schemaGroupName of Object.keys(windows)) await lib.DatabaseSyncer.createSchemaGroup({ database, schemaGroupName });
    const server = http.createServer(async (req, res) => {
      const url = new URL(req.url, "http://localhost");
      if (url.pathname === "/grant") {
        const group = url.searchParams.get("group");
        try {
          const grant = await lib.DatabaseSyncer.grant({ database, schemaGroupName: group, windowMs: windows[group] });
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(grant));
        } catch (e) {
          res.writeHead(500).end(String(e?.message));
        }
        return;
      }
      if (url.pathname === "/page.html") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
        return;
      }
      const file = path.join(projectDir, path.normalize(decodeURIComponent(url.pathname)));
      if (!file.startsWith(projectDir + path.sep) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": file.endsWith(".wasm") ? "application/wasm" : "text/javascript; charset=utf-8" }).end(readFileSync(file));
    });
    srv = await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    console.log("figures:", JSON.stringify(figures));
    await browser?.close();
    await new Promise((r) => (srv ? srv.server.close(r) : r()));
  });

  const device = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${srv.origin}/page.html`);
    await page.waitForFunction(() => window.loaded !== undefined);
    assert.equal(await page.evaluate(() => window.loaded), "ok");
    return { context, page };
  };
  const mint = async (page, group, count, more = {}) => {
    const r = await page.evaluate(([g, n, m]) => window.mint(g, n, m), [group, count, more]);
    assert.equal(r.error, undefined, r.error);
    // The generator id right after create is the one its ids carry (low 12 bits).
    assert.ok(Number.isInteger(r.generatorId) && r.generatorId >= 0 && r.generatorId < 4096, `a generator id right after Snowfall.create: ${r.generatorId}`);
    for (const id of [r.ids[0], r.ids.at(-1)]) if (id !== undefined) assert.equal(Number(BigInt(id) & 4095n), r.generatorId, `id ${id} carries generator id ${r.generatorId}`);
    return r;
  };

  test("two devices mint from grants, the grant server goes away, each reloads and mints again: 0 duplicates, each above its own ids", async () => {
    const a = await device(), b = await device();
    // Device a keeps one grant (so a reload must continue on it), device b two (the default).
    const a1 = await mint(a.page, "notes", 50_000, { grants: 1 }), b1 = await mint(b.page, "notes", 50_000);
    const kept = { a: await a.page.evaluate(() => window.grantsKept("notes")), b: await b.page.evaluate(() => window.grantsKept("notes")) };
    assert.deepEqual(kept.a, [a1.generatorId], "device a mints on its one grant");
    assert.equal(kept.b.length, 2);
    assert.ok(kept.b.includes(b1.generatorId), "device b mints on one of its grants");
    assert.equal(new Set([...kept.a, ...kept.b]).size, 3, `the server granted distinct ids: ${JSON.stringify(kept)}`);
    let aborted = 0;
    for (const d of [a, b]) await d.context.route("**/grant*", (route) => { aborted++; return route.abort(); });
    const runs = { a1, b1 };
    for (const [name, d] of [["a", a], ["b", b]]) {
      await d.page.reload();
      await d.page.waitForFunction(() => window.loaded !== undefined);
      runs[`${name}2`] = await mint(d.page, "notes", 50_000, name === "a" ? { grants: 1 } : {});
    }
    assert.equal(runs.a2.generatorId, a1.generatorId, "device a continues on its one grant after the reload");
    assert.ok(kept.b.includes(runs.b2.generatorId), "device b mints on one of its grants");
    for (const [before, after] of [["a1", "a2"], ["b1", "b2"]]) {
      assert.ok(BigInt(runs[after].ids[0]) > BigInt(runs[before].ids.at(-1)), `${after} continues above ${before}`);
    }
    const all = Object.values(runs).flatMap((r) => r.ids);
    const duplicates = all.length - new Set(all).size;
    assert.equal(duplicates, 0);
    // A second tab on device b while the server is away: the spare grant.
    const tab = await b.context.newPage();
    await tab.goto(`${srv.origin}/page.html`);
    await tab.waitForFunction(() => window.loaded !== undefined);
    const b3 = await mint(tab, "notes", 1000);
    assert.ok(kept.b.includes(b3.generatorId) && b3.generatorId !== runs.b2.generatorId, "a second tab holds the spare grant");
    assert.ok(aborted > 0, "the device asked the (unreachable) grant server for a new spare");
    figures.twoDevices = { grants: kept, generatorIds: Object.fromEntries(Object.entries({ ...runs, b3 }).map(([k, r]) => [k, r.generatorId])), ids: all.length, duplicates, grantRequestsRefused: aborted };
    await a.context.close();
    await b.context.close();
  });

  test("past the grant's window: LEASE_EXPIRED, never a reused id; no grant and no server: GRANT_UNAVAILABLE", async () => {
    const d = await device();
    await d.context.route("**/grant*", (route) => (route.request().url().includes("group=short") ? route.continue() : route.abort()));
    const first = await mint(d.page, "short", 10);
    const r = await d.page.evaluate(async () => {
      const first = window.keep;
      const t0 = Date.now();
      first.getGuid();
      // Past half of the 4 s windows, online: a new generator tops the pool up with fresh grants.
      await new Promise((ok) => setTimeout(ok, 2300));
      const before = (await window.grantsKept("short")).length;
      const again = await window.mint("short", 10);
      const after = (await window.grantsKept("short")).length;
      await new Promise((ok) => setTimeout(ok, Math.max(0, t0 + 4500 - Date.now()))); // past the first window
      try { first.getGuid(); return { code: "no error" }; } catch (e) { return { code: e.code, before, after, again: again.error ?? "ok" }; }
    });
    assert.equal(r.code, "LEASE_EXPIRED");
    assert.equal(r.again, "ok");
    assert.ok(r.after > r.before, `grants past half their window are refreshed while online: ${r.before} -> ${r.after}`);
    await new Promise((ok) => setTimeout(ok, 4200)); // the refreshed grants end too
    await d.context.unroute("**/grant*");
    await d.context.route("**/grant*", (route) => route.abort());
    await d.page.reload();
    await d.page.waitForFunction(() => window.loaded !== undefined);
    const none = await d.page.evaluate(() => window.mint("short", 10));
    assert.match(String(none.error), /^GRANT_UNAVAILABLE: /, JSON.stringify(none));
    figures.expiry = { generatorId: first.generatorId, grantsBeforeRefresh: r.before, grantsAfter: r.after, afterWindow: r.code, withoutServer: String(none.error).split(":")[0] };
    await d.context.close();
  });
});
