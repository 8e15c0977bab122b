/**
 * Loader for the native C addon (native/, built by `node tools/build-native.mjs` into
 * build/Release/recur_native.node) and the `native` Backend on top of it.
 *
 * - float32 calls go to C; any call with a Float64Array (gradient checks) goes to the reference
 *   backend, so `native` is always complete and exact where exactness is asked for.
 * - The recurrent kernels come from native/recurrent*.c through recurrent-adapter.ts; an addon
 *   built without them (or with only some) uses the reference for the missing ones.
 * - Threads: the addon's pool (default: available cores, or env RECUR_NUM_THREADS);
 *   `setNativeThreads(n)` changes it. CPU path: best of avx512 / avx2 / portable, env RECUR_CPU
 *   caps it (tests).
 * - Env RECUR_NATIVE_ADDON: load the addon from this file instead (tests, custom builds).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdamStepArgs, Backend, Buf, GemmArgs, GruForwardOut, LstmForwardOut, LstmInputs, SgdStepArgs, UnaryKind } from '../backend.js';
import { refBackend } from '../ref/index.js';
import { makeRecurrentMethods, type RecurrentMethods } from './recurrent-adapter.js';

/** The functions native/addon.c exports (recurrent ones only when compiled in). */
export interface NativeAddon {
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number,
    beta: number, C: Float32Array, cOff: number, ldc: number,
  ): void;
  unary(kind: number, x: Float32Array, y: Float32Array): void;
  unaryBackward(kind: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  setThreads(n: number): void;
  getThreads(): number;
  cpuFeatures(): NativeCpuFeatures;
  setCpuPath(path: NativeCpuPath): NativeCpuPath;
  /** FMA-loop GFLOP/s of the active path on all pool threads, run for about ms milliseconds (benchmarks). */
  peakGflops(ms: number): number;
  lstmForward?: (...args: unknown[]) => void;
  recurrentWorkspace?: (...args: unknown[]) => number;
  /** native/ops.h (absent from older builds: those kernels then run on the reference). */
  adamStep?: (p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, hyper: Float64Array) => void;
  sgdStep?: (p: Float32Array, g: Float32Array, buf: Float32Array | null, hyper: Float64Array) => void;
  firstNonFinite?: (x: Float32Array) => number;
  colSumAdd?: (g: Float32Array, rows: number, cols: number, out: Float32Array) => void;
  sumSquaredDiff?: (x: Float32Array, t: Float32Array) => number;
  scaledDiff?: (x: Float32Array, t: Float32Array, c: number, a: number, out: Float32Array) => void;
}

export type NativeCpuPath = 'avx512' | 'avx2' | 'portable';
export interface NativeCpuFeatures { avx512: boolean; avx2: boolean; fma: boolean; path: NativeCpuPath }

export interface NativeLoaded {
  backend: Backend;
  addon: NativeAddon;
  /** The .node file that was loaded. */
  file: string;
  /** Whether the fused recurrent kernels are in the addon (else those methods use `ref`). */
  recurrent: boolean;
}

/** Same order as RC_UNARY_NAMES in native/unary.h. */
const UNARY_CODE: Record<UnaryKind, number> = {
  tanh: 0, sigmoid: 1, relu: 2, exp: 3, log: 4, softplus: 5, neg: 6, abs: 7, sqrt: 8,
};

const RECURRENT_EXPORTS = ['recurrentWorkspace', 'lstmForward', 'lstmBackward', 'gruForward', 'gruBackward', 'rnnForward', 'rnnBackward'] as const;

const f32 = (b: Buf | null): boolean => b instanceof Float32Array;

/**
 * The package root: the nearest folder above this file with binding.gyp (the repository, or
 * node_modules/recur once installed; from src/ and dist/ alike).
 */
function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp')) && dir !== dirname(dir)) dir = dirname(dir);
  return dir;
}

/** build/Release/recur_native.node in the package root, or env RECUR_NATIVE_ADDON. */
export function nativeAddonPath(): string {
  const env = process.env.RECUR_NATIVE_ADDON;
  return env ? resolve(env) : join(packageDir(), 'build', 'Release', 'recur_native.node');
}

function makeBackend(addon: NativeAddon): { backend: Backend; recurrent: boolean } {
  const recurrent = RECURRENT_EXPORTS.every((k) => typeof (addon as unknown as Record<string, unknown>)[k] === 'function');
  const rec: RecurrentMethods = recurrent ? makeRecurrentMethods(addon) : refBackend;
  const nullSaved = recurrent && acceptsNullSaved(rec);
  // Reused out objects of inference calls (calls are synchronous): only y, hN, cN change.
  const lstmInf: Record<string, Buf | null> = { y: null, hN: null, cN: null, gates: null, c: null, h: null, m: null };
  const gruInf: Record<string, Buf | null> = { y: null, hN: null, gates: null, q: null, h: null };
  const backend: Backend = {
    name: 'native',
    gemm(a: GemmArgs): void {
      if (!f32(a.A) || !f32(a.B) || !f32(a.C)) return refBackend.gemm(a);
      addon.gemm(a.transA, a.transB, a.M, a.N, a.K, a.alpha, a.A as Float32Array, a.aOff ?? 0, a.lda,
        a.B as Float32Array, a.bOff ?? 0, a.ldb, a.beta, a.C as Float32Array, a.cOff ?? 0, a.ldc);
    },
    unary(kind, x, y) {
      if (!f32(x) || !f32(y)) return refBackend.unary(kind, x, y);
      addon.unary(UNARY_CODE[kind], x as Float32Array, y as Float32Array);
    },
    unaryBackward(kind, x, y, dy, dx) {
      if (!f32(x) || !f32(y) || !f32(dy) || !f32(dx)) return refBackend.unaryBackward(kind, x, y, dy, dx);
      addon.unaryBackward(UNARY_CODE[kind], x as Float32Array, y as Float32Array, dy as Float32Array, dx as Float32Array);
    },
    // Never smaller than the reference's (recurrent.h), so a float64 fallback can use the same workspace.
    recurrentWorkspace: (kind, dims) => rec.recurrentWorkspace(kind, dims),
    lstmForward: (inp, out, ws) => {
      if (!f32(inp.x)) return refBackend.lstmForward(inp, out, ws);
      if (!inp.inference || !nullSaved) return rec.lstmForward(inp, out, ws);
      // inference: the C kernel's own mode (gates = null, recurrent.h) writes no saved buffer at all.
      lstmInf.y = out.y; lstmInf.hN = out.hN; lstmInf.cN = out.cN;
      rec.lstmForward(inp, lstmInf as unknown as LstmForwardOut, ws);
      lstmInf.y = lstmInf.hN = lstmInf.cN = null; // keep nothing alive
    },
    lstmBackward: (inp, saved, g, ws) => (f32(inp.x) ? rec : refBackend).lstmBackward(inp, saved, g, ws),
    gruForward: (inp, out, ws) => {
      if (!f32(inp.x)) return refBackend.gruForward(inp, out, ws);
      if (!inp.inference || !nullSaved) return rec.gruForward(inp, out, ws);
      gruInf.y = out.y; gruInf.hN = out.hN;
      rec.gruForward(inp, gruInf as unknown as GruForwardOut, ws);
      gruInf.y = gruInf.hN = null;
    },
    gruBackward: (inp, saved, g, ws) => (f32(inp.x) ? rec : refBackend).gruBackward(inp, saved, g, ws),
    rnnForward: (inp, out, ws) => (f32(inp.x) ? rec : refBackend).rnnForward(inp, out, ws),
    rnnBackward: (inp, saved, g, ws) => (f32(inp.x) ? rec : refBackend).rnnBackward(inp, saved, g, ws),
    ...opsMethods(addon),
  };
  return { backend, recurrent };
}

/**
 * The fused op kernels (native/ops.h) for float32; float64 (and an addon built without them) use
 * the reference. The hyper-parameter vectors are reused: calls are synchronous.
 */
function opsMethods(addon: NativeAddon): Pick<Backend, 'firstNonFinite' | 'adamStep' | 'sgdStep' | 'colSumAdd' | 'sumSquaredDiff' | 'scaledDiff'> {
  const { adamStep, sgdStep, firstNonFinite, colSumAdd, sumSquaredDiff, scaledDiff } = addon;
  const ref = refBackend;
  const ah = new Float64Array(9);
  const sh = new Float64Array(5);
  return {
    firstNonFinite: firstNonFinite
      ? (x) => (f32(x) ? firstNonFinite(x as Float32Array) : refBackend.firstNonFinite!(x))
      : refBackend.firstNonFinite,
    adamStep: adamStep
      ? (a: AdamStepArgs) => {
        if (!f32(a.p) || !f32(a.g) || !f32(a.m) || !f32(a.v) || (a.vmax !== null && !f32(a.vmax))) return refBackend.adamStep!(a);
        ah[0] = a.lr; ah[1] = 1 - a.beta1; ah[2] = a.beta2; ah[3] = 1 - a.beta2; ah[4] = a.eps; ah[5] = a.weightDecay;
        ah[6] = a.stepSize; ah[7] = a.bc2Sqrt; ah[8] = (a.maximize ? 1 : 0) | (a.decoupled ? 2 : 0);
        adamStep(a.p as Float32Array, a.g as Float32Array, a.m as Float32Array, a.v as Float32Array, a.vmax as Float32Array | null, ah);
      }
      : refBackend.adamStep,
    sgdStep: sgdStep
      ? (a: SgdStepArgs) => {
        if (!f32(a.p) || !f32(a.g) || (a.buf !== null && !f32(a.buf))) return refBackend.sgdStep!(a);
        sh[0] = a.lr; sh[1] = a.momentum; sh[2] = a.dampening; sh[3] = a.weightDecay;
        sh[4] = (a.maximize ? 1 : 0) | (a.nesterov ? 2 : 0) | (a.init ? 4 : 0);
        sgdStep(a.p as Float32Array, a.g as Float32Array, a.buf as Float32Array | null, sh);
      }
      : refBackend.sgdStep,
    colSumAdd: colSumAdd
      ? (g, rows, cols, out) => (f32(g) && f32(out) ? colSumAdd(g as Float32Array, rows, cols, out as Float32Array) : ref.colSumAdd!(g, rows, cols, out))
      : ref.colSumAdd,
    sumSquaredDiff: sumSquaredDiff
      ? (x, t) => (f32(x) && f32(t) ? sumSquaredDiff(x as Float32Array, t as Float32Array) : ref.sumSquaredDiff!(x, t))
      : ref.sumSquaredDiff,
    scaledDiff: scaledDiff
      ? (x, t, c, a, out) => (f32(x) && f32(t) && f32(out) ? scaledDiff(x as Float32Array, t as Float32Array, c, a, out as Float32Array) : ref.scaledDiff!(x, t, c, a, out))
      : ref.scaledDiff,
  };
}

/**
 * Whether the addon's LSTM / GRU forwards take null saved buffers (their inference mode, which
 * writes only y, hN, cN): one tiny probe call at load, so an older build keeps working.
 */
function acceptsNullSaved(rec: RecurrentMethods): boolean {
  const f = (n: number): Float32Array => new Float32Array(n);
  const inp: LstmInputs = {
    T: 1, B: 1, I: 1, H: 1, P: 0, x: f(1), h0: f(1), c0: f(1), wIh: f(4), wHh: f(4), bIh: null, bHh: null, wHr: null,
    lengths: null, reverse: false, maskX: null, maskH: null,
  };
  try {
    const ws = f(rec.recurrentWorkspace('lstm', inp));
    rec.lstmForward(inp, { y: f(1), hN: f(1), cN: f(1), gates: null, c: null, h: null, m: null } as unknown as LstmForwardOut, ws);
    rec.gruForward(inp, { y: f(1), hN: f(1), gates: null, q: null, h: null } as unknown as GruForwardOut, f(rec.recurrentWorkspace('gru', inp)));
    return true;
  } catch {
    return false;
  }
}

let cached: NativeLoaded | { error: string } | undefined;

/**
 * Load the addon once (later calls return the same result). Never throws: a missing or
 * unloadable file gives `{ error }` with the reason in one line.
 */
export function loadNative(): NativeLoaded | { error: string } {
  if (cached) return cached;
  const file = nativeAddonPath();
  if (!existsSync(file)) {
    // Not built: npm skipped recur's install script (--ignore-scripts, an allowScripts denial) or
    // the build failed. The direct command works whatever npm's script policy is.
    const script = join(packageDir(), 'tools', 'build-native.mjs');
    cached = { error: `not built (${file} not found); build it with \`node ${script}\`` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAddon;
    if (typeof addon.gemm !== 'function' || typeof addon.cpuFeatures !== 'function') {
      cached = { error: `${file} is not recur's native addon (no gemm/cpuFeatures exports)` };
      return cached;
    }
    const { backend, recurrent } = makeBackend(addon);
    cached = { backend, addon, file, recurrent };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    cached = { error: `${file} failed to load: ${msg.split('\n')[0]}` };
  }
  return cached;
}

/** The native backend, or null when the addon does not load. */
export function nativeBackendOrNull(): Backend | null {
  const r = loadNative();
  return 'backend' in r ? r.backend : null;
}
