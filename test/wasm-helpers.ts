/**
 * Shared by the wasm tests: the kernels as loaded by the Node loader (wasm/recur.wasm, or the file in
 * RECUR_WASM_FILE), and the skip rule: without a built .wasm the tests are skipped with the reason,
 * except when RECUR_WASM_STRICT=1 (CI, which builds it in `npm ci`): then they fail.
 */
import { loadWasm } from '../src/kernels/wasm/node.js';
import type { Backend } from '../src/kernels/backend.js';
import type { WasmExports } from '../src/kernels/wasm/heap.js';
import { refBackend } from '../src/kernels/ref/index.js';

const loaded = loadWasm();
export const wasmWhy = 'error' in loaded ? `wasm kernels not available: ${loaded.error}` : '';
/** `skip` option of the wasm tests (false = run; strict mode never skips: the tests then fail). */
export const wasmSkip: string | false = wasmWhy !== '' && process.env.RECUR_WASM_STRICT !== '1' ? wasmWhy : false;
export const wasm: Backend = 'backend' in loaded ? loaded.backend : refBackend;
export const wasmExports: WasmExports | null = 'exports' in loaded ? loaded.exports : null;
/** Throws the load error (strict mode without a .wasm) so the first test reports it. */
export function needWasm(): void {
  if (wasmWhy !== '') throw new Error(wasmWhy);
}
