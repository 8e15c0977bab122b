/**
 * `runSplice`: the sequence-classification recipe. Trains a bidirectional recurrent classifier
 * on labelled sequences (deduplicated unless `keepDuplicates`) under stratified
 * cross-validation (or one stratified 90/10 split; grouped folds with `groupCol`), computes the
 * baselines (majority class, position-aware one-hot logistic regression, position-free k-mer
 * logistic regression) on the same folds, and reports per-class errors. The data is the UCI
 * splice-junction set (the default: the splice preset, compared with the published table) or
 * the user's own FASTA/CSV (`fasta` or `csv`, see sequences.ts; any label set, any lengths).
 * With `select`, the architecture is chosen per fold on the inner validation split (nested).
 */
import { existsSync } from 'node:fs';
import {
  OptionError, Rng, ValueError, classificationReport, argmaxRows, getBackend, oneHot, resolveAlphabet, type ClassificationReport,
} from '../../index.js';
import { dedupOrKeep, loadSplice, type DedupCounts, type SpliceData } from './data.js';
import { groupKFold, groupSplit, stratifiedKFold, stratifiedSample, stratifiedSplit, type Fold } from './folds.js';
import { checkData, checkSource, loadSequences, ownData, type SequenceSource } from './sequences.js';
import type { SpliceNet, Pooling } from './model.js';
import { buildNet, loadMember, memberFile, saveMember, type SpliceNetSpec } from './checkpoint.js';
import { fitClassifier, predictProbs, subset, type EncodedSet, type EpochRecord } from './train.js';
import { kmerLogisticBaseline, majorityProbs, oneHotLogisticBaseline } from './baselines.js';
import type { PublishedRow } from './published.js';
import { finish } from './result.js';
import { SELECT_GRID, selectMembers, type FoldSelection } from './select.js';

export interface SpliceOptions extends SequenceSource {
  /** Folds of stratified cross-validation (>= 2); omitted: one stratified 90/10 split. `cv: 10` with `limit: 1000` is the published protocol. */
  cv?: number;
  /** Most epochs per fold; early stopping on a validation split may end sooner (default 20). */
  epochs?: number;
  /** Hidden size per direction (default 32). */
  hidden?: number;
  /** Recurrent cell (default 'gru'). */
  cell?: 'gru' | 'lstm';
  /**
   * Pooling over time (default for the splice data 'center': the outputs at the two steps around
   * the junction; for the user's own data 'max+last'). 'center' and 'flatten' need one length.
   */
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
  /**
   * Keep exact duplicate sequences and conflicting labels as read (the old protocol, where a test
   * sequence can have a copy in its training fold). Default false: deduplicated.
   */
  keepDuplicates?: boolean;
  /**
   * Nested selection: per fold, choose pooling × hidden × ensemble from {@link SELECT_GRID} on
   * the fold's inner validation split (never the test fold); `pooling`, `hidden` and `ensemble`
   * are then ignored. About 2× the networks of the default.
   */
  select?: boolean;
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
  name: 'model' | 'majority' | 'logreg-onehot' | 'logreg-kmer';
  label: string;
  /** Percent error per true class, pooled over folds. */
  perClassError: Record<string, number>;
  /** Per-fold percent errors per class, in the order of `classes`. */
  foldErrors: number[][];
  /** Per class: mean and sample standard deviation of the per-fold errors (sd 0 with one fold). */
  foldMean: Record<string, number>;
  foldSd: Record<string, number>;
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
  /** Networks trained (or reloaded) in this fold, selection candidates included. */
  networks: number;
  /** The one-hot baseline's L2, chosen on its validation split of the training fold. */
  onehotL2: number;
  /** With `select`: what was chosen on the inner validation split, and from what. */
  selection?: FoldSelection;
}

export interface SpliceResult {
  protocol: {
    cv: number | null; folds: number; examples: number; valFraction: number; seed: number; description: string;
    /** Nested selection per fold (`select`). */
    select: boolean;
    /** 10 folds on 1,000 examples: the published rows' protocol (their sample had duplicates). */
    matchesPublished: boolean;
  };
  /** Deduplication counts (rows read, duplicates removed, conflicting dropped, kept). */
  data: DedupCounts;
  hyper: Required<Pick<SpliceOptions, 'epochs' | 'hidden' | 'cell' | 'pooling' | 'convChannels' | 'batchSize' | 'lr' | 'weightDecay' | 'dropout' | 'ema' | 'ensemble' | 'patience'>>;
  classes: string[];
  /** The model first, then the baselines. */
  systems: SpliceSystemResult[];
  published: readonly PublishedRow[];
  /** Per class: the model's error, the best published one, and whether the model is lower. */
  comparison: { cls: 'N' | 'EI' | 'IE'; model: number; bestPublished: number; system: string; better: boolean }[];
  /** Splice only: lower error than the best published row on every class. */
  beatsAllPublished?: boolean;
  table: string;
  folds: SpliceFoldResult[];
  /** Training history (per epoch) of every fold: its first network (all members: `folds[f].members`). */
  history: EpochRecord[][];
  timings: { totalMs: number; modelMs: number; baselineMs: number; backend: string };
  /** Parameters of the model (all ensemble members together). */
  parameters: number;
}

const POOLINGS: readonly Pooling[] = ['center', 'max', 'mean', 'last', 'max+last', 'flatten'];
/** The keys of {@link SequenceSource}: the user's own data instead of the splice set. */
export const SOURCE_KEYS = ['fasta', 'labels', 'labelFrom', 'csv', 'seqCol', 'labelCol', 'groupCol', 'idCol', 'alphabet'];
const KEYS = ['cv', 'epochs', 'hidden', 'cell', 'pooling', 'convChannels', 'batchSize', 'lr', 'weightDecay', 'dropout', 'ema', 'ensemble', 'patience', 'valFraction', 'limit', 'seed', 'dataPath', 'keepDuplicates', 'select', 'onProgress', 'outDir', 'stateDir', 'savedOnly', 'stop', ...SOURCE_KEYS];


export type Resolved = SpliceResult['hyper'] & { cv: number | null; valFraction: number; seed: number; select: boolean; keepDuplicates: boolean };

function resolve(o: SpliceOptions): Resolved {
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
  if (ownData(o)) {
    checkSource(o, where);
    if (o.dataPath !== undefined) throw new OptionError(where, 'dataPath (the splice data) or fasta/csv (your own), not both', 'both');
  }
  return {
    cv, valFraction, seed: int('seed', o.seed, 0, 0), select: o.select ?? false, keepDuplicates: o.keepDuplicates ?? false,
    epochs: int('epochs', o.epochs, 20, 1), hidden: int('hidden', o.hidden, 32, 1), cell: o.cell ?? 'gru', pooling: o.pooling ?? (ownData(o) ? 'max+last' : 'center'),
    convChannels: int('convChannels', o.convChannels, 0, 0), batchSize: int('batchSize', o.batchSize, 32, 1),
    lr: num('lr', o.lr, 3e-3, (x) => x > 0 && x < 1, 'in (0, 1)'), weightDecay: num('weightDecay', o.weightDecay, 1e-2, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    dropout: num('dropout', o.dropout, 0.2, (x) => x >= 0 && x < 1, 'in [0, 1)'), ema: num('ema', o.ema, 0.99, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    ensemble: int('ensemble', o.ensemble, 3, 1), patience: int('patience', o.patience, 4, 1),
  };
}

/**
 * One-hot (N, T, K), T the longest sequence; shorter ones zero-padded at the end, with their
 * lengths (absent when every sequence has length T, as in the splice data).
 */
export function encode(d: Pick<SpliceData, 'sequences' | 'labels' | 'alphabet'>): EncodedSet {
  const a = resolveAlphabet(d.alphabet ?? 'dna');
  const K = a.symbols.length;
  const T = Math.max(...d.sequences.map((q) => q.length));
  const lengths = Int32Array.from(d.sequences, (q) => q.length);
  const s: EncodedSet = { x: new Float32Array(d.sequences.length * T * K), labels: Int32Array.from(d.labels), n: d.sequences.length, T, K };
  d.sequences.forEach((seq, i) => s.x.set(oneHot(seq, a), i * T * K));
  return lengths.every((L) => L === T) ? s : { ...s, lengths };
}

function limitData(d: SpliceData, limit: number | undefined, rng: Rng): SpliceData {
  if (limit === undefined || limit >= d.labels.length) return d;
  if (!Number.isInteger(limit) || limit < 30) throw new ValueError('runSplice', 'limit an integer >= 30', String(limit));
  const keep = stratifiedSample(d.labels, limit, rng);
  const out = { ...d, sequences: keep.map((i) => d.sequences[i]!), labels: keep.map((i) => d.labels[i]!), names: keep.map((i) => d.names[i]!) };
  return d.groups ? { ...out, groups: keep.map((i) => d.groups![i]!) } : out;
}

/** Percent errors per class of predictions `probs` (n, C) on `labels`. */
function pctErrors(labels: ArrayLike<number>, probs: Float64Array, C: number): number[] {
  const pred = argmaxRows(probs, C);
  const wrong = new Array<number>(C).fill(0);
  const n = new Array<number>(C).fill(0);
  for (let i = 0; i < labels.length; i++) {
    n[labels[i]!]! += 1;
    if (pred[i] !== labels[i]) wrong[labels[i]!]! += 1;
  }
  return wrong.map((w, c) => (n[c] ? (100 * w) / n[c]! : NaN));
}

const SYSTEMS = [
  { name: 'model', label: '' },
  { name: 'majority', label: 'baseline: majority class' },
  { name: 'logreg-onehot', label: 'baseline: one-hot LR (position-aware)' },
  { name: 'logreg-kmer', label: 'baseline: k-mer LR (position-free)' },
] as const;

/** What a fold needs besides its data: the settings, the shared Rng, where networks are saved. */
export interface FoldEnv {
  d: SpliceData;
  all: EncodedSet;
  folds: number;
  h: Resolved;
  rng: Rng;
  oof: Float64Array[];
  o: SpliceOptions;
}

export type FoldOutcome = SpliceFoldResult & { params: number; errs: number[][] };

/** A trained (or reloaded) network and its training record. */
export type Member = { net: SpliceNet; rec: SpliceMember };

/**
 * Fold f's member m: loaded from `stateDir` when saved there, else trained (and saved).
 * The two forks of the shared Rng happen either way, so later members draw the same numbers
 * whether or not this one was reused. Null when a stop was requested during training.
 */
export async function member(
  e: FoldEnv, f: number, m: number, fitSet: EncodedSet, valSet: EncodedSet, arch: Partial<Pick<SpliceNetSpec, 'hidden' | 'pooling'>> = {},
): Promise<Member | null> {
  const { h, o } = e;
  const spec: SpliceNetSpec = { cell: h.cell, hidden: arch.hidden ?? h.hidden, pooling: arch.pooling ?? h.pooling, convChannels: h.convChannels, dropout: h.dropout };
  const net = buildNet(spec, e.rng.fork(), e.d.classes.length, e.all.K, e.all.T);
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
  if (file) saveMember(file, net, { kind: 'splice-member', fold: f, member: m, classes: [...e.d.classes], steps: e.all.T, net: spec, ...rec, ...(e.d.alphabet ? { alphabet: e.d.alphabet } : {}) });
  return { net, rec };
}

/** Train (or reload) and evaluate one fold; out-of-fold probabilities go into `e.oof[system]`. Null when stopped. */
async function runFold(e: FoldEnv, fold: Fold, f: number): Promise<FoldOutcome | null> {
  const { d, all, h, o } = e;
  if (d.groups && new Set(fold.train.map((i) => d.groups![i])).size < 2) {
    throw new ValueError('recur train --task classify', 'at least 2 groups (--group-col) in every training fold (one is held out for early stopping)', `1 in fold ${f + 1} (use fewer folds or more groups)`);
  }
  const inner = d.groups ? groupSplit(fold.train.map((i) => d.groups![i]!), h.valFraction, e.rng) : stratifiedSplit(fold.train.map((i) => d.labels[i]!), h.valFraction, e.rng);
  const fitIdx = inner.train.map((j) => fold.train[j]!);
  const valIdx = inner.test.map((j) => fold.train[j]!);
  o.onProgress?.({ kind: 'fold_start', fold: f, folds: e.folds, train: fitIdx.length, val: valIdx.length, test: fold.test.length });
  const t0 = performance.now();
  const [fitSet, valSet, test] = [subset(all, fitIdx), subset(all, valIdx), subset(all, fold.test)];
  let chosen: Member[] = [];
  let selection: FoldSelection | undefined;
  let networks = 0;
  if (h.select) {
    const s = await selectMembers(valSet, (m, arch) => member(e, f, m, fitSet, valSet, arch));
    if (!s) return null;
    [chosen, selection, networks] = [s.chosen, s.selection, s.networks];
  } else {
    for (let m = 0; m < h.ensemble; m++) {
      const got = await member(e, f, m, fitSet, valSet);
      if (!got) return null;
      chosen.push(got);
    }
    networks = chosen.length;
  }
  const C = d.classes.length;
  const avg = new Float64Array(fold.test.length * C);
  for (const got of chosen) {
    const p = predictProbs(got.net, test).probs;
    for (let i = 0; i < avg.length; i++) avg[i]! += p[i]! / chosen.length;
  }
  const members = chosen.map((c) => c.rec);
  const params = chosen.reduce((a, c) => a + c.net.numParameters(), 0);
  const probs: Float64Array[] = [avg];
  const t1 = performance.now();
  const trainY = fold.train.map((i) => d.labels[i]!);
  const [trainSeqs, testSeqs] = [fold.train.map((i) => d.sequences[i]!), fold.test.map((i) => d.sequences[i]!)];
  probs.push(majorityProbs(trainY, fold.test.length, C));
  // Its own Rng (from the seed and fold), so the shared stream, and with it every network, is
  // what it was before this baseline existed: --keep-duplicates reproduces the old figures.
  const alphabet = d.alphabet ?? 'dna';
  const onehot = oneHotLogisticBaseline(trainSeqs, trainY, testSeqs, C, new Rng(h.seed * 1000 + 7919 + f), { alphabet, ...(d.groups ? { groups: fold.train.map((i) => d.groups![i]!) } : {}) });
  probs.push(onehot.probs);
  probs.push(kmerLogisticBaseline(trainSeqs, trainY, testSeqs, C, { alphabet, ks: KMER_KS[alphabet] }));
  const t2 = performance.now();
  probs.forEach((p, s) => fold.test.forEach((i, j) => e.oof[s]!.set(p.subarray(j * C, (j + 1) * C), i * C)));
  const errs = probs.map((p) => pctErrors(test.labels, p, C));
  o.onProgress?.({ kind: 'fold_end', fold: f, perClassError: Object.fromEntries(SYSTEMS.map((s, k) => [s.name, errs[k]!])), ms: t2 - t0 });
  return {
    fold: f, train: fitIdx.length, val: valIdx.length, test: fold.test.length, members, modelMs: t1 - t0, baselineMs: t2 - t1, params, errs,
    networks, onehotL2: onehot.l2, ...(selection ? { selection } : {}),
  };
}

/**
 * The data and folds of a run with these options, drawn from its seed as {@link runSplice} draws
 * them (the `--limit` subset, then the folds); `rng` is left where training continues from it.
 */
export function spliceFolds(options: SpliceOptions): { d: SpliceData; folds: Fold[]; rng: Rng } {
  const h = resolve(options);
  const rng = new Rng(h.seed);
  const read = ownData(options) ? dedupOrKeep(loadSequences(options), h.keepDuplicates) : loadSplice(options.dataPath, { keepDuplicates: h.keepDuplicates });
  const d = limitData(read, options.limit, rng);
  if (ownData(options)) checkData(d, h);
  const folds = d.groups
    ? (h.cv ? groupKFold(d.groups, h.cv, rng) : [groupSplit(d.groups, 0.1, rng)])
    : h.cv ? stratifiedKFold(d.labels, h.cv, rng) : [stratifiedSplit(d.labels, 0.1, rng)];
  return { d, folds, rng };
}

/** k-mer sizes of the position-free baseline: up to trinucleotides, up to dipeptides (20^3 features would dwarf small data sets). */
const KMER_KS: Record<string, number[]> = { dna: [1, 2, 3], rna: [1, 2, 3], protein: [1, 2] };


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
  const { d, folds, rng } = spliceFolds(options);
  const all = encode(d);
  const backend = getBackend().name;
  options.onProgress?.({ kind: 'start', folds: folds.length, members: h.select ? SELECT_GRID.length + 2 : h.ensemble, epochs: h.epochs, batchSize: h.batchSize, examples: d.labels.length, backend });
  const C = d.classes.length;
  const env: FoldEnv = { d, all, folds: folds.length, h, rng, oof: SYSTEMS.map(() => new Float64Array(d.labels.length * C)), o: options };
  const foldRes: FoldOutcome[] = [];
  for (const [f, fold] of folds.entries()) {
    const r = await runFold(env, fold, f);
    if (!r) return null;
    foldRes.push(r);
  }
  const tested = folds.flatMap((fd) => fd.test).sort((a, b) => a - b);
  const yTest = tested.map((i) => d.labels[i]!);
  const systems: SpliceSystemResult[] = SYSTEMS.map((s, k) => {
    const probs = Float64Array.from(tested.flatMap((i) => [...env.oof[k]!.subarray(i * C, (i + 1) * C)]));
    const metrics = classificationReport(yTest, argmaxRows(probs, C), d.classes, probs);
    const pc = metrics.perClass;
    const front = h.convChannels ? `conv${h.convChannels} + ` : '';
    const ens = h.ensemble > 1 ? `, ensemble of ${h.ensemble}` : '';
    const arch = h.select ? 'nested selection per fold' : `H=${h.hidden}, ${h.pooling}${ens}`;
    const label = s.name === 'model' ? `recur ${front}bi-${h.cell.toUpperCase()} (${arch})` : s.label;
    const foldErrors = foldRes.map((fr) => fr.errs[k]!);
    const stat = foldErrors.length ? d.classes.map((_, c) => meanSd(foldErrors.map((r) => r[c]!))) : [];
    const byClass = (v: (c: number) => number): Record<string, number> => Object.fromEntries(d.classes.map((name, c) => [name, v(c)]));
    return {
      name: s.name, label, perClassError: byClass((c) => 100 * pc[c]!.error),
      foldErrors, foldMean: byClass((c) => stat[c]![0]), foldSd: byClass((c) => stat[c]![1]), metrics,
    };
  });
  return finish(options, h, d, systems, foldRes, t0, backend);
}

/** Mean and sample standard deviation (0 for fewer than two values; NaNs skipped). */
export function meanSd(v: readonly number[]): [number, number] {
  const x = v.filter((a) => !Number.isNaN(a));
  if (!x.length) return [NaN, NaN];
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return [m, x.length < 2 ? 0 : Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1))];
}
