/**
 * Whether this engine runs relaxed SIMD (then the -relaxed builds of tools/build-wasm.mjs are loaded):
 * WebAssembly.validate on the smallest module that uses it, (func (param v128 v128 v128) (result v128)
 * f32x4.relaxed_madd) in the standard encoding (0xfd 0x105). Chromium ≥ 114: yes; Node 20: only with
 * --experimental-wasm-relaxed-simd.
 */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128, v128, v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get 0..2, relaxed_madd
]);

let cached: boolean | undefined;

export function relaxedSimd(): boolean {
  cached ??= typeof WebAssembly === 'object' && WebAssembly.validate(PROBE);
  return cached;
}
