/**
 * The protein-stability experiment: for every split (random, leave-protein-out, depth bin, D → L)
 * and input variant (sequence-only, with RSA), the ridge baseline and the recurrent network
 * (several seeds, and their average) are scored by the per-protein mean Pearson/Spearman of
 * their out-of-fold predictions, beside the published anchors on the same test proteins.
 * Hyperparameters (ridge λ, the network's epochs) are chosen on inner splits of each training part.
 */
import { Rng } from '../../index.js';
import { publishedAnchors, type AnchorRow } from './anchors.js';
import { fitRidge, ridgePredict } from './baselines.js';
import { saveNet } from './checkpoint.js';
import type { StabilityData } from './data.js';
import { fitNet, modelData, predictRows, type FittedNet } from './fit.js';
import { meanSd, perProtein, type PerProtein } from './metrics.js';
import { DEFAULT_SPEC, type StabilityNetSpec } from './model.js';
import { SPLIT_KINDS, SPLIT_LABELS, groupedSplit, innerSplit, outerFolds, type SplitKind } from './splits.js';

export type Variant = 'seq' | 'rsa';
export const VARIANTS: readonly Variant[] = ['seq', 'rsa'];
export const VARIANT_LABELS: Record<Variant, string> = { seq: 'sequence only', rsa: 'sequence + RSA' };

export interface StabilityOptions {
  /** The protein-stability folder (for the published per-protein summaries). */
  dataDir: string;
  splits?: SplitKind[];
  variants?: Variant[];
  /** Outer folds of the random and leave-protein-out splits (default 5). */
  folds?: number;
  /** Run only the first n outer folds (quick looks; the table says so). */
  foldsToRun?: number;
  /** Network seeds per fold (default 3). */
  seeds?: number;
  seed?: number;
  epochs?: number;
  patience?: number;
  lr?: number;
  proteinsPerStep?: number;
  spec?: Partial<Omit<StabilityNetSpec, 'rsa'>>;
  /** Where the D → L networks (trained on all of D) are saved for `recur predict`. */
  saveDir?: string;
  onProgress?: (line: string) => void;
}

export interface Score { pearson: number; spearman: number }

/** One method's result on one split and variant. */
export interface MethodResult extends Score {
  method: 'ridge' | 'rnn' | 'rnn-ensemble';
  variant: Variant;
  /** Seed spread (rnn): sample SD over seeds of the per-protein means. */
  pearsonSd?: number;
  spearmanSd?: number;
  perSeed?: Score[];
  perFold: Score[];
  /** Ridge: λ per fold; rnn: best epoch per fold × seed. */
  chosen: number[];
}

export interface SplitResult {
  split: SplitKind;
  label: string;
  folds: number;
  foldsRun: number;
  testProteins: number;
  testMutations: number;
  methods: MethodResult[];
  anchors: AnchorRow[];
  /** Per test protein (ids), the ridge and rnn-ensemble Pearson of the sequence-only variant. */
  perProtein: { id: string; ridge: number; rnn: number }[];
}

const score = (p: PerProtein): Score => ({ pearson: p.pearson, spearman: p.spearman });

function resolved(o: StabilityOptions) {
  return {
    splits: o.splits ?? [...SPLIT_KINDS], variants: o.variants ?? [...VARIANTS], folds: o.folds ?? 5, seeds: o.seeds ?? 3, seed: o.seed ?? 0,
    epochs: o.epochs ?? 20, patience: o.patience ?? 4, lr: o.lr ?? 3e-3, proteinsPerStep: o.proteinsPerStep ?? 4, spec: { ...DEFAULT_SPEC, ...o.spec },
  };
}
export type ResolvedOptions = ReturnType<typeof resolved>;

interface Preds { ridge: Float64Array; seeds: Float64Array[]; lambdas: number[]; epochs: number[]; perFold: { ridge: Score; seeds: Score[]; ens: Score }[] }

function foldRun(d: StabilityData, kind: SplitKind, variant: Variant, o: StabilityOptions, r: ResolvedOptions): { rows: number[]; preds: Preds; foldsRun: number } {
  const folds = outerFolds(d, kind, r.folds, new Rng(r.seed)).slice(0, o.foldsToRun ?? Infinity);
  const rows = folds.flatMap((f) => f.test);
  const at = new Map(rows.map((x, i) => [x, i]));
  const preds: Preds = { ridge: new Float64Array(rows.length), seeds: Array.from({ length: r.seeds }, () => new Float64Array(rows.length)), lambdas: [], epochs: [], perFold: [] };
  const md = modelData(d);
  const rsa = variant === 'rsa';
  folds.forEach((f, k) => {
    const truth = Float64Array.from(f.test, (x) => d.ddg[x]!);
    const pp = (p: ArrayLike<number>): Score => score(perProtein(f.test, d.protein, p, truth));
    const ridge = fitRidge(d, f.train, { rsa, grouped: groupedSplit(kind), rng: new Rng(r.seed * 7919 + k) });
    const rp = ridgePredict(ridge, d, f.test);
    preds.lambdas.push(ridge.lambda);
    const seedPreds = Array.from({ length: r.seeds }, (_, s) => {
      const rng = new Rng(r.seed * 1_000_003 + k * 101 + s);
      const inner = innerSplit(d, f.train, groupedSplit(kind), 0.15, rng);
      const tag = `${kind} ${variant} fold ${k + 1}/${folds.length} seed ${s + 1}/${r.seeds}`;
      const fit = fitNet(md, inner.train, inner.test, {
        spec: { ...r.spec, rsa }, maxEpochs: r.epochs, patience: r.patience, lr: r.lr, weightDecay: 1e-4, proteinsPerStep: r.proteinsPerStep, rng,
        onEpoch: (e) => o.onProgress?.(`${tag}: epoch ${e.epoch + 1} train ${e.trainLoss.toFixed(3)} val r ${e.valPearson.toFixed(3)} (${(e.ms / 1000).toFixed(1)} s)`),
      });
      preds.epochs.push(fit.bestEpoch + 1);
      if (kind === 'd-to-l' && o.saveDir) saveNet(o.saveDir, variant, s, fit);
      return predictRows(fit, md, f.test);
    });
    const ens = f.test.map((_, i) => seedPreds.reduce((a, p) => a + p[i]!, 0) / seedPreds.length);
    f.test.forEach((x, i) => {
      preds.ridge[at.get(x)!] = rp[i]!;
      seedPreds.forEach((p, s) => { preds.seeds[s]![at.get(x)!] = p[i]!; });
    });
    preds.perFold.push({ ridge: pp(rp), seeds: seedPreds.map(pp), ens: pp(ens) });
    o.onProgress?.(`${kind} ${variant} fold ${k + 1}: ridge r ${pp(rp).pearson.toFixed(3)} (λ ${ridge.lambda}), rnn ensemble r ${pp(ens).pearson.toFixed(3)}`);
  });
  return { rows, preds, foldsRun: folds.length };
}

function methods(d: StabilityData, rows: number[], variant: Variant, p: Preds): MethodResult[] {
  const truth = Float64Array.from(rows, (x) => d.ddg[x]!);
  const pp = (pred: ArrayLike<number>): Score => score(perProtein(rows, d.protein, pred, truth));
  const perSeed = p.seeds.map(pp);
  const ens = rows.map((_, i) => p.seeds.reduce((a, s) => a + s[i]!, 0) / p.seeds.length);
  const ps = meanSd(perSeed.map((s) => s.pearson));
  const ss = meanSd(perSeed.map((s) => s.spearman));
  return [
    { method: 'ridge', variant, ...pp(p.ridge), perFold: p.perFold.map((f) => f.ridge), chosen: p.lambdas },
    { method: 'rnn', variant, pearson: ps.mean, spearman: ss.mean, pearsonSd: ps.sd, spearmanSd: ss.sd, perSeed, perFold: p.perFold.map((f) => ({ pearson: meanSd(f.seeds.map((s) => s.pearson)).mean, spearman: meanSd(f.seeds.map((s) => s.spearman)).mean })), chosen: p.epochs },
    { method: 'rnn-ensemble', variant, ...pp(ens), perFold: p.perFold.map((f) => f.ens), chosen: [] },
  ];
}

/** Run one split for every variant. */
export function runSplit(d: StabilityData, kind: SplitKind, o: StabilityOptions): SplitResult {
  const r = resolved(o);
  const out: MethodResult[] = [];
  let rows: number[] = [];
  let foldsRun = 0;
  let seqPreds: Preds | null = null;
  for (const v of r.variants) {
    const run = foldRun(d, kind, v, o, r);
    rows = run.rows;
    foldsRun = run.foldsRun;
    if (v === 'seq') seqPreds = run.preds;
    out.push(...methods(d, rows, v, run.preds));
  }
  const ids = new Set(rows.map((x) => d.proteins[d.protein[x]!]!.id));
  const truth = Float64Array.from(rows, (x) => d.ddg[x]!);
  const per = (pred: ArrayLike<number>) => perProtein(rows, d.protein, pred, truth).perProtein;
  const ridgePer = seqPreds ? per(seqPreds.ridge) : [];
  const rnnPer = seqPreds ? per(rows.map((_, i) => seqPreds!.seeds.reduce((a, s) => a + s[i]!, 0) / seqPreds!.seeds.length)) : [];
  return {
    split: kind, label: SPLIT_LABELS[kind], folds: kind === 'random' || kind === 'protein' ? r.folds : 1, foldsRun, testProteins: ids.size, testMutations: rows.length, methods: out,
    anchors: publishedAnchors(o.dataDir, kind === 'd-to-l' ? 'L' : 'D', ids),
    perProtein: ridgePer.map((s, i) => ({ id: d.proteins[s.protein]!.id, ridge: s.pearson, rnn: rnnPer[i]?.pearson ?? NaN })),
  };
}

/** Every requested split, in order. */
export function runStability(d: StabilityData, o: StabilityOptions): { splits: SplitResult[]; options: ResolvedOptions } {
  const r = resolved(o);
  return { splits: r.splits.map((k) => runSplit(d, k, o)), options: r };
}
