/**
 * The wasm kernels (native/ C compiled to wasm32 + SIMD128 by tools/build-wasm.mjs, through
 * src/kernels/wasm/) against the reference backend:
 *   - gemm: 4 transpose variants × beta 0 / 1 / −0.5 × alpha on odd and blocked sizes, offsets, padded
 *     leading dims, C's padding untouched, NaN in C ignored with beta 0;
 *   - unary forward / backward, every kind; the op-layer kernels (Adam, SGD, firstNonFinite, colSumAdd,
 *     sumSquaredDiff, scaledDiff) bit for bit;
 *   - float64 calls route to the reference; bad arguments throw typed errors; the pointer table of
 *     native/wasm/api.c matches WASM_PTRS; selection (explicit 'wasm', and 'auto' without the addon).
 * The PyTorch golden fixtures and gradient checks on the wasm backend: test/wasm-suites.test.ts;
 * the recurrent kernels: test/wasm-recurrent.test.ts.
 *
 * Tolerances: GEMM |wasm − ref| ≤ 5e-7·(K + 4)·S per element, S = |alpha|·Σ_k |a||b| + |beta·c| (float32
 * accumulation, mul and add rounded separately: no FMA in SIMD128). Unary ≤ 2e-6 relative + 1e-37
 * (tanh / sigmoid are the 3-ulp float32 approximations of recurrent_cells.h), backward exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AdamStepArgs, GemmArgs, SgdStepArgs, UnaryKind } from '../src/kernels/backend.js';
import { refBackend } from '../src/kernels/ref/index.js';
import { WASM_PTRS, wasmPtrNames } from '../src/kernels/wasm/backend.js';
import { wasmFilePath } from '../src/kernels/wasm/node.js';
import { ShapeError, ValueError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { needWasm, wasm, wasmExports, wasmSkip as skip } from './wasm-helpers.js';

const ROOT = join(import.meta.dirname, '..');
const rng = new Rng(4321);
const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const same = (got: Float32Array, want: Float32Array, what: string): void => {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}: [${i}] ${got[i]} != ref ${want[i]}`);
};

interface Case { transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number; beta: number; off?: number; pad?: number }

/** wasm gemm on a fresh C against the reference, with the error bound above and C's padding untouched. */
function checkGemm(c: Case): void {
  const { transA, transB, M, N, K } = c;
  const off = c.off ?? 0, pad = c.pad ?? 0;
  const lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
  const A = rand(off + (transA ? K : M) * lda), B = rand(off + (transB ? N : K) * ldb), C0 = rand(off + M * ldc + 5, -2, 2);
  if (c.beta === 0) for (let i = 0; i < M; i++) C0[off + i * ldc] = NaN;
  const args: GemmArgs = { transA, transB, M, N, K, alpha: c.alpha, A, aOff: off, lda, B, bOff: off, ldb, beta: c.beta, C: C0.slice(), cOff: off, ldc };
  const want = Float64Array.from(C0);
  refBackend.gemm({ ...args, C: want });
  const S = Float64Array.from(C0, (v) => (c.beta === 0 || Number.isNaN(v) ? 0 : Math.abs(c.beta * v)));
  refBackend.gemm({ ...args, A: Float64Array.from(A, Math.abs), B: Float64Array.from(B, Math.abs), alpha: Math.abs(c.alpha), beta: 1, C: S });
  const C = C0.slice();
  wasm.gemm({ ...args, C });
  for (let k = 0; k < C.length; k++) {
    const r = k - off, i = Math.floor(r / ldc), j = r - i * ldc;
    if (!(r >= 0 && i < M && j < N)) {
      if (!Object.is(C[k], C0[k])) assert.fail(`${JSON.stringify(c)}: C[${k}] outside the output was changed`);
      continue;
    }
    const d = Math.abs(C[k]! - want[k]!), tol = 5e-7 * (K + 4) * S[k]! + 1e-30;
    if (!(d <= tol)) assert.fail(`${JSON.stringify(c)}: C[${i},${j}] = ${C[k]}, ref ${want[k]} (diff ${d}, tol ${tol})`);
  }
}

test('gemm: wasm = ref within float32 accumulation error (variants, odd and blocked sizes, offsets, padding)', { skip }, () => {
  needWasm();
  const SIZES = [1, 2, 5, 7, 13, 33, 67, 130];
  for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    for (let a = 0; a < SIZES.length; a++) {
      for (let b = 0; b < SIZES.length; b++) {
        const M = SIZES[a]!, N = SIZES[b]!, K = SIZES[(a * 3 + b) % SIZES.length]!;
        checkGemm({ transA, transB, M, N, K, alpha: (a + b) % 2 ? -0.7 : 1, beta: [0, 1, -0.5][(a + b) % 3]!, off: (a * b) % 3, pad: b % 2 });
      }
    }
  }
  checkGemm({ transA: false, transB: false, M: 137, N: 1030, K: 300, alpha: 1, beta: 0 });
  checkGemm({ transA: false, transB: true, M: 300, N: 530, K: 517, alpha: 0.5, beta: 1, off: 7, pad: 5 });
  checkGemm({ transA: true, transB: true, M: 259, N: 45, K: 600, alpha: 2, beta: -0.5, pad: 16 });
  checkGemm({ transA: false, transB: false, M: 3, N: 4, K: 0, alpha: 1, beta: -0.5 }); // K = 0 scales C
});

test('unary forward / backward: wasm = ref (every kind, special values)', { skip }, () => {
  needWasm();
  const kinds: UnaryKind[] = ['tanh', 'sigmoid', 'relu', 'exp', 'log', 'softplus', 'neg', 'abs', 'sqrt'];
  const x = rand(1003, -12, 12);
  x.set([0, -0, 1e-30, -1e-30, 88, -104, 30, -30, NaN, Infinity, -Infinity], 0);
  for (const kind of kinds) {
    const xs = kind === 'log' || kind === 'sqrt' ? x.map(Math.abs) : x;
    const want = new Float32Array(xs.length), got = new Float32Array(xs.length);
    refBackend.unary(kind, xs, want);
    wasm.unary(kind, xs, got);
    for (let i = 0; i < xs.length; i++) {
      const w = want[i]!, g = got[i]!;
      if (Number.isNaN(w) && Number.isNaN(g)) continue;
      if (!(Math.abs(g - w) <= 2e-6 * Math.abs(w) + 1e-37 || g === w)) assert.fail(`${kind}(${xs[i]}) = ${g}, ref ${w}`);
    }
    const dy = rand(xs.length, -2, 2), dx0 = rand(xs.length);
    const dw = dx0.slice(), dg = dx0.slice();
    refBackend.unaryBackward(kind, xs, want, dy, dw);
    wasm.unaryBackward(kind, xs, want, dy, dg); // the same y: the backward is then exact
    same(dg, dw, `${kind} backward`);
  }
});

test('adamStep, sgdStep: wasm = ref bit for bit (Adam, AdamW, AMSGrad, maximize; momentum, Nesterov, first step)', { skip }, () => {
  needWasm();
  for (const n of [1, 5, 16, 17, 1000]) {
    for (const [decoupled, amsgrad, maximize] of [[false, false, false], [true, true, false], [false, true, true]] as const) {
      const p0 = rand(n), g = rand(n, -2, 2), m0 = rand(n, -0.1, 0.1), v0 = rand(n, 0, 0.01), x0 = rand(n, 0, 0.02);
      const args = (p: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null): AdamStepArgs => ({
        p, g, m, v, vmax, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, stepSize: 1e-3 / (1 - 0.9 ** 3),
        bc2Sqrt: Math.sqrt(1 - 0.999 ** 3), decoupled, maximize,
      });
      const w = [p0.slice(), m0.slice(), v0.slice(), amsgrad ? x0.slice() : null] as const;
      const o = [p0.slice(), m0.slice(), v0.slice(), amsgrad ? x0.slice() : null] as const;
      refBackend.adamStep(args(...w));
      wasm.adamStep(args(...o));
      w.forEach((b, i) => b && same(o[i]!, b, `adam n=${n} buffer ${i}`));
    }
    for (const [momentum, nesterov, init] of [[0, false, false], [0.9, true, true], [0.5, false, false]] as const) {
      const p0 = rand(n), g = rand(n, -2, 2), b0 = rand(n);
      const args = (p: Float32Array, buf: Float32Array | null): SgdStepArgs => ({
        p, g, buf, lr: 0.05, momentum, dampening: 0.1, weightDecay: 0.01, nesterov: nesterov && momentum > 0, maximize: false, init,
      });
      const wp = p0.slice(), wb = momentum ? b0.slice() : null, gp = p0.slice(), gb = momentum ? b0.slice() : null;
      refBackend.sgdStep(args(wp, wb));
      wasm.sgdStep(args(gp, gb));
      same(gp, wp, `sgd n=${n} p`);
      if (gb) same(gb, wb!, `sgd n=${n} buf`);
    }
  }
});

test('firstNonFinite, colSumAdd, sumSquaredDiff, scaledDiff: wasm = ref bit for bit', { skip }, () => {
  needWasm();
  for (const n of [1, 63, 64, 65, 1000]) {
    const x = rand(n, -3.4e38, 3.4e38);
    assert.equal(wasm.firstNonFinite(x), -1);
    for (const pos of [0, n >> 1, n - 1]) {
      const y = x.slice();
      y[pos] = pos % 2 ? NaN : -Infinity;
      assert.equal(wasm.firstNonFinite(y), refBackend.firstNonFinite(y), `n=${n} pos=${pos}`);
    }
  }
  for (const [rows, cols] of [[1, 1], [3, 17], [300, 32], [7, 512]] as const) {
    const g = rand(rows * cols, -5, 5), out0 = rand(cols), want = out0.slice(), got = out0.slice();
    refBackend.colSumAdd(g, rows, cols, want);
    wasm.colSumAdd(g, rows, cols, got);
    same(got, want, `colSumAdd ${rows}x${cols}`);
  }
  for (const n of [1, 3, 4, 5, 9, 1001, 102400]) {
    const x = rand(n, -100, 100), t = rand(n, -1e-3, 1e-3);
    assert.ok(Object.is(wasm.sumSquaredDiff(x, t), refBackend.sumSquaredDiff(x, t)), `sumSquaredDiff n=${n}`);
    const want = new Float32Array(n), got = new Float32Array(n);
    refBackend.scaledDiff(x, t, 2, Math.fround(1 / 3), want);
    wasm.scaledDiff(x, t, 2, Math.fround(1 / 3), got);
    same(got, want, `scaledDiff n=${n}`);
  }
});

test('float64 calls go to the reference; bad arguments throw typed errors before any copy', { skip }, () => {
  needWasm();
  const A = Float64Array.from([1, 2, 3, 4]), C = new Float64Array(4);
  wasm.gemm({ transA: false, transB: false, M: 2, N: 2, K: 2, alpha: 1, A, lda: 2, B: A, ldb: 2, beta: 0, C, ldc: 2 });
  assert.deepEqual([...C], [7, 10, 15, 22]);
  assert.equal(wasm.firstNonFinite(Float64Array.from([1, NaN])), 1);
  assert.ok(wasm.recurrentWorkspace('lstm', { T: 2, B: 2, I: 2, H: 2, P: 0 }, 'float64') > 0); // the reference's
  const f = new Float32Array(4);
  assert.throws(() => wasm.gemm({ transA: false, transB: false, M: 2, N: 3, K: 2, alpha: 1, A: f, lda: 2, B: f, ldb: 3, beta: 0, C: new Float32Array(6), ldc: 3 }), ShapeError);
  assert.throws(() => wasm.gemm({ transA: false, transB: false, M: 2, N: 2, K: 2, alpha: 1, A: f, lda: 2, B: A, ldb: 2, beta: 0, C: f, ldc: 2 }), ValueError);
  assert.throws(() => wasm.colSumAdd(f, 3, 2, f), /colSumAdd\.g/);
  assert.throws(() => wasm.scaledDiff(f, new Float32Array(1), 2, 1, f), /scaledDiff\.t/);
  assert.throws(() => wasm.adamStep({ p: f, g: new Float32Array(2), m: f, v: f, vmax: null, lr: 1, beta1: 0.9, beta2: 0.9, eps: 1, weightDecay: 0, stepSize: 1, bc2Sqrt: 1, decoupled: false, maximize: false }), /adamStep\.g/);
});

test('the pointer table of native/wasm/api.c is WASM_PTRS (src/kernels/wasm/backend.ts)', { skip }, () => {
  needWasm();
  assert.deepEqual(wasmPtrNames(wasmExports!), [...WASM_PTRS]);
});

test('selection: RECUR_BACKEND=wasm, and auto takes wasm when the native addon does not load', { skip }, () => {
  needWasm();
  const show = "import('./src/index.ts').then((m) => console.log(JSON.stringify(m.backendInfo())))";
  const run = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', show], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RECUR_QUIET: '', ...env } });
    assert.equal(r.status, 0, r.stderr);
    return { info: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
  };
  const explicit = run({ RECUR_BACKEND: 'wasm', RECUR_NUM_THREADS: '1' });
  assert.equal(explicit.info.name, 'wasm');
  assert.equal(explicit.info.threads, 1);
  // RECUR_NUM_THREADS > 1: the threaded build (wasm/recur-mt.wasm) with workers, where it was built
  if (existsSync(wasmFilePath(true))) assert.equal(run({ RECUR_BACKEND: 'wasm', RECUR_NUM_THREADS: '2' }).info.threads, 2);
  const auto = run({ RECUR_BACKEND: 'auto', RECUR_NATIVE_ADDON: join(ROOT, 'no-such-addon.node') });
  assert.equal(auto.info.name, 'wasm');
  assert.match(auto.info.fallback, /no-such-addon/);
  assert.match(auto.stderr, /using the WebAssembly "wasm" backend/);
  const none = spawnSync(process.execPath, ['--import', 'tsx', '-e', show], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, RECUR_BACKEND: 'wasm', RECUR_WASM_FILE: join(ROOT, 'no-such.wasm') },
  });
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /BackendError[\s\S]*no-such\.wasm/);
});

test('gemm with a bias (wasm and ref): the bits of C filled with the bias rows and beta = 1; C is not read', { skip }, () => {
  needWasm();
  for (const [M, N, K, transB] of [[300, 70, 500, true], [20, 600, 50, false], [2, 40, 100, true], [5, 9, 0, false]] as const) {
    const A = rand(M * K), B = rand(N * K), bias = rand(N);
    const args = { transA: false, transB, M, N, K, alpha: 0.5, A, lda: Math.max(1, K), B, ldb: Math.max(1, transB ? K : N), ldc: N };
    for (const [name, be] of [['wasm', wasm], ['ref', refBackend]] as const) {
      const want = new Float32Array(M * N);
      for (let i = 0; i < M; i++) want.set(bias, i * N);
      be.gemm({ ...args, beta: 1, C: want });
      const got = new Float32Array(M * N).fill(Number.NaN);
      be.gemm({ ...args, beta: 0.25, C: got, bias });
      same(got, want, `${name} ${M}x${N}x${K}`);
    }
  }
});
