/**
 * recur in a browser bundle: what `import … from 'recur'` resolves to under the "browser" export
 * condition (Vite, esbuild, webpack). The platform-neutral part of ./index.ts — tensors, autograd, ops,
 * nn, optimizers, batching and encodings, metrics, synthetic tasks, analysis — plus initWasm(). No Node
 * built-in is reachable from here: the kernels' platform is ./kernels/platform-browser.ts (package.json
 * "browser" field); file I/O, the Trainer's checkpoints, the CLI and the native loader stay in ./index.ts.
 *
 * @example
 *   import { initWasm, LSTM, Adam, F, randn } from 'recur';
 *   await initWasm();                      // fetch + compile wasm/recur.wasm (recur-mt.wasm + workers when
 *                                          // the page is cross-origin isolated), then setBackend('wasm')
 *   const { model } = await fetchCheckpoint('fold-1.member-1.safetensors');   // written by `recur train`
 */
import { setBackend, type Backend } from './kernels/index.js';
import { compileWasm, type WasmOptions, type WasmSource } from './kernels/platform-browser.js';
export type { WasmOptions, WasmSource } from './kernels/platform-browser.js';
import { decodeCheckpoint, type Checkpoint } from './io/checkpoint-format.js';
import { FileError } from './util/errors.js';

export * from './core.js';

/**
 * Compile the wasm kernels (default: the package's wasm/recur.wasm, or wasm/recur-mt.wasm with Web Workers
 * when the page is cross-origin isolated, which the bundler emits as assets; or a URL, bytes or a fetch
 * Response of either build) and select them. `threads`: see WasmOptions. Until then the backend is "ref".
 */
export async function initWasm(source?: WasmSource, opts?: WasmOptions): Promise<Backend> {
  await compileWasm(source, opts);
  return setBackend('wasm');
}

/**
 * Fetch and decode a checkpoint (a `recur train` run's .safetensors file).
 * @throws FileError naming the URL when the fetch fails or answers with an HTTP error; FormatError
 *   naming it when the bytes are not a valid checkpoint (truncated, corrupt, another format).
 */
export async function fetchCheckpoint(url: string | URL, init?: RequestInit): Promise<Checkpoint> {
  const where = String(url);
  const res = await fetch(url, init).catch((e: unknown) => {
    throw new FileError(where, 'a checkpoint to fetch', e instanceof Error ? e.message : String(e));
  });
  if (!res.ok) throw new FileError(where, 'a checkpoint to fetch', `HTTP ${res.status} ${res.statusText}`.trim());
  return decodeCheckpoint(await res.arrayBuffer(), where);
}
