// Types of workerd.mjs (TypeScript finds them next to it): the whole API.
export * from "./index.js";
