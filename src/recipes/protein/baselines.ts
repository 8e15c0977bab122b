/**
 * The strongest simple baseline: ridge regression on hand-made features of a substitution —
 * the (wild-type, mutant) pair one-hot (400), the amino-acid composition of the ±3 neighbours (20)
 * and the relative position (1); with RSA also the RSA and its products with the wild-type and
 * mutant one-hots (41). The penalty λ is chosen from a grid by the per-protein Pearson on an inner
 * validation split of the training rows only, then the model is refitted on all of them.
 *
 * Legend: N rows, p features (+1 intercept, unpenalised).
 */
import { ValueError, type Rng } from '../../index.js';
import { cholSolve, cholesky } from '../bmi/linalg.js';
import type { StabilityData } from './data.js';
import { perProtein } from './metrics.js';
import { innerSplit } from './splits.js';

export const RIDGE_LAMBDAS: readonly number[] = Object.freeze([0.1, 1, 10, 100, 1000, 10000]);
const WINDOW = 3;

/** Number of features (without the intercept). */
export const ridgeWidth = (rsa: boolean): number => 421 + (rsa ? 41 : 0);

/** The nonzero features of row r: indices and values (the intercept is index 0). */
export function featureRow(d: StabilityData, r: number, rsa: boolean): { idx: number[]; val: number[] } {
  const p = d.proteins[d.protein[r]!]!;
  const pos = d.pos[r]!;
  const wt = d.wt[r]!;
  const mut = d.mut[r]!;
  const idx = [0, 1 + wt * 20 + mut];
  const val = [1, 1];
  const lo = Math.max(0, pos - WINDOW);
  const hi = Math.min(p.residues.length - 1, pos + WINDOW);
  const comp = new Map<number, number>();
  for (let j = lo; j <= hi; j++) if (j !== pos) comp.set(p.residues[j]!, (comp.get(p.residues[j]!) ?? 0) + 1 / (hi - lo));
  for (const [a, v] of comp) {
    idx.push(401 + a);
    val.push(v);
  }
  idx.push(421);
  val.push(p.residues.length > 1 ? pos / (p.residues.length - 1) : 0.5);
  if (rsa) {
    const s = d.rsa[r]!;
    idx.push(422, 423 + wt, 443 + mut);
    val.push(s, s, s);
  }
  return { idx, val };
}

/** XᵀX (q, q) and Xᵀy (q) over `rows`, q = p + 1, from sparse rows. */
function normalEquations(d: StabilityData, rows: readonly number[], rsa: boolean): { G: Float64Array; b: Float64Array; q: number } {
  const q = ridgeWidth(rsa) + 1;
  const G = new Float64Array(q * q);
  const b = new Float64Array(q);
  for (const r of rows) {
    const { idx, val } = featureRow(d, r, rsa);
    for (let i = 0; i < idx.length; i++) {
      const o = idx[i]! * q;
      b[idx[i]!]! += val[i]! * d.ddg[r]!;
      for (let j = 0; j < idx.length; j++) G[o + idx[j]!]! += val[i]! * val[j]!;
    }
  }
  return { G, b, q };
}

function solve(G: Float64Array, b: Float64Array, q: number, lambda: number): Float64Array {
  const A = Float64Array.from(G);
  // A tiny ridge on the intercept too keeps all-zero columns (unseen pairs) positive definite.
  for (let i = 0; i < q; i++) A[i * q + i]! += i === 0 ? 1e-8 : lambda;
  return cholSolve(cholesky(A, q), q, b, 1);
}

/** A fitted ridge model. */
export interface RidgeModel { rsa: boolean; lambda: number; w: Float64Array; /** Inner-validation per-protein Pearson per λ. */ validation: number[] }

/** Predictions of a ridge model on `rows`. */
export function ridgePredict(m: RidgeModel, d: StabilityData, rows: readonly number[]): Float64Array {
  return Float64Array.from(rows, (r) => {
    const { idx, val } = featureRow(d, r, m.rsa);
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += m.w[idx[i]!]! * val[i]!;
    return s;
  });
}

/**
 * Fit the ridge baseline on `rows`, λ chosen on an inner split (grouped by protein when `grouped`).
 * @example const m = fitRidge(data, fold.train, { rsa: false, grouped: true, rng: new Rng(0) });
 */
export function fitRidge(d: StabilityData, rows: readonly number[], opts: { rsa: boolean; grouped: boolean; rng: Rng; lambdas?: readonly number[] }): RidgeModel {
  const lambdas = opts.lambdas ?? RIDGE_LAMBDAS;
  if (!lambdas.length || lambdas.some((l) => !(l > 0))) throw new ValueError('fitRidge', 'positive penalties', JSON.stringify(lambdas));
  const inner = innerSplit(d, rows, opts.grouped, 0.2, opts.rng);
  const ne = normalEquations(d, inner.train, opts.rsa);
  const truth = Float64Array.from(inner.test, (r) => d.ddg[r]!);
  const validation = lambdas.map((lambda) => {
    const m: RidgeModel = { rsa: opts.rsa, lambda, w: solve(ne.G, ne.b, ne.q, lambda), validation: [] };
    const s = perProtein(inner.test, d.protein, ridgePredict(m, d, inner.test), truth).pearson;
    return Number.isFinite(s) ? s : -Infinity;
  });
  const lambda = lambdas[validation.indexOf(Math.max(...validation))]!;
  const full = normalEquations(d, rows, opts.rsa);
  return { rsa: opts.rsa, lambda, w: solve(full.G, full.b, full.q, lambda), validation };
}
