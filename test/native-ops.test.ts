/**
 * The fused op kernels of native/ops*.c (optimizer steps, finiteness scan, column sums, mseLoss's
 * sum and backward) against their reference twins in src/kernels/ref/ops.ts, which are the spec:
 * results must be BIT-identical (same float32 / double operations in the same order), on every CPU
 * path this machine runs, on 1 and 2 threads, for sizes that hit vector tails and the threaded path.
 * Also: float64 calls route to the reference, and bad arguments throw instead of touching memory.
 *
 * Without a built addon every test is skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdamStepArgs, SgdStepArgs } from '../src/kernels/backend.js';
import { refBackend } from '../src/kernels/ref/index.js';
import { loadNative, type NativeAddon, type NativeCpuPath } from '../src/kernels/native/index.js';
import { Rng } from '../src/util/rng.js';

const loaded = loadNative();
const skip = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;
const addon = ('addon' in loaded ? loaded.addon : null) as NativeAddon;
const native = 'backend' in loaded ? loaded.backend : refBackend;

function eachPath(fn: (p: NativeCpuPath) => void): void {
  const f = addon.cpuFeatures();
  const orig = f.path;
  const paths: NativeCpuPath[] = [...(f.avx512 ? ['avx512' as const] : []), ...(f.avx2 && f.fma ? ['avx2' as const] : []), 'portable'];
  try {
    for (const p of paths) {
      addon.setCpuPath(p);
      for (const threads of [1, 2]) {
        const t0 = addon.getThreads();
        addon.setThreads(threads);
        try {
          fn(p);
        } finally {
          addon.setThreads(t0);
        }
      }
    }
  } finally {
    addon.setCpuPath(orig);
  }
}

const rng = new Rng(99);
const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
/** Bit-exact comparison (NaN equals NaN, +0 differs from −0). */
function same(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: native ${a[i]}, ref ${b[i]}`);
}

const SIZES = [1, 15, 16, 17, 63, 1000, 70001]; // tails of 16-wide vectors; > 65536 takes the threaded path

test('adamStep: native = reference bit for bit (Adam, AdamW, AMSGrad, maximize, β1 ≥ ½), every path and thread count', { skip }, () => {
  const configs = [
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, maximize: false, amsgrad: false, lr: 1e-3 },
    { beta1: 0.9, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false, maximize: true, amsgrad: true, lr: 3e-2 },
    { beta1: 0.8, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, maximize: false, amsgrad: false, lr: 1e-2 },
    { beta1: 0.3, beta2: 0.5, eps: 1e-3, weightDecay: 0.5, decoupled: true, maximize: true, amsgrad: true, lr: 0.5 }, // lerp's w ≥ ½ branch
  ];
  for (const n of SIZES) {
    for (const c of configs) {
      const p0 = rand(n), g = rand(n, -3, 3), m0 = rand(n, -0.1, 0.1), v0 = rand(n, 0, 0.01), vm0 = rand(n, 0, 0.02);
      for (const step of [1, 7]) {
        const args = (p: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null): AdamStepArgs => ({
          p, g, m, v, vmax, lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay,
          stepSize: c.lr / (1 - c.beta1 ** step), bc2Sqrt: (1 - c.beta2 ** step) ** 0.5, decoupled: c.decoupled, maximize: c.maximize,
        });
        const want = { p: p0.slice(), m: m0.slice(), v: v0.slice(), vm: c.amsgrad ? vm0.slice() : null };
        refBackend.adamStep(args(want.p, want.m, want.v, want.vm));
        eachPath((path) => {
          const got = { p: p0.slice(), m: m0.slice(), v: v0.slice(), vm: c.amsgrad ? vm0.slice() : null };
          native.adamStep(args(got.p, got.m, got.v, got.vm));
          const what = `${path} n=${n} step ${step} ${JSON.stringify(c)}`;
          same(got.p, want.p, `${what} p`);
          same(got.m, want.m, `${what} m`);
          same(got.v, want.v, `${what} v`);
          if (got.vm) same(got.vm, want.vm!, `${what} vmax`);
        });
      }
    }
  }
});

test('adamStep: NaN gradients propagate like the reference (AMSGrad max keeps NaN)', { skip }, () => {
  const n = 40;
  const g = rand(n);
  g[3] = NaN;
  g[20] = Infinity;
  const args = (p: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array): AdamStepArgs => ({
    p, g, m, v, vmax, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, stepSize: 1e-2, bc2Sqrt: 0.03, decoupled: false, maximize: false,
  });
  const want = [rand(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  const got = want.map((a) => a.slice()) as unknown as typeof want;
  refBackend.adamStep(args(...want));
  native.adamStep(args(...got));
  for (let k = 0; k < 4; k++) same(got[k], want[k], `buffer ${k}`);
  assert.ok(Number.isNaN(got[3][3]!));
});

test('sgdStep: native = reference bit for bit (momentum, dampening, Nesterov, decay, first step), every path', { skip }, () => {
  const configs = [
    { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
    { momentum: 0.9, dampening: 0, weightDecay: 1e-2, nesterov: true, maximize: false },
    { momentum: 0.5, dampening: 0.3, weightDecay: 0.2, nesterov: false, maximize: true },
  ];
  for (const n of SIZES) {
    for (const c of configs) {
      for (const init of [true, false]) {
        const p0 = rand(n), g = rand(n, -2, 2), b0 = rand(n);
        const args = (p: Float32Array, buf: Float32Array | null): SgdStepArgs => ({ p, g, buf, lr: 0.05, ...c, init });
        const wp = p0.slice(), wb = c.momentum ? b0.slice() : null;
        refBackend.sgdStep(args(wp, wb));
        eachPath((path) => {
          const gp = p0.slice(), gb = c.momentum ? b0.slice() : null;
          native.sgdStep(args(gp, gb));
          same(gp, wp, `${path} n=${n} ${JSON.stringify(c)} init=${init} p`);
          if (gb) same(gb, wb!, `${path} buf`);
        });
      }
    }
  }
});

test('firstNonFinite: first NaN / ±Inf at every position class, -1 when finite, denormals and ±max are finite', { skip }, () => {
  for (const n of [1, 16, 63, 64, 65, 200, 1000]) {
    const x = rand(n, -3.4e38, 3.4e38);
    x[0] = 1e-45; // denormal
    eachPath((path) => assert.equal(native.firstNonFinite(x), -1, `${path} n=${n}`));
    for (const pos of [0, n >> 1, n - 1]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const y = x.slice();
        y[pos] = bad;
        if (pos + 1 < n) y[n - 1] = NaN; // a later one must not win
        eachPath((path) => assert.equal(native.firstNonFinite(y), pos, `${path} n=${n} ${bad} at ${pos}`));
        assert.equal(refBackend.firstNonFinite(y), pos);
      }
    }
  }
});

test('colSumAdd, sumSquaredDiff, scaledDiff: native = reference bit for bit, every path', { skip }, () => {
  // the last three are >= 65536 elements: columns split over the pool on 2 threads (tails of 16-wide slices)
  for (const [rows, cols] of [[1, 1], [3, 17], [3200, 32], [50, 129], [7, 512], [1, 200003], [2, 65537], [3200, 64]] as const) {
    const g = rand(rows * cols, -5, 5), out0 = rand(cols);
    const want = out0.slice();
    refBackend.colSumAdd(g, rows, cols, want);
    eachPath((path) => {
      const got = out0.slice(), jobs = addon.poolJobs();
      native.colSumAdd(g, rows, cols, got);
      same(got, want, `${path} colSumAdd ${rows}x${cols}`);
      if (rows * cols >= 65536 && addon.getThreads() === 2) assert.ok(addon.poolJobs() > jobs, `${rows}x${cols} reached the pool`);
    });
  }
  for (const n of [1, 3, 4, 5, 8, 9, 1001, 102400]) {
    const x = rand(n, -100, 100), t = rand(n, -1e-3, 1e-3);
    const s = refBackend.sumSquaredDiff(x, t);
    const want = new Float32Array(n);
    refBackend.scaledDiff(x, t, 2, Math.fround(1 / 3), want);
    eachPath((path) => {
      assert.ok(Object.is(native.sumSquaredDiff(x, t), s), `${path} sumSquaredDiff n=${n}`);
      const got = new Float32Array(n);
      native.scaledDiff(x, t, 2, Math.fround(1 / 3), got);
      same(got, want, `${path} scaledDiff n=${n}`);
    });
  }
});

test('fused op kernels: float64 buffers go to the reference; bad arguments throw', { skip }, () => {
  const p = Float64Array.from([1, 2, 3]);
  const args: AdamStepArgs = {
    p, g: Float64Array.from([0.5, -0.5, 1]), m: new Float64Array(3), v: new Float64Array(3), vmax: null,
    lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, stepSize: 1, bc2Sqrt: 0.0316, decoupled: false, maximize: false,
  };
  native.adamStep(args);
  assert.ok(p instanceof Float64Array && p[0] !== 1);
  assert.equal(native.firstNonFinite(Float64Array.from([1, NaN])), 1);
  const f = new Float32Array(4);
  assert.throws(() => addon.adamStep(f, new Float32Array(2), f, f, null, new Float64Array(9)), /adamStep\.g/);
  assert.throws(() => addon.adamStep(f, f, f, f, null, new Float64Array(3)), /hyper/);
  assert.throws(() => addon.colSumAdd(f, 3, 2, f), /colSumAdd\.g/);
  assert.throws(() => addon.scaledDiff(f, new Float32Array(1), 2, 1, f), /scaledDiff\.t/);
});
