/**
 * Checks of a Koopman approximation along held-out trajectories: the linearity error of each
 * eigenfunction, ‖φ(x_t) − λ^t φ(x_0)‖ (pykoopman's validity_check), and conserved quantities —
 * the non-constant eigenfunctions with λ = 1, confirmed constant along the trajectories.
 */
import { ShapeError, ValueError } from '../util/errors.js';
import { checkOptions } from '../ops/checks.js';
import { matrix, type Complex, type Matrix } from './linalg.js';
import { svd } from './eig.js';
import { cpow } from './complex.js';
import { delayEmbed } from './dictionaries.js';
import type { KoopmanResult, Trajectory } from './koopman.js';

export interface ValidityEntry {
  /** Index into result.eigenvalues / eigenfunctions. */
  index: number;
  eigenvalue: Complex;
  /** √(Σ |φ(x_t) − λ^t φ(x_0)|² / Σ |φ(x_t)|²) over all held-out trajectories and steps. */
  relativeError: number;
  /** √(mean over trajectories and steps of |φ(x_t) − λ^t φ(x_0)|²). */
  error: number;
}

export interface ValidityOptions {
  /** Steps of each trajectory used (default: all). */
  steps?: number;
}

/** States the eigenfunctions take: the trajectory's rows, or its delay vectors. */
function inputsOf(where: string, res: KoopmanResult, tr: Trajectory, k: number): number[][] {
  if (tr.length < res.delays + 1) throw new ShapeError(where, `trajectories of at least ${res.delays + 1} states`, `trajectory ${k} of ${tr.length}`);
  const rows = tr.map((x) => Array.from(x));
  if (rows[0]!.length !== res.stateDim) throw new ShapeError(where, `states of dimension ${res.stateDim}`, `${rows[0]!.length} in trajectory ${k}`);
  return res.delays ? delayEmbed(rows, res.delays) : rows;
}

/**
 * Rank the eigenfunctions by their linearity error along held-out trajectories (best first): a
 * true eigenfunction satisfies φ(x_t) = λ^t φ(x_0) exactly.
 * @example validityCheck(edmd({ trajectories: train }, { dictionary: monomials(3) }), test)[0]  // the most linear
 */
export function validityCheck(res: KoopmanResult, heldOut: readonly Trajectory[], opts: ValidityOptions = {}): ValidityEntry[] {
  checkOptions('validityCheck', opts, ['steps']);
  if (!heldOut.length) throw new ShapeError('validityCheck', 'at least one held-out trajectory', '0');
  const r = res.eigenvalues.length;
  const err2 = new Float64Array(r);
  const norm2 = new Float64Array(r);
  let count = 0;
  heldOut.forEach((tr, k) => {
    const xs = inputsOf('validityCheck', res, tr, k).slice(0, opts.steps ?? Infinity);
    const phi0 = res.evaluate(xs[0]!);
    xs.forEach((x, t) => {
      const phi = res.evaluate(x);
      for (let i = 0; i < r; i++) {
        const p = cpow(res.eigenvalues[i]!, t);
        const pred = { re: p.re * phi0[i]!.re - p.im * phi0[i]!.im, im: p.re * phi0[i]!.im + p.im * phi0[i]!.re };
        err2[i] += (phi[i]!.re - pred.re) ** 2 + (phi[i]!.im - pred.im) ** 2;
        norm2[i] += phi[i]!.re ** 2 + phi[i]!.im ** 2;
      }
      count++;
    });
  });
  const out = res.eigenvalues.map((eigenvalue, index) => ({
    index, eigenvalue, relativeError: Math.sqrt(err2[index]! / (norm2[index]! || 1)), error: Math.sqrt(err2[index]! / count),
  }));
  return out.sort((a, b) => a.relativeError - b.relativeError);
}

/** A real function that the data show constant along trajectories. */
export interface ConservedQuantity {
  /** c with f(x) = z(x)·c (lifted coordinates of the result). */
  coefficients: Float64Array;
  /** f(x). */
  evaluate: (x: ArrayLike<number>) => number;
  /** Mean over held-out trajectories of the variance of f along each, divided by f's variance over all held-out states. */
  relativeVariance: number;
  /** Rayleigh quotient cᵀK̃c / cᵀc (≈ 1). */
  eigenvalue: number;
}

export interface ConservedOptions {
  /** Largest relative variance along the held-out trajectories for a confirmed quantity (default 1e-6). */
  tol?: number;
  /** Eigenvalues with |λ − 1| ≤ unitTol span the candidate space (default 1e-3). */
  unitTol?: number;
}

export interface ConservedResult {
  /** Confirmed quantities (relative variance ≤ tol), best first. */
  quantities: ConservedQuantity[];
  /** Every non-constant candidate in the λ ≈ 1 eigenspace, confirmed or not, best first. */
  candidates: ConservedQuantity[];
  /** Eigenvalues with |λ − 1| ≤ unitTol (the constant function's among them when the dictionary holds it). */
  unitEigenvalues: Complex[];
}

/**
 * Conserved quantities: the eigenspace of K̃ for the eigenvalues within unitTol of 1 (the right
 * singular vectors of K̃ − I for its smallest singular values, as many as there are such
 * eigenvalues), with the constant direction projected out (functions centred over the held-out
 * states; directions without variance dropped), rotated to the functions whose variance along
 * each held-out trajectory is smallest relative to their variance over all states (a symmetric
 * generalised eigenproblem). Those with relative variance ≤ tol are confirmed.
 * @example conservedQuantities(edmd({ trajectories }, { dictionary }), heldOut).quantities[0]!.evaluate([q, p])
 */
export function conservedQuantities(res: KoopmanResult, heldOut: readonly Trajectory[], opts: ConservedOptions = {}): ConservedResult {
  checkOptions('conservedQuantities', opts, ['tol', 'unitTol']);
  const tol = opts.tol ?? 1e-6;
  const unitTol = opts.unitTol ?? 1e-3;
  if (!(tol > 0) || !(unitTol > 0)) throw new ValueError('conservedQuantities', 'positive tol and unitTol', `${tol}, ${unitTol}`);
  if (!heldOut.length) throw new ShapeError('conservedQuantities', 'at least one held-out trajectory', '0');
  const unitEigenvalues = res.eigenvalues.filter((l) => Math.hypot(l.re - 1, l.im) <= unitTol);
  const m = unitEigenvalues.length;
  if (!m) return { quantities: [], candidates: [], unitEigenvalues };
  const r = res.rank;
  const KmI = { rows: r, cols: r, data: res.matrix.data.slice() };
  for (let i = 0; i < r; i++) KmI.data[i * r + i] -= 1;
  const { V } = svd(KmI);
  const basis = Array.from({ length: m }, (_, j) => Float64Array.from({ length: r }, (_, i) => V.data[i * r + (r - m + j)]!));
  const trajValues = heldOut.map((tr, k) => inputsOf('conservedQuantities', res, tr, k).map((x) => {
    const z = res.lift(x);
    return basis.map((b) => b.reduce((s, bi, i) => s + bi * z[i]!, 0));
  }));
  const { total, within } = covariances(trajValues, m);
  const dirs = generalisedMin(total, within);
  const candidates = dirs.map(({ u, ratio }) => {
    const c = new Float64Array(r);
    for (let j = 0; j < m; j++) for (let i = 0; i < r; i++) c[i] += u[j]! * basis[j]![i]!;
    return quantity(res, c, ratio);
  });
  return { quantities: candidates.filter((q) => q.relativeVariance <= tol), candidates, unitEigenvalues };
}

function quantity(res: KoopmanResult, c: Float64Array, relativeVariance: number): ConservedQuantity {
  const r = c.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < r; i++) {
    let kc = 0;
    for (let j = 0; j < r; j++) kc += res.matrix.data[i * r + j]! * c[j]!;
    num += c[i]! * kc;
    den += c[i]! * c[i]!;
  }
  return {
    coefficients: c, relativeVariance, eigenvalue: num / den,
    evaluate: (x) => res.lift(x).reduce((s, zi, i) => s + zi * c[i]!, 0),
  };
}

/** Total covariance over all states and the mean within-trajectory covariance (m×m). */
function covariances(traj: number[][][], m: number): { total: Matrix; within: Matrix } {
  const all = traj.flat();
  const N = all.length;
  const mean = Array.from({ length: m }, (_, j) => all.reduce((s, v) => s + v[j]!, 0) / N);
  const total = { rows: m, cols: m, data: new Float64Array(m * m) };
  const within = { rows: m, cols: m, data: new Float64Array(m * m) };
  for (const v of all) for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) total.data[a * m + b] += ((v[a]! - mean[a]!) * (v[b]! - mean[b]!)) / N;
  for (const tr of traj) {
    const mu = Array.from({ length: m }, (_, j) => tr.reduce((s, v) => s + v[j]!, 0) / tr.length);
    for (const v of tr) for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) within.data[a * m + b] += ((v[a]! - mu[a]!) * (v[b]! - mu[b]!)) / N;
  }
  return { total, within };
}

/**
 * Directions u minimising uᵀWu / uᵀTu (both symmetric PSD), with T whitened first; directions in
 * which T has (numerically) no variance — the constant function — are dropped. Ascending ratio.
 */
function generalisedMin(T: Matrix, W: Matrix): { u: number[]; ratio: number }[] {
  const m = T.rows;
  const t = svd(T);
  const keep = t.s.map((v, i) => i).filter((i) => t.s[i]! > 1e-12 * t.s[0]!);
  if (!keep.length) return [];
  // Whitening S (m×k): SᵀTS = I.
  const S = matrix(Array.from({ length: m }, (_, a) => keep.map((i) => t.U.data[a * m + i]! / Math.sqrt(t.s[i]!))));
  const k = keep.length;
  const Wk = matrix(Array.from({ length: k }, (_, p) => Array.from({ length: k }, (_, q) => {
    let s = 0;
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) s += S.data[a * k + p]! * W.data[a * m + b]! * S.data[b * k + q]!;
    return s;
  })));
  const w = svd(Wk); // symmetric PSD: singular vectors are eigenvectors
  return w.s.map((ratio, i) => ({
    ratio,
    u: Array.from({ length: m }, (_, a) => keep.reduce((acc, _i, p) => acc + S.data[a * k + p]! * w.V.data[p * k + i]!, 0)),
  })).sort((x, y) => x.ratio - y.ratio);
}
