/**
 * Classification metrics over plain arrays: accuracy, confusion matrix, per-class error,
 * precision / recall / F1 (per class and macro), and ROC-AUC (binary and one-vs-rest) by the
 * exact rank statistic with ties.
 *
 * Conventions: classes are ids 0…C−1; the confusion matrix is `m[true][predicted]`; the
 * per-class error of class c is the share of examples of true class c that are misclassified
 * (1 − recall, the "error rate per category" of the UCI tables). A ratio with a zero
 * denominator is 0 for precision/recall/F1 (as scikit-learn's zero_division=0) and NaN for
 * per-class error and AUC (undefined: no examples of the class, or only one class present).
 */
import { ShapeError, ValueError } from '../util/errors.js';

type Ids = ArrayLike<number>;

function checkIds(where: string, y: Ids, C: number, what: string): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= C) throw new ValueError(where, `${what} class ids in [0, ${C})`, `${v} at index ${i}`);
  }
}

function checkPair(where: string, yTrue: Ids, yPred: Ids, C: number): void {
  if (!Number.isInteger(C) || C < 1) throw new ValueError(where, 'numClasses an integer >= 1', String(C));
  if (yTrue.length !== yPred.length) throw new ShapeError(where, `${yTrue.length} predictions (as yTrue)`, String(yPred.length));
  checkIds(where, yTrue, C, 'true');
  checkIds(where, yPred, C, 'predicted');
}

/** Share of exact matches (NaN for no examples). */
export function accuracy(yTrue: Ids, yPred: Ids): number {
  if (yTrue.length !== yPred.length) throw new ShapeError('accuracy', `${yTrue.length} predictions (as yTrue)`, String(yPred.length));
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return yTrue.length === 0 ? NaN : ok / yTrue.length;
}

/**
 * Confusion matrix (C, C): rows are true classes, columns predicted classes.
 * @example confusionMatrix([0, 1, 1], [0, 0, 1], 2) // [[1, 0], [1, 1]]
 */
export function confusionMatrix(yTrue: Ids, yPred: Ids, numClasses: number): number[][] {
  checkPair('confusionMatrix', yTrue, yPred, numClasses);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += 1;
  return m;
}

/** Per class c: misclassified examples of true class c / examples of class c (NaN if none). */
export function perClassError(yTrue: Ids, yPred: Ids, numClasses: number): number[] {
  const m = confusionMatrix(yTrue, yPred, numClasses);
  return m.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? NaN : (n - row[c]!) / n;
  });
}

/** Per-class precision, recall, F1 and support. */
export interface PrecisionRecallF1 {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

/** Precision, recall and F1 per class from a confusion matrix m[true][pred] (0/0 → 0). */
export function prfFromConfusion(m: readonly (readonly number[])[]): PrecisionRecallF1 {
  const C = m.length;
  const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const out: PrecisionRecallF1 = { precision: [], recall: [], f1: [], support: [] };
  for (let c = 0; c < C; c++) {
    const tp = m[c]![c]!;
    let predicted = 0;
    let support = 0;
    for (let k = 0; k < C; k++) {
      predicted += m[k]![c]!;
      support += m[c]![k]!;
    }
    const p = div(tp, predicted);
    const r = div(tp, support);
    out.precision.push(p);
    out.recall.push(r);
    out.f1.push(div(2 * p * r, p + r));
    out.support.push(support);
  }
  return out;
}

/**
 * Precision, recall and F1 per class.
 * @example precisionRecallF1([0, 0, 1, 1], [0, 1, 1, 1], 2).f1 // [2/3, 0.8]
 */
export function precisionRecallF1(yTrue: Ids, yPred: Ids, numClasses: number): PrecisionRecallF1 {
  return prfFromConfusion(confusionMatrix(yTrue, yPred, numClasses));
}

/** Unweighted mean of the per-class F1 over all C classes. */
export function macroF1(yTrue: Ids, yPred: Ids, numClasses: number): number {
  const { f1 } = precisionRecallF1(yTrue, yPred, numClasses);
  return f1.reduce((a, b) => a + b, 0) / f1.length;
}

/**
 * Binary ROC-AUC by the rank statistic (Mann–Whitney U): the probability that a random
 * positive scores above a random negative, ties counting 1/2. Tied scores share their mid-rank,
 * so the value equals the trapezoidal area under the ROC curve. NaN when either class is absent.
 * @example rocAuc([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1]) // 0.875
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (positive.length !== n) throw new ShapeError('rocAuc', `${n} labels (as scores)`, String(positive.length));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i]!)) throw new ValueError('rocAuc', 'scores that are not NaN', `NaN at index ${i}`);
  order.sort((a, b) => scores[a]! - scores[b]!);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1; // 1-based ranks i+1 … j+1 share their mean
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) {
        nPos++;
        rankSumPos += midRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** One-vs-rest AUC per class and their mean over the classes where it is defined. */
export interface OvrAuc {
  perClass: number[];
  macro: number;
}

/**
 * One-vs-rest ROC-AUC: class c's scores `probs[i·C + c]` against "true class is c".
 * @param probs (N, C) row-major scores or probabilities
 * @example rocAucOvR(probs, yTrue, 3).macro
 */
export function rocAucOvR(probs: ArrayLike<number>, yTrue: Ids, numClasses: number): OvrAuc {
  const C = numClasses;
  const N = yTrue.length;
  if (probs.length !== N * C) throw new ShapeError('rocAucOvR', `${N * C} scores (N=${N} × C=${C})`, String(probs.length));
  checkIds('rocAucOvR', yTrue, C, 'true');
  const perClass: number[] = [];
  const col = new Float64Array(N);
  const pos = new Uint8Array(N);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < N; i++) {
      col[i] = probs[i * C + c]!;
      pos[i] = yTrue[i] === c ? 1 : 0;
    }
    perClass.push(rocAuc(col, pos));
  }
  const defined = perClass.filter((v) => !Number.isNaN(v));
  return { perClass, macro: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN };
}

/** Row-wise argmax of (N, C) scores (first maximum wins). */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const N = Math.floor(scores.length / numClasses);
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (scores[i * numClasses + c]! > scores[i * numClasses + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Everything about one classifier's predictions. */
export interface ClassificationReport {
  classes: string[];
  n: number;
  accuracy: number;
  /** m[true][predicted]. */
  confusion: number[][];
  perClass: { label: string; support: number; error: number; precision: number; recall: number; f1: number; auc: number }[];
  macroF1: number;
  /** Mean one-vs-rest AUC (NaN without scores). */
  macroAuc: number;
}

/**
 * All metrics at once. `scores` (N, C) gives the AUCs; without it they are NaN.
 * @example classificationReport(yTrue, argmaxRows(p, 3), ['EI', 'IE', 'N'], p)
 */
export function classificationReport(yTrue: Ids, yPred: Ids, classes: readonly string[], scores?: ArrayLike<number> | null): ClassificationReport {
  const C = classes.length;
  const confusion = confusionMatrix(yTrue, yPred, C);
  const prf = prfFromConfusion(confusion);
  const auc = scores ? rocAucOvR(scores, yTrue, C) : { perClass: new Array<number>(C).fill(NaN), macro: NaN };
  const perClass = classes.map((label, c) => ({
    label,
    support: prf.support[c]!,
    error: prf.support[c] === 0 ? NaN : 1 - confusion[c]![c]! / prf.support[c]!,
    precision: prf.precision[c]!,
    recall: prf.recall[c]!,
    f1: prf.f1[c]!,
    auc: auc.perClass[c]!,
  }));
  return {
    classes: [...classes], n: yTrue.length, accuracy: accuracy(yTrue, yPred), confusion, perClass,
    macroF1: prf.f1.reduce((a, b) => a + b, 0) / C, macroAuc: auc.macro,
  };
}
