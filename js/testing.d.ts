/** One store of the lease protocol: see docs/PROTOCOL.md ("The store interface"). */
import type { Store } from "snowfall-wasm";

/**
 * Runs the conformance checks against the store `makeStore()` returns (a fresh schema group, or a
 * store with `createGroup`). Resolves to the names of the checks passed; rejects with a
 * SnowfallError `STORE_CHECK_FAILED` listing each failed check.
 */
export function checkStore(makeStore: () => Store | Promise<Store>, options?: { log?: (line: string) => void }): Promise<string[]>;
