/**
 * The Chromium bench page (run by bench/browser-run.ts, `npm run bench:browser`): for each workload of
 * ?config (shapes from bench/workloads.ts), recur on its wasm kernels, TF.js on its wasm backend and,
 * for W4/W5, ONNX Runtime Web, one after the other in this page, one thread each. Raw times per
 * repetition end up on window.bench; the runner turns them into figures and ratios.
 */
import { Rng, getBackend, initWasm, noGrad, randn } from 'recur';
import type { Shape } from '../workloads.js';
import type { BenchConfig, BenchRun, BenchState } from './types.js';
import { inferenceModel, recurInfer, recurStream, recurTrain, type Job } from './recur-jobs.js';
import { initPeers, ortInfer, ortStream, tfjsInfer, tfjsStream, tfjsTrain } from './peers.js';

const state: BenchState = { done: false, runs: [], info: {}, error: null };
(window as unknown as { bench: BenchState }).bench = state;
const out = document.getElementById('out')!;

async function timeReps(job: Job, warmup: number, reps: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await job();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await job();
    ts.push((performance.now() - t0) / 1000);
  }
  return ts;
}

async function jobsOf(s: Shape, steps: number): Promise<[BenchRun['peer'], () => Promise<Job>][]> {
  if (s.mode === 'train') return [['recur-wasm', async () => recurTrain(s)], ['tfjs-wasm', async () => tfjsTrain(s)]];
  if (s.mode === 'infer') {
    const x = randn([s.T, s.B, s.I], new Rng(1));
    const ort = await ortInfer(s, inferenceModel(s), x.data as Float32Array);
    const { lstm, head } = inferenceModel(s);
    const want = noGrad(() => head.forward(lstm.forward(x).output)).data;
    state.info.ortW5MaxAbsDiff = ort.y.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
    return [['recur-wasm', async () => recurInfer(s, x)], ['tfjs-wasm', async () => tfjsInfer(s)], ['ort-web', async () => ort.job]];
  }
  const xs = randn([steps, s.I], new Rng(3)).data as Float32Array;
  return [['recur-wasm', async () => recurStream(s, xs, steps)], ['tfjs-wasm', async () => tfjsStream(s, xs, steps)], ['ort-web', () => ortStream(s, inferenceModel(s), xs, steps)]];
}

async function main(): Promise<void> {
  const cfg = JSON.parse(new URLSearchParams(location.search).get('config') ?? '') as BenchConfig;
  out.textContent = 'starting recur, TF.js and ONNX Runtime Web';
  await initWasm();
  state.info = { recur: getBackend().name, ...(await initPeers()), crossOriginIsolated, userAgent: navigator.userAgent };
  for (const { id, shape } of cfg.workloads) {
    out.textContent = `${id}: preparing`;
    for (const [peer, make] of await jobsOf(shape, cfg.steps)) {
      out.textContent = `${id} ${peer} …`;
      const units = shape.mode === 'stream' ? { steps_per_rep: cfg.steps } : { seqs_per_rep: shape.B };
      try {
        state.runs.push({ workload: id, peer, times_s: await timeReps(await make(), cfg.warmup, cfg.reps), ...units });
      } catch (e) {
        state.runs.push({ workload: id, peer, times_s: [], ...units, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  out.textContent = 'done';
}

main().catch((e: unknown) => { state.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e); }).finally(() => { state.done = true; });
