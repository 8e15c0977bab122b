/**
 * Loader for the native C addon (native/, built by `node tools/build-native.mjs` into
 * build/Release/recur_native.node) and the `native` Backend on top of it.
 *
 * - float32 calls go to C; float64 calls (gradient checks) go to the reference backend, decided in
 *   one place (`routed`, ../routed.ts), so `native` is complete and exact where exactness is asked for.
 * - The recurrent kernels come from native/recurrent*.c through recurrent-adapter.ts.
 * - Native errors are thrown by the addon as the typed errors of src/util/errors.ts (setErrorClasses).
 * - Threads: the addon's pool (default: available cores, or env RECUR_NUM_THREADS);
 *   `setNativeThreads(n)` changes it. CPU path: best of avx512 / avx2 / portable, env RECUR_CPU
 *   caps it (tests).
 * - Env RECUR_NATIVE_ADDON: load the addon from this file instead (tests, custom builds).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdamStepArgs, Backend, Buf, GemmArgs, GruForwardOut, LstmForwardOut, RecurrentCall, SgdStepArgs, UnaryKind } from '../backend.js';
import { refBackend } from '../ref/index.js';
import { OptionError, ShapeError, ValueError } from '../../util/errors.js';
import { makeRecurrentMethods, type RecurrentAddon } from './recurrent-adapter.js';
import { routed } from '../routed.js';
import { isLinear, linearRunner, type LinearAddon } from './linear-runner.js';

/** The functions native/addon.c exports (the recurrent kernels: RecurrentAddon). */
export interface NativeAddon extends RecurrentAddon, LinearAddon {
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number,
    beta: number, C: Float32Array, cOff: number, ldc: number, bias: Float32Array | null,
  ): void;
  unary(kind: number, x: Float32Array, y: Float32Array): void;
  unaryBackward(kind: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** n zeros whose data starts on a 64-byte boundary (parameter storage, kernels/index.ts paramStorage). */
  alignedZeros(n: number): Float32Array;
  setThreads(n: number): void;
  getThreads(): number;
  /** Jobs handed to the pool's worker threads so far (calls run on the calling thread alone do not count). */
  poolJobs(): number;
  cpuFeatures(): NativeCpuFeatures;
  setCpuPath(path: NativeCpuPath): NativeCpuPath;
  /** FMA-loop GFLOP/s of the active path on all pool threads, run for about ms milliseconds (benchmarks). */
  peakGflops(ms: number): number;
  /** The classes native errors are thrown as, by code (native/napi_util.h); called once at load. */
  setErrorClasses(classes: Record<NativeErrorCode, new (where: string, expected: string, got: string) => Error>): void;
  /** native/recurrent.h: the positional argument names of each recurrent entry point (RECURRENT_ARGS mirrors them). */
  recurrentArgs(): Record<string, string[]>;
  /** native/ops.h */
  adamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, hyper: Float64Array): void;
  sgdStep(p: Float32Array, g: Float32Array, buf: Float32Array | null, hyper: Float64Array): void;
  firstNonFinite(x: Float32Array): number;
  colSumAdd(g: Float32Array, rows: number, cols: number, out: Float32Array): void;
  sumSquaredDiff(x: Float32Array, t: Float32Array): number;
  scaledDiff(x: Float32Array, t: Float32Array, c: number, a: number, out: Float32Array): void;
  dropoutMask(k0: number, k1: number, p: number, out: Float32Array): void;
  dropoutApply(k0: number, k1: number, p: number, x: Float32Array, y: Float32Array): void;
}

export type NativeErrorCode = 'E_SHAPE' | 'E_VALUE' | 'E_OPTION';
export type NativeCpuPath = 'avx512' | 'avx2' | 'portable';
export interface NativeCpuFeatures { avx512: boolean; avx2: boolean; fma: boolean; path: NativeCpuPath }

export interface NativeLoaded {
  backend: Backend;
  addon: NativeAddon;
  /** The .node file that was loaded. */
  file: string;
}

/** Same order as RC_UNARY_NAMES in native/unary.h. */
const UNARY_CODE: Record<UnaryKind, number> = {
  tanh: 0, sigmoid: 1, relu: 2, exp: 3, log: 4, softplus: 5, neg: 6, abs: 7, sqrt: 8,
};

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

/** The float32 kernels of the addon, as Backend methods (float64 calls never reach them: see routed). */
function float32Backend(addon: NativeAddon): Backend {
  const rec = makeRecurrentMethods(addon);
  // An LSTM / GRU inference forward runs the C kernel's own inference mode (saved buffers null,
  // recurrent.h: no saved buffer written). One reused out object per direction of a pair (calls are
  // synchronous): only y, hN, cN change, and they are cleared after the call to keep nothing alive.
  const inf = [0, 1].map((): Record<string, Buf | null> => ({ y: null, hN: null, cN: null, gates: null, c: null, h: null, m: null, q: null }));
  const inferOut = (k: number, o: RecurrentCall['out']): LstmForwardOut => {
    const r = inf[k]!;
    r.y = o.y; r.hN = o.hN; r.cN = (o as LstmForwardOut).cN ?? null;
    return r as unknown as LstmForwardOut;
  };
  const release = (): void => { for (const r of inf) r.y = r.hN = r.cN = null; };
  const inferencePair = (c: RecurrentCall): boolean => !c.g && c.inp.inference === true;
  const ah = new Float64Array(9);
  const sh = new Float64Array(5);
  const f = (b: Buf | null): Float32Array => b as Float32Array;
  const linear = linearRunner(addon);
  return {
    name: 'native',
    gemm: (a: GemmArgs) => isLinear(a) ? linear(a) : addon.gemm(a.transA, a.transB, a.M, a.N, a.K, a.alpha, f(a.A), a.aOff ?? 0, a.lda,
      f(a.B), a.bOff ?? 0, a.ldb, a.beta, f(a.C), a.cOff ?? 0, a.ldc, a.bias ? f(a.bias) : null),
    unary: (kind, x, y) => addon.unary(UNARY_CODE[kind], f(x), f(y)),
    unaryBackward: (kind, x, y, dy, dx) => addon.unaryBackward(UNARY_CODE[kind], f(x), f(y), f(dy), f(dx)),
    recurrentWorkspace: rec.recurrentWorkspace,
    lstmForward: (inp, out, ws) => {
      if (!inp.inference) return rec.lstmForward(inp, out, ws);
      rec.lstmForward(inp, inferOut(0, out), ws);
      release();
    },
    lstmBackward: rec.lstmBackward,
    gruForward: (inp, out, ws) => {
      if (!inp.inference) return rec.gruForward(inp, out, ws);
      rec.gruForward(inp, inferOut(0, out) as unknown as GruForwardOut, ws);
      release();
    },
    gruBackward: rec.gruBackward,
    rnnForward: rec.rnnForward,
    rnnBackward: rec.rnnBackward,
    recurrentPair: (kind, a, b) => {
      if (kind === 'rnn' || !inferencePair(a) || !inferencePair(b)) return rec.recurrentPair(kind, a, b);
      rec.recurrentPair(kind, { ...a, out: inferOut(0, a.out) }, { ...b, out: inferOut(1, b.out) });
      release();
    },
    firstNonFinite: (x) => addon.firstNonFinite(f(x)),
    adamStep: (a: AdamStepArgs) => {
      ah[0] = a.lr; ah[1] = 1 - a.beta1; ah[2] = a.beta2; ah[3] = 1 - a.beta2; ah[4] = a.eps; ah[5] = a.weightDecay;
      ah[6] = a.stepSize; ah[7] = a.bc2Sqrt; ah[8] = (a.maximize ? 1 : 0) | (a.decoupled ? 2 : 0);
      addon.adamStep(f(a.p), f(a.g), f(a.m), f(a.v), a.vmax === null ? null : f(a.vmax), ah);
    },
    sgdStep: (a: SgdStepArgs) => {
      sh[0] = a.lr; sh[1] = a.momentum; sh[2] = a.dampening; sh[3] = a.weightDecay;
      sh[4] = (a.maximize ? 1 : 0) | (a.nesterov ? 2 : 0) | (a.init ? 4 : 0);
      addon.sgdStep(f(a.p), f(a.g), a.buf === null ? null : f(a.buf), sh);
    },
    colSumAdd: (g, rows, cols, out) => addon.colSumAdd(f(g), rows, cols, f(out)),
    sumSquaredDiff: (x, t) => addon.sumSquaredDiff(f(x), f(t)),
    scaledDiff: (x, t, c, a, out) => addon.scaledDiff(f(x), f(t), c, a, f(out)),
    dropoutMask: (k0, k1, p, out) => addon.dropoutMask(k0, k1, p, f(out)),
    dropoutApply: (k0, k1, p, x, y) => addon.dropoutApply(k0, k1, p, f(x), f(y)),
  };
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
    addon.setErrorClasses({ E_SHAPE: ShapeError, E_VALUE: ValueError, E_OPTION: OptionError });
    cached = { backend: routed(float32Backend(addon), refBackend), addon, file };
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
