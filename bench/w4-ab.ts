/**
 * In-process A/B of W4 (bench/jobs.ts streamCell / streamSeq) between two source trees: the jobs of
 * the base tree (another checkout: `git archive <commit> src bench binding.gyp package.json | tar -x -C DIR`,
 * with node_modules and build/ beside it) and of this one are loaded into one process and timed in
 * alternation, `steps` streamed steps at a time, so that load drifts on a shared machine hit both alike.
 * Reports per tree and variant the median µs per step over rounds (wall and CPU; min–max of wall), and
 * the per-round ratios base / this (wall and CPU): median, q25–q75, and in how many rounds this tree was faster. Not part of the test suite.
 *
 *   npx tsx bench/w4-ab.ts --base /tmp/w4-base [--rounds 41] [--steps 2000]
 *   npx tsx bench/w4-ab.ts --base /tmp/w4-base --I 1 --H 4 --O 1   # tiny weights: the cost around the kernels
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as here from './jobs.js';
import { SHAPES } from './workloads.js';

type Jobs = typeof here;
interface Core { Rng: new (seed: number) => unknown; randn: (shape: number[], rng: unknown) => { data: Float32Array } }

const { values: v } = parseArgs({
  options: {
    base: { type: 'string' }, rounds: { type: 'string', default: '41' }, steps: { type: 'string', default: '2000' },
    I: { type: 'string' }, H: { type: 'string' }, O: { type: 'string' },
  },
});
if (!v.base) throw new Error('--base: the base source tree');
const rounds = Number(v.rounds), steps = Number(v.steps);
const base = resolve(v.base);
const baseJobs = (await import(`${base}/bench/jobs.ts`)) as Jobs;
const baseCore = (await import(`${base}/src/core.ts`)) as unknown as Core;
const hereCore = (await import('../src/core.js')) as unknown as Core;

const s = { ...SHAPES.W4, I: Number(v.I ?? SHAPES.W4.I), H: Number(v.H ?? SHAPES.W4.H), O: Number(v.O ?? SHAPES.W4.O) };
function runs(jobs: Jobs, core: Core): Record<'cell' | 'seq', () => void> {
  const model = jobs.inferenceModel(s);
  const xs = core.randn([steps, s.I], new core.Rng(0)).data;
  return { cell: jobs.streamCell(model, xs, steps), seq: jobs.streamSeq(model, xs, steps) };
}
const trees = { base: runs(baseJobs, baseCore), here: runs(here, hereCore) };
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/** median (q25–q75) of the per-round ratios, and the share of rounds where this tree was faster (ratio > 1) */
const spread = (rs: number[]): string => {
  const s = [...rs].sort((a, b) => a - b), q = (f: number): string => s[Math.floor(f * (s.length - 1))]!.toFixed(3);
  return `${q(0.5)} (q25–q75 ${q(0.25)}–${q(0.75)}, here faster in ${rs.filter((r) => r > 1).length}/${rs.length})`;
};

for (const variant of ['cell', 'seq'] as const) {
  const wall: Record<string, number[]> = { base: [], here: [] }, cpu: Record<string, number[]> = { base: [], here: [] };
  for (const t of ['base', 'here'] as const) for (let i = 0; i < 3; i++) trees[t][variant](); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 === 0 ? (['base', 'here'] as const) : (['here', 'base'] as const)) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      trees[t][variant]();
      const c = process.cpuUsage(c0);
      wall[t]!.push(((performance.now() - t0) * 1000) / steps);
      cpu[t]!.push((c.user + c.system) / steps);
    }
  }
  const ratios = wall['base']!.map((b, i) => b / wall['here']![i]!);
  for (const t of ['base', 'here']) {
    const w = wall[t]!;
    console.log(`W4 ${variant.padEnd(4)} ${t.padEnd(4)} wall ${med(w).toFixed(2)} µs/step (${Math.min(...w).toFixed(2)}–${Math.max(...w).toFixed(2)})  cpu ${med(cpu[t]!).toFixed(2)} µs/step`);
  }
  const cr = cpu['base']!.map((b, i) => b / cpu['here']![i]!);
  console.log(`W4 ${variant.padEnd(4)} base/here ratio wall ${spread(ratios)}, cpu ${spread(cr)}; ${rounds} rounds × ${steps} steps, I=${s.I} H=${s.H} O=${s.O}`);
}
console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
