// Node (ESM; the build bundles this same file into node.cjs for require()).
import { readFileSync } from "node:fs";
import { initSync, registerErrorClass } from "./snowfall_wasm.js";
import { SnowfallError } from "./errors.js";

initSync({ module: readFileSync(new URL("./snowfall_wasm_bg.wasm", import.meta.url)) });
registerErrorClass(SnowfallError);

export * from "./api.js";
