/**
 * `runSpikeHistory`: simulate a refractory, adapting neuron under a frozen-noise stimulus; fit
 * the PSTH model, the GLM with a spike-history filter and a GRU (all Poisson maximum likelihood)
 * on training trials; score held-out trials (log-likelihood in bits per spike against a
 * homogeneous Poisson model) and trains sampled from each model (refractory-violation rate,
 * adaptation index, spike-history ratio curve) against the simulator's own held-out trains.
 */
import { Rng, ValueError, getBackend } from '../../index.js';
import { DEFAULT_NEURON, adaptationIndex, frozenStimulus, historyRatio, refractoryViolations, simulateTrials, type NeuronParams } from './simulate.js';
import { SpikeRnn, glmFit, glmRate, glmSample, poissonLL, psthFit, rnnFit, rnnRate, rnnSample } from './models.js';

export interface SpikeHistoryOptions {
  /** Bins (1 ms) per trial (default 1000). */
  T?: number;
  /** Training, validation and test trials (default 40, 10, 50). */
  trials?: [number, number, number];
  /** GRU hidden size (default 16), seeds (default 3), most epochs (default 150). */
  hidden?: number;
  seeds?: number;
  epochs?: number;
  seed?: number;
  neuron?: Partial<NeuronParams>;
  onProgress?: (line: string) => void;
}

export interface ModelScore {
  name: string;
  /** Held-out log-likelihood gain over a homogeneous Poisson model, bits per spike (RNN: per seed). */
  bitsPerSpike: number[];
  /** Of sampled trains: fraction of ISIs ≤ the absolute refractory period (RNN: per seed). */
  violations: number[];
  /** Of sampled trains: adaptation index (1 − mean history ratio over lags 20–150 ms). */
  adaptation: number[];
  /** History ratio curve of the first sample set, lags 0..200 (NaN at 0). */
  ratio: number[];
  /** One sampled raster (first trials), spike times per trial. */
  raster: number[][];
}

export interface SpikeHistoryResult {
  settings: { T: number; trials: [number, number, number]; hidden: number; seeds: number; epochs: number; seed: number; neuron: NeuronParams };
  truth: { violations: number; adaptation: number; ratio: number[]; raster: number[][]; rateHz: number; spikesTest: number };
  models: ModelScore[];
  psthSigma: number;
  glmHistory: number[];
  rnnEpochs: number[];
  stimulus: number[];
  timings: { totalMs: number; backend: string };
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

function rasterOf(y: Uint8Array, T: number, n = 10): number[][] {
  return Array.from({ length: Math.min(n, y.length / T) }, (_, r) => {
    const out: number[] = [];
    for (let t = 0; t < T; t++) if (y[r * T + t]) out.push(t);
    return out;
  });
}

function trainsScore(y: Uint8Array, T: number, tAbs: number): { violations: number; adaptation: number; ratio: Float64Array } {
  const ratio = historyRatio(y, T);
  return { violations: refractoryViolations(y, T, tAbs).rate, adaptation: adaptationIndex(ratio), ratio };
}

/**
 * Run the spike-history comparison.
 * @example const r = runSpikeHistory({ seed: 0 }); console.log(r.models.map((m) => m.bitsPerSpike));
 */
export function runSpikeHistory(o: SpikeHistoryOptions = {}): SpikeHistoryResult {
  const t0 = performance.now();
  const T = o.T ?? 1000;
  const trials = o.trials ?? [40, 10, 50];
  const hidden = o.hidden ?? 16;
  const seeds = o.seeds ?? 3;
  const epochs = o.epochs ?? 150;
  const seed = o.seed ?? 0;
  if (!(T >= 200 && trials.every((n) => Number.isInteger(n) && n >= 2) && seeds >= 1 && hidden >= 1 && epochs >= 1)) {
    throw new ValueError('runSpikeHistory', 'T >= 200, at least 2 trials per set, seeds, hidden and epochs >= 1', JSON.stringify({ T, trials, seeds, hidden, epochs }));
  }
  const neuron = { ...DEFAULT_NEURON, ...o.neuron };
  const rng = new Rng(seed);
  const s = frozenStimulus(T, rng.fork());
  const [yTr, yVa, yTe] = trials.map((n) => simulateTrials(neuron, s, n, rng.fork())) as [Uint8Array, Uint8Array, Uint8Array];
  const spikes = yTe.reduce((a, v) => a + v, 0);
  const base = yTr.reduce((a, v) => a + v, 0) / yTr.length;
  const llBase = poissonLL(yTe, new Float64Array(yTe.length).fill(base));
  const bits = (ll: number): number => (ll - llBase) / (spikes * Math.LN2);
  const nSample = 60;
  const tile = (l: Float64Array, R: number): Float64Array => Float64Array.from({ length: R * T }, (_, i) => l[i % T]!);
  // PSTH: the smoothing width chosen on the validation trials.
  let psth: { sigma: number; ll: number; rate: Float64Array } = { sigma: 0, ll: -Infinity, rate: new Float64Array(T) };
  for (const sigma of [0, 1, 2, 4, 8, 16]) {
    const rate = psthFit(yTr, T, sigma);
    const ll = poissonLL(yVa, tile(rate, trials[1]));
    if (ll > psth.ll) psth = { sigma, ll, rate };
  }
  const sampleRng = rng.fork();
  const psthSamples = new Uint8Array(nSample * T).map((_, i) => (sampleRng.random() < 1 - Math.exp(-psth.rate[i % T]!) ? 1 : 0));
  o.onProgress?.(`PSTH fitted (σ = ${psth.sigma} ms)`);
  const glm = glmFit(s, yTr);
  const glmSamples = glmSample(glm, s, nSample, sampleRng);
  o.onProgress?.('GLM fitted');
  const rnn: { bits: number; samples: Uint8Array; epochs: number }[] = [];
  for (let k = 0; k < seeds; k++) {
    const m = new SpikeRnn(hidden, rng.fork());
    const fit = rnnFit(m, s, yTr, yVa, { epochs, lr: 1e-2, batch: 16, patience: 15, rng: rng.fork() });
    rnn.push({ bits: bits(poissonLL(yTe, rnnRate(m, s, yTe))), samples: rnnSample(m, s, nSample, sampleRng), epochs: fit.bestEpoch + 1 });
    o.onProgress?.(`GRU seed ${k + 1}/${seeds}: ${rnn[k]!.bits.toFixed(3)} bits/spike (best epoch ${fit.bestEpoch + 1})`);
  }
  const score = (name: string, b: number[], samples: Uint8Array[]): ModelScore => {
    const sc = samples.map((y) => trainsScore(y, T, neuron.tAbs));
    return { name, bitsPerSpike: b, violations: sc.map((x) => x.violations), adaptation: sc.map((x) => x.adaptation), ratio: [...sc[0]!.ratio], raster: rasterOf(samples[0]!, T) };
  };
  // The simulator's own statistics on as many fresh trials as each model samples.
  const yRef = simulateTrials(neuron, s, nSample, rng.fork());
  const truth = trainsScore(yRef, T, neuron.tAbs);
  return {
    settings: { T, trials, hidden, seeds, epochs, seed, neuron },
    truth: { violations: truth.violations, adaptation: truth.adaptation, ratio: [...truth.ratio], raster: rasterOf(yRef, T), rateHz: (1000 * spikes) / yTe.length, spikesTest: spikes },
    models: [
      score('PSTH (inhomogeneous Poisson)', [bits(poissonLL(yTe, tile(psth.rate, trials[2])))], [psthSamples]),
      score('GLM (stimulus + spike-history filters)', [bits(poissonLL(yTe, glmRate(glm, s, yTe)))], [glmSamples]),
      score(`GRU (H=${hidden}, stimulus + own last spike)`, rnn.map((x) => x.bits), rnn.map((x) => x.samples)),
    ],
    psthSigma: psth.sigma, glmHistory: [...glm.history], rnnEpochs: rnn.map((x) => x.epochs), stimulus: [...s],
    timings: { totalMs: performance.now() - t0, backend: getBackend().name },
  };
}

/** Plain-text summary table. */
export function formatSpikeHistory(r: SpikeHistoryResult): string {
  const f = (v: number[], d = 3): string => (v.length > 1 ? `${mean(v).toFixed(d)} ± ${Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)).toFixed(d)}` : v[0]!.toFixed(d));
  const lines = [
    `spike history: ${r.settings.trials.join('/')} train/val/test trials of ${r.settings.T} ms, ${r.truth.rateHz.toFixed(1)} spikes/s; absolute refractory ${r.settings.neuron.tAbs} ms`,
    `  ${'model'.padEnd(44)} ${'bits/spike'.padStart(16)} ${'ISI ≤ t_abs'.padStart(16)} ${'adaptation'.padStart(16)}`,
    `  ${'simulator (fresh trials)'.padEnd(44)} ${'–'.padStart(16)} ${r.truth.violations.toFixed(4).padStart(16)} ${r.truth.adaptation.toFixed(3).padStart(16)}`,
    ...r.models.map((m) => `  ${m.name.padEnd(44)} ${f(m.bitsPerSpike).padStart(16)} ${f(m.violations, 4).padStart(16)} ${f(m.adaptation).padStart(16)}`),
  ];
  return lines.join('\n');
}
