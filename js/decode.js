// Reading ids back: fields, time, and the id range of a millisecond (for range queries).
import { decodeGuid as decodeInWasm, guidRangeAt } from "./snowfall_wasm.js";

/**
 * Splits a GUID into its fields.
 * @param {bigint | string} id
 * @param {{ epochStartDate?: Date | number }} [options]
 * @returns {{ timestamp: Date, msSinceEpoch: number, loopingCounter: number, generatorId: number }}
 */
export function decodeGuid(id, options) {
  const d = decodeInWasm(id, options);
  return { timestamp: new Date(d.unixMs), msSinceEpoch: d.msSinceEpoch, loopingCounter: d.loopingCounter, generatorId: d.generatorId };
}

/**
 * The lowest and highest GUID any generator can make in the millisecond of `time`:
 * `WHERE id BETWEEN lowest AND highest` selects that millisecond's ids.
 * @param {Date | number} time
 * @param {{ epochStartDate?: Date | number }} [options]
 * @returns {{ lowest: bigint, highest: bigint }}
 */
export function guidRange(time, options) {
  const [lowest, highest] = guidRangeAt(time, options);
  return { lowest, highest };
}
