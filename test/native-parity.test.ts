/**
 * Native addon (native/gemm.c, unary.c, pool.c through src/kernels/native/index.ts) against the
 * reference backend, for every CPU path this machine runs (avx512 / avx2 / portable, switched
 * in-process with setCpuPath; RECUR_CPU checked once in a subprocess):
 *   - gemm: 4 transpose variants x beta 0 / 1 / -0.5 x alpha, odd sizes (1 … 250) and blocked ones
 *     (K > 384, N > 512), offsets and padded leading dims, untouched padding, NaN in C with beta 0;
 *   - unary forward / backward, all kinds, special values, sizes that take the threaded path;
 *   - 1 and 2 threads give bit-identical results; float64 calls route to the reference;
 *   - bad arguments throw instead of touching memory; a missing addon makes an explicit
 *     setBackend('native') throw with the reason.
 *
 * GEMM tolerance: |native − ref| ≤ 5e-7·(K + 4)·S + 1e-30 per element, S = |alpha|·Σ_k |a||b| +
 * |beta·c| (float32 accumulation error is at most ~K·6e-8·S). Unary: ≤ 2e-6 relative + 1e-37
 * (tanh / sigmoid / exp are vectorised approximations of a few ulp); backward is exact.
 *
 * Without a built addon (build/Release/recur_native.node) every test is skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Buf, GemmArgs, UnaryKind } from '../src/kernels/backend.js';
import { refBackend } from '../src/kernels/ref/index.js';
import { loadNative, type NativeAddon, type NativeCpuPath } from '../src/kernels/native/index.js';
import { Rng } from '../src/util/rng.js';

const loaded = loadNative();
const skip = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;
const addon = ('addon' in loaded ? loaded.addon : null) as NativeAddon;
const native = 'backend' in loaded ? loaded.backend : refBackend;
const ROOT = join(import.meta.dirname, '..');

/** The CPU paths this machine can run, best first. */
function paths(): NativeCpuPath[] {
  if (!addon) return [];
  const f = addon.cpuFeatures();
  return [...(f.avx512 ? ['avx512' as const] : []), ...(f.avx2 && f.fma ? ['avx2' as const] : []), 'portable'];
}

/** Run fn under each CPU path, restoring the original path. */
function eachPath(fn: (p: NativeCpuPath) => void): void {
  const orig = addon.cpuFeatures().path;
  try {
    for (const p of paths()) {
      assert.equal(addon.setCpuPath(p), p);
      fn(p);
    }
  } finally {
    addon.setCpuPath(orig);
  }
}

function withThreads<T>(n: number, fn: () => T): T {
  const orig = addon.getThreads();
  addon.setThreads(n);
  try {
    return fn();
  } finally {
    addon.setThreads(orig);
  }
}

const rng = new Rng(1234);
const randArr = (n: number, lo = -1, hi = 1): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
};

// ---------------------------------------------------------------------------------------------
// gemm
// ---------------------------------------------------------------------------------------------

interface Case {
  transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number; beta: number;
  aOff?: number; bOff?: number; cOff?: number; padA?: number; padB?: number; padC?: number;
}

interface Problem { args: GemmArgs; C0: Float32Array; want: Float64Array; tol: Float64Array }

/** Random operands (with guard values around C's window) and the reference result with tolerances. */
function problem(c: Case): Problem {
  const { transA, transB, M, N, K } = c;
  const aOff = c.aOff ?? 0, bOff = c.bOff ?? 0, cOff = c.cOff ?? 0;
  const lda = (transA ? M : K) + (c.padA ?? 0), ldb = (transB ? K : N) + (c.padB ?? 0), ldc = N + (c.padC ?? 0);
  const A = randArr(aOff + (transA ? K : M) * lda), B = randArr(bOff + (transB ? N : K) * ldb);
  const C0 = randArr(cOff + M * ldc + 5, -2, 2);
  if (c.beta === 0) for (let i = 0; i < M; i++) C0[cOff + i * ldc] = NaN; // must be ignored
  const args: GemmArgs = { transA, transB, M, N, K, alpha: c.alpha, A, aOff, lda, B, bOff, ldb, beta: c.beta, C: C0.slice(), cOff, ldc };
  const want = Float64Array.from(C0);
  refBackend.gemm({ ...args, C: want });
  const abs = (x: Float32Array): Float64Array => Float64Array.from(x, Math.abs);
  const S = Float64Array.from(C0, (v) => (c.beta === 0 || Number.isNaN(v) ? 0 : Math.abs(c.beta * v)));
  refBackend.gemm({ ...args, A: abs(A), B: abs(B), alpha: Math.abs(c.alpha), beta: 1, C: S });
  const tol = Float64Array.from(S, (s) => 5e-7 * (K + 4) * s + 1e-30);
  return { args, C0, want, tol };
}

/** Run native gemm on a fresh copy of C and compare everything, including C's untouched padding. */
function checkGemm(p: Problem, what: string): Float32Array {
  const C = p.C0.slice();
  native.gemm({ ...p.args, C });
  const { M, N, ldc } = p.args;
  const cOff = p.args.cOff ?? 0;
  for (let k = 0; k < C.length; k++) {
    const r = k - cOff, i = Math.floor(r / ldc), j = r - i * ldc;
    const inside = r >= 0 && i < M && j < N;
    if (!inside) {
      if (!Object.is(C[k], p.C0[k])) assert.fail(`${what}: C[${k}] outside the output was changed`);
      continue;
    }
    const d = Math.abs(C[k]! - p.want[k]!);
    if (!(d <= p.tol[k]!)) assert.fail(`${what}: C[${i},${j}] = ${C[k]}, ref ${p.want[k]} (diff ${d}, tol ${p.tol[k]})`);
  }
  return C;
}

const SIZES = [1, 3, 7, 17, 33, 67, 129, 250];
const VARIANTS = [[false, false], [false, true], [true, false], [true, true]] as const;
const BETAS = [0, 1, -0.5];

test('gemm: 4 transpose variants x beta x alpha on odd sizes, every CPU path', { skip }, () => {
  const problems: [Problem, string][] = [];
  for (const [transA, transB] of VARIANTS) {
    for (let a = 0; a < SIZES.length; a++) {
      for (let b = 0; b < SIZES.length; b++) {
        if ((a + b) % 2 === 1 && a !== 0 && b !== 0) continue; // half the grid keeps the ref fast
        const M = SIZES[a]!, N = SIZES[b]!, K = SIZES[(a * 3 + b) % SIZES.length]!;
        const beta = BETAS[(a + b) % 3]!, alpha = (a + b) % 2 === 0 ? 1 : -0.7;
        const c: Case = { transA, transB, M, N, K, alpha, beta };
        problems.push([problem(c), JSON.stringify(c)]);
      }
    }
  }
  eachPath((path) => {
    for (const [p, what] of problems) checkGemm(p, `${path} ${what}`);
  });
});

test('gemm: blocked sizes (K > 384, N > 512, M > 128), offsets and padded leading dims', { skip }, () => {
  const cases: Case[] = [
    { transA: false, transB: false, M: 137, N: 1030, K: 300, alpha: 1, beta: 0 },
    { transA: false, transB: true, M: 300, N: 530, K: 517, alpha: 0.5, beta: 1, aOff: 3, bOff: 7, cOff: 11, padA: 5, padB: 2, padC: 9 },
    { transA: true, transB: false, M: 70, N: 600, K: 270, alpha: -1, beta: -0.5, aOff: 1, bOff: 2, cOff: 3, padA: 1, padB: 3, padC: 1 },
    { transA: true, transB: true, M: 259, N: 45, K: 600, alpha: 2, beta: 0, padA: 16, padB: 16, padC: 16 },
    { transA: false, transB: false, M: 64, N: 1024, K: 384, alpha: 1, beta: 1, padB: 3 },
  ];
  for (const c of cases) {
    const p = problem(c);
    eachPath((path) => checkGemm(p, `${path} ${JSON.stringify(c)}`));
  }
});

test('gemm: offsets and leading dims on small shapes; K = 0 scales C by beta', { skip }, () => {
  eachPath((path) => {
    for (const [transA, transB] of VARIANTS) {
      for (const beta of BETAS) {
        const c: Case = { transA, transB, M: 5, N: 19, K: 9, alpha: 1.5, beta, aOff: 4, bOff: 1, cOff: 2, padA: 3, padB: 1, padC: 4 };
        checkGemm(problem(c), `${path} ${JSON.stringify(c)}`);
        checkGemm(problem({ ...c, K: 0 }), `${path} K=0 ${JSON.stringify(c)}`);
      }
    }
  });
});

test('gemm: 1 and 2 threads give bit-identical results (splits along N and along M)', { skip }, () => {
  const cases: Case[] = [
    { transA: false, transB: true, M: 64, N: 1024, K: 384, alpha: 1, beta: 0 },
    { transA: false, transB: false, M: 32, N: 512, K: 160, alpha: 1, beta: 1 },
    { transA: true, transB: false, M: 512, N: 32, K: 700, alpha: 1, beta: 1 },
    { transA: false, transB: false, M: 3200, N: 33, K: 128, alpha: 1, beta: 0 },
    { transA: true, transB: true, M: 250, N: 250, K: 250, alpha: -0.3, beta: -0.5 },
    { transA: false, transB: true, M: 2, N: 700, K: 300, alpha: 1, beta: 1 }, // dot-product path (small M, Bᵀ)
  ];
  for (const c of cases) {
    const p = problem(c);
    eachPath((path) => {
      const r1 = withThreads(1, () => checkGemm(p, `${path} 1 thread ${JSON.stringify(c)}`));
      const r2 = withThreads(2, () => checkGemm(p, `${path} 2 threads ${JSON.stringify(c)}`));
      assert.deepEqual(new Uint32Array(r2.buffer), new Uint32Array(r1.buffer), `${path}: ${JSON.stringify(c)}`);
    });
  }
});

test('gemm: float64 calls use the reference exactly; bad arguments throw', { skip }, () => {
  const A = Float64Array.from({ length: 12 }, (_, i) => i / 7), B = Float64Array.from({ length: 20 }, (_, i) => 1 - i / 9);
  const C1 = new Float64Array(15), C2 = new Float64Array(15);
  const g = { transA: false, transB: false, M: 3, N: 5, K: 4, alpha: 1, A, lda: 4, B, ldb: 5, beta: 0, ldc: 5 };
  native.gemm({ ...g, C: C1 });
  refBackend.gemm({ ...g, C: C2 });
  assert.deepEqual(C1, C2);
  const f = new Float32Array(10);
  assert.throws(() => native.gemm({ ...g, A: f, B: f, C: f }), /expected at least \d+ elements/);
  assert.throws(() => native.gemm({ ...g, A: new Float32Array(12), B: new Float32Array(20), C: new Float32Array(15), ldc: 2 }), /leading dimension/);
  assert.throws(() => addon.gemm(false, false, -1, 1, 1, 1, f, 0, 1, f, 0, 1, 0, f, 0, 1, null), /integer in/);
});

// ---------------------------------------------------------------------------------------------
// unary
// ---------------------------------------------------------------------------------------------

const KINDS: UnaryKind[] = ['tanh', 'sigmoid', 'relu', 'exp', 'log', 'softplus', 'neg', 'abs', 'sqrt'];
const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-40, 0.5, -0.625, 0.625, 0.7, 9, -9, 19.9, 20, 20.1, 30, -30, 87, 88.5, 89, -87,
  -100, -103, -110, 1e30, -1e30, Infinity, -Infinity, NaN];

function unaryInput(kind: UnaryKind, n: number): Float32Array {
  const positive = kind === 'log' || kind === 'sqrt';
  const x = randArr(n, positive ? 0 : -12, 12);
  for (let i = 0; i < n && i < SPECIAL.length; i++) x[i * 7 % n] = SPECIAL[i]!;
  if (positive) for (let i = 0; i < n; i += 11) x[i] = rng.uniform(1e-3, 1e3);
  return x;
}

function close(got: Float32Array, want: Float64Array | Float32Array, rel: number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!, g = got[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) assert.fail(`${what}: [${i}] ${g} vs ${w}`);
      continue;
    }
    if (w === g) continue;
    const d = Math.abs(g - w);
    if (!(d <= rel * Math.abs(w) + 1e-37)) assert.fail(`${what}: [${i}] ${g} vs ${w} (rel ${d / Math.abs(w)})`);
  }
}

for (const kind of KINDS) {
  test(`unary ${kind}: forward and backward vs ref, every CPU path, odd and threaded sizes`, { skip }, () => {
    for (const n of [1, 7, 17, 129, 40001]) {
      const x = unaryInput(kind, n);
      const yRef = new Float32Array(n);
      refBackend.unary(kind, x, yRef);
      const dy = randArr(n), dx0 = randArr(n);
      const dxRef = dx0.slice();
      refBackend.unaryBackward(kind, x, yRef, dy, dxRef);
      eachPath((path) => {
        const y = new Float32Array(n);
        native.unary(kind, x, y);
        close(y, yRef, 2e-6, `${kind} ${path} n=${n}`);
        const dx = dx0.slice();
        native.unaryBackward(kind, x, yRef, dy, dx);
        close(dx, dxRef, 0, `${kind}' ${path} n=${n}`);
      });
    }
  });
}

test('unary: in place (y = x), float64 through the reference, 1 vs 2 threads identical', { skip }, () => {
  const n = 100003;
  for (const kind of KINDS) {
    const x = unaryInput(kind, n);
    const y1 = withThreads(1, () => { const y = new Float32Array(n); native.unary(kind, x, y); return y; });
    const y2 = withThreads(2, () => { const y = new Float32Array(n); native.unary(kind, x, y); return y; });
    assert.deepEqual(new Uint32Array(y2.buffer), new Uint32Array(y1.buffer), kind);
    const inPlace = x.slice();
    native.unary(kind, inPlace, inPlace);
    assert.deepEqual(new Uint32Array(inPlace.buffer), new Uint32Array(y1.buffer), `${kind} in place`);
    const x64 = Float64Array.from(x.subarray(0, 50)), a = new Float64Array(50), b = new Float64Array(50);
    native.unary(kind, x64, a);
    refBackend.unary(kind, x64, b);
    assert.deepEqual(a, b, `${kind} float64`);
  }
});

// ---------------------------------------------------------------------------------------------
// environment: RECUR_CPU, RECUR_NUM_THREADS, a missing addon
// ---------------------------------------------------------------------------------------------

function runTs(code: string, env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, RECUR_QUIET: '1', ...env },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('env: RECUR_CPU=portable and RECUR_NUM_THREADS=1 are honoured at load', { skip }, () => {
  const r = runTs(
    `import { loadNative } from './src/kernels/native/index.ts';
     const l = loadNative(); console.log(JSON.stringify({ path: l.addon.cpuFeatures().path, threads: l.addon.getThreads() }));`,
    { RECUR_CPU: 'portable', RECUR_NUM_THREADS: '1' },
  );
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(JSON.parse(r.out.trim().split('\n').pop()!), { path: 'portable', threads: 1 });
});

test("missing addon: loadNative reports it, explicit setBackend('native') throws with the reason", () => {
  const r = runTs(
    `import { loadNative } from './src/kernels/native/index.ts';
     import * as k from './src/kernels/index.ts';
     const l = loadNative();
     let thrown = null;
     try { k.setBackend('native'); } catch (e) { thrown = { code: e.code, message: e.message }; }
     console.log(JSON.stringify({ error: l.error ?? null, thrown, hasInfo: typeof k.backendInfo === 'function' }));`,
    { RECUR_NATIVE_ADDON: '/nonexistent/recur_native.node', RECUR_BACKEND: 'auto' },
  );
  assert.equal(r.status, 0, r.out);
  const o = JSON.parse(r.out.trim().split('\n').pop()!) as { error: string; thrown: { code: string; message: string } | null; hasInfo: boolean };
  assert.match(o.error, /recur_native\.node not found/);
  assert.ok(o.thrown, 'setBackend("native") must throw');
  assert.equal(o.thrown.code, 'E_BACKEND');
  if (o.hasInfo) assert.match(o.thrown.message, /not found/); // the loader-aware setBackend names the reason
});

test('reference sanity: native backend name and recurrent kernels presence', { skip }, () => {
  assert.equal(native.name, 'native');
  const buf: Buf = new Float32Array(4);
  assert.ok(buf instanceof Float32Array);
  assert.equal(typeof native.lstmForward, 'function');
});
