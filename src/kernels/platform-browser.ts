/**
 * The browser's ./platform.ts (package.json "browser" field maps one to the other): no native addon,
 * the wasm kernels once `initWasm()` (src/browser.ts) compiled them (fetch + WebAssembly.compile), no
 * environment, console.warn.
 */
import type { Backend } from './backend.js';
import type { NativeHandle, Platform } from './platform.js';
import { wasmBackendFromModule } from './wasm/backend.js';

let wasm: { backend: Backend } | null = null;

/**
 * Compile and instantiate the wasm kernels (default: wasm/recur.wasm of the package, which a bundler
 * copies and rewrites from this URL). The browser entry's initWasm() calls it, then setBackend('wasm').
 */
export async function compileWasm(source?: string | URL | ArrayBuffer | Uint8Array<ArrayBuffer> | Response): Promise<{ backend: Backend }> {
  const src = source ?? new URL('../../wasm/recur.wasm', import.meta.url);
  let mod: WebAssembly.Module;
  if (src instanceof ArrayBuffer || src instanceof Uint8Array) mod = await WebAssembly.compile(src);
  else {
    const res = src instanceof Response ? src : await fetch(src);
    mod = typeof WebAssembly.compileStreaming === 'function' && res.headers.get('content-type') === 'application/wasm'
      ? await WebAssembly.compileStreaming(res) : await WebAssembly.compile(await res.arrayBuffer());
  }
  wasm = wasmBackendFromModule(mod);
  return wasm;
}

export const platform: Platform = {
  native: (): NativeHandle | { error: string } => ({ error: 'no native addon in a browser' }),
  wasm: () => wasm ?? { error: 'not compiled yet (await initWasm() first)' },
  // No environment; quiet: a page starts on "ref" until initWasm(), which is no fault to warn about.
  env: (name) => (name === 'RECUR_QUIET' ? '1' : undefined),
  warn: (line) => console.warn(line),
};
