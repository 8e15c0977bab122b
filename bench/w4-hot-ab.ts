/**
 * Same-process A/B of W4's streamed step (LSTMCell + Linear head, bench/jobs.ts `inferenceModel`, the
 * bench's cell loop) between two source trees, each with its own build/ of the addon (the base:
 * `git archive <commit> src bench binding.gyp package.json | tar -x -C DIR`, node_modules linked, the
 * base's build/ copied): both models live in this process and blocks of steps alternate A B / B A.
 *
 * Three pacings, each at the thread counts of --threads (both addons' pools set alike):
 *   b2b     steps back to back (the bench's W4 loop): wall and process CPU per step over the block;
 *   200us   a step every ~200 µs, the main thread asleep in between (Atomics.wait): per-step latency
 *   2ms     (the wall time of each step call, median over the block) and process CPU per step.
 * Reports per tree the median and q25–q75 over blocks (and the share of steps that reached the pool's
 * workers, poolJobs), and the paired per-round ratios A/B (> 1: B is
 * cheaper), with /proc/loadavg at start and end. Not part of the test suite.
 *
 *   npx tsx bench/w4-hot-ab.ts --base /tmp/w4-base [--rounds 21] [--threads 2,1] [--pacing b2b,200us,2ms]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './workloads.js';

interface Tree {
  jobs: typeof import('./jobs.js');
  core: typeof import('../src/core.js');
  addon: { setThreads(n: number): void; poolJobs(): number };
}
type Pacing = 'b2b' | '200us' | '2ms';
const PERIOD_MS: Record<Pacing, number> = { b2b: 0, '200us': 0.2, '2ms': 2 };
const STEPS: Record<Pacing, number> = { b2b: 1000, '200us': 500, '2ms': 100 };

const { values: v } = parseArgs({
  options: {
    base: { type: 'string' }, rounds: { type: 'string', default: '21' }, threads: { type: 'string', default: '2,1' },
    pacing: { type: 'string', default: 'b2b,200us,2ms' },
  },
});
if (!v.base) throw new Error('--base: the base source tree (with its build/)');

async function load(dir: string): Promise<Tree> {
  const jobs = (await import(resolve(dir, 'bench', 'jobs.ts'))) as Tree['jobs'];
  const core = (await import(resolve(dir, 'src', 'core.ts'))) as Tree['core'];
  const native = await import(resolve(dir, 'src', 'kernels', 'native', 'index.ts'));
  const loaded = native.loadNative();
  if (!('addon' in loaded)) throw new Error(`${dir}: native addon not loaded`);
  return { jobs, core, addon: loaded.addon };
}

/** One W4 step per call (t: the input row), as in bench/jobs.ts streamCell. */
function stepper(t: Tree, steps: number): (i: number) => void {
  const { core, jobs } = t;
  const s = { cell: 'lstm', mode: 'stream', B: 1, T: steps, I: 32, H: 128, O: 32 } as const;
  const { lstm, head } = jobs.inferenceModel(s);
  const cell = new core.LSTMCell(s.I, s.H).eval();
  cell.loadStateDict({ weight_ih: lstm.param('weight_ih_l0'), weight_hh: lstm.param('weight_hh_l0'), bias_ih: lstm.param('bias_ih_l0'), bias_hh: lstm.param('bias_hh_l0') });
  const xs = core.randn([steps, s.I], new core.Rng(0)).data as Float32Array;
  let st: { h: InstanceType<typeof core.Tensor>; c: InstanceType<typeof core.Tensor> } | null = null;
  return (i) => core.noGrad(() => {
    st = cell.forward(new core.Tensor(xs.subarray((i % steps) * s.I, (i % steps + 1) * s.I), [1, s.I]), st);
    void head.forward(st.h).data;
  });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system; };

/** One block: [wall or latency µs/step, CPU µs/step, share of the steps split over the pool]. */
function block(t: Tree, step: (i: number) => void, pacing: Pacing): [number, number, number] {
  const n = STEPS[pacing], period = PERIOD_MS[pacing];
  const c0 = cpuUs(), w0 = performance.now(), j0 = t.addon.poolJobs();
  if (period === 0) {
    for (let i = 0; i < n; i++) step(i);
    return [((performance.now() - w0) * 1000) / n, (cpuUs() - c0) / n, (t.addon.poolJobs() - j0) / n];
  }
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    step(i);
    const t1 = performance.now();
    lat.push((t1 - t0) * 1000);
    const rest = period - (t1 - t0);
    if (rest > 0) Atomics.wait(sleeper, 0, 0, rest);
  }
  return [median(lat), (cpuUs() - c0) / n, (t.addon.poolJobs() - j0) / n];
}

const q = (xs: number[], f: number): number => [...xs].sort((a, b) => a - b)[Math.round(f * (xs.length - 1))]!;
const fmt = (xs: number[]): string => `${median(xs).toFixed(2)} (${q(xs, 0.25).toFixed(2)}–${q(xs, 0.75).toFixed(2)})`;
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').trim();

async function main(): Promise<void> {
  const trees = { A: await load(resolve(v.base!)), B: await load(resolve(import.meta.dirname, '..')) };
  for (const t of Object.values(trees)) t.core.setBackend('native');
  const rounds = Number(v.rounds);
  console.log(`A = ${resolve(v.base!)}, B = this tree; ${rounds} rounds; load at start ${loadavg()}`);
  console.log('| threads | pacing | figure | A | B | A/B per round |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const threads of v.threads!.split(',').map(Number)) {
    for (const t of Object.values(trees)) t.addon.setThreads(threads);
    for (const pacing of v.pacing!.split(',') as Pacing[]) {
      const steps = { A: stepper(trees.A, STEPS[pacing]), B: stepper(trees.B, STEPS[pacing]) };
      for (const k of ['A', 'B'] as const) block(trees[k], steps[k], 'b2b'); // warm-up (JIT, first allocations)
      const res = { A: [] as [number, number, number][], B: [] as [number, number, number][] };
      for (let r = 0; r < rounds; r++) {
        for (const k of r % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) res[k].push(block(trees[k], steps[k], pacing));
      }
      const name = pacing === 'b2b' ? 'wall µs/step' : 'latency µs/step (median)';
      for (const [j, fig] of [[0, name], [1, 'CPU µs/step'], [2, 'steps split']] as const) {
        const a = res.A.map((x) => x[j]), b = res.B.map((x) => x[j]);
        console.log(`| ${threads} | ${pacing} | ${fig} | ${fmt(a)} | ${fmt(b)} | ${fmt(a.map((x, i) => x / b[i]!))} |`);
      }
    }
  }
  console.log(`load at end ${loadavg()}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
