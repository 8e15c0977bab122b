/**
 * Prepared linear products (native linearPrepare / linearRun through src/kernels/native/linear-runner.ts):
 * Linear's forward product on its weight goes through a handle made once per weight set. Checked
 * against the general gemm entry point bit for bit (the same C call), with and without bias, at batch 1
 * and more; in-place weight updates are seen and a new weight array gets a new handle; bad handles
 * and short buffers throw the typed errors. Skipped without a built addon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, type NativeAddon } from '../src/kernels/native/index.js';
import { linearRunner } from '../src/kernels/native/linear-runner.js';
import type { GemmArgs } from '../src/kernels/backend.js';
import { Linear, Rng, Tensor, noGrad, randn } from '../src/index.js';
import { ShapeError, ValueError } from '../src/util/errors.js';

const loaded = loadNative();
const addon = 'addon' in loaded ? loaded.addon : null;
const skip = addon === null ? `native addon not available: ${'error' in loaded ? loaded.error : ''}` : false;

const rand = (n: number, seed: number): Float32Array => randn([n], new Rng(seed)).data as Float32Array;

/** y = x·Wᵀ + bias by the general gemm entry point. */
function general(a: NativeAddon, M: number, N: number, K: number, x: Float32Array, W: Float32Array, bias: Float32Array | null): Float32Array {
  const y = new Float32Array(M * N);
  a.gemm(false, true, M, N, K, 1, x, 0, Math.max(K, 1), W, 0, Math.max(K, 1), 0, y, 0, N, bias);
  return y;
}

test('linearRun = gemm bit for bit; in-place updates seen, new arrays re-prepared', { skip }, () => {
  const a = addon!;
  const run = linearRunner(a);
  const call = (M: number, N: number, K: number, x: Float32Array, W: Float32Array, bias: Float32Array | null): Float32Array => {
    const C = new Float32Array(M * N);
    const g: GemmArgs = { transA: false, transB: true, M, N, K, alpha: 1, A: x, lda: K, B: W, ldb: K, beta: 0, C, ldc: N, bias, weight: true };
    run(g);
    return C;
  };
  for (const [M, N, K, withBias] of [[1, 32, 128, true], [2, 5, 7, false], [9, 3, 1, true], [1, 4, 0, true]] as const) {
    const x = rand(M * K, 1), W = rand(N * K, 2), b = withBias ? rand(N, 3) : null;
    assert.deepEqual(call(M, N, K, x, W, b), general(a, M, N, K, x, W, b), `M=${M} N=${N} K=${K}`);
    if (K > 0) W[0] = W[0]! + 1; // an optimizer's in-place step
    if (b) b[N - 1] = -2;
    assert.deepEqual(call(M, N, K, x, W, b), general(a, M, N, K, x, W, b), 'in-place update seen');
  }
  const x = rand(8, 4), W = rand(16, 5), b1 = rand(2, 6), b2 = rand(2, 7);
  assert.deepEqual(call(1, 2, 8, x, W, b1), general(a, 1, 2, 8, x, W, b1));
  assert.deepEqual(call(1, 2, 8, x, W, b2), general(a, 1, 2, 8, x, W, b2), 'a new bias array on the same weight');
  assert.deepEqual(call(2, 4, 4, x, W, null), general(a, 2, 4, 4, x, W, null), 'the same weight array seen with other sizes');
});

test('Linear under noGrad on the native backend = the recorded path', { skip }, () => {
  const lin = new Linear(6, 3, { rng: new Rng(1) });
  const x = new Tensor(rand(12, 2), [2, 6]);
  const rec = lin.forward(x).data;
  noGrad(() => assert.deepEqual(lin.forward(x).data, rec));
  lin.param('weight').data[0] = 5; // loadStateDict-like write
  const rec2 = lin.forward(x).data;
  assert.notDeepEqual(rec2, rec);
  noGrad(() => assert.deepEqual(lin.forward(x).data, rec2));
});

test('bad handles and short buffers throw typed errors', { skip }, () => {
  const a = addon!;
  const f = (n: number): Float32Array => new Float32Array(n);
  assert.throws(() => a.linearPrepare(f(5), null, 2, 3), (e: unknown) => e instanceof ShapeError && /linearPrepare\.W/.test(String(e)));
  assert.throws(() => a.linearPrepare(f(6), f(1), 2, 3), /linearPrepare\.bias/);
  assert.throws(() => a.linearPrepare(f(6), null, 0, 3), ValueError);
  const h = a.linearPrepare(f(6), f(2), 2, 3);
  assert.throws(() => a.linearRun({}, 1, f(3), f(2)), (e: unknown) => e instanceof ValueError && /linearRun\.handle/.test(String(e)));
  assert.throws(() => a.linearRun(h, 1, f(2), f(2)), (e: unknown) => e instanceof ShapeError && /linearRun\.x/.test(String(e)));
  assert.throws(() => a.linearRun(h, 2, f(6), f(3)), /linearRun\.y/);
  assert.throws(() => a.linearRun(h, -1, f(6), f(3)), /linearRun\.M/);
  assert.throws(() => a.linearRun(h, 1, null as never, f(2)), ShapeError);
  assert.throws(() => a.linearRun(h, 1, new Uint8Array(11) as never, f(2)), /linearRun\.x/, 'too few bytes for 3 floats');
  const y = f(2);
  a.linearRun(h, 1, f(3), y);
  assert.deepEqual([...y], [0, 0]);
});
