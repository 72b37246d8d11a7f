// Offline notes: a small Node server (node:http, no framework) for a page that makes notes with ids
// minted offline and syncs them when it is back online.
//
//   GET  /            the page (public/index.html), /app.js, /sw.js (the service worker, with its
//                     precache list and version written in), /snowfall-wasm/* (the package's browser
//                     files from node_modules: the module graph of browser.mjs and the .wasm)
//   POST /grant       a generator-id grant for one device: DatabaseSyncer.grant on SQLite
//   POST /notes       { notes: [{ id, text, createdAt }] } -> { stored, already, conflicts } (ids);
//                     the primary key refuses a duplicate id: the same note again (a retried sync)
//                     is `already`, another note with a stored id would be a `conflict`
//   GET  /notes       every stored note, by id
//
// Environment: PORT (8080; 0 picks a free port), HOST (127.0.0.1), NOTES_DB (./notes.db; ":memory:"
// keeps nothing), GRANT_WINDOW_MS (3 days: the longest time a device may stay offline).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { DatabaseSyncer, SnowfallError, decodeGuid, fromBetterSqlite3 } from "snowfall-wasm";

const here = path.dirname(fileURLToPath(import.meta.url));
const GROUP = "notes";
const PORT = Number(process.env.PORT ?? 8080);
const HOST = process.env.HOST ?? "127.0.0.1";
const GRANT_WINDOW_MS = Number(process.env.GRANT_WINDOW_MS ?? 3 * 86_400_000);
const MAX_BODY = 1 << 20;
const MAX_NOTES = 1000;

// --- the database: the schema group's tables and the notes ---
const sqlite = new Database(process.env.NOTES_DB ?? path.join(here, "notes.db"));
sqlite.pragma("journal_mode = WAL");
const database = fromBetterSqlite3(sqlite);
await DatabaseSyncer.createSchemaGroup({ database, schemaGroupName: GROUP, ifNotExists: true });
sqlite.exec(`CREATE TABLE IF NOT EXISTS notes (
  id TEXT PRIMARY KEY, -- decimal text: ids are 64-bit (README "JSON and integer columns")
  generator_id INTEGER NOT NULL,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  synced_at INTEGER NOT NULL
)`);
const insert = sqlite.prepare("INSERT INTO notes (id, generator_id, text, created_at, synced_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
const textOf = sqlite.prepare("SELECT text FROM notes WHERE id = ?").pluck();
const everyNote = sqlite.prepare("SELECT id, generator_id AS generatorId, text, created_at AS createdAt, synced_at AS syncedAt FROM notes ORDER BY length(id), id");
const storeNotes = sqlite.transaction((notes) => {
  const result = { stored: [], already: [], conflicts: [] };
  const now = Date.now();
  for (const n of notes) {
    if (insert.run(n.id, n.generatorId, n.text, n.createdAt, now).changes === 1) result.stored.push(n.id);
    else if (textOf.get(n.id) === n.text) result.already.push(n.id);
    else result.conflicts.push(n.id);
  }
  return result;
});

/** Checks one note from a device; throws a 400 with what is wrong. */
function checkNote(n, i) {
  const bad = (what) => { throw Object.assign(new Error(`notes[${i}]: ${what}`), { status: 400 }); };
  if (n === null || typeof n !== "object") bad("not an object");
  if (typeof n.id !== "string" || !/^\d{1,20}$/.test(n.id)) bad(`id must be an id as a decimal string, got ${JSON.stringify(n.id)}`);
  let generatorId;
  try { ({ generatorId } = decodeGuid(n.id)); } catch (e) { bad(`id ${n.id}: ${e.message}`); }
  if (typeof n.text !== "string" || n.text.length > 10_000) bad("text must be a string of at most 10,000 characters");
  if (!Number.isSafeInteger(n.createdAt)) bad("createdAt must be Unix ms");
  return { id: n.id, generatorId, text: n.text, createdAt: n.createdAt };
}

// --- the files: the page, its service worker and the package's browser module graph ---
const pkgDir = path.dirname(fileURLToPath(import.meta.resolve("snowfall-wasm/package.json")));
/** browser.mjs and every module it imports (static relative imports), and the .wasm. */
function browserFiles() {
  const seen = new Set();
  const walk = (rel) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const source = readFileSync(path.join(pkgDir, rel), "utf8");
    for (const [, spec] of source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+["'](\.{1,2}\/[^"']+)["']/gm)) {
      walk(path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)));
    }
  };
  walk("browser.mjs");
  return [...seen, "snowfall_wasm_bg.wasm"];
}
const packageFiles = new Map(browserFiles().map((f) => [`/snowfall-wasm/${f}`, path.join(pkgDir, f)]));
const appFiles = new Map(readdirSync(path.join(here, "public")).map((f) => [f === "index.html" ? "/" : `/${f}`, path.join(here, "public", f)]));
appFiles.delete("/sw.js");
const precache = [...appFiles.keys(), ...packageFiles.keys()];
const version = createHash("sha256");
for (const file of [...appFiles.values(), ...packageFiles.values()]) version.update(readFileSync(file));
// The service worker's bytes change whenever a precached file does, so browsers install the new one.
const serviceWorker = readFileSync(path.join(here, "public", "sw.js"), "utf8")
  .replace('"__PRECACHE__"', JSON.stringify(precache))
  .replace("__VERSION__", version.digest("hex").slice(0, 16));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

// --- requests ---
function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(Object.assign(new Error("body over 1 MiB"), { status: 413 })); req.destroy(); } else chunks.push(c);
    });
    req.on("end", () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null")); } catch { reject(Object.assign(new Error("body is not JSON"), { status: 400 })); }
    });
    req.on("error", reject);
  });
}
const json = (res, status, body) => res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));

async function handle(req, res) {
  const { pathname } = new URL(req.url, "http://localhost");
  if (req.method === "POST" && pathname === "/grant") {
    return json(res, 200, await DatabaseSyncer.grant({ database, schemaGroupName: GROUP, windowMs: GRANT_WINDOW_MS }));
  }
  if (req.method === "POST" && pathname === "/notes") {
    const body = await readJson(req);
    if (!Array.isArray(body?.notes) || body.notes.length > MAX_NOTES) throw Object.assign(new Error(`body must be { notes: [...] } with at most ${MAX_NOTES} notes`), { status: 400 });
    const result = storeNotes(body.notes.map(checkNote));
    if (result.conflicts.length) console.warn(`two notes with one id: ${result.conflicts.join(", ")}`);
    return json(res, 200, result);
  }
  if (req.method === "GET" && pathname === "/notes") return json(res, 200, { notes: everyNote.all() });
  if (req.method === "GET" && pathname === "/sw.js") {
    return res.writeHead(200, { "content-type": TYPES[".js"], "cache-control": "no-cache" }).end(serviceWorker);
  }
  const file = req.method === "GET" && (appFiles.get(pathname) ?? packageFiles.get(pathname));
  if (!file) return json(res, 404, { error: `no ${req.method} ${pathname}` });
  res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" }).end(readFileSync(file));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    const status = e.status ?? (e instanceof SnowfallError ? 503 : 500);
    if (status >= 500) console.error(e);
    if (!res.headersSent) json(res, status, { code: e.code, error: e.message });
  });
});
server.requestTimeout = 10_000; // a client that never finishes its request is cut off
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  console.log(`offline notes: http://${HOST === "0.0.0.0" ? "localhost" : HOST}:${port}/ (grants of ${GRANT_WINDOW_MS} ms, group "${GROUP}")`);
});
const stop = () => server.close(() => { sqlite.close(); process.exit(0); });
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
