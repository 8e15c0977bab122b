/**
 * GEMM micro-benchmark of the native addon (not a test): GFLOP/s of rc_sgemm through the N-API
 * entry point on a big square problem and on the shapes an RNN layer issues, with 1 and 2
 * threads, next to the FMA-loop peak measured in the same run (so % of peak stays meaningful on a
 * shared, noisy machine).
 *
 *   node --import tsx bench/gemm.ts [--threads 1,2] [--path avx512|avx2|portable] [--quick]
 *
 * Per case: trials of ≥ 30 ms (≥ 1 call), best and median GFLOP/s over the trials; the best is
 * the figure to quote (the machine's quiet moments), the median shows the noise.
 * "GF/cpu-s" = FLOPs per second of process CPU time (all threads): with 1 thread, the kernel's rate
 * while it actually runs, which a busy machine disturbs much less than wall time.
 * FLOPs = 2·M·N·K. Nominal peak (ARCHITECTURE.md): ~155 GFLOP/s per core; "peak" below is the
 * FMA loop measured now on the same threads.
 */
import { loadNative, type NativeAddon, type NativeCpuPath } from '../src/kernels/native/index.js';

interface Shape { name: string; M: number; N: number; K: number; tA: boolean; tB: boolean }

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const threadList = (opt('threads') ?? '1,2').split(',').map(Number);

const loaded = loadNative();
if ('error' in loaded) {
  console.error(`bench/gemm: ${loaded.error}`);
  process.exit(1);
}
const addon: NativeAddon = loaded.addon;
if (opt('path')) addon.setCpuPath(opt('path') as NativeCpuPath);

const SHAPES: Shape[] = [
  { name: 'square 2048³', M: 2048, N: 2048, K: 2048, tA: false, tB: false },
  { name: 'square 1024³', M: 1024, N: 1024, K: 1024, tA: false, tB: false },
  { name: 'rnn 64x1024x384 NN', M: 64, N: 1024, K: 384, tA: false, tB: false },
  { name: 'rnn 64x1024x384 NT', M: 64, N: 1024, K: 384, tA: false, tB: true },
  { name: 'rnn 64x1024x384 TN', M: 64, N: 1024, K: 384, tA: true, tB: false },
  { name: 'rnn 32x512x160 NN', M: 32, N: 512, K: 160, tA: false, tB: false },
  { name: 'rnn 32x512x160 NT', M: 32, N: 512, K: 160, tA: false, tB: true },
  { name: 'rnn 32x512x160 TN', M: 32, N: 512, K: 160, tA: true, tB: false },
  { name: 'W1 step h·Whhᵀ 32x512x128 NT', M: 32, N: 512, K: 128, tA: false, tB: true },
  { name: 'W1 x·Wihᵀ 3200x512x32 NT', M: 3200, N: 512, K: 32, tA: false, tB: true },
  { name: 'W1 dWhh dAᵀ·H 512x128x3200 TN', M: 512, N: 128, K: 3200, tA: true, tB: false },
  { name: 'W2 step 64x1024x256 NT', M: 64, N: 1024, K: 256, tA: false, tB: true },
  { name: 'W2 dx dA·Wih 6400x128x1024 NN', M: 6400, N: 128, K: 1024, tA: false, tB: false },
  { name: 'W4 step 1x512x128 NT', M: 1, N: 512, K: 128, tA: false, tB: true },
  { name: 'W4 [x|h]·Wᵀ 1x512x160 NT (dots)', M: 1, N: 512, K: 160, tA: false, tB: true },
];

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

function run(s: Shape): { best: number; median: number; usPerCall: number; perCpu: number } {
  const { M, N, K, tA, tB } = s;
  const A = rand(M * K), B = rand(K * N), C = new Float32Array(M * N);
  const lda = tA ? M : K, ldb = tB ? K : N;
  const call = (): void => addon.gemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N, null);
  call();
  const flops = 2 * M * N * K;
  const trials = quick ? 5 : flops > 1e10 ? 6 : 25;
  const rates: number[] = [];
  let bestT = Infinity, perCpu = 0;
  for (let t = 0; t < trials; t++) {
    let calls = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let el = 0;
    do {
      call();
      calls++;
      el = performance.now() - t0;
    } while (el < 30);
    const per = el / calls;
    const cpu = process.cpuUsage(c0);
    perCpu = Math.max(perCpu, (flops * calls) / ((cpu.user + cpu.system) * 1e3));
    bestT = Math.min(bestT, per);
    rates.push(flops / (per * 1e6));
  }
  rates.sort((a, b) => a - b);
  return { best: rates[rates.length - 1]!, median: rates[rates.length >> 1]!, usPerCall: bestT * 1000, perCpu };
}

console.log(`recur native gemm — path ${addon.cpuFeatures().path}, ${loaded.file}`);
const rows: string[] = [];
for (const th of threadList) {
  addon.setThreads(th);
  const peak = addon.peakGflops(quick ? 100 : 300);
  console.log(`\nthreads ${addon.getThreads()}: FMA-loop peak now ${peak.toFixed(1)} GFLOP/s (nominal ${155 * th})`);
  console.log('case'.padEnd(34) + 'best GF/s  median  %peak(now)  %nominal  µs/call  GF/cpu-s');
  for (const s of SHAPES) {
    if (quick && s.M * s.N * s.K > 2e9) continue;
    const r = run(s);
    const line = `${s.name.padEnd(34)}${r.best.toFixed(1).padStart(9)}${r.median.toFixed(1).padStart(8)}` +
      `${((100 * r.best) / peak).toFixed(0).padStart(11)}%${((100 * r.best) / (155 * th)).toFixed(0).padStart(9)}%` +
      `${r.usPerCall.toFixed(1).padStart(9)}${r.perCpu.toFixed(1).padStart(10)}`;
    console.log(line);
    rows.push(`${th}\t${s.name}\t${r.best.toFixed(1)}`);
  }
}
// N-API overhead: a 1x1x1 product.
{
  const a = new Float32Array(1), c = new Float32Array(1);
  const n = 200000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) addon.gemm(false, false, 1, 1, 1, 1, a, 0, 1, a, 0, 1, 0, c, 0, 1, null);
  console.log(`\nJS→C gemm call overhead (1x1x1): ${(((performance.now() - t0) / n) * 1000).toFixed(2)} µs`);
}
