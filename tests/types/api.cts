// CommonJS consumers (`require` condition of the exports map) get the same types.
import { Snowfall, decodeGuid, SnowfallError } from "snowfall-wasm";

const gen = new Snowfall();
const id: bigint = gen.getGuid();
const when: Date = decodeGuid(id).timestamp;
const isError: boolean = new Error() instanceof SnowfallError;
void gen.close();
void [when, isError];
