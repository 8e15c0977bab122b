/**
 * native dot products (cpu.h dots: batch-1 recurrent steps, gemm with M <= 2 and op(B) = Bᵀ): weights
 * whose rows start off a 64-byte boundary are read in aligned chunks (kern_avx512.c dots_framed), and
 * that must not change a bit. The same weights placed at each of the 16 float offsets of a cache line
 * (one of them aligned: the plain loop) give identical results, and those results are dot products
 * (checked against float64 sums). The padding around the rows is NaN: a framed load that read it
 * would show. Skipped without a built addon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, type NativeAddon } from '../src/kernels/native/index.js';
import { Rng } from '../src/util/rng.js';

const loaded = loadNative();
const skip = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;
const addon = ('addon' in loaded ? loaded.addon : null) as NativeAddon;

/** a copy of src starting `off` floats into a NaN-filled buffer (its address: the buffer's + 4·off bytes). */
function placed(src: Float32Array, off: number): Float32Array {
  const buf = new Float32Array(src.length + 48).fill(Number.NaN);
  buf.set(src, off + 16);
  return buf.subarray(off + 16, off + 16 + src.length);
}

const same = (a: Float32Array, b: Float32Array): boolean => a.every((v, i) => Object.is(v, b[i]));

test('gemm M = 1, 2 (dot products): every row offset gives the same bits, and the products', { skip }, () => {
  const rng = new Rng(3);
  // N·K >= 12288: the framed loop (kern_avx512.c RC_FRAME_MIN_FLOATS); the last two: the plain one at every offset
  for (const [M, N, K] of [[1, 100, 128], [2, 33, 384], [1, 16, 16], [2, 7, 160]] as const) {
    const A = Float32Array.from({ length: M * K }, () => rng.uniform(-1, 1));
    const B = Float32Array.from({ length: N * K }, () => rng.uniform(-1, 1));
    const results = Array.from({ length: 16 }, (_, off) => {
      const C = new Float32Array(M * N);
      addon.gemm(false, true, M, N, K, 1, A, 0, K, placed(B, off), 0, K, 0, C, 0, N, null);
      return C;
    });
    for (let off = 1; off < 16; off++) assert.ok(same(results[off]!, results[0]!), `M=${M} N=${N} K=${K} offset ${off}`);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[i * K + k]! * B[j * K + k]!;
        assert.ok(Math.abs(results[0]![i * N + j]! - s) < 1e-4 * K, `C[${i}, ${j}]`);
      }
  }
});

test('a batch-1 LSTM step: weights at every offset, W_ih and W_hh apart, give the same bits', { skip }, () => {
  const rng = new Rng(5);
  const [I, H] = [32, 128];
  const r = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-0.3, 0.3));
  const wIh = r(4 * H * I), wHh = r(4 * H * H), bIh = r(4 * H), bHh = r(4 * H), x = r(I), h0 = r(H), c0 = r(H);
  const step = (o1: number, o2: number): Float32Array => {
    const ws = new Float32Array(addon.recurrentWorkspace(0, 1, 1, I, H, 0));
    const handle = addon.stepPrepare(0, Int32Array.of(1, 1, I, H, 0, 0, 0, 1, H), x, h0, c0, placed(wIh, o1), placed(wHh, o2), bIh, bHh,
      null, null, null, null, ws);
    const y = new Float32Array(H), hN = new Float32Array(H), cN = new Float32Array(H);
    addon.stepRun(handle, x, h0, c0, y, hN, cN);
    assert.ok(hN.every(Number.isFinite), 'a finite state');
    return Float32Array.of(...hN, ...cN);
  };
  const want = step(0, 0);
  for (const [o1, o2] of [[0, 4], [4, 4], [4, 0], [1, 15], [9, 3], [15, 15]] as const) assert.ok(same(step(o1, o2), want), `offsets ${o1}, ${o2}`);
});
