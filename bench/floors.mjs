// Hand-written WebAssembly modules used as cost floors by bench.mjs.
// Written as raw binary bytes so the bench needs no wasm toolchain.

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

// (module
//   (func (export "f") (result i64)
//     i64.const 1))
// The cheapest possible wasm -> JS call that returns an i64 (which V8 turns into a BigInt).
const I64_RETURN = new Uint8Array([
  ...HEADER,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7e, //       type section: [() -> i64]
  0x03, 0x02, 0x01, 0x00, //                         function section: f has type 0
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, //       export "f" = func 0
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x01, 0x0b, // code: no locals; i64.const 1; end
]);

// (module
//   (import "env" "now" (func $now (result f64)))      ;; Date.now
//   (func (export "f") (result i64)
//     call $now
//     i64.trunc_f64_u
//     i64.const 23
//     i64.shl))
// One clock read through an imported Date.now plus an i64 -> BigInt return: what any wasm
// generator that reads the JS clock once per id must pay at the least.
const NOW_I64_RETURN = new Uint8Array([
  ...HEADER,
  0x01, 0x09, 0x02, 0x60, 0x00, 0x01, 0x7c, 0x60, 0x00, 0x01, 0x7e, // types: [() -> f64, () -> i64]
  0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6e, 0x6f, 0x77, 0x00, 0x00, // import env.now: type 0
  0x03, 0x02, 0x01, 0x01, //                                       function section: f has type 1
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01, //                     export "f" = func 1
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x10, 0x00, 0xb1, 0x42, 0x17, 0x86, 0x0b, // call 0; i64.trunc_f64_u; i64.const 23; i64.shl; end
]);

export function i64ReturnFloor() {
  return new WebAssembly.Instance(new WebAssembly.Module(I64_RETURN)).exports.f;
}

export function nowI64ReturnFloor() {
  return new WebAssembly.Instance(new WebAssembly.Module(NOW_I64_RETURN), {
    env: { now: Date.now },
  }).exports.f;
}
