/**
 * The paper's metric: Pearson r and Spearman ρ between predicted and measured ΔΔG computed
 * within each protein, then averaged over proteins (so a per-protein offset or scale is free,
 * and a model is not rewarded for telling proteins apart).
 */

export { pearson, ranks, spearman } from '../common/stats.js';
import { pearson, spearman } from '../common/stats.js';

/** One protein's scores on its test mutations. */
export interface ProteinScore { protein: number; n: number; pearson: number; spearman: number }

/** Per-protein means and the proteins behind them. */
export interface PerProtein { pearson: number; spearman: number; proteins: number; perProtein: ProteinScore[] }

/** Proteins with fewer test mutations than this are not scored (a correlation of 4 points is noise). */
export const MIN_PER_PROTEIN = 10;

/**
 * Per-protein Pearson and Spearman of `pred` against `truth` (both indexed like `rows`), averaged
 * over the proteins with at least {@link MIN_PER_PROTEIN} rows and a non-constant truth.
 * @example perProtein(rows, data.protein, pred, truth).pearson
 */
export function perProtein(rows: readonly number[], proteinOf: ArrayLike<number>, pred: ArrayLike<number>, truth: ArrayLike<number>): PerProtein {
  const groups = new Map<number, number[]>();
  rows.forEach((r, i) => {
    const p = proteinOf[r]!;
    if (!groups.has(p)) groups.set(p, []);
    groups.get(p)!.push(i);
  });
  const scores: ProteinScore[] = [];
  for (const [p, idx] of [...groups].sort((a, b) => a[0] - b[0])) {
    if (idx.length < MIN_PER_PROTEIN) continue;
    const x = idx.map((i) => pred[i]!);
    const y = idx.map((i) => truth[i]!);
    const r = pearson(x, y);
    if (Number.isFinite(r)) scores.push({ protein: p, n: idx.length, pearson: r, spearman: spearman(x, y) });
  }
  const mean = (k: 'pearson' | 'spearman'): number => (scores.length ? scores.reduce((s, x) => s + x[k], 0) / scores.length : NaN);
  return { pearson: mean('pearson'), spearman: mean('spearman'), proteins: scores.length, perProtein: scores };
}

/** Mean and sample standard deviation (0 for one value). */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}
