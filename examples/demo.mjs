// npm run demo: ids made and decoded with the in-memory default (no server needed).
import { Snowfall, SimpleSyncer, decodeGuid, guidRange, SnowfallError } from "../pkg/node.mjs";

SimpleSyncer.createSchemaGroup({ schemaGroupName: "demo", livelinessProbeS: 5, epochStartDate: new Date("2020-01-01T00:00:00Z") });
const a = new Snowfall({ schemaGroupName: "demo" });
const b = new Snowfall({ schemaGroupName: "demo" });
console.log(`two generators on schema group "demo": generator ids ${a.generatorId} and ${b.generatorId}\n`);

const ids = [a.getGuid(), a.getGuid(), b.getGuid(), ...a.getGuids(3)];
console.log("id (bigint)           time                      counter  generator");
for (const id of ids) {
  const d = decodeGuid(id);
  console.log(`${String(id).padEnd(21)} ${d.timestamp.toISOString()}  ${String(d.loopingCounter).padStart(7)}  ${String(d.generatorId).padStart(9)}`);
}

const t0 = performance.now();
const million = a.getGuids(1_000_000);
const ms = performance.now() - t0;
console.log(`\n1,000,000 ids in one getGuids() call: ${ms.toFixed(1)} ms (the format allows 2048 per ms per generator)`);
console.log(`as JSON-safe strings: ${JSON.stringify(a.getGuidStrings(2))}`);
const { lowest, highest } = guidRange(new Date());
console.log(`ids of this millisecond, for range queries: ${lowest} .. ${highest}`);
console.log(`original README example 133494887688437760 decodes to ${JSON.stringify(decodeGuid(133494887688437760n))}`);

try {
  new Snowfall({ schemaGroupName: "no such group!" });
} catch (e) {
  console.log(`\nbad input is a ${e.constructor.name} with code ${e.code}: ${e.message}`);
}
if (!(million[999_999] > million[0])) throw new SnowfallError("DEMO", "ids did not increase");
a.close();
b.close();
