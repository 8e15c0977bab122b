/**
 * The threaded wasm build (wasm/recur-mt.wasm: shared memory, worker_threads running the C pool's tasks,
 * src/kernels/wasm/threads.ts) against the single-thread build (wasm/recur.wasm), bit for bit: the fused
 * recurrent kernels (forward, saved buffers, every gradient; LSTM with projection, GRU, RNN; variable
 * lengths, masks, reverse) on problems big enough to be cut into batch slices, GEMMs big enough to be
 * split over the pool, and an Adam step split into chunks. The workers must have run some of the tasks
 * (a counter in native/wasm/pool_threads.c). Also with the single-thread build beside it taking the calls
 * too small to split (src/kernels/wasm/backend.ts bySize), as the loaders set it up. The PyTorch golden fixtures, interop fixtures and gradient
 * checks on the threaded build: test/wasm-suites.test.ts (run with RECUR_NUM_THREADS=3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { GemmArgs } from '../src/kernels/backend.js';
import { wasmBackendFromModule, type WasmKernels } from '../src/kernels/wasm/backend.js';
import { spawnNodeWorker, wasmFilePath } from '../src/kernels/wasm/node.js';
import { isThreadedModule } from '../src/kernels/wasm/threads.js';
import { Rng } from '../src/util/rng.js';
import { backward, forward, gradBuffers, setup, upstream, type Bufs, type Cfg } from './recurrent-kernel-cases.js';
import { wasmSkip } from './wasm-helpers.js';

const mtFile = wasmFilePath(true);
const skip = wasmSkip || (!existsSync(mtFile) && process.env.RECUR_WASM_STRICT !== '1' ? `${mtFile} not built` : false);
const mod = (file: string): WebAssembly.Module => new WebAssembly.Module(readFileSync(file));
const load = (file: string, threads: number, single?: string): WasmKernels => wasmBackendFromModule(mod(file), threads, spawnNodeWorker, single ? mod(single) : undefined);

function sameBits(got: Bufs, want: Bufs, what: string): void {
  for (const k of Object.keys(want)) {
    const w = want[k]!, g = got[k]!;
    if (w === null) { assert.equal(g, null, `${what} ${k}`); continue; }
    for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) assert.fail(`${what} ${k}[${i}]: threaded ${g[i]} != one thread ${w[i]}`);
  }
}

// work = T·B·G·(Hout + I) >= 2^20 in each, so the kernels cut the batch into slices (native/recurrent_plan.c).
const CASES: Cfg[] = [
  { kind: 'lstm', T: 9, B: 37, I: 21, H: 70, P: 24, lengths: Array.from({ length: 37 }, (_, b) => 1 + ((b * 5) % 9)), maskH: true, seed: 5 },
  { kind: 'gru', T: 8, B: 40, I: 33, H: 64, reverse: true, maskX: true, seed: 6 },
  { kind: 'rnn', T: 12, B: 48, I: 40, H: 96, relu: true, lengths: Array.from({ length: 48 }, (_, b) => 12 - (b % 4)), seed: 7 },
];

for (const hybrid of [false, true]) {
  test(`threaded wasm${hybrid ? ' + the single-thread build for small calls' : ''} = single-thread wasm, bit for bit; the workers take part`, { skip, timeout: 120_000 }, () => {
    const one = load(wasmFilePath(false), 1), mt = load(mtFile, 3, hybrid ? wasmFilePath(false) : undefined);
    try {
      assert.equal(isThreadedModule(new WebAssembly.Module(readFileSync(mtFile))), true);
      assert.equal(one.maxThreads, 1);
      assert.equal(mt.maxThreads, 3);
      assert.equal(mt.threads(), 3);
      const ex = mt.exports as unknown as { rc_wasm_worker_tasks(): number };
      const before = ex.rc_wasm_worker_tasks();
      for (const cfg of CASES) {
        const inp = setup(cfg), up = upstream(cfg.kind, inp, 3);
        const want = forward(one.backend, cfg.kind, inp), got = forward(mt.backend, cfg.kind, inp);
        sameBits(got, want, `${cfg.kind} forward`);
        const gWant = gradBuffers(cfg.kind, inp, 0.25), gGot = gradBuffers(cfg.kind, inp, 0.25);
        backward(one.backend, cfg.kind, inp, want, up, gWant);
        backward(mt.backend, cfg.kind, inp, want, up, gGot);
        sameBits(gGot, gWant, `${cfg.kind} backward`);
      }
      const rng = new Rng(9), rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
      for (const [transA, transB, M, N, K] of [[false, false, 300, 260, 200], [true, true, 97, 411, 130], [false, true, 5, 900, 301]] as const) {
        const A = rand(M * K), B = rand(K * N), C0 = rand(M * N);
        const args = (C: Float32Array): GemmArgs => ({ transA, transB, M, N, K, alpha: 0.7, A, lda: transA ? M : K, B, ldb: transB ? K : N, beta: 0.5, C, ldc: N });
        const want = C0.slice(), got = C0.slice();
        one.backend.gemm(args(want));
        mt.backend.gemm(args(got));
        sameBits({ C: got }, { C: want }, `gemm ${transA} ${transB} ${M}x${N}x${K}`);
      }
      const n = 1 << 20, p = rand(n), g = rand(n);
      const step = (be: WasmKernels): Float32Array => {
        const q = p.slice();
        be.backend.adamStep({ p: q, g, m: new Float32Array(n), v: new Float32Array(n), vmax: null, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, maximize: false, stepSize: 1e-3, bc2Sqrt: 0.0447 });
        return q;
      };
      sameBits({ p: step(mt) }, { p: step(one) }, 'adam');
      // Small calls (the hybrid sends them to the single-thread instance): a streamed step, a small GEMM.
      const small = setup({ kind: 'lstm', T: 1, B: 1, I: 32, H: 128, seed: 8 });
      sameBits(forward(mt.backend, 'lstm', small, true), forward(one.backend, 'lstm', small, true), 'streamed step');
      // A worker may wake late on a loaded machine: repeat a sliced call until one took a task (or give up).
      const inp = setup(CASES[0]!);
      for (let i = 0; i < 200 && ex.rc_wasm_worker_tasks() === before; i++) forward(mt.backend, 'lstm', inp, true);
      assert.ok(ex.rc_wasm_worker_tasks() > before, 'no task ran on a worker');
      // Capped at the threads started; 1 = everything in this thread.
      mt.setThreads(8);
      assert.equal(mt.threads(), 3);
      mt.setThreads(1);
      sameBits(forward(mt.backend, 'gru', setup(CASES[1]!)), forward(one.backend, 'gru', setup(CASES[1]!)), 'gru on 1 thread');
    } finally {
      mt.stop();
    }
  });
}
