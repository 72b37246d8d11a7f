// A schema group as SQL text, for `wrangler d1 execute --file`, `d1 migrations`, psql or mysql:
// the same statements DatabaseSyncer.createSchemaGroup runs (js/database/dialects.js: one copy of
// the SQL), with the property values written in as literals. Every statement is idempotent
// (IF NOT EXISTS / insert-or-ignore), so applying the text twice changes nothing.
import { SnowfallError } from "../errors.js";
import { statementsFor } from "./dialects.js";
import { groupProperties } from "./syncer.js";
import { readOptions } from "../check.js";
import { validateGroupName } from "../stores/sql.js";

// The properties table's keys, in the order SqlStore.createGroup writes them.
const PROPERTY_KEYS = ["liveliness_probe_s", "epoch_start_ms", "max_claim_retries", "min_ms_between_claim_retries", "max_ms_between_claim_retries"];

/** `sql` with its placeholders (`?`, or PostgreSQL's `$n`) replaced by integer or key literals. */
function inline(sql, params) {
  const literal = (v) => (typeof v === "number" ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  let i = 0;
  return sql.replace(/\$(\d+)|\?/g, (_, n) => literal(params[n === undefined ? i++ : Number(n) - 1]));
}

/**
 * The DDL and rows of a schema group as SQL text (statements end with `;`, one per line).
 *
 *   schemaGroupSql({ dialect: "sqlite", schemaGroupName: "orders", livelinessProbeS: 5 })
 *
 * @param {{ dialect: "sqlite"|"postgres"|"mysql", schemaGroupName?: string, livelinessProbeS?: number,
 *   epochStartDate?: Date | string | number, maxClaimRetries?: number, minMsBetweenClaimRetries?: number,
 *   maxMsBetweenClaimRetries?: number, clock?: () => number }} options
 * @returns {string}
 */
export function schemaGroupSql(options) {
  const o = readOptions(options, "options", ["dialect", "schemaGroupName", "livelinessProbeS", "epochStartDate", "maxClaimRetries", "minMsBetweenClaimRetries", "maxMsBetweenClaimRetries", "clock"]);
  if (o.dialect === undefined) throw new SnowfallError("INVALID_TYPE", 'schemaGroupSql needs a dialect: "sqlite" (D1, SQLite), "postgres" or "mysql"');
  const name = validateGroupName(o.schemaGroupName ?? "default");
  const s = statementsFor(o.dialect, name);
  const p = groupProperties(o);
  const values = [p.livelinessProbeS, p.epochUnixMs / 1000, p.maxClaimRetries, p.minMsBetweenClaimRetries, p.maxMsBetweenClaimRetries];
  const statements = [
    s.createManifest,
    ...s.fillManifest(),
    s.createProperties, // properties last: a group without them is not there yet
    inline(s.insertProperties(PROPERTY_KEYS.length), PROPERTY_KEYS.flatMap((k, i) => [k, values[i]])),
  ];
  const head = `-- snowfall-wasm schema group ${JSON.stringify(name)} (${o.dialect}): liveliness probe ${p.livelinessProbeS} s, epoch ${new Date(p.epochUnixMs).toISOString()}`;
  return `${head}\n${statements.map((x) => `${x};`).join("\n")}\n`;
}
