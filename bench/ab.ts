/**
 * A/B of two builds of the native addon (or of the wasm kernels: .wasm files, RECUR_WASM_FILE, run with
 * --experimental-wasm-relaxed-simd so that the relaxed-SIMD builds load in Node 20) on the benchmark
 * workloads: each round runs, per workload,
 * bench/worker.ts once with RECUR_NATIVE_ADDON = A and once with B (the order alternating between
 * rounds), so that load drifts on a shared machine hit both alike. Reports, per workload and build,
 * the median over all timed repetitions of wall time and of CPU time (all threads of the process,
 * per repetition), and B's speed-up over A: the ratio of the medians and the spread of the
 * per-round ratios. Not part of the test suite.
 *
 *   cp build/Release/recur_native.node /tmp/main.node          # on main's build
 *   npx tsx bench/ab.ts --a /tmp/main.node --b build/Release/recur_native.node \
 *                       --workloads W1,W2,W5 [--rounds 5] [--reps 10] [--warmup 3] [--threads 2]
 *   npx tsx bench/ab.ts --a wasm/recur.wasm --b wasm/recur-relaxed.wasm --workloads W5 --threads 1
 *
 * --a / --b may also name a checkout folder (with its node_modules and build/): its own bench/worker.ts,
 * src/ and addon then run, to compare changes that are not only in the addon (e.g.
 * `git archive main | tar -x -C /tmp/A`, node_modules linked, build/ copied).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runProcess } from './proc.js';
import { SHAPES, WORKLOADS, figureOf, median, unitOf, type WorkloadId } from './workloads.js';

const ROOT = resolve(import.meta.dirname, '..');
const WORKER = join(ROOT, 'bench', 'worker.ts');
const TSX = import.meta.resolve('tsx');

interface Opts { a: string; b: string; workloads: WorkloadId[]; rounds: number; reps: number; warmup: number; threads: number }

function cli(): Opts {
  const { values: v } = parseArgs({
    options: {
      a: { type: 'string' }, b: { type: 'string' }, workloads: { type: 'string', default: 'W1,W2,W5' },
      rounds: { type: 'string', default: '5' }, reps: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' },
      threads: { type: 'string', default: String(availableParallelism()) },
    },
  });
  const int = (s: string, name: string): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: an integer >= 1, got "${s}"`);
    return n;
  };
  for (const k of ['a', 'b'] as const) {
    if (!v[k] || !existsSync(v[k]!)) throw new Error(`--${k}: an existing .node or .wasm file or a checkout folder, got "${v[k] ?? ''}"`);
  }
  const workloads = v.workloads!.split(',').map((w) => w.trim().toUpperCase());
  for (const w of workloads) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`--workloads: unknown "${w}"`);
  return {
    a: resolve(v.a!), b: resolve(v.b!), workloads: workloads as WorkloadId[], rounds: int(v.rounds!, 'rounds'),
    reps: int(v.reps!, 'reps'), warmup: int(v.warmup!, 'warmup'), threads: int(v.threads!, 'threads'),
  };
}

interface Rep { wall: number[]; cpu: number[] }

async function measure(o: Opts, addon: string, w: WorkloadId): Promise<Rep> {
  const dir = statSync(addon).isDirectory() ? addon : null; // a checkout: its own worker, sources and build
  const wasm = !dir && addon.endsWith('.wasm');
  const env: Record<string, string> = { RECUR_NUM_THREADS: String(o.threads) };
  if (!dir) env[wasm ? 'RECUR_WASM_FILE' : 'RECUR_NATIVE_ADDON'] = addon;
  const args = [...(wasm ? ['--experimental-wasm-relaxed-simd'] : []), '--import', TSX, dir ? join(dir, 'bench', 'worker.ts') : WORKER, '--job', w,
    '--backend', wasm ? 'wasm' : 'native', '--warmup', String(o.warmup), '--reps', String(o.reps)];
  const r = await runProcess(process.execPath, args, { env, cwd: dir ?? ROOT, timeoutS: 1800 });
  const rec = r.rec;
  if (!rec || typeof rec['error'] === 'string' || !Array.isArray(rec['times_s'])) {
    throw new Error(`${w} with ${addon}: ${String(rec?.['error'] ?? r.error ?? `exit ${r.rc}`)}`);
  }
  // W4 times two variants and reports the faster; cpu_times_s belongs to the last one, so it is not used.
  const cpu = SHAPES[w].mode === 'stream' ? [] : ((rec['cpu_times_s'] as number[] | undefined) ?? []);
  return { wall: rec['times_s'] as number[], cpu };
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main(): Promise<void> {
  const o = cli();
  console.log(`A = ${o.a}\nB = ${o.b}\nthreads ${o.threads}, ${o.rounds} rounds × ${o.reps} reps (warmup ${o.warmup}); load average at start ${load()}`);
  const runs = new Map<string, Rep[]>();
  const key = (w: WorkloadId, ab: 'A' | 'B'): string => `${w}${ab}`;
  for (let round = 0; round < o.rounds; round++) {
    for (const w of o.workloads) {
      const order: ('A' | 'B')[] = round % 2 ? ['B', 'A'] : ['A', 'B'];
      for (const ab of order) {
        const rep = await measure(o, ab === 'A' ? o.a : o.b, w);
        runs.set(key(w, ab), [...(runs.get(key(w, ab)) ?? []), rep]);
      }
    }
  }
  console.log(`load average at end ${load()}\n`);
  console.log('| workload | A wall | B wall | B/A speed (medians) | per-round B/A min..max | A CPU/rep | B CPU/rep | B/A CPU speed |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const w of o.workloads) {
    const s = SHAPES[w];
    const [A, B] = [runs.get(key(w, 'A'))!, runs.get(key(w, 'B'))!];
    const all = (rs: Rep[], f: 'wall' | 'cpu'): number[] => rs.flatMap((r) => r[f]);
    const fig = (sec: number): string => `${figureOf(s, sec, {}).toFixed(unitOf(s) === 'seq/s' ? 0 : 2)} ${unitOf(s)}`;
    const speed = (ta: number, tb: number): number => ta / tb; // time ratio: > 1 means B is faster
    const rounds = A.map((r, i) => speed(median(r.wall), median(B[i]!.wall))).sort((p, q) => p - q);
    const [wa, wb, ca, cb] = [median(all(A, 'wall')), median(all(B, 'wall')), median(all(A, 'cpu')), median(all(B, 'cpu'))];
    const cpu = (c: number): string => (Number.isFinite(c) ? `${(c * 1e3).toFixed(2)} ms` : '–');
    console.log(`| ${w} | ${fig(wa)} | ${fig(wb)} | ${speed(wa, wb).toFixed(3)}× | ${rounds[0]!.toFixed(2)}..${rounds[rounds.length - 1]!.toFixed(2)} | ${cpu(ca)} | ${cpu(cb)} | ${Number.isFinite(ca / cb) ? speed(ca, cb).toFixed(3) + '×' : '–'} |`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
