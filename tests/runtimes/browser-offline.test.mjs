// examples/offline as a user runs it, in headless Chromium: the example copied next to the packed
// and installed package, its server started as `npm start` starts it (`node server.mjs`: node:http,
// grants from SQLite through DatabaseSyncer.grant), two browser contexts as two devices. Each loads
// the page online (its service worker precaches the page and the package's browser files), then the
// context goes really offline (`context.setOffline(true)` and its gate closed: every request fails), reloads (the page,
// the package and the .wasm come from the service worker's cache) and makes notes, reloads again and
// makes more. Each device reaches the server through its own TCP gate, closed while the device is
// offline (every connection reset), so offline is offline at the socket too: Chromium's offline
// emulation alone once let a reloaded page's first request through (CI, stop 13); the request
// lines each gate forwarded show the first load fetching its 2 grants, nothing passing while
// offline, and back online only the sync (no grant: every load minted with one of the 2). Back
// online the page syncs by itself, and the server must hold every note of both devices: 0
// duplicate ids, 0 conflicts. Every load's `notes.ready` has a generator id, the one its notes
// carry; while the page is still loading, `window.notes` is undefined (never a page element). A third device whose clock jumps past its grant's window
// while offline (playwright's clock: the lid closed for 11 minutes) gets LEASE_EXPIRED, never an id,
// and after a reload offline GRANT_UNAVAILABLE; the notes it made in its window still sync.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { installedPackage, repoRoot } from "./pack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const WINDOW_MS = 10 * 60_000; // the grants' window: far longer than the test, shorter than the jump

/** Starts the example's server; resolves to { child, origin, output() } once it prints its address. */
function startServer(dir, env) {
  const child = spawn(process.execPath, ["server.mjs"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`the example server did not start in 30 s:\n${out}`)); }, 30_000);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the example server exited (${code}):\n${out}`)); });
    child.stdout.on("data", () => {
      const m = out.match(/offline notes: (http:\/\/\S+?)\/ /);
      if (m) { clearTimeout(timer); resolve({ child, origin: m[1], output: () => out }); }
    });
  });
}

/**
 * A device's network: a TCP gate on its own loopback port in front of the server. `offline()`
 * resets every open connection and every new one (nothing reaches the server, the page's fetch
 * fails as with no network); `online()` forwards again. `refused` counts connections reset offline;
 * `requests` lists the request lines forwarded ("POST /grant"), read off the HTTP/1.1 it passes on.
 */
async function gate(origin) {
  const { hostname, port } = new URL(origin);
  const sockets = new Set();
  const g = { open: true, refused: 0, requests: [] };
  const server = net.createServer((client) => {
    if (!g.open) { g.refused++; client.destroy(); return; }
    const upstream = net.connect(Number(port), hostname);
    const end = () => { client.destroy(); upstream.destroy(); };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", end);
      s.on("close", () => { sockets.delete(s); end(); });
    }
    let seen = "";
    client.on("data", (chunk) => {
      seen += chunk.toString("latin1");
      let end = 0;
      for (const m of seen.matchAll(/(?:^|\r\n)(GET|POST|HEAD|PUT|DELETE) (\S+) HTTP\/1\.1\r\n/g)) {
        g.requests.push(`${m[1]} ${m[2]}`);
        end = m.index + m[0].length;
      }
      seen = seen.slice(end).slice(-512); // a request line split across chunks is completed by the next
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((ok, fail) => { server.once("error", fail); server.listen(0, "127.0.0.1", ok); });
  return Object.assign(g, {
    origin: `http://127.0.0.1:${server.address().port}`,
    offline() { g.open = false; for (const s of sockets) s.destroy(); },
    online() { g.open = true; },
    close: () => new Promise((ok) => { g.offline(); server.close(ok); }),
  });
}

describe("examples/offline: two devices offline (service worker cache, reloads), then sync; past the window LEASE_EXPIRED", { timeout: 240_000 }, () => {
  let browser, srv, dir;
  const figures = {};
  const gates = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh --tests`);
    const { projectDir } = await installedPackage();
    dir = path.join(projectDir, "example-offline");
    cpSync(path.join(repoRoot, "examples", "offline"), dir, { recursive: true, filter: (src) => !/node_modules|notes\.db/.test(path.relative(repoRoot, src)) });
    // The example's own `npm install` builds its pinned better-sqlite3 (12.11.1); the repo's
    // devDependency is that same version, already built by npm ci: link it instead of compiling.
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(path.join(repoRoot, "node_modules", "better-sqlite3"), path.join(dir, "node_modules", "better-sqlite3"), "dir");
    srv = await startServer(dir, { PORT: "0", NOTES_DB: path.join(dir, "notes.db"), GRANT_WINDOW_MS: String(WINDOW_MS) });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    console.log("figures:", JSON.stringify(figures));
    await browser?.close();
    for (const g of gates) await g.close();
    if (srv) {
      const exited = new Promise((ok) => srv.child.once("exit", ok));
      srv.child.kill("SIGTERM");
      await exited;
    }
  });

  const serverNotes = async () => (await (await fetch(`${srv.origin}/notes`, { signal: AbortSignal.timeout(10_000) })).json()).notes;

  /**
   * Loads (or reloads; neither without `reload` or `origin`) the page and waits for its generator;
   * returns what `notes.ready` says and whether the service worker answered.
   */
  async function load(page, reload = false, origin) {
    const res = reload ? await page.reload() : origin ? await page.goto(`${origin}/`) : null;
    // The app's API, not anything else that answers to the name (an element with id "notes" would).
    await page.waitForFunction(() => typeof window.notes?.addNote === "function" && window.notes.ready instanceof Promise, null, { timeout: 30_000 });
    return { ...(await page.evaluate(() => window.notes.ready)), fromServiceWorker: res?.fromServiceWorker() };
  }
  /** `ready.generatorId`, checked: the generator id (0..4095) the page's generator holds. */
  function generatorIdOf(ready, what) {
    assert.ok(Number.isInteger(ready.generatorId) && ready.generatorId >= 0 && ready.generatorId < 4096, `${what}: notes.ready has a generator id 0..4095: ${JSON.stringify(ready)}`);
    return ready.generatorId;
  }
  /** The generator id inside an id (its low 12 bits). */
  const generatorIdIn = (id) => Number(BigInt(id) & 4095n);
  /** A device online: its first load, the service worker installed and controlling the page. */
  async function device(clock) {
    const link = await gate(srv.origin);
    gates.push(link);
    const context = await browser.newContext();
    if (clock) await context.clock.install();
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const ready = await load(page, false, link.origin);
    assert.equal(ready.error, undefined, ready.error);
    const generatorId = generatorIdOf(ready, "first load, online");
    const grants = link.requests.filter((r) => r === "POST /grant").length;
    assert.equal(grants, 2, `first load: the page fetched its 2 grants (the grants option's default) through the gate: ${link.requests.join(", ")}`);
    const cached = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((ok) => navigator.serviceWorker.addEventListener("controllerchange", ok, { once: true }));
      const [name] = await caches.keys();
      return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
    });
    for (const f of ["/", "/app.js", "/snowfall-wasm/browser.mjs", "/snowfall-wasm/init.mjs", "/snowfall-wasm/stores/browser.js", "/snowfall-wasm/snowfall_wasm_bg.wasm"]) {
      assert.ok(cached.includes(f), `the service worker precached ${f}: ${cached.join(" ")}`);
    }
    /** Offline as a device is: the browser's emulation (navigator.onLine, the `online` event) and no network. */
    const setOffline = async (off) => {
      if (off) link.offline(); else link.online(); // the network first: the `online` event syncs at once
      await context.setOffline(off);
    };
    return { context, page, errors, cached, link, setOffline, generatorIds: [generatorId] };
  }
  const add = (page, texts) => page.evaluate(async (texts) => {
    const made = [];
    for (const t of texts) {
      try { made.push(await window.notes.addNote(t)); } catch (e) { return { made, error: `${e.code}: ${e.message}` }; }
    }
    return { made };
  }, texts);
  const pending = (page) => page.evaluate(async () => (await window.notes.list()).filter((n) => !n.synced).length);
  /** Back online, the page's `online` handler syncs with no call from the test: wait for it. */
  async function syncedByItself(page, what) {
    const t0 = Date.now();
    while (await pending(page) > 0) {
      assert.ok(Date.now() - t0 < 20_000, `${what} synced within 20 s of going online`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  const texts = (name, n) => Array.from({ length: n }, (_, i) => `${name} note ${i}`);

  test("while the page loads, window.notes is undefined (no element of the page answers to it), then the app's API with a generator id", async () => {
    // Held: the .wasm, so the app's module waits in its imports while the page has loaded. A test
    // reading `window.notes` then saw the page's `<ul id="notes">` (named access on window), and
    // `window.notes.ready` was undefined: a generator id "undefined" right after Snowfall.create.
    const link = await gate(srv.origin);
    gates.push(link);
    const context = await browser.newContext();
    const page = await context.newPage();
    let release;
    const held = new Promise((ok) => { release = ok; });
    let wasmAsked = 0;
    await page.route("**/snowfall_wasm_bg.wasm", async (route) => { wasmAsked++; await held; await route.continue(); });
    await page.goto(`${link.origin}/`);
    await page.waitForFunction(() => document.getElementById("add") !== null);
    const early = await page.evaluate(() => Object.prototype.toString.call(window.notes));
    release();
    assert.ok(wasmAsked >= 1, "the page asked for the .wasm (and waited for it)");
    assert.equal(early, "[object Undefined]", "before the app ran, window.notes is not an element of the page");
    const ready = await load(page);
    assert.equal(ready.error, undefined, ready.error);
    figures.loading = { early, generatorId: generatorIdOf(ready, "the app ready") };
    await context.close();
  });

  test("two devices: notes made offline across reloads (pages from the service worker) all reach the server, 0 duplicate ids", async () => {
    const devices = { a: await device(), b: await device() };
    const made = { a: [], b: [] };
    for (const [name, d] of Object.entries(devices)) {
      const r = await add(d.page, texts(`${name} online`, 3));
      assert.equal(r.error, undefined, r.error);
      assert.deepEqual(r.made.map((n) => generatorIdIn(n.id)), [0, 1, 2].map(() => d.generatorIds[0]), `device ${name}: the notes carry the generator id notes.ready gave`);
      made[name].push(...r.made);
      const sync = await d.page.evaluate(() => window.notes.sync());
      assert.equal(sync.conflicts?.length, 0, JSON.stringify(sync));
      assert.equal(await pending(d.page), 0, `device ${name}: online, the notes are synced`);
    }
    const seenOnline = {};
    for (const [name, d] of Object.entries(devices)) {
      seenOnline[name] = d.link.requests.length;
      await d.setOffline(true);
      const probe = await d.page.evaluate(() => fetch("/notes").then(() => "reached the server", (e) => e.name));
      assert.equal(probe, "TypeError", "offline: a request to the server fails");
      for (const round of [1, 2]) {
        const ready = await load(d.page, true);
        assert.equal(ready.error, undefined, `device ${name}, reload ${round} offline: ${ready.error}`);
        assert.equal(ready.fromServiceWorker, true, "offline, the service worker answered the reload");
        const generatorId = generatorIdOf(ready, `device ${name}, reload ${round} offline`);
        d.generatorIds.push(generatorId);
        const r = await add(d.page, texts(`${name} offline ${round}`, 20));
        assert.equal(r.error, undefined, r.error);
        assert.deepEqual([...new Set(r.made.map((n) => generatorIdIn(n.id)))], [generatorId], `device ${name}, reload ${round}: the notes carry the generator id notes.ready gave`);
        made[name].push(...r.made);
        const sync = await d.page.evaluate(() => window.notes.sync());
        assert.equal(sync.offline, true, `offline, the sync waits: ${JSON.stringify(sync)}`);
      }
      assert.equal(await pending(d.page), 40, `device ${name} keeps its 40 offline notes unsynced`);
      assert.deepEqual(d.link.requests.slice(seenOnline[name]), [], `device ${name}: offline, no request passed its gate`);
      assert.ok(new Set(d.generatorIds).size <= 2, `device ${name}: every load minted with one of its 2 grants: ${d.generatorIds}`);
    }
    const all = [...made.a, ...made.b].map((n) => n.id);
    assert.equal(all.length, 86);
    const duplicates = all.length - new Set(all).size;
    assert.equal(duplicates, 0, "no id made twice, across devices and reloads");
    const ids = (name) => new Set(made[name].map((n) => generatorIdIn(n.id)));
    assert.deepEqual([...ids("a")].filter((g) => ids("b").has(g)), [], "the devices' generator ids are distinct (server grants)");
    const before = await serverNotes();
    assert.equal(before.length, 6, "offline, nothing reached the server");
    // Back online: the page's `online` handler syncs by itself.
    for (const d of Object.values(devices)) await d.setOffline(false);
    for (const [name, d] of Object.entries(devices)) {
      await syncedByItself(d.page, `device ${name}`);
      const back = d.link.requests.slice(seenOnline[name]);
      assert.ok(back.length >= 1 && back.every((r) => r === "POST /notes"), `device ${name}: back online, only its sync passed the gate (no grant, no page): ${back.join(", ")}`);
    }
    const stored = await serverNotes();
    assert.equal(stored.length, all.length, "the server has every note");
    const byId = new Map(stored.map((n) => [n.id, n]));
    for (const n of [...made.a, ...made.b]) assert.equal(byId.get(n.id)?.text, n.text, `note ${n.id} stored as made`);
    // A sync repeated (a response lost): the server reports them as already there, no conflict.
    const again = await devices.a.page.evaluate(async () => {
      const res = await fetch("/notes", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ notes: (await window.notes.list()).map(({ id, text, createdAt }) => ({ id, text, createdAt })) }) });
      return res.json();
    });
    assert.deepEqual([again.stored.length, again.already.length, again.conflicts.length], [0, 43, 0]);
    assert.doesNotMatch(srv.output(), /two notes with one id/);
    for (const d of Object.values(devices)) assert.deepEqual(d.errors, []);
    figures.twoDevices = { notes: all.length, duplicates, conflicts: again.conflicts.length, generatorIds: { a: devices.a.generatorIds, b: devices.b.generatorIds }, precached: devices.a.cached.length, resetOffline: devices.a.link.refused + devices.b.link.refused };
    for (const d of Object.values(devices)) await d.context.close();
  });

  test("a device offline past its grant's window: LEASE_EXPIRED (no id), GRANT_UNAVAILABLE after a reload; its notes still sync", async () => {
    const d = await device(true);
    const inWindow = await add(d.page, texts("c before", 5));
    assert.equal(inWindow.error, undefined, inWindow.error);
    assert.deepEqual([...new Set(inWindow.made.map((n) => generatorIdIn(n.id)))], d.generatorIds, "the notes carry the generator id notes.ready gave");
    await d.page.evaluate(() => window.notes.sync());
    assert.equal(await pending(d.page), 0);
    await d.setOffline(true);
    const seenOnline = d.link.requests.length;
    const offline = await add(d.page, texts("c offline", 5));
    assert.equal(offline.error, undefined, offline.error);
    // The lid closed for 11 minutes: the page's clock jumps past the 10-minute windows.
    await d.context.clock.fastForward(WINDOW_MS + 60_000);
    const late = await add(d.page, ["c too late"]);
    assert.match(String(late.error), /^LEASE_EXPIRED: /, JSON.stringify(late));
    assert.equal(late.made.length, 0);
    const reloaded = await load(d.page, true);
    assert.match(String(reloaded.error), /^GRANT_UNAVAILABLE: /, JSON.stringify(reloaded));
    assert.equal(reloaded.fromServiceWorker, true);
    assert.equal(await pending(d.page), 5, "the notes made offline inside the window wait");
    assert.deepEqual(d.link.requests.slice(seenOnline), [], "offline, no request passed the gate (the reload's fetchGrant failed)");
    await d.setOffline(false);
    await syncedByItself(d.page, "device c");
    const stored = new Set((await serverNotes()).map((n) => n.id));
    for (const n of [...inWindow.made, ...offline.made]) assert.ok(stored.has(n.id), `note ${n.id} reached the server`);
    figures.expiry = { generatorId: d.generatorIds[0], afterWindow: late.error.split(":")[0], afterReload: reloaded.error.split(":")[0], syncedAfter: offline.made.length };
    await d.context.close();
  });
});
