// `using` releases the generator id at scope end (needs lib esnext.disposable, as in TS's esnext).
import { Snowfall } from "snowfall-wasm";

export function scoped(): bigint {
  using gen = new Snowfall();
  return gen.getGuid();
}
export async function scopedAsync(): Promise<bigint> {
  await using gen = new Snowfall();
  return gen.getGuid();
}
