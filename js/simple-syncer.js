// The in-memory syncer's JS face. The manifest and its leases live in the wasm core
// (src/memory.rs), one registry per JS realm.
import {
  createMemorySchemaGroup,
  memorySchemaGroupExists,
  memorySchemaGroupStatus,
  dropMemorySchemaGroup,
} from "./snowfall_wasm.js";

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
    createMemorySchemaGroup(options);
  }

  /** @param {string} schemaGroupName */
  static hasSchemaGroup(schemaGroupName) {
    return memorySchemaGroupExists(schemaGroupName);
  }

  /**
   * @param {string} schemaGroupName
   * @returns {{ schemaGroupName: string, epochStartDate: Date, livelinessProbeS: number, liveGenerators: number }}
   */
  static schemaGroupStatus(schemaGroupName) {
    const s = memorySchemaGroupStatus(schemaGroupName);
    return {
      schemaGroupName: s.schemaGroupName,
      epochStartDate: new Date(s.epochUnixMs),
      livelinessProbeS: s.livelinessProbeS,
      liveGenerators: s.liveGenerators,
    };
  }

  /**
   * Forgets a schema group; generators already running on it keep their ids.
   * @param {string} schemaGroupName
   */
  static dropSchemaGroup(schemaGroupName) {
    return dropMemorySchemaGroup(schemaGroupName);
  }
}
