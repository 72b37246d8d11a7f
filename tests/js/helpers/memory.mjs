// Set-up shared by the suites that drive in-memory generators (snowfall, boundary).

/**
 * A maker of fresh in-memory schema groups named `<prefix><n>_<pid>`, created through `getSf()` (the
 * installed package, loaded by the suite's `before`).
 */
export function memoryGroups(prefix, getSf) {
  let seq = 0;
  return (opts = {}) => {
    const schemaGroupName = `${prefix}${++seq}_${process.pid}`;
    getSf().SimpleSyncer.createSchemaGroup({ schemaGroupName, ...opts });
    return schemaGroupName;
  };
}

/** A clock the test sets by hand: `clock()` reads `clock.now`. */
export function manualClock(t) {
  const c = () => c.now;
  c.now = t;
  return c;
}
