// Writes the D1 schema group "orders" as SQL (for `wrangler d1 execute --file` or a D1 migration).
import { mkdirSync, writeFileSync } from "node:fs";
import { schemaGroupSql } from "snowfall-wasm";

mkdirSync(".wrangler", { recursive: true });
writeFileSync(".wrangler/snowfall-orders.sql", schemaGroupSql({ dialect: "sqlite", schemaGroupName: "orders", livelinessProbeS: 5 }));
console.log("wrote .wrangler/snowfall-orders.sql");
