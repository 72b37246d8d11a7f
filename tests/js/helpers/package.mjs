// The package as a user has it (packed, installed, imported through its exports map), for suites
// that need the public API: `import { sf } from "./helpers/package.mjs"`.
import { importInstalled } from "../installed.mjs";

export const sf = await importInstalled();

/** Options that let a test's manual clock run far from the database's own (the skew check at open). */
export const ANY_SKEW = Object.freeze({ maxClockSkewMs: 86_400_000 });
