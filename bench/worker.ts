/**
 * One recur measurement in its own process (so that peak RSS belongs to one workload), printed
 * as one JSON line on stdout. Started by bench/run.ts; can be run by hand:
 *
 *   npx tsx bench/worker.ts --job W1 --backend auto --warmup 1 --reps 3
 *   npx tsx bench/worker.ts --job peak [--n 2048]     # fp32 GEMM through getBackend().gemm
 *   npx tsx bench/worker.ts --job baseline            # RSS of Node + recur loaded, nothing run
 *   npx tsx bench/worker.ts --job custom --shape '{"cell":"lstm","mode":"train","B":32,"T":10,"I":32,"H":64,"O":32}'
 *                                                     # any training/inference Shape (bench/scaling.ts)
 *
 * Workloads are the peers' (../shared/peers/bench_torch.py, bench/bench_torch_extra.py) in recur's
 * public API, defined once in bench/jobs.ts (which the Chromium bench page runs too); W4 is timed both
 * with LSTMCell and with LSTM.forward on T = 1, and the faster one reported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as recur from '../src/index.js';
import { Rng, manualSeed, randn, getBackend, setBackend, type BackendName } from '../src/index.js';
import { inferStep, inferenceModel, streamCell, streamSeq, trainStep } from './jobs.js';
import { SHAPES, WORKLOADS, type Shape, type WorkloadId } from './workloads.js';

interface Args {
  job: string;
  backend: string;
  warmup: number;
  reps: number;
  n: number; // GEMM size for 'peak'; 0 = automatic
  variant: string; // W4: 'both' | 'cell' | 'seq'
  shape: string; // job 'custom': a Shape as JSON
}

function parseArgs(argv: string[]): Args {
  const a: Args = { job: 'W1', backend: 'auto', warmup: 1, reps: 3, n: 0, variant: 'both', shape: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    const v = argv[i + 1] ?? '';
    if (k === 'job' || k === 'backend' || k === 'variant' || k === 'shape') a[k] = v;
    else if (k === 'warmup' || k === 'reps' || k === 'n') a[k] = Number(v);
    else throw new Error(`worker: unknown option --${k}`);
  }
  return a;
}

/** CPU seconds (all threads of the process) of each timed repetition of the last timeReps call. */
let repCpu: number[] = [];
/** Run-queue delay of each repetition: seconds the threads that did the work (ran >= 10 % of the repetition:
 * the caller and the pool's workers, not V8's helpers) were runnable while another task had the core (other
 * tenants on a shared machine), summed over those threads; empty without /proc. With n such threads,
 * idle = n·wall - CPU - delay is the time one of them slept (waiting for another, or for a wake-up). */
let repDelay: number[] = [];

/** Per thread id: [ran, waited] seconds so far (/proc/self/task/<tid>/schedstat), or null without /proc. */
function schedStats(): Map<string, [number, number]> | null {
  try {
    const m = new Map<string, [number, number]>();
    for (const t of readdirSync('/proc/self/task')) {
      try {
        const [run, wait] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map(Number);
        m.set(t, [run! / 1e9, wait! / 1e9]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return m;
  } catch {
    return null;
  }
}

function workerDelay(before: Map<string, [number, number]>, after: Map<string, [number, number]>, wall: number): number {
  let d = 0;
  for (const [t, [run, wait]] of after) {
    const [run0, wait0] = before.get(t) ?? [0, 0];
    if (run - run0 >= 0.1 * wall) d += wait - wait0;
  }
  return d;
}

function timeReps(fn: () => void, warmup: number, reps: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  repCpu = [];
  repDelay = [];
  for (let i = 0; i < reps; i++) {
    const s0 = schedStats();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    repCpu.push((c.user + c.system) / 1e6);
    const s1 = schedStats();
    if (s0 && s1) repDelay.push(workerDelay(s0, s1, ts[i]!));
  }
  return ts;
}

/** Peak resident set: getrusage's ru_maxrss and /proc/self/status VmHWM, both in KiB. */
function memory(): { max_rss_kb: number; vmhwm_kb: number | null } {
  let vmhwm: number | null = null;
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) vmhwm = Number(m[1]);
  } catch {
    vmhwm = null;
  }
  return { max_rss_kb: process.resourceUsage().maxRSS, vmhwm_kb: vmhwm };
}

function train(s: Shape, a: Args): Record<string, unknown> {
  const step = trainStep(s), losses: number[] = [];
  const times_s = timeReps(() => void losses.push(step()), a.warmup, a.reps);
  return { times_s, seqs_per_rep: s.B, loss_first: losses[0], loss_last: losses[losses.length - 1] };
}

function infer(s: Shape, a: Args): Record<string, unknown> {
  const run = inferStep(inferenceModel(s), randn([s.T, s.B, s.I], new Rng(0)));
  let checksum = 0;
  const times_s = timeReps(() => {
    const y = run();
    checksum = y.data[y.size - 1]!;
  }, a.warmup, a.reps);
  return { times_s, seqs_per_rep: s.B, checksum };
}

function stream(s: Shape, a: Args): Record<string, unknown> {
  const xs = randn([s.T, s.I], new Rng(3)).data as Float32Array, model = inferenceModel(s);
  const variants: Record<string, number[]> = {};
  if (a.variant === 'both' || a.variant === 'cell') variants['LSTMCell'] = timeReps(streamCell(model, xs, s.T), a.warmup, a.reps);
  if (a.variant === 'both' || a.variant === 'seq') variants['LSTM.forward(T=1)'] = timeReps(streamSeq(model, xs, s.T), a.warmup, a.reps);
  const med = (ts: number[]): number => [...ts].sort((p, q) => p - q)[ts.length >> 1]!;
  const best = Object.entries(variants).sort((p, q) => med(p[1]) - med(q[1]))[0]!;
  return { times_s: best[1], steps_per_rep: s.T, variant: best[0], variants };
}

/** fp32 GEMM C = A·B (n×n) through the backend, on as many threads as the backend uses. */
function peak(a: Args): Record<string, unknown> {
  const isRef = getBackend().name === 'ref';
  const n = a.n > 0 ? a.n : isRef ? 512 : 2048;
  const rng = new Rng(1);
  const A = randn([n, n], rng).data;
  const B = randn([n, n], rng).data;
  const C = new Float32Array(n * n);
  const gemm = (): void =>
    getBackend().gemm({ transA: false, transB: false, M: n, N: n, K: n, alpha: 1, A, lda: n, B, ldb: n, beta: 0, C, ldc: n });
  const times_s = timeReps(gemm, a.warmup, a.reps);
  return { times_s, n, flop_per_rep: 2 * n ** 3, sized_down: a.n <= 0 && isRef };
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  manualSeed(0);
  setBackend(a.backend as BackendName);
  const cpu0 = process.cpuUsage();
  let rec: Record<string, unknown>;
  if (a.job === 'baseline') rec = {};
  else if (a.job === 'peak') rec = peak(a);
  else if (a.job === 'custom' || (WORKLOADS as readonly string[]).includes(a.job)) {
    const s = a.job === 'custom' ? (JSON.parse(a.shape) as Shape) : SHAPES[a.job as WorkloadId];
    rec = s.mode === 'train' ? train(s, a) : s.mode === 'infer' ? infer(s, a) : stream(s, a);
  } else throw new Error(`worker: unknown job "${a.job}" (${WORKLOADS.join(', ')}, custom, peak, baseline)`);
  const cpu = process.cpuUsage(cpu0);
  const info = (recur as unknown as Record<string, unknown>)['backendInfo'];
  console.log(JSON.stringify({
    peer: 'recur', workload: a.job, backend: getBackend().name,
    backend_info: typeof info === 'function' ? (info as () => unknown)() : null,
    threads_env: process.env['RECUR_NUM_THREADS'] ?? null,
    ...rec, cpu_s: (cpu.user + cpu.system) / 1e6, cpu_times_s: repCpu, delay_times_s: repDelay, ...memory(),
  }));
}

try {
  main();
} catch (e) {
  // One JSON line with the reason, so the driver can print it (e.g. an unavailable backend).
  console.log(JSON.stringify({ peer: 'recur', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
  process.exit(1);
}
