/**
 * native gemm: how op(B) reaches the micro-kernel (read in place for small M when its rows are close,
 * packed when they are far apart: native/gemm.c RC_DIRECT_MAX_LDB) does not change a single bit. The same
 * (K, N) B is stored with row strides on both sides of the threshold, on every CPU path, with two K blocks
 * (K > 384) and beta = 1, and the products must be identical.
 *
 * Without a built addon every test is skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, type NativeAddon, type NativeCpuPath } from '../src/kernels/native/index.js';
import { Rng } from '../src/util/rng.js';

const loaded = loadNative();
const skip = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;
const addon = ('addon' in loaded ? loaded.addon : null) as NativeAddon;

function paths(): NativeCpuPath[] {
  const f = addon.cpuFeatures();
  return [...(f.avx512 ? ['avx512' as const] : []), ...(f.avx2 && f.fma ? ['avx2' as const] : []), 'portable'];
}

/** B (K, N) copied into a buffer with row stride ld. */
function strided(B: Float32Array, K: number, N: number, ld: number): Float32Array {
  const out = new Float32Array(K * ld).fill(Number.NaN); // padding must never be read
  for (let k = 0; k < K; k++) out.set(B.subarray(k * N, k * N + N), k * ld);
  return out;
}

test('gemm: op(B) read in place or packed gives bit-identical products (row strides 100 … 1100)', { skip }, () => {
  const rng = new Rng(7);
  const M = 100, N = 100, K = 400; // 3 full panels of 32 and an edge panel
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  const A = rand(M * K), B = rand(K * N), C0 = rand(M * N);
  const orig = addon.cpuFeatures().path;
  try {
    for (const p of paths()) {
      addon.setCpuPath(p);
      const results = [N, 640, 641, 1024, 1100].map((ldb) => {
        const C = C0.slice();
        addon.gemm(false, false, M, N, K, 0.75, A, 0, K, strided(B, K, N, ldb), 0, ldb, 1, C, 0, N);
        return new Uint32Array(C.buffer);
      });
      for (const r of results.slice(1)) assert.deepEqual(r, results[0], `${p}: in place vs packed`);
      assert.ok(results[0]!.some((v, i) => v !== new Uint32Array(C0.buffer)[i]), `${p}: C was computed`);
    }
  } finally {
    addon.setCpuPath(orig);
  }
});
