/**
 * W5 (LSTM B=64 T=100 I=128 H=256 + Linear head, inference) of recur and of ONNX Runtime alternated batch by
 * batch in ONE process (the order swapped every pair), so that load drifts and the VM's speed swings hit both
 * alike: per batch the wall time and the CPU time of the whole process (all threads: recur's pool, ONNX
 * Runtime's intra-op threads, their spinning included), and the paired ratios ort / recur (> 1: recur is
 * faster). Separates the kernels' CPU cost from how each turns it into 2-thread wall time. ONNX Runtime's
 * threads spin for a while after each run, which at 2 threads takes a core from the recur batch that
 * follows: the wall ratio then leans towards ONNX Runtime. Not part of the test suite.
 *
 *   RECUR_NUM_THREADS=1 npx tsx bench/w5-ort-pair.ts [--pairs 40] [--onnx DIR]
 *   RECUR_NUM_THREADS=2 npx tsx bench/w5-ort-pair.ts        # ONNX Runtime gets the same thread count
 *
 * The model file is bench_ort.js's: DIR/lstm_w5_seq.onnx, DIR = --onnx, $ONNX_DIR or /tmp/recur-onnx
 * (`npx tsx bench/export-ort-models.ts /tmp/recur-onnx` writes it). Inputs differ between the two (random
 * data of the same shape): the timing does not depend on the values.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng, randn } from '../src/index.js';
import { inferStep, inferenceModel } from './jobs.js';
import { SHAPES } from './workloads.js';

const { values: v } = parseArgs({ options: { pairs: { type: 'string', default: '40' }, onnx: { type: 'string' } } });
const pairs = Number(v.pairs);
if (!Number.isInteger(pairs) || pairs < 2) throw new Error(`--pairs: an integer >= 2, got "${v.pairs}"`);
const file = join(v.onnx ?? process.env['ONNX_DIR'] ?? '/tmp/recur-onnx', 'lstm_w5_seq.onnx');
if (!existsSync(file)) throw new Error(`${file} not found: npx tsx bench/export-ort-models.ts /tmp/recur-onnx writes it`);
const threads = Number(process.env['RECUR_NUM_THREADS'] ?? 2);

const s = SHAPES.W5;
const ort = createRequire(import.meta.url)('onnxruntime-node');
const sess = await ort.InferenceSession.create(file, {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', // as bench_ort.js
});
const rng = new Rng(0);
const feeds = {
  x: new ort.Tensor('float32', randn([s.T, s.B, s.I], rng).data, [s.T, s.B, s.I]),
  h0: new ort.Tensor('float32', new Float32Array(s.B * s.H), [1, s.B, s.H]),
  c0: new ort.Tensor('float32', new Float32Array(s.B * s.H), [1, s.B, s.H]),
};
const recurBatch = inferStep(inferenceModel(s), randn([s.T, s.B, s.I], rng));
const ortBatch = async (): Promise<void> => void (await sess.run(feeds)).y.data;

type Who = 'recur' | 'ort';
const times: Record<Who, { wall: number[]; cpu: number[] }> = { recur: { wall: [], cpu: [] }, ort: { wall: [], cpu: [] } };
async function once(who: Who, keep: boolean): Promise<void> {
  const c0 = process.cpuUsage(), t0 = performance.now();
  if (who === 'recur') recurBatch();
  else await ortBatch();
  const c = process.cpuUsage(c0), wall = performance.now() - t0;
  if (keep) { times[who].wall.push(wall); times[who].cpu.push((c.user + c.system) / 1000); }
}
for (let p = -3; p < pairs; p++) // three warm-up pairs
  for (const who of (p & 1 ? ['ort', 'recur'] : ['recur', 'ort']) as Who[]) await once(who, p >= 0);

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const q = (a: number[], f: number): number => sorted(a)[Math.floor(f * (a.length - 1))]!;
const ms = (a: number[]): string => `${q(a, 0.5).toFixed(1)} (min ${q(a, 0).toFixed(1)})`;
const ratio = (k: 'wall' | 'cpu'): string => {
  const r = times.ort[k].map((o, i) => o / times.recur[k][i]!);
  return `${q(r, 0.5).toFixed(3)} (quartiles ${q(r, 0.25).toFixed(3)}–${q(r, 0.75).toFixed(3)})`;
};
console.log(`W5, ${threads} thread(s), ${pairs} pairs, load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const who of ['recur', 'ort'] as Who[]) console.log(`  ${who.padEnd(5)} ms per batch: wall ${ms(times[who].wall)}, CPU ${ms(times[who].cpu)}`);
console.log(`  ort / recur per pair: wall ${ratio('wall')}, CPU ${ratio('cpu')}`);
