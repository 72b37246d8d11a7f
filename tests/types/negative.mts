// MUST NOT compile: ids are bigint, never number (ids pass 2^53 days after the epoch).
import { Snowfall } from "snowfall-wasm";

const gen = new Snowfall();
const n: number = gen.getGuid();
void n;
