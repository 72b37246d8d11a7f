// Types of browser.mjs (conditions browser, worker; `default` has default.d.mts): init.mjs plus `await init()`, the same names.
export * from "./init.mjs";
