// Ids in JSON, losslessly. JSON has no 64-bit integers (JSON.stringify throws on a bigint, and
// JSON.parse rounds numbers above 2^53), so ids travel as decimal strings:
//   JSON.stringify(order, guidReplacer)                   -> {"id":"1831323365357387776",...}
//   JSON.parse(text, guidReviver("id", "customerId"))     -> { id: 1831323365357387776n, ... }
import { SnowfallError } from "./errors.js";

const U64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^(0|[1-9]\d{0,19})$/;

/**
 * A JSON.stringify replacer: every bigint becomes its decimal string, and a BigUint64Array or
 * BigInt64Array (what getGuids returns) an array of them. Other values are left alone.
 * @param {string} _key
 * @param {unknown} value
 */
export function guidReplacer(_key, value) {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof BigUint64Array || value instanceof BigInt64Array) return Array.from(value, String);
  return value;
}

/**
 * A JSON.parse reviver turning the values of the named keys back into bigint ids: a decimal
 * string (what guidReplacer writes) or an array of them. Any other value under those keys (null, a
 * missing field) is left as it is; a string that is not an id (0..2^64-1) is OUT_OF_RANGE, and a
 * number is INVALID_TYPE (it was already rounded by JSON.parse if it passed 2^53).
 * @param {...string} keys the property names that hold ids
 * @returns {(key: string, value: unknown) => unknown}
 */
export function guidReviver(...keys) {
  if (keys.length === 0 || !keys.every((k) => typeof k === "string")) {
    throw new SnowfallError("INVALID_TYPE", 'guidReviver(...keys): name the properties that hold ids, e.g. JSON.parse(text, guidReviver("id", "parentId"))');
  }
  const idKeys = new Set(keys);
  const toId = (key, v) => {
    if (typeof v === "number") throw new SnowfallError("INVALID_TYPE", `"${key}" holds the number ${v}: ids above 2^53 do not survive as JSON numbers; write them as strings (JSON.stringify(value, guidReplacer))`);
    if (typeof v !== "string") return v;
    if (!DECIMAL.test(v) || BigInt(v) > U64_MAX) throw new SnowfallError("OUT_OF_RANGE", `"${key}" holds ${JSON.stringify(v.slice(0, 40))}, which is not an id (a decimal integer 0..2^64-1)`);
    return BigInt(v);
  };
  return function reviver(key, value) {
    if (!idKeys.has(key)) return value;
    return Array.isArray(value) ? value.map((v) => toId(key, v)) : toId(key, value);
  };
}
