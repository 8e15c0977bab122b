/**
 * Dropout masks sampled in the kernels (Backend.dropoutMask / dropoutApply, native/ops_dropout.c, spec
 * src/kernels/ref/dropout.ts): the generator as documented (an independent BigInt re-statement), the
 * same bits on ref, native (every CPU path) and wasm, the statistics of a good mask (rate, no
 * correlation between neighbours or keys), and F.dropout / variationalMask on top of them.
 * The native / wasm parts are skipped with the reason when those backends are not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refBackend } from '../src/kernels/ref/index.js';
import { loadNative, type NativeAddon, type NativeCpuPath } from '../src/kernels/native/index.js';
import { F, Rng, tensor } from '../src/index.js';
import { ValueError } from '../src/util/errors.js';
import { wasm, wasmSkip } from './wasm-helpers.js';

const loaded = loadNative();
const nativeSkip = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;
const addon = ('addon' in loaded ? loaded.addon : null) as NativeAddon;
const native = 'backend' in loaded ? loaded.backend : refBackend;

/** Bit-exact comparison (NaN equals NaN, +0 differs from −0). */
function same(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
}

const KEYS: [number, number][] = [[0, 0], [1, 2], [0xffffffff, 0x80000000], [0x9e3779b9, 0x7f4a7c15]];
const PS = [0, 1e-9, 0.2, 0.5, 0.75, 1 - 2 ** -40, 1];
const SIZES = [0, 1, 7, 15, 16, 17, 63, 1000, 70001]; // vector tails (4, 8, 16 lanes) and a long run

/** The documented generator, restated with BigInt: u_i = mix(mix(mix(i ^ k0) ^ k1) ^ k0) for i < 2³². */
function docBits(k0: number, k1: number, i: number): number {
  const M = 0xffffffffn;
  const mix = (v: bigint): bigint => {
    v ^= v >> 16n; v = (v * 0x21f0aaadn) & M; v ^= v >> 15n; v = (v * 0x735a2d97n) & M; return v ^ (v >> 15n);
  };
  return Number(mix(mix(mix(BigInt(i) ^ BigInt(k0)) ^ BigInt(k1)) ^ BigInt(k0)));
}

test('the reference mask is the documented generator: 0 iff u_i < ⌈p·2³²⌉, else 1/(1−p)', () => {
  for (const [k0, k1] of KEYS) {
    for (const p of [0.2, 0.5, 1]) {
      const m = new Float64Array(300);
      refBackend.dropoutMask(k0, k1, p, m);
      const thr = Math.min(Math.ceil(p * 2 ** 32), 2 ** 32 - 1);
      m.forEach((v, i) => assert.equal(v, docBits(k0, k1, i) < thr ? 0 : p === 1 ? 0 : 1 / (1 - p), `key ${k0},${k1} p ${p} i ${i}`));
    }
  }
});

test('float32 and float64 masks of one key drop the same entries; p = 0 keeps all, p = 1 drops all', () => {
  const m32 = new Float32Array(5000), m64 = new Float64Array(5000);
  refBackend.dropoutMask(5, 6, 0.3, m32);
  refBackend.dropoutMask(5, 6, 0.3, m64);
  m64.forEach((v, i) => assert.equal(m32[i], Math.fround(v)));
  refBackend.dropoutMask(5, 6, 0, m32);
  assert.ok(m32.every((v) => v === 1));
  refBackend.dropoutMask(5, 6, 1, m32);
  assert.ok(m32.every((v) => v === 0));
});

/** x with negative values, ±0, NaN and ±Inf (so x·0 keeps its sign and NaN) . */
function specialX(n: number): Float32Array {
  const r = new Rng(n);
  const x = Float32Array.from({ length: n }, () => r.uniform(-3, 3));
  const sp = [0, -0, NaN, Infinity, -Infinity];
  for (let i = 0; i < n; i += 11) x[i] = sp[(i / 11) % sp.length]!;
  return x;
}

function compareBackend(name: string, be: typeof refBackend, what: string): void {
  for (const n of SIZES) {
    const x = specialX(n);
    for (const [k0, k1] of KEYS) {
      for (const p of PS) {
        const want = new Float32Array(n), got = new Float32Array(n);
        refBackend.dropoutMask(k0, k1, p, want);
        be.dropoutMask(k0, k1, p, got);
        same(got, want, `${name} ${what} mask n=${n} key=${k0},${k1} p=${p}`);
        refBackend.dropoutApply(k0, k1, p, x, want);
        be.dropoutApply(k0, k1, p, x, got);
        same(got, want, `${name} ${what} apply n=${n} key=${k0},${k1} p=${p}`);
      }
    }
  }
}

test('native = ref bit for bit, on every CPU path this machine runs', { skip: nativeSkip }, () => {
  const f = addon.cpuFeatures();
  const paths: NativeCpuPath[] = [...(f.avx512 ? ['avx512' as const] : []), ...(f.avx2 && f.fma ? ['avx2' as const] : []), 'portable'];
  const t0 = addon.getThreads();
  try {
    for (const p of paths) {
      addon.setCpuPath(p);
      // 70001 elements are split over the pool above one thread: the same bits on any thread count
      for (const threads of [1, 2, 3]) {
        addon.setThreads(threads);
        compareBackend('native', native, `${p} ${threads} threads`);
      }
    }
  } finally {
    addon.setCpuPath(f.path);
    addon.setThreads(t0);
  }
});

test('wasm = ref bit for bit', { skip: wasmSkip }, () => compareBackend('wasm', wasm, 'simd128'));

test('bad keys and rates throw ValueError naming the op, on native and wasm', () => {
  for (const [be, skip] of [[native, nativeSkip], [wasm, wasmSkip]] as const) {
    if (skip) continue;
    const out = new Float32Array(4);
    assert.throws(() => be.dropoutMask(-1, 0, 0.5, out), (e) => e instanceof ValueError && /dropoutMask: expected a key of two integers/.test(e.message));
    assert.throws(() => be.dropoutMask(0, 2 ** 32, 0.5, out), ValueError);
    assert.throws(() => be.dropoutApply(0, 1.5, 0.5, out, out), ValueError);
    assert.throws(() => be.dropoutMask(0, 0, 1.5, out), (e) => e instanceof ValueError && /dropoutMask: expected a dropout probability p in \[0, 1\], got 1.5/.test(e.message));
    assert.throws(() => be.dropoutApply(0, 0, NaN, out, out), ValueError);
    assert.throws(() => be.dropoutApply(0, 0, 0.5, out, new Float32Array(3)), /dropoutApply\.y/);
  }
});

// ------------------------------------------------------------------ statistics (ref = every backend, above)

const N = 200_000;
function dropped(k0: number, k1: number, p: number): Uint8Array {
  const m = new Float32Array(N);
  refBackend.dropoutMask(k0, k1, p, m);
  return m.map((v) => (v === 0 ? 1 : 0)) as unknown as Uint8Array;
}
/** Fraction of i with a[i] = 1 and b[i + lag] = 1. */
function both(a: Uint8Array, b: Uint8Array, lag: number): number {
  let c = 0;
  for (let i = 0; i + lag < a.length; i++) c += a[i]! & b[i + lag]!;
  return c / (a.length - lag);
}

test('drop rate is p within 5 standard errors, for several keys and rates', () => {
  for (const p of [0.05, 0.25, 0.5, 0.8]) {
    const se = Math.sqrt((p * (1 - p)) / N);
    for (const [k0, k1] of KEYS) {
      const rate = both(dropped(k0, k1, p), new Uint8Array(N).fill(1), 0);
      assert.ok(Math.abs(rate - p) < 5 * se, `p ${p} key ${k0},${k1}: rate ${rate} (5 se = ${(5 * se).toFixed(4)})`);
    }
  }
});

test('no correlation between neighbours (lags 1 … 64 and powers of two) or between masks of related keys', () => {
  const p = 0.5, tol = 5 * Math.sqrt((0.25 * 0.75) / N); // P(both dropped) = p² under independence
  const a = dropped(12345, 678, p);
  for (const lag of [1, 2, 3, 4, 8, 16, 32, 64, 256, 4096]) {
    const j = both(a, a, lag);
    assert.ok(Math.abs(j - 0.25) < tol, `lag ${lag}: P(both dropped) ${j}`);
  }
  // keys one bit apart, and adjacent counters of the Rng's draws, give unrelated masks (also shifted)
  for (const [k0, k1] of [[12346, 678], [12345, 679], [12345 ^ 0x80000000, 678], [678, 12345]]) {
    const b = dropped(k0, k1, p);
    for (const lag of [0, 1]) {
      const j = both(a, b, lag);
      assert.ok(Math.abs(j - 0.25) < tol, `key ${k0},${k1} lag ${lag}: P(both dropped) ${j}`);
    }
  }
});

// ------------------------------------------------------------------ the ops on top

test('F.dropout: one key per call from the rng (two draws), same seed → same output, backward = dy ⊙ mask', () => {
  const x = tensor(Float32Array.from({ length: 3000 }, (_, i) => 1 + (i % 7)), [30, 100], { requiresGrad: true });
  const y = F.dropout(x, 0.4, { training: true, rng: new Rng(7) });
  const r = new Rng(7);
  const m = new Float32Array(3000);
  refBackend.dropoutMask(r.nextU32(), r.nextU32(), 0.4, m);
  y.data.forEach((v, i) => assert.equal(v, Math.fround(x.data[i]! * m[i]!)));
  F.sum(F.mul(y, tensor(Float32Array.from({ length: 3000 }, (_, i) => i % 5), [30, 100]))).backward();
  x.grad!.data.forEach((g, i) => assert.equal(g, Math.fround((i % 5) * m[i]!)));
  assert.deepEqual(F.dropout(x, 0.4, { training: true, rng: new Rng(7) }).data, y.data);
  assert.notDeepEqual(F.dropout(x, 0.4, { training: true, rng: new Rng(8) }).data, y.data);
});

test('variationalMask and successive masks of one rng: different keys, statistically independent', () => {
  const rng = new Rng(3);
  const a = F.variationalMask(100, 1000, 0.5, rng);
  const b = F.variationalMask(100, 1000, 0.5, rng);
  let bothDropped = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0 && b[i] === 0) bothDropped++;
  const tol = 5 * Math.sqrt((0.25 * 0.75) / a.length);
  assert.ok(Math.abs(bothDropped / a.length - 0.25) < tol, `P(both dropped) ${bothDropped / a.length}`);
  const again = new Rng(3);
  assert.deepEqual(F.variationalMask(100, 1000, 0.5, again), a);
});
