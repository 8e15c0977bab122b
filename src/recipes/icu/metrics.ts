/**
 * Metrics of the protocol: AUROC (the library's rocAuc), AUPRC as average precision, the
 * challenge's event-1 score min(sensitivity, positive predictivity) at a threshold, the
 * threshold that maximises it on a validation part, and calibration bins.
 */
import { ValueError, rocAuc } from '../../index.js';

export { rocAuc };

/**
 * Average precision Σ_k (R_k − R_{k−1}) P_k over the distinct score thresholds, high to low
 * (scikit-learn's average_precision_score; tied scores enter together).
 */
export function auprc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let P = 0;
  for (let i = 0; i < n; i++) P += labels[i]! ? 1 : 0;
  if (P === 0) throw new ValueError('auprc', 'at least one positive label', 'none');
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (labels[i]) tp++; else fp++;
    if (k + 1 < n && scores[order[k + 1]!] === scores[i]) continue;
    const recall = tp / P;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** Sensitivity, positive predictivity and the event-1 score min(Se, +P) of "score ≥ threshold". */
export function event1(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): { se: number; ppv: number; score: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const pred = scores[i]! >= threshold;
    if (pred && labels[i]) tp++;
    else if (pred) fp++;
    else if (labels[i]) fn++;
  }
  const se = tp + fn > 0 ? tp / (tp + fn) : 0;
  const ppv = tp + fp > 0 ? tp / (tp + fp) : 0;
  return { se, ppv, score: Math.min(se, ppv) };
}

/** The threshold (one of the scores) that maximises the event-1 score on (scores, labels). */
export function bestEvent1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let P = 0;
  for (let i = 0; i < n; i++) P += labels[i] ? 1 : 0;
  let tp = 0;
  let best = -1;
  let thr = Infinity;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (labels[i]) tp++;
    if (k + 1 < n && scores[order[k + 1]!] === scores[i]) continue;
    const s = Math.min(P ? tp / P : 0, tp / (k + 1));
    if (s > best) { best = s; thr = scores[i]!; }
  }
  return thr;
}

/** Calibration: `bins` equal-width probability bins → mean predicted and observed rate (null if empty). */
export function calibrationBins(probs: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): { predicted: (number | null)[]; observed: (number | null)[]; count: number[] } {
  const sp = new Float64Array(bins);
  const sy = new Float64Array(bins);
  const c = new Array<number>(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probs[i]! * bins));
    sp[b]! += probs[i]!;
    sy[b]! += labels[i]!;
    c[b]! += 1;
  }
  return {
    predicted: c.map((k, b) => (k ? sp[b]! / k : null)),
    observed: c.map((k, b) => (k ? sy[b]! / k : null)),
    count: c,
  };
}

/** Mean and sample standard deviation (n − 1). */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}
