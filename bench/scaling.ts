/**
 * `npm run bench:scaling` — LSTM training throughput against the hidden size H (64 … 1,024, T = 100)
 * and the sequence length T (10 … 10,000, H = 128), for recur and PyTorch in the same run; writes
 * one SVG chart per sweep (docs/scaling-h.svg, docs/scaling-t.svg) and the table between the
 * `<!-- scaling:begin -->` / `<!-- scaling:end -->` markers of docs/benchmarks.md. Not a test.
 *
 *   npx tsx bench/scaling.ts [--rounds N] [--reps N] [--threads N] [--no-torch] [--quick] [--dry-run]
 *
 * Model and loop are W1's (bench/workloads.ts): 1-layer LSTM, B = 32, I = O = 32, Linear head, MSE,
 * Adam. Every point is a fresh child process (bench/worker.ts --job custom; PyTorch:
 * bench/bench_torch_extra.py), recur then PyTorch at each point of each round; a figure is the
 * median over all timed repetitions of all rounds. Throughput = counted GEMM GFLOP/s (workloads.ts
 * flopPerUnit), so the points of a sweep are comparable with each other.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analysis } from '../src/index.js';
import { runProcess, type ProcResult } from './proc.js';
import { fmt } from './report.js';
import { flopPerUnit, median, type Shape } from './workloads.js';

const ROOT = resolve(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs', 'benchmarks.md');
const BASE: Shape = { cell: 'lstm', mode: 'train', B: 32, T: 100, I: 32, H: 128, O: 32 };
const SWEEPS = {
  H: { values: [64, 128, 256, 512, 1024], shape: (v: number): Shape => ({ ...BASE, H: v }), label: 'hidden size H (T = 100)' },
  T: { values: [10, 100, 1000, 10000], shape: (v: number): Shape => ({ ...BASE, T: v }), label: 'sequence length T (H = 128)' },
} as const;
type Axis = keyof typeof SWEEPS;
type Who = 'recur' | 'torch';

interface Point { axis: Axis; value: number; who: Who; gflops: number[]; seqs: number[]; error: string | null }

function cli(): { rounds: number; reps: number | null; threads: number; torch: boolean; quick: boolean; dry: boolean } {
  const { values: v } = parseArgs({
    options: {
      rounds: { type: 'string', default: '1' }, reps: { type: 'string' }, threads: { type: 'string' },
      'no-torch': { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false },
    },
  });
  const int = (s: string | undefined, name: string): number | null => {
    if (s === undefined) return null;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: an integer ≥ 1, got "${s}"`);
    return n;
  };
  return {
    rounds: int(v.rounds, 'rounds')!, reps: int(v.reps, 'reps'), threads: int(v.threads, 'threads') ?? (Number(process.env['RECUR_NUM_THREADS']) || availableParallelism()),
    torch: !v['no-torch'], quick: v.quick!, dry: v['dry-run']!,
  };
}

/**
 * Repetitions sized to ~1 GFLOP-second of work per point (long T or large H: fewer), after a warm-up of
 * ~40 GFLOP (1–30 steps), recur and PyTorch alike: recur's small steps need ~30 before V8's first
 * collection of external memory stops every step's new arrays from faulting in fresh pages (bench/run.ts
 * recurReps). With one warm-up step the H = 128, T = 100 point (W1's shape) measured 0.99-1.00× PyTorch on
 * the Zen 5 host of stop 16 while the bench's W1 gave 1.33-1.52× in the same hour.
 */
function repsFor(s: Shape, quick: boolean, forced: number | null): { warmup: number; reps: number } {
  const gflop = (flopPerUnit(s) * s.B) / 1e9;
  const warmup = quick ? 1 : Math.max(1, Math.min(30, Math.round(40 / gflop)));
  if (forced) return { warmup, reps: forced };
  const reps = Math.max(2, Math.min(quick ? 3 : 10, Math.round(60 / gflop)));
  return { warmup, reps };
}

function python(): string {
  return process.env['PEERS_PYTHON'] ?? '/tmp/torch2/bin/python';
}

async function measure(who: Who, s: Shape, threads: number, quick: boolean, forced: number | null): Promise<ProcResult> {
  const r = repsFor(s, quick, forced);
  const reps = ['--warmup', String(r.warmup), '--reps', String(r.reps)];
  if (who === 'recur') {
    return runProcess(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'bench', 'worker.ts'), '--job', 'custom',
      '--shape', JSON.stringify(s), ...reps], { env: { RECUR_NUM_THREADS: String(threads) }, cwd: ROOT, timeoutS: 1800 });
  }
  return runProcess(python(), [join(ROOT, 'bench', 'bench_torch_extra.py'), '--workload', 'scaling', '--shape', JSON.stringify(s),
    '--threads', String(threads), ...reps], { cwd: ROOT, timeoutS: 1800 });
}

function chart(axis: Axis, pts: Point[]): string {
  const series = (['recur', 'torch'] as const).map((who) => {
    const mine = pts.filter((p) => p.axis === axis && p.who === who && p.gflops.length);
    return { name: who === 'recur' ? 'recur' : 'PyTorch', x: mine.map((p) => Math.log10(p.value)), y: mine.map((p) => median(p.gflops)) };
  }).filter((s) => s.x.length);
  return analysis.plotSvg({ title: `LSTM training throughput vs ${SWEEPS[axis].label}`, xLabel: `log10 ${axis}`, yLabel: 'GFLOP/s', logY: false, series });
}

function tableOf(pts: Point[], cmd: string, load: string): string {
  const lines = [`Measured with \`${cmd}\` (${load}); medians over all timed repetitions.`, '',
    '| sweep | value | recur seq/s | recur GFLOP/s | PyTorch seq/s | PyTorch GFLOP/s | recur/PyTorch |', '|---|---|---|---|---|---|---|'];
  for (const axis of Object.keys(SWEEPS) as Axis[]) {
    for (const value of SWEEPS[axis].values) {
      const get = (who: Who): Point | undefined => pts.find((p) => p.axis === axis && p.value === value && p.who === who);
      const r = get('recur'), t = get('torch');
      const cell = (p: Point | undefined, k: 'seqs' | 'gflops'): string => (p?.[k].length ? fmt(median(p[k])) : p?.error ? 'failed' : '–');
      const ratio = r?.seqs.length && t?.seqs.length ? `${(median(r.seqs) / median(t.seqs)).toFixed(2)}×` : '–';
      lines.push(`| ${axis} | ${value.toLocaleString('en-US')} | ${cell(r, 'seqs')} | ${cell(r, 'gflops')} | ${cell(t, 'seqs')} | ${cell(t, 'gflops')} | ${ratio} |`);
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = cli();
  const whos: Who[] = o.torch ? ['recur', 'torch'] : ['recur'];
  const pts: Point[] = [];
  for (const axis of Object.keys(SWEEPS) as Axis[]) for (const value of SWEEPS[axis].values) for (const who of whos) pts.push({ axis, value, who, gflops: [], seqs: [], error: null });
  const foreign: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const p of pts) {
      const s = SWEEPS[p.axis].shape(p.value);
      if (o.dry) { console.log(`would run ${p.who} ${JSON.stringify(s)} ${JSON.stringify(repsFor(s, o.quick, o.reps))}`); continue; }
      const r = await measure(p.who, s, o.threads, o.quick, o.reps);
      const ts = (r.rec?.['times_s'] as number[] | undefined) ?? [];
      if (!ts.length) p.error = r.error ?? 'no timings';
      for (const t of ts) { p.seqs.push(s.B / t); p.gflops.push((flopPerUnit(s) * s.B) / t / 1e9); }
      if (r.foreignCores !== null) foreign.push(r.foreignCores);
      console.log(`  r${round} ${p.axis}=${p.value} ${p.who.padEnd(5)} ${ts.length ? `${fmt(median(p.seqs))} seq/s, ${fmt(median(p.gflops))} GFLOP/s` : `FAILED ${p.error?.slice(0, 160)}`}` +
        `${r.foreignCores !== null ? `, other load ${r.foreignCores.toFixed(2)} cores` : ''}`);
    }
  }
  if (o.dry) return;
  const cmd = `npx tsx bench/scaling.ts --rounds ${o.rounds}${o.reps ? ` --reps ${o.reps}` : ''}${o.quick ? ' --quick' : ''} --threads ${o.threads}`;
  const load = foreign.length ? `other load median ${median(foreign).toFixed(2)} cores, max ${Math.max(...foreign).toFixed(2)}` : 'other load unknown';
  const table = tableOf(pts, cmd, load);
  console.log(`\n${table}`);
  for (const axis of Object.keys(SWEEPS) as Axis[]) writeFileSync(join(ROOT, 'docs', `scaling-${axis.toLowerCase()}.svg`), chart(axis, pts));
  const doc = readFileSync(DOC, 'utf8');
  const [b, e] = ['<!-- scaling:begin -->', '<!-- scaling:end -->'];
  const i = doc.indexOf(b), j = doc.indexOf(e);
  if (i < 0 || j < i) throw new Error(`${DOC}: no ${b} … ${e} section to write the table into`);
  const body = `${b}\n${table}\n\n![throughput vs H](scaling-h.svg) ![throughput vs T](scaling-t.svg)\n${e}`;
  writeFileSync(DOC, doc.slice(0, i) + body + doc.slice(j + e.length));
  console.log(`\nwrote docs/scaling-h.svg, docs/scaling-t.svg and the scaling section of docs/benchmarks.md`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
