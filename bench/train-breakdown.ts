/**
 * Where one training step of a workload (bench/jobs.ts trainStep) goes: every method of the native Backend
 * is wrapped with wall and process-CPU timers (CPU = all threads of the process); per method, the median
 * over the timed steps of its per-step total; "JS/other" = the step's median wall minus those medians
 * (autograd, module code, allocation); "faults" = minor page faults of the process (all threads) during
 * the call, median per step. The GEMMs are split by shape (`gemm MxNxK` with op(A), op(B) transposes);
 * "GF/cpu-s" = the call's FLOPs (2·M·N·K; the recurrent forward F = 2·T·B·G·(I+H), its backward F + 2·T·B·G·H:
 * dW_ih, dW_hh and dh, no dx since the jobs' input needs no gradient; single-layer unidirectional shapes only)
 * per CPU second, next to the FMA-loop peak of one thread measured
 * before and after the run (the VM's speed drifts). Not a test; on a shared machine compare CPU columns,
 * efficiencies against that peak and minima, and read /proc/loadavg.
 *
 *   RECUR_NUM_THREADS=2 npx tsx bench/train-breakdown.ts --job W1 [--reps 20] [--warmup 3]
 */
import { parseArgs } from 'node:util';
import { getBackend, setBackend } from '../src/index.js';
import { loadNative } from '../src/kernels/native/index.js';
import { trainStep } from './jobs.js';
import { SHAPES, median, type WorkloadId } from './workloads.js';

const { values: v } = parseArgs({ options: { job: { type: 'string', default: 'W1' }, reps: { type: 'string', default: '20' }, warmup: { type: 'string', default: '3' } } });
setBackend('native');
const be = getBackend() as unknown as Record<string, unknown>;
const shape = SHAPES[v.job as WorkloadId];
const native = loadNative();
if (!('addon' in native)) throw new Error(native.error);
/** FMA-loop GFLOP/s of one thread (peakGflops runs on every pool thread). */
const peak1 = (): number => {
  const n = native.addon.getThreads();
  native.addon.setThreads(1);
  const g = native.addon.peakGflops(300);
  native.addon.setThreads(n);
  return g;
};
const peakBefore = peak1();
/** Per key, FLOPs of one call (0: unknown). */
const flops = new Map<string, number>();
const G = shape.cell === 'lstm' ? 4 : 3, oneLayer = !shape.layers || shape.layers === 1;
function keyOf(k: string, args: unknown[]): string {
  if (k === 'gemm') {
    const g = args[0] as { M: number; N: number; K: number; transA: boolean; transB: boolean };
    const key = `gemm ${g.M}x${g.N}x${g.K}${g.transA ? ' Aᵀ' : ''}${g.transB ? ' Bᵀ' : ''}`;
    flops.set(key, 2 * g.M * g.N * g.K);
    return key;
  }
  const fwd = 2 * shape.T * shape.B * G * shape.H * (shape.I + shape.H);
  if (oneLayer && !shape.bidirectional && /^(lstm|gru)Forward$/.test(k)) flops.set(k, fwd);
  if (oneLayer && !shape.bidirectional && /^(lstm|gru)Backward$/.test(k)) flops.set(k, fwd + 2 * shape.T * shape.B * G * shape.H * shape.H);
  return k;
}
interface Acc { wall: number; cpu: number; n: number; pf: number }
const acc = new Map<string, Acc>();
const perRep: Array<Map<string, Acc>> = [];
const faults = (): number => process.resourceUsage().minorPageFault;
for (const k of Object.keys(be)) {
  const f = be[k];
  if (typeof f !== 'function' || k === 'recurrentWorkspace') continue;
  be[k] = (...args: unknown[]): unknown => {
    const f0 = faults(), c0 = process.cpuUsage(), t0 = performance.now();
    const r = (f as (...a: unknown[]) => unknown).apply(be, args);
    const key = keyOf(k, args), c = process.cpuUsage(c0), e = acc.get(key) ?? { wall: 0, cpu: 0, n: 0, pf: 0 };
    e.wall += performance.now() - t0;
    e.cpu += (c.user + c.system) / 1e3;
    e.pf += faults() - f0;
    e.n++;
    acc.set(key, e);
    return r;
  };
}
const step = trainStep(shape);
const total: Array<{ wall: number; cpu: number; pf: number }> = [];
for (let i = 0; i < Number(v.warmup) + Number(v.reps); i++) {
  acc.clear();
  const f0 = faults(), c0 = process.cpuUsage(), t0 = performance.now();
  step();
  const c = process.cpuUsage(c0);
  if (i < Number(v.warmup)) continue;
  total.push({ wall: performance.now() - t0, cpu: (c.user + c.system) / 1e3, pf: faults() - f0 });
  perRep.push(new Map(acc));
}
const keys = [...new Set(perRep.flatMap((m) => [...m.keys()]))];
const med = (f: (m: Map<string, Acc>) => number, digits = 2): string => median(perRep.map(f)).toFixed(digits);
console.log(`${v.job} threads=${process.env['RECUR_NUM_THREADS'] ?? 'auto'} reps=${v.reps} (medians, ms)`);
console.log('call'.padEnd(26), 'n'.padStart(4), 'wall'.padStart(8), 'cpu'.padStart(8), 'faults'.padStart(8), 'GF/cpu-s'.padStart(9));
let wsum = 0;
for (const k of keys) {
  const n = perRep[0]!.get(k)?.n ?? 0, cpu = median(perRep.map((m) => m.get(k)?.cpu ?? 0)), f = (flops.get(k) ?? 0) * n;
  const gf = f > 0 ? (f / cpu / 1e6).toFixed(0) : '';
  console.log(k.padEnd(26), String(n).padStart(4), med((m) => m.get(k)?.wall ?? 0).padStart(8), cpu.toFixed(2).padStart(8), med((m) => m.get(k)?.pf ?? 0, 0).padStart(8), gf.padStart(9));
  wsum += median(perRep.map((m) => m.get(k)?.wall ?? 0));
}
const tw = median(total.map((t) => t.wall)), tc = median(total.map((t) => t.cpu));
console.log('JS/other'.padEnd(26), ''.padStart(4), (tw - wsum).toFixed(2).padStart(8), ''.padStart(8));
const tf = median(total.map((t) => t.pf));
console.log('step total'.padEnd(26), ''.padStart(4), tw.toFixed(2).padStart(8), tc.toFixed(2).padStart(8), tf.toFixed(0).padStart(8), ` min ${Math.min(...total.map((t) => t.wall)).toFixed(2)} max ${Math.max(...total.map((t) => t.wall)).toFixed(2)}`);
console.log(`FMA-loop peak, 1 thread: ${peakBefore.toFixed(0)} GFLOP/s before, ${peak1().toFixed(0)} after`);
