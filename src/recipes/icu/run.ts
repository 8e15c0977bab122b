/**
 * The protocol: stratified k-fold CV over stays; inside each training fold a stratified
 * validation part (20 %) picks the epoch (early stopping on validation AUROC), the logistic
 * regression's λ and the event-1 threshold. Test folds touch nothing but the final scores.
 * Preprocessing (winsorising, z-scores, descriptor encoding) is fitted on the training fold.
 */
import { Adam, F, Rng, Tensor, clipGradNorm, noGrad } from '../../index.js';
import { stratifiedKFold, stratifiedSplit } from '../splice/folds.js';
import { binHourly, type IrregularData } from './data.js';
import { fitScaler, sequenceInputs, staticMatrix, type SeqInputs } from './features.js';
import { fitLogistic, predictLogistic, selectLogistic, standardiseColumns, summaryFeatures, type SummaryKind } from './baselines.js';
import { IcuNet, makeBatch, type ModelKind } from './model.js';
import { auprc, bestEvent1Threshold, event1, rocAuc } from './metrics.js';

export type MethodKind = ModelKind | 'logistic' | 'logistic-mean';
export const METHOD_KINDS: readonly MethodKind[] = ['logistic', 'logistic-mean', 'gru-mean', 'gru-forward', 'gru-simple', 'grud'];
export const METHOD_LABELS: Record<MethodKind, string> = {
  grud: 'GRU-D', 'gru-simple': 'GRU-Simple', 'gru-mean': 'GRU-Mean', 'gru-forward': 'GRU-Forward',
  logistic: 'Logistic (summary features)', 'logistic-mean': 'Logistic (means + presence)',
};

export interface IcuConfig {
  folds: number;
  seed: number;
  methods: MethodKind[];
  hidden: number;
  epochs: number;
  patience: number;
  batchSize: number;
  lr: number;
  dropout: number;
  valFraction: number;
  /** Run only the first n folds (quick looks; the protocol is all of them). */
  foldsToRun?: number;
  /** Run only these folds (0-based), e.g. to split the protocol over processes and merge the results. */
  onlyFolds?: number[];
}

export const DEFAULT_CONFIG: IcuConfig = {
  folds: 5, seed: 0, methods: ['logistic', 'logistic-mean', 'gru-mean', 'gru-forward', 'gru-simple', 'grud'],
  hidden: 49, epochs: 12, patience: 3, batchSize: 64, lr: 3e-3, dropout: 0.3, valFraction: 0.2,
};

export interface FoldResult {
  method: MethodKind; fold: number; auroc: number; auprc: number;
  event1: number; se: number; ppv: number; threshold: number;
  valAuroc: number; epochs: number; seconds: number; lambda?: number;
  /** Validation AUROC per epoch (recurrent models). */
  history?: number[];
}

export interface IcuResults {
  config: IcuConfig;
  folds: FoldResult[];
  /** Out-of-fold test probabilities per method, indexed like data.stays. */
  oof: Record<string, number[]>;
  labels: number[];
  n: number;
  positives: number;
}

export type Log = (msg: string) => void;

interface FoldData { fit: number[]; val: number[]; test: number[] }

function scoreFold(method: MethodKind, fold: number, p: ArrayLike<number>, y: ArrayLike<number>, valP: ArrayLike<number>, valY: ArrayLike<number>, extra: Partial<FoldResult>): FoldResult {
  const threshold = bestEvent1Threshold(valP, valY);
  const e = event1(p, y, threshold);
  return {
    method, fold, auroc: rocAuc(p, y), auprc: auprc(p, y), event1: e.score, se: e.se, ppv: e.ppv, threshold,
    valAuroc: rocAuc(valP, valY), epochs: 0, seconds: 0, ...extra,
  };
}

function runLogistic(data: IrregularData, kind: SummaryKind, fd: FoldData, train: number[], y: number[]): { p: Float64Array; valP: Float64Array; lambda: number } {
  const scaler = fitScaler(data.stays, train, data.variables.length);
  const X = summaryFeatures(data, scaler, train, kind);
  standardiseColumns(X, train);
  const sel = selectLogistic(X, y, fd.fit, fd.val);
  // With λ chosen, refit on the whole training fold (the baseline's usual form, and its strongest);
  // the event-1 threshold still comes from the fit-part model's validation scores.
  const full = fitLogistic(train.map((i) => X[i]!), train.map((i) => y[i]!), sel.lambda, { init: sel.model });
  return { p: predictLogistic(full, fd.test.map((i) => X[i]!)), valP: predictLogistic(sel.model, fd.val.map((i) => X[i]!)), lambda: sel.lambda };
}

/** Probabilities for stays `idx` in eval mode, in chunks. */
function predictNet(net: IcuNet, seqs: SeqInputs[], st: Float64Array[], idx: readonly number[], T: number, V: number): Float64Array {
  net.eval();
  const out = new Float64Array(idx.length);
  noGrad(() => {
    for (let s = 0; s < idx.length; s += 256) {
      const z = net.forward(makeBatch(seqs, st, idx.slice(s, s + 256), T, V));
      for (let j = 0; j < z.size; j++) out[s + j] = 1 / (1 + Math.exp(-z.data[j]!));
    }
  });
  return out;
}

/** Train one recurrent model on fd.fit with early stopping on fd.val; returns the best epoch's weights' predictions. */
function runNet(kind: ModelKind, cfg: IcuConfig, seqs: SeqInputs[], st: Float64Array[], fd: FoldData, y: number[], T: number, V: number, rng: Rng, log: Log): { p: Float64Array; valP: Float64Array; epochs: number; history: number[] } {
  const net = new IcuNet(kind, V, st[0]!.length, { hidden: cfg.hidden, dropout: cfg.dropout, rng });
  const params = net.parameters();
  const opt = new Adam(params, { lr: cfg.lr });
  let best = { auc: -1, epoch: 0, weights: params.map((p) => p.data.slice()) };
  const history: number[] = [];
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    net.train();
    const order = rng.shuffle([...fd.fit]);
    for (let s = 0; s < order.length; s += cfg.batchSize) {
      const idx = order.slice(s, s + cfg.batchSize);
      const b = makeBatch(seqs, st, idx, T, V);
      const target = new Tensor(Float32Array.from(idx, (i) => y[i]!), [idx.length]);
      opt.zeroGrad();
      F.bceWithLogits(net.forward(b), target).backward();
      clipGradNorm(params, 5);
      opt.step();
    }
    const auc = rocAuc(predictNet(net, seqs, st, fd.val, T, V), fd.val.map((i) => y[i]!));
    history.push(auc);
    if (auc > best.auc) best = { auc, epoch, weights: params.map((p) => p.data.slice()) };
    log(`    ${kind} epoch ${epoch}: val AUROC ${auc.toFixed(4)}${epoch === best.epoch ? ' *' : ''}`);
    if (epoch - best.epoch >= cfg.patience) break;
  }
  params.forEach((p, j) => p.data.set(best.weights[j]!));
  return { p: predictNet(net, seqs, st, fd.test, T, V), valP: predictNet(net, seqs, st, fd.val, T, V), epochs: best.epoch, history };
}

/** Run every method on every fold. `onFold` sees each result as it lands (for progress files). */
export function runIcu(data: IrregularData, cfg: IcuConfig, log: Log = () => {}, onFold: (r: FoldResult, sofar: IcuResults) => void = () => {}): IcuResults {
  const y = data.stays.map((s) => s.label);
  const folds = stratifiedKFold(y, cfg.folds, new Rng(cfg.seed));
  const binned = binHourly(data);
  const oof: Record<string, number[]> = Object.fromEntries(cfg.methods.map((m) => [m, new Array<number>(y.length).fill(NaN)]));
  const results: FoldResult[] = [];
  const out: IcuResults = { config: cfg, folds: results, oof, labels: y, n: y.length, positives: y.reduce((a, b) => a + b, 0) };
  folds.slice(0, cfg.foldsToRun ?? cfg.folds).forEach((f, k) => {
    if (cfg.onlyFolds && !cfg.onlyFolds.includes(k)) return;
    const split = stratifiedSplit(f.train.map((i) => y[i]!), cfg.valFraction, new Rng(cfg.seed + 100 + k));
    const fd: FoldData = { fit: split.train.map((j) => f.train[j]!), val: split.test.map((j) => f.train[j]!), test: f.test };
    const scaler = fitScaler(data.stays, f.train, binned.V);
    const seqs = data.stays.map((_, i) => sequenceInputs(binned, i, scaler));
    const st = staticMatrix(data, f.train).rows;
    const yv = fd.val.map((i) => y[i]!);
    const yt = fd.test.map((i) => y[i]!);
    for (const m of cfg.methods) {
      const t0 = Date.now();
      let r: FoldResult;
      if (m === 'logistic' || m === 'logistic-mean') {
        const o = runLogistic(data, m === 'logistic' ? 'summary' : 'summary-mean', fd, f.train, y);
        r = scoreFold(m, k, o.p, yt, o.valP, yv, { lambda: o.lambda });
        fd.test.forEach((i, j) => { oof[m]![i] = o.p[j]!; });
      } else {
        const o = runNet(m, cfg, seqs, st, fd, y, binned.T, binned.V, new Rng(cfg.seed * 1000 + k * 10 + cfg.methods.indexOf(m)), log);
        r = scoreFold(m, k, o.p, yt, o.valP, yv, { epochs: o.epochs, history: o.history });
        fd.test.forEach((i, j) => { oof[m]![i] = o.p[j]!; });
      }
      r.seconds = (Date.now() - t0) / 1000;
      log(`fold ${k + 1}/${cfg.folds} ${METHOD_LABELS[m]}: AUROC ${r.auroc.toFixed(4)} AUPRC ${r.auprc.toFixed(4)} event-1 ${r.event1.toFixed(4)} (${r.seconds.toFixed(0)} s)`);
      results.push(r);
      onFold(r, out);
    }
  });
  return out;
}
