/**
 * `runSplice`: the built-in default recipe. Trains a bidirectional recurrent classifier on the
 * UCI splice-junction data under stratified cross-validation (or one stratified 90/10 split),
 * computes the baselines (majority class, k-mer logistic regression) on the same folds, and
 * compares per-class errors with the published table.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  OptionError, Rng, ValueError, classificationReport, argmaxRows, getBackend, oneHot, writeFileAtomicSync, type ClassificationReport,
} from '../../index.js';
import { SPLICE_CLASSES, loadSplice, type SpliceData } from './data.js';
import { stratifiedKFold, stratifiedSample, stratifiedSplit, type Fold } from './folds.js';
import type { SpliceNet, Pooling } from './model.js';
import { buildNet, loadMember, memberFile, saveMember, type SpliceNetSpec } from './checkpoint.js';
import { fitClassifier, predictProbs, subset, type EncodedSet, type EpochRecord } from './train.js';
import { kmerLogisticBaseline, majorityProbs } from './baselines.js';
import { formatSpliceTable, type ErrorRow } from './table.js';
import { PUBLISHED_SPLICE, bestPublished, type PublishedRow } from './published.js';

export interface SpliceOptions {
  /** Folds of stratified cross-validation (>= 2); omitted: one stratified 90/10 split. `cv: 10` is the published protocol. */
  cv?: number;
  /** Most epochs per fold; early stopping on a validation split may end sooner (default 20). */
  epochs?: number;
  /** Hidden size per direction (default 32). */
  hidden?: number;
  /** Recurrent cell (default 'gru'). */
  cell?: 'gru' | 'lstm';
  /** Pooling over time (default 'center': the outputs at the two steps around the junction). */
  pooling?: Pooling;
  /** Conv1d front-end channels, 0 = none (default 0). */
  convChannels?: number;
  /** Minibatch size (default 32). */
  batchSize?: number;
  /** AdamW learning rate (default 3e-3). */
  lr?: number;
  /** AdamW decoupled weight decay (default 1e-2). */
  weightDecay?: number;
  /** Dropout before the classifier (default 0.2). */
  dropout?: number;
  /** Weight moving-average decay per step, 0 = off (default 0.99). */
  ema?: number;
  /** Networks trained per fold (different initialisation and order), probabilities averaged (default 3). */
  ensemble?: number;
  /** Epochs without a better validation loss before stopping (default 4). */
  patience?: number;
  /** Share of each training fold held out for early stopping (default 0.1). */
  valFraction?: number;
  /** Use a stratified random subset of this many examples (quick runs, tests; default all 3,190). */
  limit?: number;
  /** Seed of every random choice: folds, initialisation, shuffling, dropout (default 0). */
  seed?: number;
  /** splice.data to read (default the copy in data/uci-splice/). */
  dataPath?: string;
  /** Progress events. */
  onProgress?: (e: SpliceProgress) => void;
  /** Write result.json and table.txt here. */
  outDir?: string;
  /** Save every trained network here (see checkpoint.ts), and reuse the ones already saved. */
  stateDir?: string;
  /** Use only networks saved in `stateDir`, training none (eval); a missing one is an error. */
  savedOnly?: boolean;
  /** Once `requested`, training stops after the current step and runSplice returns null. */
  stop?: { readonly requested: boolean };
}

/** Progress events, discriminated by `kind`. Folds count from 0. */
export type SpliceProgress =
  | { kind: 'start'; folds: number; members: number; epochs: number; batchSize: number; examples: number; backend: string }
  | { kind: 'fold_start'; fold: number; folds: number; train: number; val: number; test: number }
  | { kind: 'member_start'; fold: number; member: number; steps: number }
  | { kind: 'step'; fold: number; member: number; epoch: number; step: number; steps: number; loss: number }
  | ({ kind: 'epoch'; fold: number; member: number } & EpochRecord)
  | { kind: 'member_end'; fold: number; member: number; bestEpoch: number; epochsRun: number; stoppedEarly: boolean; patience: number }
  | { kind: 'fold_end'; fold: number; perClassError: Record<string, number[]>; ms: number }
  | { kind: 'done'; ms: number };

/** One system of this run (the model or a baseline), on the pooled out-of-fold predictions. */
export interface SpliceSystemResult {
  name: 'model' | 'majority' | 'logreg-kmer';
  label: string;
  /** Percent error per true class, pooled over folds. */
  perClassError: Record<'EI' | 'IE' | 'N', number>;
  /** Per-fold percent errors [EI, IE, N]. */
  foldErrors: number[][];
  metrics: ClassificationReport;
}

/** One trained network of a fold's ensemble. */
export interface SpliceMember {
  /** Epoch (from 0) whose weights were kept. */
  bestEpoch: number;
  epochsRun: number;
  /** Losses and validation error per epoch. */
  history: EpochRecord[];
}

/** Per fold: sizes, the trained members and timings. */
export interface SpliceFoldResult {
  fold: number;
  train: number;
  val: number;
  test: number;
  members: SpliceMember[];
  modelMs: number;
  baselineMs: number;
}

export interface SpliceResult {
  protocol: { cv: number | null; folds: number; examples: number; valFraction: number; seed: number; description: string };
  hyper: Required<Pick<SpliceOptions, 'epochs' | 'hidden' | 'cell' | 'pooling' | 'convChannels' | 'batchSize' | 'lr' | 'weightDecay' | 'dropout' | 'ema' | 'ensemble' | 'patience'>>;
  classes: string[];
  /** The model first, then the baselines. */
  systems: SpliceSystemResult[];
  published: readonly PublishedRow[];
  /** Per class: the model's error, the best published one, and whether the model is lower. */
  comparison: { cls: 'N' | 'EI' | 'IE'; model: number; bestPublished: number; system: string; better: boolean }[];
  beatsAllPublished: boolean;
  table: string;
  folds: SpliceFoldResult[];
  /** Training history (per epoch) of every fold: its first network (all members: `folds[f].members`). */
  history: EpochRecord[][];
  timings: { totalMs: number; modelMs: number; baselineMs: number; backend: string };
  /** Parameters of the model (all ensemble members together). */
  parameters: number;
}

const POOLINGS: readonly Pooling[] = ['center', 'max', 'mean', 'last', 'max+last', 'flatten'];
const KEYS = ['cv', 'epochs', 'hidden', 'cell', 'pooling', 'convChannels', 'batchSize', 'lr', 'weightDecay', 'dropout', 'ema', 'ensemble', 'patience', 'valFraction', 'limit', 'seed', 'dataPath', 'onProgress', 'outDir', 'stateDir', 'savedOnly', 'stop'];

function resolve(o: SpliceOptions): SpliceResult['hyper'] & { cv: number | null; valFraction: number; seed: number } {
  const where = 'runSplice';
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new OptionError(where, `options among {${KEYS.join(', ')}}`, `unknown option '${k}'`);
  if (o.savedOnly && !o.stateDir) throw new OptionError(where, 'savedOnly together with stateDir (the folder of the saved networks)', 'no stateDir');
  const int = (name: string, v: number | undefined, def: number, min: number): number => {
    const x = v ?? def;
    if (!Number.isInteger(x) || x < min) throw new ValueError(where, `${name} an integer >= ${min}`, String(v));
    return x;
  };
  const cv = o.cv === undefined || o.cv === 1 ? null : int('cv', o.cv, 10, 2);
  const valFraction = o.valFraction ?? 0.1;
  if (!(valFraction > 0 && valFraction < 0.5)) throw new ValueError(where, 'valFraction in (0, 0.5)', String(valFraction));
  const num = (name: string, v: number | undefined, def: number, ok: (x: number) => boolean, expected: string): number => {
    const x = v ?? def;
    if (typeof x !== 'number' || !ok(x)) throw new ValueError(where, `${name} ${expected}`, String(v));
    return x;
  };
  if (o.cell !== undefined && o.cell !== 'gru' && o.cell !== 'lstm') throw new ValueError(where, "cell 'gru' or 'lstm'", JSON.stringify(o.cell));
  if (o.pooling !== undefined && !POOLINGS.includes(o.pooling)) throw new ValueError(where, `pooling among ${POOLINGS.join(', ')}`, JSON.stringify(o.pooling));
  return {
    cv, valFraction, seed: int('seed', o.seed, 0, 0),
    epochs: int('epochs', o.epochs, 20, 1), hidden: int('hidden', o.hidden, 32, 1), cell: o.cell ?? 'gru', pooling: o.pooling ?? 'center',
    convChannels: int('convChannels', o.convChannels, 0, 0), batchSize: int('batchSize', o.batchSize, 32, 1),
    lr: num('lr', o.lr, 3e-3, (x) => x > 0 && x < 1, 'in (0, 1)'), weightDecay: num('weightDecay', o.weightDecay, 1e-2, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    dropout: num('dropout', o.dropout, 0.2, (x) => x >= 0 && x < 1, 'in [0, 1)'), ema: num('ema', o.ema, 0.99, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    ensemble: int('ensemble', o.ensemble, 3, 1), patience: int('patience', o.patience, 4, 1),
  };
}

function encode(d: SpliceData): EncodedSet {
  const T = 60;
  const s: EncodedSet = { x: new Float32Array(d.sequences.length * T * 4), labels: Int32Array.from(d.labels), n: d.sequences.length, T, K: 4 };
  d.sequences.forEach((seq, i) => s.x.set(oneHot(seq, 'dna'), i * T * 4));
  return s;
}

function limitData(d: SpliceData, limit: number | undefined, rng: Rng): SpliceData {
  if (limit === undefined || limit >= d.labels.length) return d;
  if (!Number.isInteger(limit) || limit < 30) throw new ValueError('runSplice', 'limit an integer >= 30', String(limit));
  const keep = stratifiedSample(d.labels, limit, rng);
  return { ...d, sequences: keep.map((i) => d.sequences[i]!), labels: keep.map((i) => d.labels[i]!), names: keep.map((i) => d.names[i]!) };
}

/** Percent errors [EI, IE, N] of predictions `probs` (n, 3) on `labels`. */
function pctErrors(labels: ArrayLike<number>, probs: Float64Array): number[] {
  const pred = argmaxRows(probs, 3);
  const wrong = [0, 0, 0];
  const n = [0, 0, 0];
  for (let i = 0; i < labels.length; i++) {
    n[labels[i]!]! += 1;
    if (pred[i] !== labels[i]) wrong[labels[i]!]! += 1;
  }
  return wrong.map((w, c) => (n[c] ? (100 * w) / n[c]! : NaN));
}

const SYSTEMS = [
  { name: 'model', label: '' },
  { name: 'majority', label: 'baseline: majority class' },
  { name: 'logreg-kmer', label: 'baseline: logistic regression, k-mers 1-3' },
] as const;

/** What a fold needs besides its data: the settings, the shared Rng, where networks are saved. */
interface FoldEnv {
  d: SpliceData;
  all: EncodedSet;
  folds: number;
  h: ReturnType<typeof resolve>;
  rng: Rng;
  oof: Float64Array[];
  o: SpliceOptions;
}

type FoldOutcome = SpliceFoldResult & { params: number; errs: number[][] };

/**
 * Fold f's member m: loaded from `stateDir` when saved there, else trained (and saved).
 * The two forks of the shared Rng happen either way, so later members draw the same numbers
 * whether or not this one was reused. Null when a stop was requested during training.
 */
async function member(e: FoldEnv, f: number, m: number, fitSet: EncodedSet, valSet: EncodedSet): Promise<{ net: SpliceNet; rec: SpliceMember } | null> {
  const { h, o } = e;
  const spec: SpliceNetSpec = { cell: h.cell, hidden: h.hidden, pooling: h.pooling, convChannels: h.convChannels, dropout: h.dropout };
  const net = buildNet(spec, e.rng.fork());
  const rng = e.rng.fork();
  const file = o.stateDir ? memberFile(o.stateDir, f, m) : '';
  if (file && (o.savedOnly || existsSync(file))) {
    const { meta } = loadMember(file, net);
    return { net, rec: { bestEpoch: meta.bestEpoch, epochsRun: meta.epochsRun, history: meta.history } };
  }
  o.onProgress?.({ kind: 'member_start', fold: f, member: m, steps: Math.ceil(fitSet.n / h.batchSize) });
  const fit = await fitClassifier(net, fitSet, valSet, {
    epochs: h.epochs, batchSize: h.batchSize, lr: h.lr, weightDecay: h.weightDecay, patience: h.patience, clip: 1, ema: h.ema, rng,
    onEpoch: (ep) => o.onProgress?.({ kind: 'epoch', fold: f, member: m, ...ep }),
    onStep: (s) => o.onProgress?.({ kind: 'step', fold: f, member: m, ...s }),
    ...(o.stop ? { stop: o.stop } : {}),
  });
  if (!fit) return null;
  o.onProgress?.({ kind: 'member_end', fold: f, member: m, bestEpoch: fit.bestEpoch, epochsRun: fit.epochsRun, stoppedEarly: fit.stoppedEarly, patience: h.patience });
  const rec = { bestEpoch: fit.bestEpoch, epochsRun: fit.epochsRun, history: fit.history };
  if (file) saveMember(file, net, { kind: 'splice-member', fold: f, member: m, classes: [...SPLICE_CLASSES], steps: e.all.T, net: spec, ...rec });
  return { net, rec };
}

/** Train (or reload) and evaluate one fold; out-of-fold probabilities go into `e.oof[system]`. Null when stopped. */
async function runFold(e: FoldEnv, fold: Fold, f: number): Promise<FoldOutcome | null> {
  const { d, all, h, o } = e;
  const inner = stratifiedSplit(fold.train.map((i) => d.labels[i]!), h.valFraction, e.rng);
  const fitIdx = inner.train.map((j) => fold.train[j]!);
  const valIdx = inner.test.map((j) => fold.train[j]!);
  o.onProgress?.({ kind: 'fold_start', fold: f, folds: e.folds, train: fitIdx.length, val: valIdx.length, test: fold.test.length });
  const t0 = performance.now();
  const [fitSet, valSet, test] = [subset(all, fitIdx), subset(all, valIdx), subset(all, fold.test)];
  const members: SpliceMember[] = [];
  const avg = new Float64Array(fold.test.length * 3);
  let params = 0;
  for (let m = 0; m < h.ensemble; m++) {
    const got = await member(e, f, m, fitSet, valSet);
    if (!got) return null;
    const p = predictProbs(got.net, test).probs;
    for (let i = 0; i < avg.length; i++) avg[i]! += p[i]! / h.ensemble;
    members.push(got.rec);
    params += got.net.numParameters();
  }
  const probs: Float64Array[] = [avg];
  const t1 = performance.now();
  const trainY = fold.train.map((i) => d.labels[i]!);
  probs.push(majorityProbs(trainY, fold.test.length, 3));
  probs.push(kmerLogisticBaseline(fold.train.map((i) => d.sequences[i]!), trainY, fold.test.map((i) => d.sequences[i]!), 3));
  const t2 = performance.now();
  probs.forEach((p, s) => fold.test.forEach((i, j) => e.oof[s]!.set(p.subarray(j * 3, j * 3 + 3), i * 3)));
  const errs = probs.map((p) => pctErrors(test.labels, p));
  o.onProgress?.({ kind: 'fold_end', fold: f, perClassError: Object.fromEntries(SYSTEMS.map((s, k) => [s.name, errs[k]!])), ms: t2 - t0 });
  return {
    fold: f, train: fitIdx.length, val: valIdx.length, test: fold.test.length, members, modelMs: t1 - t0, baselineMs: t2 - t1, params, errs,
  };
}

/**
 * Run the splice-junction recipe. With `stateDir`, every trained network is saved there at once
 * and networks already saved there are reused (resume at network granularity: the result equals
 * an uninterrupted run's); with `stop`, a requested stop ends training and returns null.
 * @example
 * const r = await runSplice({ cv: 10 });   // the full protocol
 * console.log(r!.table);
 */
export async function runSplice(options: SpliceOptions = {}): Promise<SpliceResult | null> {
  const h = resolve(options);
  const t0 = performance.now();
  const rng = new Rng(h.seed);
  const d = limitData(loadSplice(options.dataPath), options.limit, rng);
  const all = encode(d);
  const folds = h.cv ? stratifiedKFold(d.labels, h.cv, rng) : [stratifiedSplit(d.labels, 0.1, rng)];
  const backend = getBackend().name;
  options.onProgress?.({ kind: 'start', folds: folds.length, members: h.ensemble, epochs: h.epochs, batchSize: h.batchSize, examples: d.labels.length, backend });
  const env: FoldEnv = { d, all, folds: folds.length, h, rng, oof: SYSTEMS.map(() => new Float64Array(d.labels.length * 3)), o: options };
  const foldRes: FoldOutcome[] = [];
  for (const [f, fold] of folds.entries()) {
    const r = await runFold(env, fold, f);
    if (!r) return null;
    foldRes.push(r);
  }
  const tested = folds.flatMap((fd) => fd.test).sort((a, b) => a - b);
  const yTest = tested.map((i) => d.labels[i]!);
  const systems: SpliceSystemResult[] = SYSTEMS.map((s, k) => {
    const probs = Float64Array.from(tested.flatMap((i) => [...env.oof[k]!.subarray(i * 3, i * 3 + 3)]));
    const metrics = classificationReport(yTest, argmaxRows(probs, 3), SPLICE_CLASSES, probs);
    const pc = metrics.perClass;
    const front = h.convChannels ? `conv${h.convChannels} + ` : '';
    const ens = h.ensemble > 1 ? `, ensemble of ${h.ensemble}` : '';
    const label = s.name === 'model' ? `recur ${front}bi-${h.cell.toUpperCase()} (H=${h.hidden}, ${h.pooling}${ens})` : s.label;
    return {
      name: s.name, label, perClassError: { EI: 100 * pc[0]!.error, IE: 100 * pc[1]!.error, N: 100 * pc[2]!.error },
      foldErrors: foldRes.map((fr) => fr.errs[k]!), metrics,
    };
  });
  return finish(options, h, d, systems, foldRes, t0, backend);
}

function finish(
  o: SpliceOptions, h: ReturnType<typeof resolve>, d: SpliceData, systems: SpliceSystemResult[],
  foldRes: FoldOutcome[], t0: number, backend: string,
): SpliceResult {
  const nf = foldRes.length;
  const n = d.labels.length.toLocaleString('en-US');
  const description = h.cv
    ? `${h.cv}-fold stratified CV on ${n} examples (published rows: 10-fold CV on 1,000)`
    : `one stratified 90/10 split of ${n} examples, ${foldRes[0]!.test} tested (published rows: 10-fold CV on 1,000; use cv: 10 for the full protocol)`;
  const spread = (k: number, c: number): number => {
    const v = foldRes.map((fr) => fr.errs[k]![c]!);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1));
  };
  const rows: ErrorRow[] = systems.map((s, k) => ({
    system: s.label, ...s.perClassError, accuracy: s.metrics.accuracy,
    note: nf > 1 ? `fold sd ±${spread(k, 2).toFixed(1)} / ±${spread(k, 0).toFixed(1)} / ±${spread(k, 1).toFixed(1)}` : undefined,
  }));
  const title = `Splice-junction per-class error (%): ${description}; backend ${backend}`;
  const comparison = (['N', 'EI', 'IE'] as const).map((cls) => {
    const b = bestPublished(cls);
    const model = systems[0]!.perClassError[cls];
    return { cls, model, bestPublished: b.error, system: b.system, better: model < b.error };
  });
  const modelMs = foldRes.reduce((a, f) => a + f.modelMs, 0);
  const baselineMs = foldRes.reduce((a, f) => a + f.baselineMs, 0);
  const result: SpliceResult = {
    protocol: { cv: h.cv, folds: nf, examples: d.labels.length, valFraction: h.valFraction, seed: h.seed, description },
    hyper: { epochs: h.epochs, hidden: h.hidden, cell: h.cell, pooling: h.pooling, convChannels: h.convChannels, batchSize: h.batchSize, lr: h.lr, weightDecay: h.weightDecay, dropout: h.dropout, ema: h.ema, ensemble: h.ensemble, patience: h.patience },
    classes: [...SPLICE_CLASSES], systems, published: PUBLISHED_SPLICE, comparison,
    beatsAllPublished: comparison.every((c) => c.better),
    table: formatSpliceTable({ title, rows }),
    folds: foldRes.map(({ params: _p, errs: _e, ...rest }) => rest),
    history: foldRes.map((f) => f.members[0]!.history),
    timings: { totalMs: performance.now() - t0, modelMs, baselineMs, backend },
    parameters: foldRes[0]!.params,
  };
  o.onProgress?.({ kind: 'done', ms: result.timings.totalMs });
  if (o.outDir) writeOutputs(o.outDir, result);
  return result;
}

function writeOutputs(dir: string, r: SpliceResult): void {
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
  writeFileAtomicSync(join(dir, 'result.json'), json);
  writeFileAtomicSync(join(dir, 'table.txt'), `${r.table}\n`);
}

/**
 * The whole result as text: the comparison table, then per system accuracy, macro-F1, macro
 * one-vs-rest AUC and per-class F1, the model's confusion matrix, and timings.
 * @example console.log(formatSpliceSummary(runSplice()));
 */
export function formatSpliceSummary(r: SpliceResult): string {
  const pct = (v: number): string => (100 * v).toFixed(2);
  const lines = [r.table, '', 'system metrics (pooled out-of-fold predictions):'];
  for (const s of r.systems) {
    const m = s.metrics;
    const f1 = m.perClass.map((c) => `${c.label} ${c.f1.toFixed(3)}`).join(', ');
    lines.push(`  ${s.label}: accuracy ${pct(m.accuracy)}%, macro-F1 ${m.macroF1.toFixed(3)}, macro AUC (one-vs-rest) ${m.macroAuc.toFixed(4)}; F1 ${f1}`);
  }
  const m = r.systems[0]!.metrics;
  const w = Math.max(...m.confusion.flat().map((v) => String(v).length), 4) + 2;
  lines.push('', `confusion matrix of ${r.systems[0]!.label} (rows true, columns predicted):`);
  lines.push(`  ${''.padEnd(6)}${m.classes.map((c) => c.padStart(w)).join('')}`);
  m.confusion.forEach((row, i) => lines.push(`  ${m.classes[i]!.padEnd(6)}${row.map((v) => String(v).padStart(w)).join('')}`));
  const t = r.timings;
  const epochs = r.folds.map((f) => f.members.map((m) => m.epochsRun).join('+')).join(', ');
  lines.push('', `time ${(t.totalMs / 1000).toFixed(1)} s (model ${(t.modelMs / 1000).toFixed(1)} s, baselines ${(t.baselineMs / 1000).toFixed(1)} s) on backend ${t.backend}; epochs per fold: ${epochs}; ${r.parameters} parameters`);
  return lines.join('\n');
}
