/**
 * Node loader of the wasm kernels: wasm/recur.wasm in the package root (built by tools/build-wasm.mjs at
 * `npm install` / `npm pack` time; the same place from src/ and dist/, three folders up from here), or
 * env RECUR_WASM_FILE. Compiled synchronously (Node allows it for any size), once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmBackendFromModule, type WasmKernels } from './backend.js';

export function wasmFilePath(): string {
  const env = process.env.RECUR_WASM_FILE;
  return env ? resolve(env) : fileURLToPath(new URL('../../../wasm/recur.wasm', import.meta.url));
}

let cached: (WasmKernels & { file: string }) | { error: string } | undefined;

/** Load the kernels once; never throws: `{ error }` with the reason in one line. */
export function loadWasm(): (WasmKernels & { file: string }) | { error: string } {
  if (cached) return cached;
  const file = wasmFilePath();
  if (!existsSync(file)) {
    cached = { error: `not built (${file} not found); build it with \`node tools/build-wasm.mjs\`` };
    return cached;
  }
  try {
    cached = { ...wasmBackendFromModule(new WebAssembly.Module(readFileSync(file))), file };
  } catch (e) {
    cached = { error: `${file} failed to load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  return cached;
}
