/**
 * From per-sample decisions to steps, and steps to scores. A detected step is a run of samples
 * marked "in step" lasting at least `minLen` samples; it matches an annotated step when both its
 * start and its end lie within `tol` samples of the annotated start and end. Matching is one to
 * one (closest pairs first), and F1 = 2·TP / (detected + annotated). A detector's edges may sit
 * a fixed distance from the annotators' (a causal model answers late, a gyroscope threshold
 * fires early): {@link calibrated} sets start and end shifts from the median offsets of its
 * matches at a wider tolerance, on the data it is tuned on.
 */
import type { Interval } from './data.js';

/** Runs of `on(t)` true over t in [0, T), at least `minLen` long. */
export function runsOf(T: number, on: (t: number) => boolean, minLen: number): Interval[] {
  const out: Interval[] = [];
  let start = -1;
  for (let t = 0; t <= T; t++) {
    const v = t < T && on(t);
    if (v && start < 0) start = t;
    if (!v && start >= 0) {
      if (t - start >= minLen) out.push([start, t - 1]);
      start = -1;
    }
  }
  return out;
}

export interface MatchCounts {
  tp: number;
  detected: number;
  annotated: number;
}

/** One-to-one matching of detected to annotated steps within `tol` samples at both ends: [detected, annotated] index pairs. */
export function matchPairs(detected: readonly Interval[], annotated: readonly Interval[], tol: number): [number, number][] {
  const cand: [number, number, number][] = [];
  let lo = 0;
  const order = annotated.map((_, j) => j).sort((a, b) => annotated[a]![0] - annotated[b]![0]);
  for (const [i, d] of detected.entries()) {
    while (lo < order.length && annotated[order[lo]!]![0] < d[0] - tol) lo++;
    for (let k = lo; k < order.length && annotated[order[k]!]![0] <= d[0] + tol; k++) {
      const a = annotated[order[k]!]!;
      const cost = Math.max(Math.abs(a[0] - d[0]), Math.abs(a[1] - d[1]));
      if (cost <= tol) cand.push([cost, i, order[k]!]);
    }
  }
  cand.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const usedD = new Set<number>();
  const usedA = new Set<number>();
  const pairs: [number, number][] = [];
  for (const [, i, j] of cand) {
    if (usedD.has(i) || usedA.has(j)) continue;
    usedD.add(i);
    usedA.add(j);
    pairs.push([i, j]);
  }
  return pairs;
}

export function matchSteps(detected: readonly Interval[], annotated: readonly Interval[], tol: number): MatchCounts {
  return { tp: matchPairs(detected, annotated, tol).length, detected: detected.length, annotated: annotated.length };
}

export function addCounts(a: MatchCounts, b: MatchCounts): MatchCounts {
  return { tp: a.tp + b.tp, detected: a.detected + b.detected, annotated: a.annotated + b.annotated };
}

export const NO_COUNTS: MatchCounts = { tp: 0, detected: 0, annotated: 0 };

/** F1 of matched steps; 1 when there is nothing to detect and nothing was detected. */
export function f1Of(c: MatchCounts): number {
  const d = c.detected + c.annotated;
  return d === 0 ? 1 : (2 * c.tp) / d;
}

/** Steps with their starts and ends moved by ds and de samples, kept inside [0, T). */
export function shifted(steps: readonly Interval[], ds: number, de: number, T: number): Interval[] {
  return steps.map(([s, e]): Interval => [Math.max(0, s + ds), Math.min(T - 1, e + de)]).filter(([s, e]) => s <= e);
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1]! : 0;
};

/** Shifts (median start and end offsets of matches at 3·tol) and the pooled F1 at tol with them. */
export function calibrated(runs: readonly Interval[][], feet: readonly { T: number; truth: readonly Interval[] }[], tol: number): { shiftStart: number; shiftEnd: number; f1: number } {
  const ds: number[] = [];
  const de: number[] = [];
  runs.forEach((r, i) => {
    for (const [a, b] of matchPairs(r, feet[i]!.truth, 3 * tol)) {
      ds.push(feet[i]!.truth[b]![0] - r[a]![0]);
      de.push(feet[i]!.truth[b]![1] - r[a]![1]);
    }
  });
  const [shiftStart, shiftEnd] = [median(ds), median(de)];
  let c = NO_COUNTS;
  runs.forEach((r, i) => (c = addCounts(c, matchSteps(shifted(r, shiftStart, shiftEnd, feet[i]!.T), feet[i]!.truth, tol))));
  return { shiftStart, shiftEnd, f1: f1Of(c) };
}
