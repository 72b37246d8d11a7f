// Types of the `default` condition, which is what TypeScript's bundler resolution picks without
// customConditions: Cloudflare's and Bun's default tsconfigs, Vite SSR, and browser projects alike.
// Server code must compile there, so it declares the whole API, plus the browser entry's init
// functions. A browser project that sets `"customConditions": ["browser"]` gets browser.d.mts instead:
// exactly what browsers get.
export * from "./index.js";
export { init, initSync, isInitialized } from "./init.mjs";
