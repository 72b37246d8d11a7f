// Ids in JSON (guidReplacer / guidReviver) and the numbers README warns about: Number(id) merging
// ids, and the date ids pass 2^63 (a signed BIGINT) with the default epoch. Against the installed package.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { importInstalled } from "./installed.mjs";

let sf;
before(async () => { sf = await importInstalled(); });

describe("JSON", () => {
  test("JSON.stringify(…, guidReplacer) and JSON.parse(…, guidReviver(keys)) round-trip ids exactly", () => {
    const gen = new sf.Snowfall();
    const order = {
      id: gen.getGuid(),
      parentId: (1n << 64n) - 1n, // the largest id
      lineIds: [...gen.getGuids(3)],
      batch: gen.getGuids(2), // a BigUint64Array
      customerId: null,
      note: "1234", // not an id key: stays a string
      total: 12.5,
    };
    gen.close();
    assert.throws(() => JSON.stringify(order), TypeError, "plain JSON.stringify throws on a bigint");
    const text = JSON.stringify(order, sf.guidReplacer);
    assert.match(text, /"parentId":"18446744073709551615"/);
    assert.match(text, /"batch":\["\d+","\d+"\]/);
    const back = JSON.parse(text, sf.guidReviver("id", "parentId", "lineIds", "batch", "customerId"));
    assert.deepEqual(back, { ...order, batch: [...order.batch] });
    assert.equal(typeof back.id, "bigint");
  });

  test("guidReviver refuses what is not an id, with the code and what to do", () => {
    const parse = (text) => JSON.parse(text, sf.guidReviver("id"));
    assert.throws(() => parse('{"id":1831323365357387776}'), { code: "INVALID_TYPE", message: /do not survive as JSON numbers.*guidReplacer/ });
    assert.throws(() => parse('{"id":"abc"}'), { code: "OUT_OF_RANGE" });
    assert.throws(() => parse('{"id":"18446744073709551616"}'), { code: "OUT_OF_RANGE" }, "2^64");
    assert.throws(() => parse('{"id":"-1"}'), { code: "OUT_OF_RANGE" });
    assert.deepEqual(parse('{"id":null,"x":{"id":"7"}}'), { id: null, x: { id: 7n } });
    assert.throws(() => sf.guidReviver(), { code: "INVALID_TYPE", message: /guidReviver\("id", "parentId"\)/ });
  });
});

describe("what README warns about", () => {
  test("Number(id) merges distinct ids (two generators, 4000 ids in one frozen millisecond)", () => {
    const t = Date.now();
    const a = new sf.Snowfall({ clock: () => t });
    const b = new sf.Snowfall({ clock: () => t });
    const ids = [...a.getGuids(2000), ...b.getGuids(2000)];
    a.close();
    b.close();
    assert.equal(new Set(ids).size, 4000);
    assert.ok(new Set(ids.map(Number)).size < 4000, "as Numbers, distinct ids collapse");
  });

  test("with the default epoch, ids pass 2^63 (a signed BIGINT) at 2054-11-03T19:53:47.776Z, 2^40 ms after it", () => {
    const at = Date.UTC(2020, 0, 1) + 2 ** 40;
    assert.equal(new Date(at).toISOString(), "2054-11-03T19:53:47.776Z");
    assert.equal(sf.guidRange(at).lowest, 1n << 63n, "the first id of that millisecond is 2^63");
    assert.ok(sf.guidRange(at - 1).highest < 1n << 63n, "every id of the millisecond before fits a signed BIGINT");
  });
});
