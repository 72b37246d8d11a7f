// The in-memory syncer's JS face. The manifest and its leases live in the wasm core
// (src/memory.rs), one registry per JS realm. Every argument is read and checked here; the core
// gets primitives only.
import {
  createMemorySchemaGroup,
  memorySchemaGroupExists,
  memorySchemaGroupStatus,
  dropMemorySchemaGroup,
} from "./snowfall_wasm.js";
import { coreFailure } from "./core.js";
import { epochValue, integerValue, readOptions, stringValue } from "./check.js";
import { wallClock, describeValue } from "./clock.js";
import { SnowfallError } from "./errors.js";
import { SETTINGS } from "./settings.js";

/** Shortest and longest liveliness probe, in seconds. */
const PROBE_S = [SETTINGS.livelinessProbeS.min, SETTINGS.livelinessProbeS.max];

function nameArg(schemaGroupName) {
  if (typeof schemaGroupName !== "string") {
    throw new SnowfallError("INVALID_TYPE", `schemaGroupName must be a string, got ${describeValue(schemaGroupName)}`);
  }
  return schemaGroupName;
}

/**
 * Reserves generator ids in memory, for generators in one JS realm (a browser tab, one Node
 * process, tests). Use DatabaseSyncer when several processes or machines share a schema group.
 */
export class SimpleSyncer {
  /**
   * Creates a schema group (once; an existing name is a SCHEMA_GROUP_EXISTS error).
   * @param {{ schemaGroupName?: string, livelinessProbeS?: number, epochStartDate?: Date | number }} [options]
   */
  static createSchemaGroup(options) {
    const o = readOptions(options, "options", ["schemaGroupName", "livelinessProbeS", "epochStartDate"]);
    const name = stringValue(o.schemaGroupName, "schemaGroupName") ?? "default";
    const probe = integerValue(o.livelinessProbeS, "livelinessProbeS", PROBE_S[0], PROBE_S[1]) ?? SETTINGS.livelinessProbeS.default;
    const epoch = epochValue(o.epochStartDate);
    if (!createMemorySchemaGroup(name, probe, epoch, wallClock())) throw coreFailure();
  }

  /** @param {string} schemaGroupName */
  static hasSchemaGroup(schemaGroupName) {
    return memorySchemaGroupExists(nameArg(schemaGroupName));
  }

  /**
   * @param {string} schemaGroupName
   * @returns {{ schemaGroupName: string, epochStartDate: Date, livelinessProbeS: number, liveGenerators: number }}
   */
  static schemaGroupStatus(schemaGroupName) {
    const name = nameArg(schemaGroupName);
    const s = memorySchemaGroupStatus(name, wallClock());
    if (s === undefined) throw coreFailure();
    return {
      schemaGroupName: name,
      epochStartDate: new Date(s[0]),
      livelinessProbeS: s[1],
      liveGenerators: s[2],
    };
  }

  /**
   * Forgets a schema group: true if it existed. Refused (SCHEMA_GROUP_IN_USE) while it has live
   * generators: a group made again under the name would hand out their generator ids again.
   * @param {string} schemaGroupName
   */
  static dropSchemaGroup(schemaGroupName) {
    const r = dropMemorySchemaGroup(nameArg(schemaGroupName), wallClock());
    if (r === 2) throw coreFailure();
    return r === 1;
  }
}
