// snowfall-wasm/init under node10 resolution (no exports map): the types of init.mjs.
export * from "./init.mjs";
