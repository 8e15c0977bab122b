import type { Backend } from './backend.js';
import { refBackend } from './ref/index.js';
import type { NativeCpuPath } from './native/index.js';
import type { WasmCpuPath } from './wasm/backend.js';
import { platform } from './platform.js';
import { BackendError, OptionError } from '../util/errors.js';

export * from './backend.js';
export { refBackend } from './ref/index.js';

export type BackendName = 'auto' | 'ref' | 'native' | 'wasm';

export interface BackendOptions {
  /** Kernel threads of the native or wasm backend (≥ 1; native default: available cores, or env RECUR_NUM_THREADS; wasm: capped at the workers started). */
  threads?: number;
}

/** What `backendInfo()` (and `recur info`) reports. */
export interface BackendInfo {
  /** The backend in use: 'native', 'wasm', 'ref', or a custom backend's name. */
  name: string;
  /** What was asked for: 'auto' | 'native' | 'wasm' | 'ref' | 'custom'. */
  requested: BackendName | 'custom';
  /** Why 'auto' did not take the native backend (null when it did or was not asked to). */
  fallback: string | null;
  /** Threads the kernels use (1 for ref). */
  threads: number;
  /** Native CPU path ('avx512' | 'avx2' | 'portable'), the wasm build ('wasm-simd128' | 'wasm-relaxed-simd'), null for ref. */
  cpuPath: NativeCpuPath | WasmCpuPath | null;
  /** Whether the recurrent layers run fused native kernels (float32). */
  nativeRecurrent: boolean;
}

const NAMES: readonly string[] = ['auto', 'ref', 'native', 'wasm'];

let current: Backend = refBackend;
/** Parameter storage of the backend in use (paramStorage). */
const plainZeros = (n: number): Float32Array => new Float32Array(n);
let storage: (n: number) => Float32Array = plainZeros;
let info: BackendInfo = { name: 'ref', requested: 'ref', fallback: null, threads: 1, cpuPath: null, nativeRecurrent: false };
let warned = false;

/** The backend every op uses. */
export function getBackend(): Backend {
  return current;
}

function checkThreads(where: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 64) throw new OptionError(where, 'threads an integer in [1, 64]', `${String(n)}`);
  return n;
}

function useRef(requested: BackendName, fallback: string | null): Backend {
  current = refBackend;
  storage = plainZeros;
  info = { name: 'ref', requested, fallback, threads: 1, cpuPath: null, nativeRecurrent: false };
  return current;
}

/**
 * Select the backend. `"auto"` (the default at import) takes the native addon when it loads, else the
 * WebAssembly kernels (`"wasm"`: the same C kernels compiled to wasm32 + SIMD128; threads with the
 * threaded build, capped at the workers started: RECUR_NUM_THREADS in Node, initWasm's in a browser), else
 * `"ref"`, with one warning line on stderr (silenced by env RECUR_QUIET=1); an explicit `"native"` or
 * `"wasm"` that cannot load throws a BackendError with the reason. Float64 calls (gradient checks)
 * always run on the reference kernels.
 *
 * @example setBackend('native', { threads: 2 });
 */
export function setBackend(name: BackendName | Backend, opts: BackendOptions = {}): Backend {
  const threads = opts.threads === undefined ? undefined : checkThreads('setBackend', opts.threads);
  if (typeof name === 'object' && name !== null) {
    if (typeof name.gemm !== 'function' || typeof name.lstmForward !== 'function') {
      throw new OptionError('setBackend', 'a Backend object implementing the contract', `an object without gemm/lstmForward`);
    }
    if (threads !== undefined) throw new OptionError('setBackend', 'no threads option with a custom backend', `threads ${threads}`);
    current = name;
    storage = plainZeros;
    info = { name: name.name, requested: 'custom', fallback: null, threads: 1, cpuPath: null, nativeRecurrent: false };
    return current;
  }
  if (!NAMES.includes(name)) throw new OptionError('setBackend', '"auto", "native", "wasm" or "ref"', `"${String(name)}"`);
  if (name === 'ref') {
    if (threads !== undefined && threads !== 1) throw new OptionError('setBackend', 'threads 1 with the ref backend (it is single-threaded)', `${threads}`);
    return useRef('ref', null);
  }
  if (name === 'wasm') return useWasm('wasm', null, threads);
  const n = platform.native();
  if ('error' in n) {
    if (name === 'native') throw new BackendError('setBackend', 'the native addon to load', n.error);
    const w = platform.wasm();
    const fallback = 'error' in w ? `${n.error}; wasm: ${w.error}` : n.error;
    if (!warned && platform.env('RECUR_QUIET') !== '1') {
      warned = true;
      const using = 'error' in w ? 'the TypeScript "ref" backend' : 'the WebAssembly "wasm" backend';
      platform.warn(`recur: native backend unavailable (${fallback}); using ${using}`);
    }
    return 'error' in w ? useRef('auto', fallback) : useWasm('auto', fallback, threads);
  }
  if (threads !== undefined) n.setThreads(threads);
  current = n.backend;
  storage = n.alignedZeros;
  info = {
    name: 'native', requested: name, fallback: null, threads: n.threads(), cpuPath: n.cpuPath(), nativeRecurrent: true,
  };
  return current;
}

/** The wasm kernels (an explicit request throws when they do not load; auto checked before). */
function useWasm(requested: BackendName, fallback: string | null, threads?: number): Backend {
  const w = platform.wasm();
  if ('error' in w) throw new BackendError('setBackend', 'the wasm kernels to load', w.error);
  if (threads !== undefined) w.setThreads(threads);
  current = w.backend;
  storage = plainZeros;
  info = { name: 'wasm', requested, fallback, threads: w.threads(), cpuPath: w.cpuPath, nativeRecurrent: false };
  return current;
}

/**
 * n zeros to hold a float32 parameter for its model's life: on the native backend 64-byte aligned (its
 * batch-1 dot products read aligned weight rows ~1.4x faster: W4's step 2.5 vs 3.5 µs,
 * bench/w4-kernel.c; the bits are the same either way), elsewhere a plain Float32Array.
 */
export function paramStorage(n: number): Float32Array {
  return storage(n);
}

/** The backend in use, why (fallback reason), its threads and CPU path — for `recur info` and logs. */
export function backendInfo(): BackendInfo {
  return { ...info };
}

// Default at import: env RECUR_BACKEND (auto | native | wasm | ref, default auto) and RECUR_NUM_THREADS
// (the addon reads it too; checked here so a bad value fails loudly).
{
  const env = platform.env('RECUR_BACKEND');
  const name = env === undefined || env === '' ? 'auto' : env;
  if (!NAMES.includes(name)) throw new OptionError('RECUR_BACKEND', '"auto", "native", "wasm" or "ref"', `"${name}"`);
  const t = platform.env('RECUR_NUM_THREADS');
  const threads = t === undefined || t === '' ? undefined : checkThreads('RECUR_NUM_THREADS', Number(t));
  setBackend(name as BackendName, name === 'ref' ? {} : { threads });
}
