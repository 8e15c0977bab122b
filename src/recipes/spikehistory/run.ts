/**
 * `runSpikeHistory`: simulate a refractory, adapting neuron under a frozen-noise stimulus; fit
 * the PSTH model, the GLM with a spike-history filter and a GRU (all Poisson maximum likelihood)
 * on training trials; score held-out trials (log-likelihood in bits per spike against a
 * homogeneous Poisson model) and trains sampled from each model (refractory-violation rate,
 * adaptation index, spike-history ratio curve) against the simulator's own held-out trains.
 * With a `stateDir` the fitted models are saved there and a rerun reuses what it finds (resume);
 * `scoreSpikeHistory` re-scores saved models on trials simulated from another seed (eval).
 */
import { Rng, ValueError, getBackend } from '../../index.js';
import { DEFAULT_NEURON, adaptationIndex, frozenStimulus, historyRatio, refractoryViolations, simulateTrials, trueRate, type NeuronParams } from './simulate.js';
import { glmFit, glmRate, glmSample, poissonLL, psthFit } from './models.js';
import { DEFAULT_RNN_SHAPE, SpikeRnn, rnnFit, rnnRate, rnnSample } from './rnn.js';
import { loadBaselines, loadGru, saveBaselines, saveGru, type Fitted, type FittedGru } from './saved.js';
export interface SpikeHistoryOptions {
  /** Bins (1 ms) per trial (default 1000). */
  T?: number;
  /** Training, validation and test trials (default 40, 10, 50). */
  trials?: [number, number, number];
  /** GRU hidden sizes tried per seed, the best on validation kept (default [8, 16]). */
  hiddenGrid?: number[];
  /** GRU seeds (default 3), most epochs (default 300). */
  seeds?: number;
  epochs?: number;
  seed?: number;
  neuron?: Partial<NeuronParams>;
  /** Save fitted models here and reuse the ones already saved. */
  stateDir?: string;
  /** Checked between fits: when set, return null (finished fits stay saved). */
  stop?: { readonly requested: boolean };
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

export interface SpikeSettings { T: number; trials: [number, number, number]; hiddenGrid: number[]; seeds: number; epochs: number; seed: number; neuron: NeuronParams }

export interface SpikeHistoryResult {
  settings: SpikeSettings;
  /** The simulator's own held-out bits/spike (its true λ: the ceiling) and its fresh trains' statistics. */
  truth: { bitsPerSpike: number; violations: number; adaptation: number; ratio: number[]; raster: number[][]; rateHz: number; spikesTest: number };
  models: ModelScore[];
  psthSigma: number;
  glmHistory: number[];
  /** Per GRU seed: the hidden size chosen on validation and its best epoch. */
  rnnFits: { hidden: number; bestEpoch: number; valNll: number; candidates: { hidden: number; valNll: number }[] }[];
  stimulus: number[];
  timings: { totalMs: number; backend: string };
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const N_SAMPLE = 60;

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

/** The settings with defaults, checked. */
export function spikeSettings(o: SpikeHistoryOptions): SpikeSettings {
  const st: SpikeSettings = {
    T: o.T ?? 1000, trials: o.trials ?? [40, 10, 50], hiddenGrid: o.hiddenGrid ?? [8, 16], seeds: o.seeds ?? 3, epochs: o.epochs ?? 300, seed: o.seed ?? 0,
    neuron: { ...DEFAULT_NEURON, ...o.neuron },
  };
  const { T, trials, hiddenGrid, seeds, epochs } = st;
  if (!(T >= 200 && trials.every((n) => Number.isInteger(n) && n >= 2) && seeds >= 1 && hiddenGrid.length > 0 && hiddenGrid.every((h) => Number.isInteger(h) && h >= 1) && epochs >= 1)) {
    throw new ValueError('runSpikeHistory', 'T >= 200, at least 2 trials per set, seeds, hidden sizes and epochs >= 1', JSON.stringify({ T, trials, seeds, hiddenGrid, epochs }));
  }
  return st;
}

/** The frozen stimulus of a run (the first stream of its seed). */
export function runStimulus(st: SpikeSettings): Float64Array {
  return frozenStimulus(st.T, new Rng(st.seed).fork());
}

/**
 * The simulated data of a run: the stimulus from `stimSeed` (the run's own seed), the trials and
 * the later random streams from `seed`; the same seeds give the same numbers.
 */
function simulation(st: SpikeSettings, seed: number, stimSeed = seed): { s: Float64Array; y: [Uint8Array, Uint8Array, Uint8Array]; fitRng: Rng; sampleRng: Rng; refRng: Rng } {
  const rng = new Rng(seed);
  const stimRng = rng.fork();
  const s = stimSeed === seed ? frozenStimulus(st.T, stimRng) : runStimulus({ ...st, seed: stimSeed });
  const y = st.trials.map((n) => simulateTrials(st.neuron, s, n, rng.fork())) as [Uint8Array, Uint8Array, Uint8Array];
  return { s, y, fitRng: rng.fork(), sampleRng: rng.fork(), refRng: rng.fork() };
}

/** PSTH (width chosen on validation) and GLM, fitted or as saved. */
function baselines(st: SpikeSettings, s: Float64Array, yTr: Uint8Array, yVa: Uint8Array, o: SpikeHistoryOptions): Omit<Fitted, 'grus'> {
  const saved = o.stateDir ? loadBaselines(o.stateDir) : null;
  if (saved) return saved;
  const T = st.T;
  const tile = (l: Float64Array, R: number): Float64Array => Float64Array.from({ length: R * T }, (_, i) => l[i % T]!);
  let psth: { sigma: number; ll: number; rate: Float64Array } = { sigma: 0, ll: -Infinity, rate: new Float64Array(T) };
  for (const sigma of [0, 1, 2, 4, 8, 16]) {
    const rate = psthFit(yTr, T, sigma);
    const ll = poissonLL(yVa, tile(rate, yVa.length / T));
    if (ll > psth.ll) psth = { sigma, ll, rate };
  }
  const f = { psth: { sigma: psth.sigma, rate: psth.rate }, glm: glmFit(s, yTr), baseRate: yTr.reduce((a, v) => a + v, 0) / yTr.length };
  if (o.stateDir) saveBaselines(o.stateDir, f);
  return f;
}

/** GRU seed k: every hidden size of the grid fitted, the lowest validation NLL kept. */
function fitGru(st: SpikeSettings, s: Float64Array, yTr: Uint8Array, yVa: Uint8Array, rng: Rng): FittedGru {
  let best: FittedGru | null = null;
  const candidates: FittedGru['candidates'] = [];
  for (const hidden of st.hiddenGrid) {
    const model = new SpikeRnn({ ...DEFAULT_RNN_SHAPE, hidden }, rng.fork());
    const fit = rnnFit(model, s, yTr, yVa, { epochs: st.epochs, lr: 5e-3, batch: 4, patience: 30, rng: rng.fork() });
    candidates.push({ hidden, valNll: fit.bestValNll });
    if (!best || fit.bestValNll < best.valNll) best = { model, bestEpoch: fit.bestEpoch, valNll: fit.bestValNll, candidates };
  }
  return best!;
}

/**
 * Run the spike-history comparison; null when `o.stop` was requested (saved fits are kept).
 * @example const r = runSpikeHistory({ seed: 0 }); console.log(r?.models.map((m) => m.bitsPerSpike));
 */
export function runSpikeHistory(o: SpikeHistoryOptions = {}): SpikeHistoryResult | null {
  const t0 = performance.now();
  const st = spikeSettings(o);
  const sim = simulation(st, st.seed);
  const [yTr, yVa] = sim.y;
  const base = baselines(st, sim.s, yTr, yVa, o);
  o.onProgress?.(`PSTH (σ = ${base.psth.sigma} ms) and GLM fitted`);
  const seedRngs = Array.from({ length: st.seeds }, () => sim.fitRng.fork());
  const grus: FittedGru[] = [];
  for (let k = 0; k < st.seeds; k++) {
    if (o.stop?.requested) return null;
    const t1 = performance.now();
    const saved = o.stateDir ? loadGru(o.stateDir, k) : null;
    const g = saved ?? fitGru(st, sim.s, yTr, yVa, seedRngs[k]!);
    if (o.stateDir && !saved) saveGru(o.stateDir, k, g);
    grus.push(g);
    const how = saved ? 'saved' : `${((performance.now() - t1) / 1000).toFixed(1)} s`;
    o.onProgress?.(`GRU seed ${k + 1}/${st.seeds}: H = ${g.model.shape.hidden} (validation NLL ${g.valNll.toFixed(5)}/bin, best epoch ${g.bestEpoch + 1}; ${how})`);
  }
  return { ...scoreWith(st, { ...base, grus }, sim), timings: { totalMs: performance.now() - t0, backend: getBackend().name } };
}

/** Re-score fitted models on test trials simulated from `seed` (the run's own stimulus); the run's seed gives the run's own table. */
export function scoreSpikeHistory(st: SpikeSettings, f: Fitted, seed: number): SpikeHistoryResult {
  const t0 = performance.now();
  return { ...scoreWith(st, f, simulation(st, seed, st.seed)), timings: { totalMs: performance.now() - t0, backend: getBackend().name } };
}

function scoreWith(st: SpikeSettings, f: Fitted, sim: ReturnType<typeof simulation>): Omit<SpikeHistoryResult, 'timings'> {
  const { T, neuron } = st;
  const { s } = sim;
  const yTe = sim.y[2];
  const spikes = yTe.reduce((a, v) => a + v, 0);
  const llBase = poissonLL(yTe, new Float64Array(yTe.length).fill(f.baseRate));
  const bits = (lambda: Float64Array): number => (poissonLL(yTe, lambda) - llBase) / (spikes * Math.LN2);
  const R = yTe.length / T;
  const psthRate = Float64Array.from({ length: R * T }, (_, i) => f.psth.rate[i % T]!);
  const psthSamples = new Uint8Array(N_SAMPLE * T).map((_, i) => (sim.sampleRng.random() < 1 - Math.exp(-f.psth.rate[i % T]!) ? 1 : 0));
  const glmSamples = glmSample(f.glm, s, N_SAMPLE, sim.sampleRng);
  const gruSamples = f.grus.map((g) => rnnSample(g.model, s, N_SAMPLE, sim.sampleRng));
  const score = (name: string, b: number[], samples: Uint8Array[]): ModelScore => {
    const sc = samples.map((y) => trainsScore(y, T, neuron.tAbs));
    return { name, bitsPerSpike: b, violations: sc.map((x) => x.violations), adaptation: sc.map((x) => x.adaptation), ratio: [...sc[0]!.ratio], raster: rasterOf(samples[0]!, T) };
  };
  // The simulator's own statistics on as many fresh trials as each model samples.
  const yRef = simulateTrials(neuron, s, N_SAMPLE, sim.refRng);
  const truth = trainsScore(yRef, T, neuron.tAbs);
  const hs = [...new Set(f.grus.map((g) => g.model.shape.hidden))].join('/');
  return {
    settings: st,
    truth: { bitsPerSpike: bits(trueRate(neuron, s, yTe)), violations: truth.violations, adaptation: truth.adaptation, ratio: [...truth.ratio], raster: rasterOf(yRef, T), rateHz: (1000 * spikes) / yTe.length, spikesTest: spikes },
    models: [
      score('PSTH (inhomogeneous Poisson)', [bits(psthRate)], [psthSamples]),
      score('GLM (stimulus + spike-history filters)', [bits(glmRate(f.glm, s, yTe))], [glmSamples]),
      score(`GRU (H=${hs}) + linear skip`, f.grus.map((g) => bits(rnnRate(g.model, s, yTe))), gruSamples),
    ],
    psthSigma: f.psth.sigma, glmHistory: [...f.glm.history],
    rnnFits: f.grus.map((g) => ({ hidden: g.model.shape.hidden, bestEpoch: g.bestEpoch, valNll: g.valNll, candidates: g.candidates })),
    stimulus: [...s],
  };
}

/** Plain-text summary table. */
export function formatSpikeHistory(r: SpikeHistoryResult): string {
  const f = (v: number[], d = 3): string => (v.length > 1 ? `${mean(v).toFixed(d)} ± ${Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)).toFixed(d)}` : v[0]!.toFixed(d));
  const lines = [
    `spike history: ${r.settings.trials.join('/')} train/val/test trials of ${r.settings.T} ms, ${r.truth.rateHz.toFixed(1)} spikes/s; absolute refractory ${r.settings.neuron.tAbs} ms`,
    `  ${'model'.padEnd(44)} ${'bits/spike'.padStart(16)} ${'ISI ≤ t_abs'.padStart(16)} ${'adaptation'.padStart(16)}`,
    `  ${'simulator (true λ; fresh trials)'.padEnd(44)} ${r.truth.bitsPerSpike.toFixed(3).padStart(16)} ${r.truth.violations.toFixed(4).padStart(16)} ${r.truth.adaptation.toFixed(3).padStart(16)}`,
    ...r.models.map((m) => `  ${m.name.padEnd(44)} ${f(m.bitsPerSpike).padStart(16)} ${f(m.violations, 4).padStart(16)} ${f(m.adaptation).padStart(16)}`),
  ];
  return lines.join('\n');
}
