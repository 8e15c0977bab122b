/**
 * The browser's ./platform.ts (package.json "browser" field maps one to the other): no native addon,
 * the wasm kernels once `initWasm()` (src/browser.ts) compiled them (fetch + WebAssembly.compile), no
 * environment, console.warn.
 */
import type { Platform, WasmHandle, NativeHandle } from './platform.js';
import { wasmBackendFromModule, type WasmKernels } from './wasm/backend.js';
import type { Spawn } from './wasm/threads.js';
import { relaxedSimd } from './wasm/relaxed.js';

let wasm: WasmKernels | null = null;

export type WasmSource = string | URL | ArrayBuffer | Uint8Array<ArrayBuffer> | Response;

export interface WasmOptions {
  /**
   * Threads (this one + Web Workers on one shared memory, the threaded build wasm/recur-mt.wasm). Default:
   * navigator.hardwareConcurrency when the page is cross-origin isolated (SharedArrayBuffer needs it),
   * else 1 (the single-thread build wasm/recur.wasm).
   */
  threads?: number;
  /**
   * Load the relaxed-SIMD builds (wasm/recur-relaxed.wasm, recur-mt-relaxed.wasm: FMA in the GEMM
   * micro-kernel; results differ from the plain builds' in the last bits). Default: where the engine
   * validates relaxed SIMD (Chromium ≥ 114). Only for the default files (no `source`).
   */
  relaxedSimd?: boolean;
}

/** A Web Worker running `source` from a Blob URL (no file for a bundler to find), told `init` by message. */
const spawnWebWorker: Spawn = (source, init) => {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const w = new Worker(url);
  w.onerror = (e) => console.error(`recur: a wasm worker failed (${e.message}); its share of the work runs on the others`);
  w.postMessage(init);
  URL.revokeObjectURL(url);
  return w;
};

async function compile(src: WasmSource): Promise<WebAssembly.Module> {
  if (src instanceof ArrayBuffer || src instanceof Uint8Array) return WebAssembly.compile(src);
  const res = src instanceof Response ? src : await fetch(src);
  return typeof WebAssembly.compileStreaming === 'function' && res.headers.get('content-type') === 'application/wasm'
    ? WebAssembly.compileStreaming(res) : WebAssembly.compile(await res.arrayBuffer());
}

/** The package's builds; literal URLs, which a bundler copies and rewrites. */
function defaultUrl(threaded: boolean, relaxed: boolean): URL {
  if (relaxed) return threaded ? new URL('../../wasm/recur-mt-relaxed.wasm', import.meta.url) : new URL('../../wasm/recur-relaxed.wasm', import.meta.url);
  return threaded ? new URL('../../wasm/recur-mt.wasm', import.meta.url) : new URL('../../wasm/recur.wasm', import.meta.url);
}

/**
 * Compile and instantiate the wasm kernels (default: wasm/recur-mt.wasm and wasm/recur.wasm for the
 * small calls when threads > 1, else wasm/recur.wasm of the package, or their -relaxed builds (see
 * WasmOptions); `source` may be any build). The browser entry's initWasm() calls it, then
 * setBackend('wasm'). A second call stops the previous instance's workers.
 */
export async function compileWasm(source?: WasmSource, opts: WasmOptions = {}): Promise<WasmKernels> {
  const k = await loadWasmKernels(source, opts);
  wasm?.stop();
  wasm = k;
  return k;
}

/** compileWasm without making them the platform's kernels (bench/browser runs two builds side by side). */
export async function loadWasmKernels(source?: WasmSource, opts: WasmOptions = {}): Promise<WasmKernels> {
  const isolated = typeof crossOriginIsolated === 'boolean' && crossOriginIsolated && typeof SharedArrayBuffer === 'function';
  const threads = Math.max(1, Math.floor(opts.threads ?? (isolated ? navigator.hardwareConcurrency || 1 : 1)));
  const relaxed = opts.relaxedSimd ?? relaxedSimd();
  const mt = source === undefined && threads > 1 && isolated;
  // Threaded: the single-thread build too, for the calls too small to split (../wasm/backend.ts bySize).
  const [mod, single] = await Promise.all([compile(source ?? defaultUrl(mt, relaxed)), mt ? compile(defaultUrl(false, relaxed)) : undefined]);
  return wasmBackendFromModule(mod, threads, isolated ? spawnWebWorker : undefined, single);
}

export const platform: Platform = {
  native: (): NativeHandle | { error: string } => ({ error: 'no native addon in a browser' }),
  wasm: (): WasmHandle | { error: string } => wasm ?? { error: 'not compiled yet (await initWasm() first)' },
  // No environment; quiet: a page starts on "ref" until initWasm(), which is no fault to warn about.
  env: (name) => (name === 'RECUR_QUIET' ? '1' : undefined),
  warn: (line) => console.warn(line),
};
