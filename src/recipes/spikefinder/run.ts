/**
 * The spikefinder recipe: γ of the calcium decay learned by a linear recurrence, the OASIS
 * baselines, and the recurrent spike-rate network selected and scored by leave-one-neuron-out
 * cross-validation on the training cells of datasets 4, 5 and 6.
 *
 * LONO budget: instead of one fold per neuron (24 trainings per candidate and seed), the neurons of
 * every dataset are shuffled (seeded) and dealt into `folds` groups; fold f trains on all neurons
 * outside group f of every dataset and scores group f. Every neuron is held out exactly once.
 * Each finished (candidate, seed, fold) is saved to `cv-<c>-<s>-<f>.json` and reused on resume.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, loadStateDictFileSync, readSafetensorsSync, saveStateDictFile, writeFileAtomicSync } from '../../index.js';
import { oasisLono, type BaselineScore } from './baselines.js';
import { loadTrainSet, meanScore, type Dataset } from './data.js';
import { fitLinearRecurrence, predictTrace, SpikeNet, type GammaFit, type NetSpec } from './model.js';
import { PUBLISHED } from './published.js';
import { cellsOf, trainNet, type Cell, type TrainOptions } from './train.js';

export interface SpikefinderOptions extends Omit<TrainOptions, 'onEpoch' | 'stop'> {
  dataDir: string;
  datasets: string[];
  /** Network candidates compared by LONO; the best (mean r over all neurons) is trained on all cells. */
  candidates: NetSpec[];
  seeds: number;
  folds: number;
  seed: number;
  /** Use only the first N neurons of every dataset (quick runs). */
  maxNeurons?: number;
  /** Iterations of the γ fit. */
  gammaIters: number;
  stateDir: string;
  stop?: { readonly requested: boolean };
  log?: (line: string) => void;
}

/** Held-out scores of one (candidate, seed, fold). */
interface FoldResult {
  scores: { dataset: string; index: number; r: number }[];
  losses: number[];
  ms: number;
  /** First 30 s of the held-out prediction of every held-out neuron (seed 1 only), for the report. */
  excerpts?: { dataset: string; index: number; pred: number[] }[];
}

/** Length of the report's trace excerpts (samples). */
const EXCERPT = 3000;

export interface CandidateScore {
  spec: NetSpec;
  /** Per dataset: mean LONO r per seed, and the mean of the per-seed means. */
  perDataset: Record<string, { perSeed: number[]; mean: number; sd: number; perNeuron: number[] }>;
  /** Mean over all neurons (selection criterion), averaged over seeds. */
  overall: number;
}

export interface SpikefinderResult {
  datasets: { id: string; neurons: number; samples: number }[];
  gamma: Record<string, GammaFit>;
  baselines: Record<string, { ar1: BaselineScore; ar2: BaselineScore }>;
  candidates: CandidateScore[];
  selected: number;
  /** Held-out prediction excerpts (neuron 0 of each dataset, selected candidate, seed 1, its CV fold). */
  excerpts: Record<string, { pred: number[]; spikes: number[]; calcium: number[] }>;
  folds: number;
  seeds: number;
  totalMs: number;
  table: string;
}

/** Neuron → fold: shuffle each dataset's neurons (seeded) and deal them into k groups. */
export function foldOf(counts: number[], k: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return counts.map((n) => {
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const f = new Array<number>(n);
    order.forEach((neuron, j) => (f[neuron] = j % k));
    return f;
  });
}

function mean(x: number[]): number {
  return x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);
}

function sd(x: number[]): number {
  const m = mean(x);
  return x.length > 1 ? Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1)) : 0;
}

async function cvFold(o: SpikefinderOptions, cells: Cell[], fold: number[][], ids: string[], c: number, s: number, f: number): Promise<FoldResult | null> {
  const path = join(o.stateDir, `cv-${c + 1}-${s + 1}-${f + 1}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as FoldResult;
  const held = (cell: Cell): boolean => fold[ids.indexOf(cell.dataset)]![cell.index] === f;
  const t0 = performance.now();
  const r = await trainNet(o.candidates[c]!, cells.filter((x) => !held(x)), { ...o }, o.seed + 1000 * s + 17 * f + 7919 * c);
  if (!r) return null;
  const preds = cells.filter(held).map((x) => ({ x, p: predictTrace(r.net, x.x) }));
  const scores = preds.map(({ x, p }) => ({ dataset: x.dataset, index: x.index, r: meanScore([p], [x.spikes]).mean }));
  const excerpts = s === 0 ? preds.map(({ x, p }) => ({ dataset: x.dataset, index: x.index, pred: Array.from(p.subarray(0, EXCERPT), (v) => Number(v.toPrecision(4))) })) : undefined;
  const res: FoldResult = { scores, losses: r.losses, ms: performance.now() - t0, ...(excerpts ? { excerpts } : {}) };
  writeFileAtomicSync(path, JSON.stringify(res));
  o.log?.(`candidate ${c + 1} seed ${s + 1} fold ${f + 1}/${o.folds}: ${scores.map((x) => `${x.dataset}.${x.index} ${x.r.toFixed(3)}`).join(', ')} (${(res.ms / 1000).toFixed(1)} s)`);
  return res;
}

async function crossValidate(o: SpikefinderOptions, cells: Cell[], ids: string[], counts: number[]): Promise<CandidateScore[] | null> {
  const out: CandidateScore[] = [];
  for (let c = 0; c < o.candidates.length; c++) {
    const perSeed: FoldResult['scores'][] = [];
    for (let s = 0; s < o.seeds; s++) {
      const fold = foldOf(counts, o.folds, o.seed + s);
      const scores: FoldResult['scores'] = [];
      for (let f = 0; f < o.folds; f++) {
        const r = await cvFold(o, cells, fold, ids, c, s, f);
        if (!r) return null;
        scores.push(...r.scores);
      }
      perSeed.push(scores);
    }
    const perDataset: CandidateScore['perDataset'] = {};
    for (const id of ids) {
      const means = perSeed.map((sc) => mean(sc.filter((x) => x.dataset === id).map((x) => x.r)));
      const perNeuron = Array.from({ length: counts[ids.indexOf(id)]! }, (_, i) => mean(perSeed.map((sc) => sc.find((x) => x.dataset === id && x.index === i)!.r)));
      perDataset[id] = { perSeed: means, mean: mean(means), sd: sd(means), perNeuron };
    }
    out.push({ spec: o.candidates[c]!, perDataset, overall: mean(perSeed.map((sc) => mean(sc.map((x) => x.r)))) });
  }
  return out;
}

/** Path of the final network trained with seed `s` (0-based) on every training cell. */
export function finalNetFile(dir: string, s: number): string {
  return join(dir, `final-seed-${s + 1}.safetensors`);
}

async function trainFinal(o: SpikefinderOptions, spec: NetSpec, cells: Cell[]): Promise<boolean> {
  for (let s = 0; s < o.seeds; s++) {
    const path = finalNetFile(o.stateDir, s);
    if (existsSync(path)) continue;
    const t0 = performance.now();
    const r = await trainNet(spec, cells, { ...o }, o.seed + 1000 * s + 99991);
    if (!r) return false;
    await saveStateDictFile(path, r.net.stateDict(), { scale: String(rateScale(r.net, cells)) });
    o.log?.(`final network seed ${s + 1}: trained on all ${cells.length} cells (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return true;
}

/**
 * Σ true spikes / Σ predicted over the training cells: a correlation-trained network's output has
 * an arbitrary scale, so predictions are multiplied by this to read as spikes per sample.
 */
function rateScale(net: SpikeNet, cells: Cell[]): number {
  let t = 0;
  let p = 0;
  for (const c of cells) {
    t += c.spikes.reduce((a, b) => a + b, 0);
    p += predictTrace(net, c.x).reduce((a, b) => a + b, 0);
  }
  return p > 0 ? t / p : 1;
}

/** Load the final networks of a run (one per seed) with their rate scales. */
export function loadFinalNets(dir: string, spec: NetSpec, seeds: number): { net: SpikeNet; scale: number }[] {
  return Array.from({ length: seeds }, (_, s) => {
    const net = new SpikeNet(spec, new Rng(0));
    const path = finalNetFile(dir, s);
    net.loadStateDict(loadStateDictFileSync(path));
    const scale = Number(readSafetensorsSync(path).metadata?.scale ?? 1);
    return { net, scale: Number.isFinite(scale) && scale > 0 ? scale : 1 };
  });
}

/** Held-out prediction excerpts of the selected candidate (seed 1): the first neuron of each dataset. */
function excerpt(o: SpikefinderOptions, cells: Cell[], c: number, ids: string[], counts: number[]): SpikefinderResult['excerpts'] {
  const fold = foldOf(counts, o.folds, o.seed);
  const out: SpikefinderResult['excerpts'] = {};
  ids.forEach((id, d) => {
    const path = join(o.stateDir, `cv-${c + 1}-1-${fold[d]![0]! + 1}.json`);
    const e = (JSON.parse(readFileSync(path, 'utf8')) as FoldResult).excerpts?.find((x) => x.dataset === id && x.index === 0);
    const cell = cells.find((x) => x.dataset === id && x.index === 0);
    if (!e || !cell) return;
    const n = e.pred.length;
    out[id] = { pred: e.pred, spikes: Array.from(cell.spikes.subarray(0, n)), calcium: Array.from(cell.x.subarray(0, n), (v) => Number(v.toPrecision(4))) };
  });
  return out;
}

/** Run the whole recipe; null when stopped (finished folds and networks are kept for --resume). */
export async function runSpikefinder(o: SpikefinderOptions): Promise<SpikefinderResult | null> {
  const t0 = performance.now();
  const data: Dataset[] = o.datasets.map((id) => {
    const d = loadTrainSet(o.dataDir, id);
    const n = o.maxNeurons ? Math.min(o.maxNeurons, d.calcium.length) : d.calcium.length;
    return { id, calcium: d.calcium.slice(0, n), spikes: d.spikes.slice(0, n) };
  });
  const ids = data.map((d) => d.id);
  const counts = data.map((d) => d.calcium.length);
  const gamma: SpikefinderResult['gamma'] = {};
  const baselines: SpikefinderResult['baselines'] = {};
  for (const d of data) {
    gamma[d.id] = fitLinearRecurrence(d.calcium.map((c, i) => ({ calcium: c, spikes: d.spikes[i]! })), { iters: o.gammaIters });
    o.log?.(`dataset ${d.id}: learned γ ${gamma[d.id]!.gamma.toFixed(5)} (τ ${gamma[d.id]!.tau.toFixed(3)} s)`);
    baselines[d.id] = { ar1: oasisLono(d.calcium, d.spikes, 1), ar2: oasisLono(d.calcium, d.spikes, 2) };
    o.log?.(`dataset ${d.id}: OASIS AR(1) r ${baselines[d.id]!.ar1.mean.toFixed(3)}, AR(2) r ${baselines[d.id]!.ar2.mean.toFixed(3)}`);
  }
  const cells = data.flatMap(cellsOf);
  const candidates = await crossValidate(o, cells, ids, counts);
  if (!candidates) return null;
  let selected = 0;
  candidates.forEach((c, i) => (c.overall > candidates[selected]!.overall ? (selected = i) : 0));
  if (!(await trainFinal(o, candidates[selected]!.spec, cells))) return null;
  const excerpts = excerpt(o, cells, selected, ids, counts);
  const partial = {
    datasets: data.map((d) => ({ id: d.id, neurons: d.calcium.length, samples: d.calcium.reduce((a, c) => a + c.length, 0) })),
    gamma, baselines, candidates, selected, excerpts, folds: o.folds, seeds: o.seeds, totalMs: performance.now() - t0,
  };
  return { ...partial, table: resultTable(partial) };
}

function specLabel(s: NetSpec): string {
  return `bi-${s.cell.toUpperCase()} ${s.layers}×${s.hidden}${s.convChannels ? ` + conv ${s.convChannels}×k${s.convKernel}` : ''}`;
}

/** The printed summary: per dataset, our LONO figures beside the published test-set figures. */
export function resultTable(r: Omit<SpikefinderResult, 'table'>): string {
  const f = (v: number | undefined): string => (v === undefined ? '   –  ' : v.toFixed(3).padStart(6));
  const lines = [
    `Mean Pearson r per neuron at 25 Hz (4-sample block sums), per dataset.`,
    `OURS: leave-one-neuron-out on the TRAINING cells (${r.folds} neuron groups per dataset, ${r.seeds} seed(s), mean ± sd over seeds).`,
    `PUBLISHED (Berens et al. 2018, baseline_results_24_07_17.csv): TEST-cell figures (other neurons: not like for like),`,
    `and the same TRAINING cells scored after the entries were fitted to them (in-sample: an upper reference, not like for like).`,
    '',
    `${'system'.padEnd(58)}${r.datasets.map((d) => `  ds ${d.id} (n=${d.neurons})`.padStart(18)).join('')}`,
  ];
  const row = (label: string, vals: (string)[]): string => `${label.padEnd(58)}${vals.map((v) => v.padStart(18)).join('')}`;
  r.candidates.forEach((c, i) => lines.push(row(`${i === r.selected ? '* ' : '  '}model ${specLabel(c.spec)} (LONO)`, r.datasets.map((d) => `${c.perDataset[d.id]!.mean.toFixed(3)} ± ${c.perDataset[d.id]!.sd.toFixed(3)}`))));
  lines.push(row('  OASIS AR(1), γ from autocov (LONO)', r.datasets.map((d) => f(r.baselines[d.id]!.ar1.mean))));
  lines.push(row('  OASIS AR(2), g1,g2 from autocov (LONO)', r.datasets.map((d) => f(r.baselines[d.id]!.ar2.mean))));
  for (const p of PUBLISHED) lines.push(row(`  [TEST cells] ${p.label}`, r.datasets.map((d) => f(p.test[d.id]))));
  for (const p of PUBLISHED) lines.push(row(`  [train cells, in-sample] ${p.label}`, r.datasets.map((d) => f(p.train[d.id]))));
  lines.push('', row('learned γ (linear recurrence, spikes→calcium)', r.datasets.map((d) => r.gamma[d.id]!.gamma.toFixed(5))));
  lines.push(row('implied τ = −Δt/ln γ (s)', r.datasets.map((d) => r.gamma[d.id]!.tau.toFixed(3))));
  lines.push(row('OASIS AR(1) γ, median over neurons', r.datasets.map((d) => medianOf(r.baselines[d.id]!.ar1.coefs.map((g) => g[0])).toFixed(5))));
  lines.push('', `* selected by LONO mean r over all neurons (the same CV that reports it: mildly optimistic when several candidates compete).`);
  return lines.join('\n');
}

function medianOf(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export { specLabel };
