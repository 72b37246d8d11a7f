// Types of browser.mjs (conditions browser, worker, default): init.mjs plus `await init()`, the same names.
export * from "./init.mjs";
