// Child process for the cold-start measurement: import one generator and make its first id.
// Usage: node bench/cold-start.mjs <contender> [entry: file URL for import, path for require]
// Prints one JSON line: { importMs, firstIdMs, totalMs, sinceProcessStartMs }.
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
