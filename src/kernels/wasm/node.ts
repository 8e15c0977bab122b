/**
 * Node loader of the wasm kernels: wasm/recur-mt.wasm (threads: worker_threads on one shared memory,
 * ./threads.ts; small calls on wasm/recur.wasm beside it) when more than one thread is wanted and it was
 * built, else wasm/recur.wasm — or their -relaxed builds where the engine runs relaxed SIMD (./relaxed.ts:
 * Node 20 with --experimental-wasm-relaxed-simd); all in the
 * package root (built by tools/build-wasm.mjs at `npm install` / `npm pack` time; the same place from
 * src/ and dist/, three folders up from here), or env RECUR_WASM_FILE (any build). Threads: env
 * RECUR_NUM_THREADS, default the available cores. Compiled synchronously (Node allows it for any size), once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { wasmBackendFromModule, type WasmKernels } from './backend.js';
import type { Spawn } from './threads.js';
import { relaxedSimd } from './relaxed.js';

export function wasmFilePath(threaded = false, relaxed = relaxedSimd()): string {
  const env = process.env.RECUR_WASM_FILE;
  const name = `${threaded ? 'recur-mt' : 'recur'}${relaxed ? '-relaxed' : ''}.wasm`;
  return env ? resolve(env) : fileURLToPath(new URL(`../../../wasm/${name}`, import.meta.url));
}

/** A worker_threads Worker that does not keep the process alive (it parks in the kernels for good). */
export const spawnNodeWorker: Spawn = (source, init) => {
  const w = new Worker(source, { eval: true, workerData: init });
  w.unref();
  return w;
};

function wantedThreads(): number {
  const t = Number(process.env.RECUR_NUM_THREADS || availableParallelism());
  return Number.isInteger(t) && t >= 1 ? t : 1;
}

let cached: (WasmKernels & { file: string }) | { error: string } | undefined;

/** Load the kernels once; never throws: `{ error }` with the reason in one line. */
export function loadWasm(): (WasmKernels & { file: string }) | { error: string } {
  if (cached) return cached;
  const threads = wantedThreads();
  const mt = wasmFilePath(true);
  const file = threads > 1 && existsSync(mt) ? mt : wasmFilePath();
  if (!existsSync(file)) {
    cached = { error: `not built (${file} not found); build it with \`node tools/build-wasm.mjs\`` };
    return cached;
  }
  try {
    const single = file === mt && existsSync(wasmFilePath()) ? new WebAssembly.Module(readFileSync(wasmFilePath())) : undefined;
    cached = { ...wasmBackendFromModule(new WebAssembly.Module(readFileSync(file)), threads, spawnNodeWorker, single), file };
  } catch (e) {
    cached = { error: `${file} failed to load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  return cached;
}
