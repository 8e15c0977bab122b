/**
 * native gemm: the way through native/gemm.c does not change a single bit.
 *   - op(B) read in place for small M when its rows are close, packed when they are far apart
 *     (RC_DIRECT_MAX_LDB): the same (K, N) B stored with row strides on both sides of the threshold, on
 *     every CPU path, with two K blocks (K > 384) and beta = 1, gives identical products;
 *   - the dot-product path (op(B) = Bᵀ, M <= 2) is chosen for the whole product: a split along M whose
 *     last slice has 1 or 2 rows (M = 9, 10 at 2 threads) keeps the tiles' rounding there, so 1 and 2
 *     threads give the same bits.
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
        addon.gemm(false, false, M, N, K, 0.75, A, 0, K, strided(B, K, N, ldb), 0, ldb, 1, C, 0, N, null);
        return new Uint32Array(C.buffer);
      });
      for (const r of results.slice(1)) assert.deepEqual(r, results[0], `${p}: in place vs packed`);
      assert.ok(results[0]!.some((v, i) => v !== new Uint32Array(C0.buffer)[i]), `${p}: C was computed`);
    }
  } finally {
    addon.setCpuPath(orig);
  }
});

test('gemm: a 2-thread split whose last slice has 1-2 rows gives the bits of 1 thread (op(B) = Bᵀ)', { skip }, () => {
  const rng = new Rng(3);
  const before = addon.getThreads();
  try {
    for (const [M, N, K] of [[10, 5, 3000], [9, 7, 3000], [2, 40, 3000]] as const) {
      const A = Float32Array.from({ length: M * K }, () => rng.uniform(-1, 1));
      const B = Float32Array.from({ length: N * K }, () => rng.uniform(-1, 1));
      const run = (threads: number): Uint32Array => {
        addon.setThreads(threads);
        const C = new Float32Array(M * N);
        addon.gemm(false, true, M, N, K, 1, A, 0, K, B, 0, K, 0, C, 0, N, null);
        return new Uint32Array(C.buffer);
      };
      assert.deepEqual(run(2), run(1), `${M}x${N}x${K}`);
    }
  } finally {
    addon.setThreads(before);
  }
});

/** GEMM shapes for the bias tests: split along M with two K blocks and several MC blocks, split along N over
 * two NC blocks, the dot-product path (M <= 2, op(B) = Bᵀ), K = 0. */
const BIAS_CASES = [
  { transA: false, transB: true, M: 300, N: 70, K: 500 },
  { transA: false, transB: false, M: 20, N: 600, K: 50 },
  { transA: true, transB: true, M: 2, N: 40, K: 100 },
  { transA: false, transB: true, M: 2, N: 40, K: 100 },
  { transA: false, transB: false, M: 5, N: 9, K: 0 },
] as const;

test('gemm with a bias: the bits of C filled with the bias rows and beta = 1; C is not read (1 and 2 threads, every path)', { skip }, () => {
  const rng = new Rng(5);
  const before = addon.getThreads(), orig = addon.cpuFeatures().path;
  try {
    for (const p of paths()) {
      addon.setCpuPath(p);
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        for (const { transA, transB, M, N, K } of BIAS_CASES) {
          const A = Float32Array.from({ length: M * K }, () => rng.uniform(-1, 1));
          const B = Float32Array.from({ length: N * K }, () => rng.uniform(-1, 1));
          const bias = Float32Array.from({ length: N }, () => rng.uniform(-1, 1));
          const [lda, ldb] = [Math.max(1, transA ? M : K), Math.max(1, transB ? K : N)];
          const want = new Float32Array(M * N);
          for (let i = 0; i < M; i++) want.set(bias, i * N);
          addon.gemm(transA, transB, M, N, K, 0.5, A, 0, lda, B, 0, ldb, 1, want, 0, N, null);
          const got = new Float32Array(M * N).fill(Number.NaN); // must not be read
          addon.gemm(transA, transB, M, N, K, 0.5, A, 0, lda, B, 0, ldb, 0.25, got, 0, N, bias); // beta unused
          assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), `${p} threads=${threads} ${M}x${N}x${K}`);
        }
      }
    }
  } finally {
    addon.setThreads(before);
    addon.setCpuPath(orig);
  }
});

test('gemm bias: a bias shorter than N is a ShapeError naming gemm.bias', { skip }, () => {
  const f = new Float32Array(6);
  assert.throws(() => addon.gemm(false, false, 2, 3, 2, 1, f, 0, 2, f, 0, 3, 0, f, 0, 3, new Float32Array(2)), /gemm\.bias.*at least 3/);
});
