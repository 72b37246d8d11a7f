// Type-level test of the whole public API, compiled with `tsc --strict --noEmit` against the
// installed package's types (tests/runtimes/types.test.mjs runs it). Nothing here is executed.
import { Snowfall, SimpleSyncer, decodeGuid, SnowfallError } from "snowfall-wasm";

// Exact type equality: fails to compile unless A and B are the same type.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): void {}

const epochStartDate = new Date("2024-01-01T00:00:00Z");
SimpleSyncer.createSchemaGroup({ schemaGroupName: "orders", livelinessProbeS: 5, epochStartDate });

const gen = new Snowfall({ schemaGroupName: "orders" });
const byDefault = new Snowfall();
const withClock = new Snowfall({ schemaGroupName: "orders", clock: () => Date.now() });

const id = gen.getGuid();
assertType<Equals<typeof id, bigint>>(); // the primitive bigint, not the BigInt wrapper
const ids = gen.getGuids(10);
assertType<Equals<typeof ids, BigUint64Array>>();
const first: bigint = ids[0]!;
const generatorId: number = gen.generatorId;

const decoded = decodeGuid(id, { epochStartDate });
const timestamp: Date = decoded.timestamp;
const ms: number = decoded.msSinceEpoch;
const counter: number = decoded.loopingCounter;
const decodedGeneratorId: number = decoded.generatorId;
decodeGuid(first, { epochStartDate });

try {
  withClock.getGuid();
} catch (e: unknown) {
  if (e instanceof SnowfallError) {
    const code: string = e.code;
    const message: string = e.message;
    const asError: Error = e;
    void [code, message, asError];
  }
}

gen.close();
byDefault.close();
withClock.close();
void [first, generatorId, timestamp, ms, counter, decodedGeneratorId];
