/**
 * The paper's metric: Pearson r and Spearman ρ between predicted and measured ΔΔG computed
 * within each protein, then averaged over proteins (so a per-protein offset or scale is free,
 * and a model is not rewarded for telling proteins apart).
 */

/** Pearson correlation (NaN when either side is constant or n < 2). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return n < 2 || saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Ranks from 1, ties sharing their mean rank. */
export function ranks(a: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: a.length }, (_, i) => i).sort((i, j) => a[i]! - a[j]!);
  const out = new Float64Array(a.length);
  for (let s = 0; s < idx.length;) {
    let e = s;
    while (e + 1 < idx.length && a[idx[e + 1]!] === a[idx[s]!]) e++;
    for (let k = s; k <= e; k++) out[idx[k]!] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
}

/** Spearman rank correlation. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

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
