/**
 * The confounder demonstration on simulated proteins (synthetic.ts): a shortcut feature that a
 * random split rewards and a grouped split exposes. The shortcut is the mean ΔΔG of the other
 * training mutations at the same site (a target encoding of the site, the kind of feature a
 * pipeline builds "from the training data"). Where the test protein's sites were seen in training
 * (random split) it carries the site effect u; for an unseen protein it is empty (0), so whatever
 * weight the model gave it buys nothing. Known answer: on the grouped split no model can beat
 * the correlation of the transferable part of the rule with the label.
 */
import { Rng } from '../../index.js';
import { fitRidge, ridgePredict, type RidgeModel } from './baselines.js';
import { perProtein } from './metrics.js';
import { proteinFolds, randomFolds, type Fold } from './splits.js';
import { simulateStability, type SimData } from './synthetic.js';
import type { StabilityData } from './data.js';

export interface ConfounderRow { split: 'random' | 'grouped'; ridge: number; ridgeShortcut: number; ceiling: number }
export interface ConfounderResult { rows: ConfounderRow[]; proteins: number; mutations: number; folds: number }

/** The site means of `ddg` over `train` rows (key protein·10⁴ + pos), as a feature for `rows`. */
function siteShortcut(d: StabilityData, train: readonly number[], rows: readonly number[]): Float64Array {
  const sum = new Map<number, [number, number]>();
  const key = (r: number): number => d.protein[r]! * 10_000 + d.pos[r]!;
  for (const r of train) {
    const s = sum.get(key(r)) ?? [0, 0];
    sum.set(key(r), [s[0] + d.ddg[r]!, s[1] + 1]);
  }
  // A training row's own label is left out of its feature, as it would be for a test row.
  const own = new Set(train);
  return Float64Array.from(rows, (r) => {
    const s = sum.get(key(r));
    if (!s) return 0;
    const [t, n] = own.has(r) ? [s[0] - d.ddg[r]!, s[1] - 1] : s;
    return n > 0 ? t / n : 0;
  });
}

/** Ridge with the shortcut: the fitted ridge baseline plus a least-squares weight for the shortcut on its residual. */
function ridgeWithShortcut(d: StabilityData, f: Fold, base: RidgeModel): Float64Array {
  const fitted = ridgePredict(base, d, f.train);
  const resid = f.train.map((r, i) => d.ddg[r]! - fitted[i]!);
  const sc = siteShortcut(d, f.train, f.train);
  const w = sc.reduce((a, v, i) => a + v * resid[i]!, 0) / Math.max(1e-12, sc.reduce((a, v) => a + v * v, 0));
  const test = siteShortcut(d, f.train, f.test);
  return Float64Array.from(ridgePredict(base, d, f.test), (p, i) => p + w * test[i]!);
}

function scoreFolds(sim: SimData, folds: Fold[], split: ConfounderRow['split'], seed: number): ConfounderRow {
  const d = sim.data;
  const acc = { ridge: 0, ridgeShortcut: 0, ceiling: 0 };
  folds.forEach((f, k) => {
    const truth = Float64Array.from(f.test, (r) => d.ddg[r]!);
    const pr = (p: ArrayLike<number>): number => perProtein(f.test, d.protein, p, truth).pearson / folds.length;
    const base = fitRidge(d, f.train, { rsa: false, grouped: split === 'grouped', rng: new Rng(seed + k) });
    acc.ridge += pr(ridgePredict(base, d, f.test));
    acc.ridgeShortcut += pr(ridgeWithShortcut(d, f, base));
    acc.ceiling += pr(Float64Array.from(f.test, (r) => sim.transferable[r]!));
  });
  return { split, ...acc };
}

/**
 * Ridge with and without the shortcut, scored on a random and a grouped split of the same simulated proteins.
 * @example const r = confounderDemo({ seed: 0 }); // r.rows[0].ridgeShortcut ≫ r.rows[0].ridge; not so in r.rows[1]
 */
export function confounderDemo(o: { seed: number; proteins?: number; perProtein?: number; folds?: number }): ConfounderResult {
  const folds = o.folds ?? 5;
  const sim = simulateStability({ proteins: o.proteins ?? 40, perProtein: o.perProtein ?? 250, siteSd: 0.8, rng: new Rng(o.seed) });
  const rows = Array.from({ length: sim.data.ddg.length }, (_, i) => i);
  return {
    rows: [
      scoreFolds(sim, randomFolds(rows, folds, new Rng(o.seed + 1)), 'random', o.seed),
      scoreFolds(sim, proteinFolds(sim.data, rows, folds, new Rng(o.seed + 1)), 'grouped', o.seed),
    ],
    proteins: sim.data.proteins.length, mutations: rows.length, folds,
  };
}
