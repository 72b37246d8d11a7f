// Child process for the cold-start measurement: import one generator and make its first id.
// Usage: node bench/cold-start.mjs <contender> [entry: file URL for import, path for require]
// Prints one JSON line: { importMs, firstIdMs, totalMs, sinceProcessStartMs }.
// The "floor: ..." contenders are the stages a wasm package cannot avoid (bench/cold.mjs lists them).
const [, , name, entry] = process.argv;
const EPOCH = Date.UTC(2020, 0, 1);

const t0 = performance.now();
let make;
switch (name) {
  case 'snowfall-wasm': {
    const m = await import(entry);
    make = () => { const g = new m.Snowfall(); const id = g.getGuid(); g.close(); return id; };
    break;
  }
  case 'snowfall-wasm (require)': {
    const { createRequire } = await import('node:module');
    const m = createRequire(import.meta.url)(entry);
    make = () => { const g = new m.Snowfall(); const id = g.getGuid(); g.close(); return id; };
    break;
  }
  case 'snowfall-wasm (import only)': {
    const m = await import(entry);
    make = () => m.Snowfall;
    break;
  }
  case 'nodejs-snowflake': {
    const m = await import('nodejs-snowflake');
    make = () => new m.Snowflake({ custom_epoch: EPOCH, instance_id: 1 }).getUniqueID();
    break;
  }
  case '@sapphire/snowflake': {
    const m = await import('@sapphire/snowflake');
    make = () => new m.Snowflake(EPOCH).generate();
    break;
  }
  case '@sapphire/snowflake (require)': {
    const { createRequire } = await import('node:module');
    const m = createRequire(import.meta.url)('@sapphire/snowflake');
    make = () => new m.Snowflake(EPOCH).generate();
    break;
  }
  case 'flake-idgen': {
    const m = await import('flake-idgen');
    make = () => new m.default({ epoch: EPOCH, id: 1 }).next();
    break;
  }
  case 'uuid v7': {
    const m = await import('uuid');
    make = () => m.v7();
    break;
  }
  // Floors, each adding one stage to the one before (entry: a tiny ESM file; the .wasm path).
  case 'floor: empty ESM package': {
    const m = await import(entry);
    make = () => m.id();
    break;
  }
  case 'floor: + createRequire bridge': {
    const { createRequire } = await import('node:module');
    createRequire(import.meta.url);
    const m = await import(entry.split('|')[0]);
    make = () => m.id();
    break;
  }
  case 'floor: + node:fs, read the .wasm': {
    const { readFileSync } = await import('node:fs');
    const [tiny, wasm] = entry.split('|');
    const m = await import(tiny);
    const bytes = readFileSync(wasm);
    make = () => (bytes.length ? m.id() : 0n);
    break;
  }
  case 'floor: + compile and instantiate it (stub imports)': {
    const { readFileSync } = await import('node:fs');
    const [tiny, wasm] = entry.split('|');
    const m = await import(tiny);
    const mod = new WebAssembly.Module(readFileSync(wasm));
    const imports = {};
    for (const i of WebAssembly.Module.imports(mod)) (imports[i.module] ??= {})[i.name] = () => {};
    const inst = new WebAssembly.Instance(mod, imports);
    make = () => (inst.exports.memory ? m.id() : 0n);
    break;
  }
  default:
    throw new Error(`unknown contender ${name}`);
}
const t1 = performance.now();
const id = make();
const t2 = performance.now();
if (id === undefined || id === null) throw new Error('no id');
process.stdout.write(JSON.stringify({
  importMs: t1 - t0,
  firstIdMs: t2 - t1,
  totalMs: t2 - t0,
  sinceProcessStartMs: t2,
}) + '\n');
