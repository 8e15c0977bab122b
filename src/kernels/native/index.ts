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
import type { Backend, Buf, GemmArgs, UnaryKind } from '../backend.js';
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

/** build/Release/recur_native.node of the package this file belongs to (searching upwards). */
export function nativeAddonPath(): string {
  const env = process.env.RECUR_NATIVE_ADDON;
  if (env) return resolve(env);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const f = join(dir, 'build', 'Release', 'recur_native.node');
    if (existsSync(f)) return f;
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return f; // package root: not built
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'build', 'Release', 'recur_native.node');
}

function makeBackend(addon: NativeAddon): { backend: Backend; recurrent: boolean } {
  const recurrent = RECURRENT_EXPORTS.every((k) => typeof (addon as unknown as Record<string, unknown>)[k] === 'function');
  const rec: RecurrentMethods = recurrent ? makeRecurrentMethods(addon) : refBackend;
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
    lstmForward: (inp, out, ws) => (f32(inp.x) ? rec : refBackend).lstmForward(inp, out, ws),
    lstmBackward: (inp, saved, g, ws) => (f32(inp.x) ? rec : refBackend).lstmBackward(inp, saved, g, ws),
    gruForward: (inp, out, ws) => (f32(inp.x) ? rec : refBackend).gruForward(inp, out, ws),
    gruBackward: (inp, saved, g, ws) => (f32(inp.x) ? rec : refBackend).gruBackward(inp, saved, g, ws),
    rnnForward: (inp, out, ws) => (f32(inp.x) ? rec : refBackend).rnnForward(inp, out, ws),
    rnnBackward: (inp, saved, g, ws) => (f32(inp.x) ? rec : refBackend).rnnBackward(inp, saved, g, ws),
  };
  return { backend, recurrent };
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
    cached = { error: `${file} not found (build it with \`node tools/build-native.mjs\`)` };
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
