/**
 * The evaluation splits, side by side:
 * - `random`: k folds over mutations (a test mutation's protein, and usually its site, are in training);
 * - `protein`: k folds over proteins of D (grouped: every test protein is unseen);
 * - `depth`: train on the D100/D1000/D10000 proteins, test on the shallow-MSA D10 proteins;
 * - `d-to-l`: train on all of D, test on dataset L (larger proteins, another source).
 * Inner validation (hyperparameters, early stopping) splits the training part the same way as the
 * outer split (by mutation for `random`, by protein otherwise), so no choice sees the test part.
 */
import { ValueError, type Rng } from '../../index.js';
import { rowsOf, type StabilityData } from './data.js';

export type SplitKind = 'random' | 'protein' | 'depth' | 'd-to-l';
export const SPLIT_KINDS: readonly SplitKind[] = ['random', 'protein', 'depth', 'd-to-l'];
export const SPLIT_LABELS: Record<SplitKind, string> = {
  random: 'random mutations (k-fold)',
  protein: 'leave-protein-out (grouped k-fold)',
  depth: 'leave-MSA-depth-bin-out (test D10)',
  'd-to-l': 'D → L (7 larger proteins)',
};

/** One train/test partition of mutation rows. */
export interface Fold { train: number[]; test: number[] }

/** Whether a split holds out whole proteins (then inner validation does too). */
export const groupedSplit = (k: SplitKind): boolean => k !== 'random';

/** k folds of `rows` by mutation: fold f tests the rows dealt to f after a shuffle. */
export function randomFolds(rows: readonly number[], k: number, rng: Rng): Fold[] {
  if (!Number.isInteger(k) || k < 2 || k > rows.length) throw new ValueError('randomFolds', `k an integer in [2, ${rows.length}]`, String(k));
  const order = rng.shuffle([...rows]);
  return Array.from({ length: k }, (_, f) => ({
    test: order.filter((_, i) => i % k === f).sort((a, b) => a - b),
    train: order.filter((_, i) => i % k !== f).sort((a, b) => a - b),
  }));
}

/** k folds of `rows` grouped by protein: proteins shuffled, dealt round-robin, whole. */
export function proteinFolds(d: StabilityData, rows: readonly number[], k: number, rng: Rng): Fold[] {
  const ids = rng.shuffle([...new Set(rows.map((r) => d.protein[r]!))].sort((a, b) => a - b));
  if (!Number.isInteger(k) || k < 2 || k > ids.length) throw new ValueError('proteinFolds', `k an integer in [2, ${ids.length}] (the number of proteins)`, String(k));
  const foldOf = new Map(ids.map((p, i) => [p, i % k]));
  return Array.from({ length: k }, (_, f) => ({
    test: rows.filter((r) => foldOf.get(d.protein[r]!) === f),
    train: rows.filter((r) => foldOf.get(d.protein[r]!) !== f),
  }));
}

/** The outer folds of a split kind over the data (k used by `random` and `protein`). */
export function outerFolds(d: StabilityData, kind: SplitKind, k: number, rng: Rng): Fold[] {
  const D = rowsOf(d, 'D');
  if (kind === 'random') return randomFolds(D, k, rng);
  if (kind === 'protein') return proteinFolds(d, D, k, rng);
  if (kind === 'depth') {
    const bin = (r: number): string => d.proteins[d.protein[r]!]!.subset;
    const test = D.filter((r) => bin(r) === 'D10');
    if (!test.length) throw new ValueError('depth split', 'D10 proteins in the data', 'none');
    return [{ train: D.filter((r) => bin(r) !== 'D10'), test }];
  }
  const L = rowsOf(d, 'L');
  if (!L.length) throw new ValueError('d-to-l split', 'dataset L rows in the data', 'none');
  return [{ train: D, test: L }];
}

/** One inner train/validation split of training rows (a `fraction` of mutations or proteins held out). */
export function innerSplit(d: StabilityData, rows: readonly number[], grouped: boolean, fraction: number, rng: Rng): Fold {
  if (!grouped) {
    const order = rng.shuffle([...rows]);
    const n = Math.max(1, Math.round(order.length * fraction));
    return { test: order.slice(0, n).sort((a, b) => a - b), train: order.slice(n).sort((a, b) => a - b) };
  }
  const ids = rng.shuffle([...new Set(rows.map((r) => d.protein[r]!))].sort((a, b) => a - b));
  if (ids.length < 2) throw new ValueError('innerSplit', 'at least 2 training proteins', String(ids.length));
  const held = new Set(ids.slice(0, Math.max(1, Math.round(ids.length * fraction))));
  return { test: rows.filter((r) => held.has(d.protein[r]!)), train: rows.filter((r) => !held.has(d.protein[r]!)) };
}
