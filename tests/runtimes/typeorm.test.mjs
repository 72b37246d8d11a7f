// README's TypeORM recipe, run as written: the ```ts block after "**TypeORM**" in README.md is
// copied into an entity file of a consumer project (the packed package, typeorm 1.1.1,
// reflect-metadata, pg and their types installed from the npm registry, pinned), compiled by the
// repo's tsc with the decorator options TypeORM needs, and run on the loopback PostgreSQL in a
// schema of its own: rows saved through the repository get ids from the generator, read back as
// bigint, in insertion order, carrying the generator's id; an id given is kept; `insert()` of an
// entity instance runs the listener, of a plain object none (README says so) and PostgreSQL refuses the row without an id.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { devPackage, installedPackage, repoBin, repoRoot } from "./pack.mjs";
import { postgresUrl } from "../js/helpers/servers.mjs";

const run = promisify(execFile);
const PACKAGES = ["typeorm@1.1.1", "reflect-metadata@0.2.2", devPackage("pg"), devPackage("@types/pg"), "@types/node@20.19.43"];

/** The README's TypeORM code block, verbatim. */
function recipe() {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const m = readme.match(/\*\*TypeORM\*\*[\s\S]*?```ts\n([\s\S]*?)```/);
  assert.ok(m, "README.md has a ```ts block after **TypeORM**");
  return m[1];
}

const HARNESS = (entity) => `import "reflect-metadata";
import { BeforeInsert, Column, DataSource, Entity, PrimaryColumn } from "typeorm";
import pg from "pg";
import { DatabaseSyncer, Snowfall, decodeGuid, fromPg } from "snowfall-wasm";

const url = process.env.PG_URL!, schema = process.env.SCHEMA!;
const pool = new pg.Pool({ connectionString: url, max: 2 });
await pool.query(\`CREATE SCHEMA IF NOT EXISTS \${schema}\`);
await DatabaseSyncer.createSchemaGroup({ database: fromPg(pool), schemaGroupName: schema, ifNotExists: true });
const gen = await Snowfall.create({ syncer: DatabaseSyncer, database: fromPg(pool), schemaGroupName: schema });

// ---- README.md, **TypeORM**, verbatim ----
${entity}
// ---- end of the recipe ----

const ds = new DataSource({ type: "postgres", url, schema, entities: [Order], synchronize: true });
await ds.initialize();
const repo = ds.getRepository(Order);
const saved: bigint[] = [];
for (const item of ["book", "pen", "cup"]) saved.push((await repo.save(repo.create({ item }))).id);
const given = gen.getGuid();
await repo.save(repo.create({ id: given, item: "given" }));
await repo.insert(repo.create({ item: "inserted" })); // an entity instance: the listener runs
let plainInsert = "no error";
try { await repo.insert({ item: "plain" }); } catch (e) { plainInsert = String((e as Error).message); }
const back = await repo.find({ order: { id: "ASC" } });
console.log(JSON.stringify({
  generatorId: gen.generatorId,
  saved: saved.map(String),
  given: String(given),
  back: back.map((o) => ({ id: String(o.id), type: typeof o.id, item: o.item, generatorId: decodeGuid(o.id).generatorId })),
  plainInsert,
}));
await ds.destroy();
await gen.close();
await pool.query(\`DROP SCHEMA \${schema} CASCADE\`);
await DatabaseSyncer.dropSchemaGroup({ database: fromPg(pool), schemaGroupName: schema });
await pool.end();
`;

describe("README's TypeORM recipe, as written, on PostgreSQL", { timeout: 300_000 }, () => {
  test("ids from the generator on save(), bigint when read back, a given id kept, insert() of a plain object refused", async () => {
    const pgUrl = postgresUrl();
    const { projectDir } = await installedPackage({ extraPackages: PACKAGES });
    writeFileSync(path.join(projectDir, "orders.ts"), HARNESS(recipe()));
    writeFileSync(path.join(projectDir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true,
        experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, outDir: "out", types: ["node"],
      },
      files: ["orders.ts"],
    }));
    await run(repoBin("tsc"), ["-p", "."], { cwd: projectDir, timeout: 120_000 }).catch((e) => assert.fail(`tsc:\n${e.stdout}${e.stderr}`));
    const schema = `typeorm_${process.pid}_${Date.now() % 1e6}`;
    const { stdout } = await run(process.execPath, ["out/orders.js"], { cwd: projectDir, timeout: 60_000, env: { ...process.env, PG_URL: pgUrl, SCHEMA: schema } });
    const r = JSON.parse(stdout.trim().split("\n").pop());
    assert.ok(Number.isInteger(r.generatorId), stdout);
    assert.deepEqual(r.back.map((o) => o.item), ["book", "pen", "cup", "given", "inserted"], "in insertion order by id");
    assert.deepEqual(r.back.slice(0, 4).map((o) => o.id), [...r.saved, r.given]);
    for (const o of r.back) {
      assert.equal(o.type, "bigint", "the transformer reads BIGINT back as bigint");
      assert.equal(o.generatorId, r.generatorId, "each id carries the generator's id");
    }
    assert.match(r.plainInsert, /null value in column "id"/, "insert() of a plain object runs no @BeforeInsert");
  });
});
