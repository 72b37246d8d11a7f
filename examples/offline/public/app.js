// Offline notes, the page: each note gets its id here, at once, online or not, from a generator id
// granted by the server (BrowserSyncer + fetchGrant: the grants are kept in IndexedDB, so a reload
// offline mints on), is kept in IndexedDB until the server has it, and is synced when online.
// `window.notes` is the same API the buttons use (try it in the console); it is set once this
// module has run (after its imports load the wasm), and no element of the page has the id "notes":
// an element with that id would answer to `window.notes` (named access) until then.
import { Snowfall, BrowserSyncer } from "snowfall-wasm";

const GROUP = "notes";
const $ = (id) => document.getElementById(id);

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch((e) => show("error", `service worker: ${e.message}`));

// --- notes kept in this browser: IndexedDB "offline-notes", { id, text, createdAt, synced } ---
const db = await new Promise((resolve, reject) => {
  const open = indexedDB.open("offline-notes", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("notes", { keyPath: "id" });
  open.onsuccess = () => resolve(open.result);
  open.onerror = () => reject(open.error);
});
function tx(mode, work) {
  return new Promise((resolve, reject) => {
    const t = db.transaction("notes", mode);
    const result = work(t.objectStore("notes"));
    t.oncomplete = () => resolve(result.result ?? result);
    t.onerror = t.onabort = () => reject(t.error);
  });
}
const list = () => tx("readonly", (s) => s.getAll());
const put = (notes) => tx("readwrite", (s) => { for (const n of notes) s.put(n); return notes; });

// --- ids: a generator on a server grant ---
async function fetchGrant() {
  const res = await fetch("/grant", { method: "POST", signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`grant server: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
let generator; // a Promise of the current Snowfall
function currentGenerator() {
  generator ??= Snowfall.create({ syncer: BrowserSyncer, schemaGroupName: GROUP, fetchGrant })
    .catch((e) => { generator = undefined; throw e; });
  return generator;
}
async function nextId() {
  const gen = await currentGenerator();
  try {
    return gen.getGuid();
  } catch (e) {
    if (e.code !== "LEASE_EXPIRED") throw e;
    // This grant's window ended: a new generator takes another kept grant, or a new one from the
    // server when online. Neither: the LEASE_EXPIRED stands (never a reused id).
    generator = undefined;
    await gen.close().catch(() => {});
    try {
      return (await currentGenerator()).getGuid();
    } catch (again) {
      e.message += ` (and no other grant: ${again.code ?? ""} ${again.message})`;
      throw e;
    }
  }
}

async function addNote(text) {
  const id = String(await nextId());
  const [note] = await put([{ id, text: String(text), createdAt: Date.now(), synced: false }]);
  render();
  sync().catch(() => {}); // at once when online; offline it stays for the next sync
  return note;
}

// --- sync: POST the unsynced notes; what the server has (stored now or before) is synced ---
// One sync at a time, in order: a sync asked for while one runs starts after it and sends what
// is unsynced then.
let queue = Promise.resolve();
function sync() {
  const run = queue.then(syncOnce).finally(render);
  queue = run.catch(() => {});
  return run;
}
async function syncOnce() {
  const pending = (await list()).filter((n) => !n.synced);
  if (pending.length === 0) return { sent: 0, stored: 0, already: 0, conflicts: [] };
  let res;
  try {
    res = await fetch("/notes", { method: "POST", headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(10_000),
      body: JSON.stringify({ notes: pending.map(({ id, text, createdAt }) => ({ id, text, createdAt })) }) });
  } catch (e) {
    return { sent: 0, offline: true, pending: pending.length, error: e.message };
  }
  if (!res.ok) throw new Error(`sync: HTTP ${res.status} ${await res.text()}`);
  const { stored, already, conflicts } = await res.json();
  const done = new Set([...stored, ...already]);
  await put(pending.filter((n) => done.has(n.id)).map((n) => ({ ...n, synced: true })));
  return { sent: pending.length, stored: stored.length, already: already.length, conflicts };
}
addEventListener("online", () => sync().catch((e) => show("error", e.message)));

// --- the page ---
function show(id, text) { $(id).textContent = text; }
async function render() {
  const notes = (await list()).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? 1 : -1));
  $("note-list").replaceChildren(...notes.map((n) => Object.assign(document.createElement("li"), { textContent: `${n.text} — ${n.id}`, className: n.synced ? "" : "unsynced" })));
}
$("add").addEventListener("submit", (e) => {
  e.preventDefault();
  addNote($("text").value).then(() => { $("text").value = ""; show("error", ""); }, (err) => show("error", `${err.code ?? ""} ${err.message}`));
});
$("sync").addEventListener("click", () => sync().then((r) => show("error", r.offline ? "offline: the notes wait here" : ""), (e) => show("error", e.message)));

const ready = currentGenerator().then(
  (gen) => { show("status", `${navigator.onLine ? "online" : "offline"}; generator id ${gen.generatorId}`); return { generatorId: gen.generatorId }; },
  (e) => { show("status", "no generator id"); show("error", `${e.code ?? ""} ${e.message}`); return { error: `${e.code}: ${e.message}` }; });
render();
if (navigator.onLine) sync().catch(() => {});

window.notes = { ready, addNote, sync, list, generator: currentGenerator };
