/**
 * Instances of the wasm kernels: the single-thread build (wasm/recur.wasm, its own memory) or the threaded
 * build (wasm/recur-mt.wasm: one shared WebAssembly.Memory, the module instantiated once in this thread
 * and once in each worker). Platform-neutral: the caller passes `spawn`, which starts a worker running
 * WORKER_SOURCE with the init message (src/kernels/wasm/node.ts: worker_threads; platform-browser.ts: a
 * Web Worker from a Blob URL).
 *
 * A worker sets its instance's stack pointer and TLS block (both carved from the shared heap here), then
 * parks in rc_wasm_worker() for good (native/wasm/pool_threads.c): the C pool hands it tasks through
 * atomics on the shared memory, with no message per call. Workers are never waited for: a job that
 * starts before a worker is ready is run by the others (the caller always takes part).
 */
import { BackendError } from '../../util/errors.js';
import type { WasmExports } from './heap.js';

/** The threaded build's memory in 64 KiB pages (tools/build-wasm.mjs MT_MEMORY: the same numbers). */
export const MT_MEMORY = { initial: 256, maximum: 32768 } as const;
/** Each worker's stack (the link's -z stack-size: the kernels keep small tiles on the stack). */
const STACK_BYTES = 1 << 20;

/** What a worker gets: the compiled module, the shared memory, its stack top and TLS block. */
export interface WorkerInit { module: WebAssembly.Module; memory: WebAssembly.Memory; stack: number; tls: number }
/** Start one worker running WORKER_SOURCE and hand it `init`; returns something that can be terminated. */
export type Spawn = (source: string, init: WorkerInit) => { terminate(): unknown };

/** The worker's script, for both Web Workers (message) and worker_threads (workerData). */
export const WORKER_SOURCE = `
const start = (d) => {
  const ex = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  ex.__stack_pointer.value = d.stack;
  ex.__wasm_init_tls(d.tls);
  ex.rc_wasm_worker();
};
if (typeof WorkerGlobalScope !== 'undefined') self.onmessage = (e) => start(e.data);
else start(require('node:worker_threads').workerData);
`;

/** Exports of the threaded build beyond WasmExports. */
interface MtExports extends WasmExports {
  __stack_pointer: WebAssembly.Global;
  __wasm_init_tls(p: number): void;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
}

/** Whether `mod` is the threaded build (it imports its memory; the single-thread build imports nothing). */
export function isThreadedModule(mod: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(mod).some((i) => i.kind === 'memory');
}

/** maxThreads: this thread + the workers started (1 for the single-thread build). */
export interface Instantiated { exports: WasmExports; maxThreads: number; stop(): void }

/**
 * Instantiate `mod`; for the threaded build also start `threads - 1` workers through `spawn` (none when
 * threads <= 1 or spawn is absent: the pool then runs every task in this thread).
 */
export function instantiate(mod: WebAssembly.Module, threads: number, spawn?: Spawn): Instantiated {
  if (!isThreadedModule(mod)) {
    const ex = new WebAssembly.Instance(mod, {}).exports as unknown as WasmExports;
    return { exports: ex, maxThreads: 1, stop: () => {} };
  }
  const memory = new WebAssembly.Memory({ ...MT_MEMORY, shared: true });
  const raw = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as MtExports;
  const ex: MtExports = { ...raw, memory };
  const block = (stack: number): { stack: number; tls: number } => {
    const tlsBytes = (raw.__tls_size.value as number + 63) & ~63;
    const base = ex.rc_malloc(tlsBytes + stack);
    if (base === 0) throw new BackendError('wasm', 'memory for a thread\'s stack and TLS', 'rc_malloc failed');
    return { tls: base, stack: base + tlsBytes + stack };
  };
  // This thread's TLS too (its stack is the module's own): the instance starts with its TLS base at 0.
  ex.__wasm_init_tls(block(0).tls);
  const n = spawn ? Math.max(1, Math.floor(threads)) : 1;
  const workers = Array.from({ length: n - 1 }, () => spawn!(WORKER_SOURCE, { module: mod, memory, ...block(STACK_BYTES) }));
  ex.rc_set_threads(n);
  return {
    exports: ex,
    maxThreads: n,
    stop: () => {
      ex.rc_set_threads(1);
      for (const w of workers) void w.terminate();
    },
  };
}
