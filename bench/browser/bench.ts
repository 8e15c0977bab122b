/**
 * The Chromium bench page (run by bench/browser-run.ts, `npm run bench:browser`): for each workload of
 * ?config (shapes from bench/workloads.ts), recur on its wasm kernels, TF.js on its wasm backend and,
 * for W4/W5, ONNX Runtime Web, in this page, repetitions interleaved (rep 1 of each, rep 2 of each, …)
 * — recur twice where the engine has relaxed SIMD: the plain builds (recur-wasm) and the relaxed ones
 * (recur-relaxed), each job switching to its kernels first
 * so that a change in the machine's load hits all alike. recur and ONNX Runtime Web run on
 * config.threads threads (the page is cross-origin isolated), TF.js on one (./peers.ts says why). Raw
 * times per repetition end up on window.bench; the runner turns them into figures and ratios.
 */
import { Rng, backendInfo, getBackend, initWasm, randn, setBackend, type Backend } from 'recur';
import { loadWasmKernels } from '../../src/kernels/platform-browser.js';
import { relaxedSimd } from '../../src/kernels/wasm/relaxed.js';
import type { Shape } from '../workloads.js';
import type { BenchConfig, BenchState, Job, Peer } from './types.js';
import { inferStep, inferenceModel, streamCell, trainStep } from '../jobs.js';
import { initPeers, ortInfer, ortStream, tfjsInfer, tfjsStream, tfjsTrain } from './peers.js';

const state: BenchState = { done: false, runs: [], info: {}, error: null };
(window as unknown as { bench: BenchState }).bench = state;
const out = document.getElementById('out')!;

/** Warm each job up, then time them in turns: times[j][r] = seconds of job j's repetition r. */
async function timeInterleaved(jobs: Job[], warmup: number, reps: number): Promise<number[][]> {
  for (const job of jobs) for (let i = 0; i < warmup; i++) await job();
  const times = jobs.map((): number[] => []);
  for (let r = 0; r < reps; r++) {
    for (let j = 0; j < jobs.length; j++) {
      const t0 = performance.now();
      await jobs[j]!();
      times[j]!.push((performance.now() - t0) / 1000);
    }
  }
  return times;
}

async function jobsOf(s: Shape, steps: number): Promise<[Peer, () => Promise<Job>][]> {
  if (s.mode === 'train') {
    return [['recur-wasm', async () => { const step = trainStep(s); return () => void step(); }], ['tfjs-wasm', async () => tfjsTrain(s)]];
  }
  const model = inferenceModel(s);
  if (s.mode === 'infer') {
    const x = randn([s.T, s.B, s.I], new Rng(1)), run = inferStep(model, x);
    const ort = await ortInfer(s, model, x.data as Float32Array);
    const want = run().data;
    state.info.ortW5MaxAbsDiff = ort.y.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
    if (relaxed) state.info.relaxedW5MaxAbsDiff = on(relaxed, () => run().data).reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
    return [['recur-wasm', async () => () => void run().data], ['tfjs-wasm', async () => tfjsInfer(s)], ['ort-web', async () => ort.job]];
  }
  const xs = randn([steps, s.I], new Rng(3)).data as Float32Array;
  return [['recur-wasm', async () => streamCell(model, xs, steps)], ['tfjs-wasm', async () => tfjsStream(s, xs, steps)], ['ort-web', () => ortStream(s, model, xs, steps)]];
}

/** The plain kernels (initWasm) and the relaxed-SIMD ones (null where the engine lacks it). */
let plain: Backend, relaxed: Backend | null = null;

/** f on backend `be`, then back on the plain kernels. */
function on<T>(be: Backend, f: () => T): T {
  setBackend(be);
  try {
    return f();
  } finally {
    setBackend(plain);
  }
}

/** recur's jobs once per build: each made and run on its kernels. */
function perBuild(jobs: [Peer, () => Promise<Job>][]): [Peer, () => Promise<Job>][] {
  return jobs.flatMap(([peer, make]): [Peer, () => Promise<Job>][] => {
    if (peer !== 'recur-wasm') return [[peer, make]];
    const builds: [Peer, Backend][] = [['recur-wasm', plain], ...(relaxed ? [['recur-relaxed', relaxed] as [Peer, Backend]] : [])];
    return builds.map(([p, be]) => [p, async () => {
      const job = on(be, () => make());
      const j = await job;
      return () => on(be, j);
    }]);
  });
}

async function main(): Promise<void> {
  const cfg = JSON.parse(new URLSearchParams(location.search).get('config') ?? 'null') as BenchConfig | null;
  if (!cfg) return; // the runner's first load, before it sends a config
  out.textContent = 'starting recur, TF.js and ONNX Runtime Web';
  await initWasm(undefined, { threads: cfg.threads, relaxedSimd: false });
  plain = getBackend();
  if (relaxedSimd()) relaxed = (await loadWasmKernels(undefined, { threads: cfg.threads, relaxedSimd: true })).backend;
  const b = backendInfo();
  state.info = { recur: `${b.name} ×${b.threads}`, relaxedSimd: relaxed !== null, ...(await initPeers(cfg.threads)), crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
  for (const { id, shape } of cfg.workloads) {
    out.textContent = `${id} ×${cfg.threads}: preparing`;
    const units = shape.mode === 'stream' ? { steps_per_rep: cfg.steps } : { seqs_per_rep: shape.B };
    const peers: Peer[] = [], jobs: Job[] = [];
    for (const [peer, make] of perBuild(await jobsOf(shape, cfg.steps))) {
      try {
        jobs.push(await make());
        peers.push(peer);
      } catch (e) {
        state.runs.push({ workload: id, peer, threads: threadsOf(peer, cfg), page: cfg.threads, times_s: [], ...units, error: e instanceof Error ? e.message : String(e) });
      }
    }
    out.textContent = `${id} ×${cfg.threads}: ${peers.join(', ')} …`;
    const times = await timeInterleaved(jobs, cfg.warmup, cfg.reps);
    peers.forEach((peer, j) => state.runs.push({ workload: id, peer, threads: threadsOf(peer, cfg), page: cfg.threads, times_s: times[j]!, ...units }));
  }
  out.textContent = 'done';
}

const threadsOf = (peer: Peer, cfg: BenchConfig): number => (peer === 'tfjs-wasm' ? 1 : cfg.threads);

main().catch((e: unknown) => { state.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e); }).finally(() => { state.done = true; });
