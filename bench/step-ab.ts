/**
 * Same-process A/B of training steps (or, W5, inference batches) from two checkouts (each with its own src/ and build/, e.g.
 * `git archive <commit> | tar -x -C /tmp/A`, node_modules linked, build/ copied): both models are built
 * in this process and their steps alternate A B / B A, so load drifts hit both alike; reports per side the
 * median (min–max) of wall and process CPU time per step, the paired CPU and wall ratios A/B (median,
 * q25–q75; > 1 means B is cheaper) and whether every pair's losses are equal. A TS change is covered (unlike
 * swapping addons in bench/ab.ts); what it does not separate is GC: the two models share one heap.
 * Not part of the test suite.
 *
 *   RECUR_NUM_THREADS=2 npx tsx bench/step-ab.ts --a /tmp/A --b . --job W6 --pairs 24
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './workloads.js';

const { values: v } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, job: { type: 'string', default: 'W6' }, pairs: { type: 'string', default: '20' }, warmup: { type: 'string', default: '5' } } });

async function stepOf(dir: string, job: string): Promise<() => number> {
  const jobs = await import(resolve(dir, 'bench', 'jobs.ts'));
  const wl = await import(resolve(dir, 'bench', 'workloads.ts'));
  const s = wl.SHAPES[job];
  if (s.mode !== 'infer') return jobs.trainStep(s) as () => number;
  // W5: one batch of inference; its first output element stands for the loss (equal bits → equal numbers)
  const src = await import(resolve(dir, 'src', 'index.ts'));
  const run = jobs.inferStep(jobs.inferenceModel(s), src.randn([s.T, s.B, s.I], new src.Rng(3))) as () => { data: Float32Array };
  return () => run().data[0]!;
}

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
function timed(step: () => number): { wall: number; cpu: number; loss: number } {
  const c0 = cpuMs(), w0 = performance.now();
  const loss = step();
  return { wall: performance.now() - w0, cpu: cpuMs() - c0, loss };
}
const q = (xs: number[], f: number): number => [...xs].sort((p, r) => p - r)[Math.floor(f * (xs.length - 1))]!;
const span = (xs: number[]): string => `${median(xs).toFixed(1)} (${q(xs, 0).toFixed(1)}–${q(xs, 1).toFixed(1)})`;
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main(): Promise<void> {
  if (!v.a || !v.b) throw new Error('--a and --b: two checkout folders');
  const job = v.job!, pairs = Number(v.pairs), warmup = Number(v.warmup);
  const a = await stepOf(v.a, job), b = await stepOf(v.b, job);
  for (let i = 0; i < warmup; i++) { a(); b(); }
  const A: ReturnType<typeof timed>[] = [], B: ReturnType<typeof timed>[] = [];
  const start = load();
  for (let i = 0; i < pairs; i++) {
    if (i % 2) { B.push(timed(b)); A.push(timed(a)); } else { A.push(timed(a)); B.push(timed(b)); }
  }
  const ratio = (f: 'wall' | 'cpu'): string => {
    const r = A.map((x, i) => x[f] / B[i]![f]);
    return `${median(r).toFixed(3)} (q25–q75 ${q(r, 0.25).toFixed(3)}–${q(r, 0.75).toFixed(3)})`;
  };
  console.log(`${job}, RECUR_NUM_THREADS=${process.env['RECUR_NUM_THREADS'] ?? 'default'}, ${pairs} pairs; load ${start} → ${load()}`);
  for (const [name, r] of [['A', A], ['B', B]] as const) console.log(`${name}: wall ${span(r.map((x) => x.wall))} ms, CPU ${span(r.map((x) => x.cpu))} ms`);
  console.log(`A/B CPU ${ratio('cpu')}, wall ${ratio('wall')}; losses equal in every pair: ${A.every((x, i) => x.loss === B[i]!.loss)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
