// Browser: the installed package's browser entry in real headless Chromium (playwright-core driving
// the system /usr/bin/chromium; scripts/setup.sh --tests installs it), loaded as plain ES modules
// from a loopback http server, with an import map the way bundler-less pages use it.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { installedPackage, makeTempDir } from "./pack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const EPOCH_MS = Date.UTC(2024, 0, 1);

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".ts": "text/plain",
};

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>snowfall-wasm browser test</title>
<script type="importmap">{ "imports": { "snowfall-wasm": "/node_modules/snowfall-wasm/browser.mjs" } }</script>
<script type="module">
  try {
    window.snowfall = await import("snowfall-wasm");
    window.loaded = "ok";
  } catch (e) {
    window.loaded = "error: " + (e && e.stack || e);
  }
</script>
</head><body></body></html>`;

/** Serves `/` (the test page) and the consumer project's files (its node_modules) on loopback. */
function serve(root) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    const rel = decodeURIComponent(url.pathname);
    if (rel === "/" || rel === "/index.html") {
      requests.push({ path: rel, status: 200 });
      res.writeHead(200, { "content-type": TYPES[".html"] }).end(INDEX_HTML);
      return;
    }
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      requests.push({ path: rel, status: 404 });
      res.writeHead(404).end("not found");
      return;
    }
    requests.push({ path: rel, status: 200 });
    res
      .writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" })
      .end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, requests, origin: `http://127.0.0.1:${server.address().port}` })),
  );
}

function assertStrictlyIncreasing(ids, what) {
  const big = ids.map(BigInt);
  assert.equal(new Set(ids).size, ids.length, `${what}: ids are not unique`);
  for (let i = 1; i < big.length; i++) {
    assert.ok(big[i] > big[i - 1], `${what}: id #${i} (${big[i]}) is not greater than #${i - 1} (${big[i - 1]})`);
  }
}
const layout = (id) => {
  const b = BigInt(id);
  return { ms: Number(b >> 23n), counter: Number((b >> 12n) & 2047n), generatorId: Number(b & 4095n) };
};

describe("browser (headless Chromium, ES modules + import map)", { timeout: 180_000 }, () => {
  let context, page, srv;
  const pageErrors = [];
  const consoleErrors = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh --tests (apt-get install chromium)`);
    const { projectDir } = await installedPackage();
    srv = await serve(projectDir);
    context = await chromium.launchPersistentContext(makeTempDir("snowfall-chromium-"), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => pageErrors.push(String(e?.stack ?? e)));
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    await page.goto(`${srv.origin}/`);
    await page.waitForFunction(() => window.loaded !== undefined, null, { timeout: 30_000 });
  });
  after(async () => {
    await context?.close();
    await new Promise((r) => (srv ? srv.server.close(r) : r()));
  });

  test("the browser entry loads (top-level await init) and fetches the .wasm next to it", async () => {
    const loaded = await page.evaluate(() => window.loaded);
    assert.equal(loaded, "ok", `import("snowfall-wasm") failed in the page: ${loaded}\npage errors: ${pageErrors.join("\n")}\n` +
      `console errors: ${consoleErrors.join("\n")}\nrequests: ${JSON.stringify(srv.requests)}`);
    const wasm = srv.requests.filter((r) => r.path.endsWith(".wasm"));
    assert.ok(wasm.length >= 1 && wasm.every((r) => r.status === 200), `wasm requests: ${JSON.stringify(srv.requests)}`);
    const exported = await page.evaluate(() => Object.keys(window.snowfall).sort());
    for (const name of ["Snowfall", "SimpleSyncer", "decodeGuid", "SnowfallError"]) {
      assert.ok(exported.includes(name), `the browser entry does not export ${name} (exports: ${exported.join(", ")})`);
    }
  });

  test("ids are bigint, unique, increasing and decode to the page's time", async () => {
    const r = await page.evaluate((epochMs) => {
      const { Snowfall, SimpleSyncer, decodeGuid } = window.snowfall;
      const epochStartDate = new Date(epochMs);
      SimpleSyncer.createSchemaGroup({ schemaGroupName: "page", livelinessProbeS: 5, epochStartDate });
      const gen = new Snowfall({ schemaGroupName: "page" });
      const before = Date.now();
      const ids = Array.from({ length: 1000 }, () => gen.getGuid());
      const after = Date.now();
      const decoded = ids.map((id) => {
        const d = decodeGuid(id, { epochStartDate });
        return { t: d.timestamp.getTime(), isDate: d.timestamp instanceof Date, ms: Number(d.msSinceEpoch),
                 counter: Number(d.loopingCounter), generatorId: Number(d.generatorId) };
      });
      const generatorId = gen.generatorId;
      gen.close();
      return { before, after, generatorId, types: [...new Set(ids.map((x) => typeof x))], ids: ids.map(String), decoded };
    }, EPOCH_MS);
    assert.deepEqual(r.types, ["bigint"]);
    assertStrictlyIncreasing(r.ids, "page getGuid");
    r.ids.forEach((id, i) => {
      const l = layout(id);
      const d = r.decoded[i];
      assert.equal(d.isDate, true);
      assert.deepEqual([d.ms, d.counter, d.generatorId], [l.ms, l.counter, l.generatorId], `decodeGuid(${id}) in the page`);
      assert.equal(d.t, EPOCH_MS + l.ms);
      assert.equal(d.generatorId, r.generatorId);
    });
    assert.ok(r.decoded[0].t >= r.before && r.decoded.at(-1).t <= r.after + 1,
      `ids' time ${r.decoded[0].t}..${r.decoded.at(-1).t} outside ${r.before}..${r.after}`);
  });

  test("getGuids(n) gives a BigUint64Array; a frozen clock borrows ms and stays unique", async () => {
    const r = await page.evaluate((epochMs) => {
      const { Snowfall, SimpleSyncer } = window.snowfall;
      SimpleSyncer.createSchemaGroup({ schemaGroupName: "frozen", livelinessProbeS: 5, epochStartDate: new Date(epochMs) });
      const fixed = Date.now();
      const gen = new Snowfall({ schemaGroupName: "frozen", clock: () => fixed });
      const batch = gen.getGuids(5000);
      const single = Array.from({ length: 5000 }, () => gen.getGuid());
      gen.close();
      return { fixed, isBigUint64Array: batch instanceof BigUint64Array, ids: [...Array.from(batch, String), ...single.map(String)] };
    }, EPOCH_MS);
    assert.equal(r.isBigUint64Array, true);
    assert.equal(r.ids.length, 10_000);
    assertStrictlyIncreasing(r.ids, "page frozen clock");
    assert.equal(EPOCH_MS + layout(r.ids[0]).ms, r.fixed);
    assert.equal(layout(r.ids.at(-1)).ms - layout(r.ids[0]).ms, Math.ceil(10_000 / 2048) - 1);
  });

  test("default schema group, default epoch, and the README example id", async () => {
    const r = await page.evaluate(() => {
      const { Snowfall, decodeGuid } = window.snowfall;
      const gen = new Snowfall();
      const id = gen.getGuid();
      gen.close();
      const ex = decodeGuid(133494887688437760n);
      return { id: String(id), t: decodeGuid(id).timestamp.getTime(), now: Date.now(),
               example: { t: ex.timestamp.toISOString(), counter: Number(ex.loopingCounter), generatorId: Number(ex.generatorId) } };
    });
    assert.equal(r.t, Date.UTC(2020, 0, 1) + layout(r.id).ms);
    assert.ok(Math.abs(r.now - r.t) < 1000, "an id from new Snowfall() decodes (default epoch) to now");
    assert.deepEqual(r.example, { t: "2020-07-03T04:30:30.720Z", counter: 0, generatorId: 0 });
  });

  test("errors are instanceof SnowfallError (and Error) with a code", async () => {
    const r = await page.evaluate(() => {
      const { Snowfall, SnowfallError } = window.snowfall;
      try {
        new Snowfall({ schemaGroupName: "no-such-group" });
        return { threw: false };
      } catch (e) {
        return { threw: true, isSnowfallError: e instanceof SnowfallError, isError: e instanceof Error,
                 code: e?.code, name: e?.name, message: String(e?.message) };
      }
    });
    assert.equal(r.threw, true, "unknown schema group must throw");
    assert.equal(r.isSnowfallError, true, `not instanceof SnowfallError: ${JSON.stringify(r)}`);
    assert.equal(r.isError, true);
    assert.equal(typeof r.code, "string");
  });

  test("a module Web Worker can import the browser entry and make ids", async () => {
    const r = await page.evaluate(async () => {
      const src = `
        import { Snowfall, decodeGuid } from "${location.origin}/node_modules/snowfall-wasm/browser.mjs";
        const gen = new Snowfall();
        const ids = Array.from(gen.getGuids(100), String);
        postMessage({ ids, t: decodeGuid(BigInt(ids[0])).timestamp.getTime(), now: Date.now() });`;
      const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
      const worker = new Worker(url, { type: "module" });
      try {
        return await new Promise((resolve, reject) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
          setTimeout(() => reject(new Error("worker timed out")), 20_000);
        });
      } finally {
        worker.terminate();
      }
    });
    assertStrictlyIncreasing(r.ids, "Web Worker");
    assert.ok(Math.abs(r.now - r.t) < 1000, "ids from the worker decode to now");
  });

  test("no uncaught page errors", () => {
    assert.deepEqual(pageErrors, []);
  });
});
