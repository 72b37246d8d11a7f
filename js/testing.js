// snowfall-wasm/testing: the conformance kit for stores. `await checkStore(makeStore)` runs every
// check a store must pass to carry leases (docs/PROTOCOL.md, "The store interface") against a
// store for a fresh schema group, and resolves to the list of checks passed; it rejects with a
// SnowfallError STORE_CHECK_FAILED naming each failed check. The package's own stores (SQL on
// PostgreSQL, MySQL/MariaDB, SQLite, D1) pass the same kit in its test suite.
//
// A store can only break liveness, never uniqueness, if the core is right: every row it returns is
// re-checked and every write is a compare-and-swap. These checks make sure it is also live and
// that its compare-and-swap really is one.
import { SnowfallError, openSession } from "snowfall-wasm";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const HOLDER_A = "0123abcd-4567-89ef-0123-456789abcdef";
const HOLDER_B = "fedcba98-7654-3210-fedc-ba9876543210";
const GROUP = { livelinessProbeS: 5, epochUnixMs: Date.UTC(2020, 0, 1), maxClaimRetries: 3, minMsBetweenClaimRetries: 1, maxMsBetweenClaimRetries: 10 };

function assert(ok, what) {
  if (!ok) throw new Error(what);
}

const same = (row, slot) => row.lastUpdatedMs === slot.lastUpdatedMs && row.reservedUntilMs === slot.reservedUntilMs && row.holder === slot.holder;
const show = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));

/** The slot `id` as the store reads it (it must be free before `freeBeforeMs`). */
async function readSlot(store, id, freeBeforeMs = MAX_SAFE) {
  const rows = await store.readFreeSlots({ from: id, to: id + 1, limit: 1, freeBeforeMs });
  return rows[0] ?? null;
}

async function swap(store, generatorId, expected, next) {
  return store.compareAndSwap({ generatorId, expected, next });
}

/**
 * Runs the conformance checks against the store `makeStore()` returns (called once; it must hold
 * a schema group, or have `createGroup(properties)` to make one). The checks write slots 100..299
 * and 4000..4095 and claim a few ids: use a group nothing else uses.
 * @param {() => object | Promise<object>} makeStore
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<string[]>} the names of the checks passed
 */
export async function checkStore(makeStore, options = {}) {
  const store = await makeStore();
  const passed = [];
  const failed = [];
  const now = Date.now();
  const check = async (name, body) => {
    try {
      await body();
      passed.push(name);
      options.log?.(`ok ${name}`);
    } catch (err) {
      failed.push(`${name}: ${err?.message ?? err}`);
      options.log?.(`not ok ${name}: ${err?.message ?? err}`);
    }
  };

  await check("readGroup returns the group (creating it with createGroup when absent)", async () => {
    let group = await store.readGroup();
    if (group == null) {
      assert(typeof store.createGroup === "function", "readGroup() resolved null and the store has no createGroup(properties)");
      await store.createGroup(GROUP);
      group = await store.readGroup();
    }
    assert(group != null, "readGroup() resolved null after createGroup()");
    assert(Number.isSafeInteger(group.livelinessProbeS) && group.livelinessProbeS >= 1, `livelinessProbeS must be a whole number of seconds >= 1, got ${show(group.livelinessProbeS)}`);
    assert(Number.isSafeInteger(group.epochUnixMs ?? 0) && (group.epochUnixMs ?? 0) >= 0, `epochUnixMs must be whole Unix ms, got ${show(group.epochUnixMs)}`);
  });

  await check("a slot never written reads free, with numbers and an empty holder", async () => {
    const rows = await store.readFreeSlots({ from: 100, to: 116, limit: 16, freeBeforeMs: now });
    assert(Array.isArray(rows), `readFreeSlots must resolve an array, got ${show(rows)}`);
    assert(rows.length === 16, `16 free slots expected in 100..115, got ${rows.length}`);
    rows.forEach((r, i) => {
      assert(r.generatorId === 100 + i, `rows in generator-id order: row ${i} is ${show(r.generatorId)}`);
      assert(typeof r.lastUpdatedMs === "number" && typeof r.reservedUntilMs === "number", `lastUpdatedMs and reservedUntilMs must be Numbers, got ${show(r)}`);
      assert(r.lastUpdatedMs < now, `a never-written slot must be free (lastUpdatedMs ${r.lastUpdatedMs})`);
      assert(r.holder === "", `a never-written slot's holder is "", got ${show(r.holder)}`);
    });
  });

  await check("readFreeSlots keeps to from <= id < to and the limit", async () => {
    const ids = (rows) => rows.map((r) => r.generatorId).join(",");
    assert(ids(await store.readFreeSlots({ from: 120, to: 123, limit: 16, freeBeforeMs: now })) === "120,121,122", "range 120..122");
    assert(ids(await store.readFreeSlots({ from: 120, to: 130, limit: 2, freeBeforeMs: now })) === "120,121", "limit 2");
    assert((await store.readFreeSlots({ from: 130, to: 130, limit: 16, freeBeforeMs: now })).length === 0, "an empty range");
    const top = await store.readFreeSlots({ from: 4090, to: 4096, limit: 16, freeBeforeMs: now });
    assert(ids(top) === "4090,4091,4092,4093,4094,4095", `the top of the manifest (4095 included), got ${ids(top)}`);
  });

  await check("compareAndSwap writes exactly what it is given when the slot matches", async () => {
    const initial = await readSlot(store, 140, now);
    const next = { lastUpdatedMs: now, reservedUntilMs: now + 10_000, holder: HOLDER_A };
    assert((await swap(store, 140, initial, next)) === true, "compareAndSwap on the values read must resolve true");
    const row = await readSlot(store, 140);
    assert(row && same(row, next), `slot 140 must read back ${show(next)}, got ${show(row)}`);
    assert((await readSlot(store, 141, now)) !== null, "the slot next to it is untouched");
  });

  await check("compareAndSwap refuses (false, nothing written) when any one field differs", async () => {
    const cur = { lastUpdatedMs: 1000, reservedUntilMs: 2000, holder: HOLDER_A };
    const initial = await readSlot(store, 150, now);
    assert(await swap(store, 150, initial, cur), "set-up write");
    const next = { lastUpdatedMs: 5, reservedUntilMs: 6, holder: HOLDER_B };
    for (const wrong of [{ ...cur, lastUpdatedMs: 1001 }, { ...cur, reservedUntilMs: 1999 }, { ...cur, holder: HOLDER_B }, { ...cur, holder: "" }]) {
      const r = await swap(store, 150, wrong, next);
      assert(r === false, `compareAndSwap expecting ${show(wrong)} against ${show(cur)} must resolve false, got ${show(r)}`);
    }
    const row = await readSlot(store, 150);
    assert(row && same(row, cur), `a refused compareAndSwap must not write, slot reads ${show(row)}`);
  });

  await check("values round-trip exactly: safe-integer ms of either sign, 36-character holders", async () => {
    const initial = await readSlot(store, 160, now);
    const big = { lastUpdatedMs: -(MAX_SAFE), reservedUntilMs: MAX_SAFE, holder: HOLDER_B };
    assert(await swap(store, 160, initial, big), "write of extreme values");
    const row = await readSlot(store, 160);
    assert(row && same(row, big), `expected ${show(big)}, read ${show(row)}`);
    const back = { lastUpdatedMs: now - 12_345, reservedUntilMs: 0, holder: "" };
    assert(await swap(store, 160, big, back), "compareAndSwap against the extreme values read back");
  });

  await check("freeBeforeMs: a slot is returned only when lastUpdatedMs < freeBeforeMs", async () => {
    const initial = await readSlot(store, 170, now);
    assert(await swap(store, 170, initial, { lastUpdatedMs: now, reservedUntilMs: now, holder: HOLDER_A }), "set-up write");
    const ids = (await store.readFreeSlots({ from: 168, to: 173, limit: 16, freeBeforeMs: now })).map((r) => r.generatorId);
    assert(!ids.includes(170) && ids.includes(169) && ids.includes(171), `slot 170 (lastUpdatedMs = freeBeforeMs) must not be free: got ${ids}`);
    assert((await store.readFreeSlots({ from: 170, to: 171, limit: 1, freeBeforeMs: now + 1 })).length === 1, "free one ms later");
  });

  await check("concurrent compareAndSwaps on one slot: exactly one wins", async () => {
    const initial = await readSlot(store, 180, now);
    const tries = Array.from({ length: 12 }, (_, i) => swap(store, 180, initial, { lastUpdatedMs: now + i, reservedUntilMs: now + i, holder: HOLDER_A }));
    const results = await Promise.all(tries);
    assert(results.filter((r) => r === true).length === 1, `exactly one of 12 racing compareAndSwaps must resolve true, got ${show(results)}`);
  });

  if (typeof store.now === "function") {
    await check("now() reads the store's clock as Unix ms", async () => {
      const t = await store.now();
      assert(typeof t === "number" && Math.abs(t - Date.now()) < 3_600_000, `now() must resolve Unix ms (a Number), got ${show(t)}`);
    });
  }

  await check("end to end: sessions claim distinct ids, renew, release; a released id is claimed again above its fence", async () => {
    const sessions = [];
    for (let i = 0; i < 4; i++) sessions.push(await openSession(store));
    const leases = [];
    for (const s of sessions) leases.push(await s.claim());
    assert(new Set(leases.map((l) => l.generatorId)).size === 4, `four sessions, four distinct ids: ${show(leases)}`);
    for (const s of sessions) await s.renew();
    const first = leases[0];
    await sessions[0].release(first.windowStartUnixMs);
    const row = await readSlot(store, first.generatorId);
    assert(row && row.holder === "" && row.reservedUntilMs === first.windowStartUnixMs, `a release leaves the fence at the last minted ms: ${show(row)}`);
    for (const s of sessions.slice(1)) await s.release(-1);
  });

  if (failed.length) {
    const err = new SnowfallError("STORE_CHECK_FAILED", `the store failed ${failed.length} of ${failed.length + passed.length} conformance checks:\n- ${failed.join("\n- ")}`);
    err.passed = passed;
    err.failed = failed;
    throw err;
  }
  return passed;
}
