// One export, two objects: in node.cjs a store or syncer class is a stand-in until its code loads
// (js/stores/lazy.js), and the code that loaded compares against the real class. Code that asks
// "is this our DatabaseSyncer?" asks here, so the stand-in a user holds counts as the class. In
// every other entry nothing registers, and this is plain identity.
const realOf = new WeakMap();

/** Records that `stand` stands for `real` (js/stores/lazy.js, once the real code loaded). */
export function standsFor(stand, real) {
  realOf.set(stand, real);
}

/** Whether `value` is the export `real`, or a stand-in for it. */
export function isExport(value, real) {
  return value === real || (value !== null && (typeof value === "function" || typeof value === "object") && realOf.get(value) === real);
}
