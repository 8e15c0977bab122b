/**
 * Builds of the wasm kernels side by side in one process, on one thread: a GEMM (M = N = 384, K = 1024,
 * 4 calls), W5's forward (LSTM T 100, B 64, I 128, H 256 + Linear head, inference) and 500 of W4's
 * streamed steps (LSTM.forward on T = 1, batch 1, I 32, H 128 + head: bench/jobs.ts), each build in
 * turn (the order reversed every other repetition), CPU time per call (process.cpuUsage: on a shared
 * machine it moves far less with other load than wall time). Prints medians with min–max, GEMM
 * GFLOP per CPU-second, each build's largest output difference from the first, and /proc/loadavg.
 * Run with --experimental-wasm-relaxed-simd so that Node 20 compiles the relaxed-SIMD builds.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/wasm-ab.ts [--reps 9] wasm/recur.wasm wasm/recur-relaxed.wasm
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LSTM, Linear, Rng, noGrad, randn, setBackend, type Backend } from '../src/index.js';
import { wasmBackendFromModule } from '../src/kernels/wasm/backend.js';
import { SHAPES, median } from './workloads.js';
import { inferenceModel, streamSeq } from './jobs.js';

const { values: v, positionals: files } = parseArgs({ options: { reps: { type: 'string', default: '9' } }, allowPositionals: true });
const reps = Number(v.reps);
if (files.length < 1 || !Number.isInteger(reps) || reps < 1) throw new Error('usage: bench/wasm-ab.ts [--reps N] A.wasm [B.wasm …]');
const kits = files.map((f) => wasmBackendFromModule(new WebAssembly.Module(readFileSync(f)), 1));

const n = 384, k = 1024, rng = new Rng(0);
const A = randn([n, k], rng).data as Float32Array, B = randn([k, n], rng).data as Float32Array, C = new Float32Array(n * n);
const gemm = (be: Backend) => (): void => {
  for (let r = 0; r < 4; r++) be.gemm({ transA: false, transB: false, M: n, N: n, K: k, alpha: 1, A, lda: k, B, ldb: n, beta: 0, C, ldc: n });
};
const x = randn([100, 64, 128], rng), lstm = new LSTM(128, 256, { rng }).eval(), head = new Linear(256, 128, { rng }).eval();
const w4 = streamSeq(inferenceModel(SHAPES.W4), randn([500, SHAPES.W4.I], rng).data as Float32Array, 500);
const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e3;
};

const times = { gemm: files.map((): number[] => []), w5: files.map((): number[] => []), w4: files.map((): number[] => []) };
const outs: Float32Array[] = [];
for (let rep = 0; rep <= reps; rep++) { // rep 0 warms up
  for (let i = 0; i < kits.length; i++) {
    const j = rep % 2 ? kits.length - 1 - i : i, be = kits[j]!.backend;
    const g = cpuMs(gemm(be));
    setBackend(be);
    const w = cpuMs(() => { outs[j] = noGrad(() => head.forward(lstm.forward(x).output)).data as Float32Array; });
    const s = cpuMs(w4);
    if (rep > 0) { times.gemm[j]!.push(g); times.w5[j]!.push(w); times.w4[j]!.push(s); }
  }
}
const gflop = (4 * 2 * n * n * k) / 1e9;
for (const [i, f] of files.entries()) {
  const s = (t: number[]): string => `${median(t).toFixed(1)} ms (${Math.min(...t).toFixed(1)}–${Math.max(...t).toFixed(1)})`;
  const diff = outs[i]!.reduce((m, y, t) => Math.max(m, Math.abs(y - outs[0]![t]!)), 0);
  console.log(`${f} [${kits[i]!.cpuPath}]: GEMM ${s(times.gemm[i]!)} = ${(gflop / (median(times.gemm[i]!) / 1e3)).toFixed(1)} GFLOP/cpu-s; W5 forward ${s(times.w5[i]!)}; W4 500 steps ${s(times.w4[i]!)}; max |W5 out − first build's| ${diff.toExponential(2)}`);
}
console.log(`CPU ms per call, medians (min–max) of ${reps}; /proc/loadavg ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
