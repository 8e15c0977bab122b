/**
 * Koopman operator approximations from snapshot pairs (x, y = F(x)):
 * - exact DMD (Schmid 2010; Tu et al. 2014): SVD of the snapshots, rank truncation, the reduced
 *   operator Ã = Uᵀ Y V Σ⁻¹, exact modes (1/λ) Y V Σ⁻¹ w, optimal amplitudes (Jovanović et al. 2014);
 * - EDMD (Williams, Kevrekidis & Rowley 2015): K = Ψ_X⁺ Ψ_Y on a dictionary of observables;
 * - kernel EDMD (Williams, Rowley & Kevrekidis 2015): the same through Gram matrices k(x_i, x_j).
 *
 * All three share one representation: lifted coordinates z(x) ∈ R^r and a real r×r matrix K̃
 * with g(F(x)) ≈ z(x)·K̃c for an observable g = z·c. Eigenfunctions are φ_i(x) = z(x)·ξ_i with
 * K̃ξ_i = λ_iξ_i; modes v_i give x ≈ Σ φ_i(x) v_i. Snapshots are rows (one state per row).
 * Checks along held-out trajectories are in koopman-checks.ts.
 */
import { ShapeError, ValueError } from '../util/errors.js';
import { matrix, transposeMatrix, type Complex, type Matrix } from './linalg.js';
import { svd } from './eig.js';
import { eigenvectors } from './eigvec.js';
import { checkOptions } from '../ops/checks.js';
import { ccolumn, complexOf, cpow, csolveMatrix, czeros, type CMatrix } from './complex.js';
import { delayEmbed, type Dictionary } from './dictionaries.js';

/** Snapshots as rows (m × n): nested arrays or a Matrix. */
export type Snapshots = readonly (readonly number[])[] | Matrix;
/** One trajectory: its states x_0, x_1, … as rows. */
export type Trajectory = readonly (readonly number[])[];
/** Snapshot pairs (row i of Y is the successor of row i of X), or whole trajectories. */
export type KoopmanData = { X: Snapshots; Y: Snapshots } | { trajectories: readonly Trajectory[] };

/** A finite-dimensional approximation of the Koopman operator (what dmd, edmd and kernelEdmd return). */
export interface KoopmanResult {
  method: 'dmd' | 'edmd' | 'kernel-edmd';
  /** Dimension n of the states. */
  stateDim: number;
  /** Time delays k of the dictionary: eigenfunctions take delay vectors [x_t, …, x_{t−k}] (0: plain states). */
  delays: number;
  /** Number r of lifted coordinates kept (after rank truncation). */
  rank: number;
  /** Singular values of the data matrix that was truncated (snapshots, Ψ_X or the Gram matrix's square roots). */
  singularValues: number[];
  /** Koopman eigenvalues λ_i, by modulus (largest first). */
  eigenvalues: Complex[];
  /** K̃ (r×r) on coefficient vectors of the lifted coordinates. */
  matrix: Matrix;
  /** The lifted coordinates z(x), length r. */
  lift: (x: ArrayLike<number>) => Float64Array;
  /** ξ_i as columns (r×r): φ_i(x) = z(x)·ξ_i. */
  coefficients: CMatrix;
  /** φ_i(x) → complex, one per eigenvalue. */
  eigenfunctions: ((x: ArrayLike<number>) => Complex)[];
  /** All eigenfunctions at x. */
  evaluate: (x: ArrayLike<number>) => Complex[];
  /** Koopman modes v_i (length n each): x ≈ Σ_i φ_i(x)·v_i (DMD: Tu's exact modes). */
  modes: Complex[][];
  /** DMD: optimal amplitudes b (x_t ≈ Σ b_i λ_i^t v_i over the snapshots). EDMD: φ_i at the first snapshot. */
  amplitudes: Complex[];
}

export interface DmdOptions {
  /** Number of singular values kept (default: all above rcond·σ₁). */
  rank?: number;
  /** Relative cut-off for the automatic rank (default 1e-10). */
  rcond?: number;
}

export interface EdmdOptions {
  dictionary: Dictionary;
  /** Tikhonov regularisation ρ: K = (G + ρI)⁻¹A with G = Ψ_XᵀΨ_X / M (default 0: the pseudo-inverse). */
  ridge?: number;
  /** Singular values of Ψ_X below rcond·σ₁ are dropped (default 1e-10). */
  rcond?: number;
}

/** A positive-definite kernel k(x, y) = ψ(x)·ψ(y) for kernel EDMD. */
export interface Kernel {
  name: string;
  evaluate: (x: ArrayLike<number>, y: ArrayLike<number>) => number;
}

export interface KernelEdmdOptions {
  kernel: Kernel;
  /** Number of Gram eigenvalues kept (default: all above rcond·σ₁²). */
  rank?: number;
  rcond?: number;
}

const rowsOf = (where: string, s: Snapshots): number[][] => {
  const m = matrix(s as Matrix);
  if (m.rows === 0 || m.cols === 0) throw new ShapeError(where, 'a non-empty snapshot matrix', `${m.rows}×${m.cols}`);
  for (const v of m.data) if (!Number.isFinite(v)) throw new ValueError(where, 'finite snapshots', String(v));
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
};

/**
 * Snapshot pairs from pairs or trajectories (delay-embedded when delays > 0): X, Y (M × n(k+1)), n the state dimension.
 * @example snapshotPairs('mine', { trajectories: [[[0], [1], [2]]] })  // { X: [[0], [1]], Y: [[1], [2]], n: 1 }
 */
export function snapshotPairs(where: string, data: KoopmanData, delays = 0): { X: number[][]; Y: number[][]; n: number } {
  if ('trajectories' in data) {
    if (!data.trajectories.length) throw new ShapeError(where, 'at least one trajectory', '0');
    const n = data.trajectories[0]![0]?.length ?? 0;
    const X: number[][] = [];
    const Y: number[][] = [];
    data.trajectories.forEach((tr, k) => {
      if (tr.length < delays + 2) throw new ShapeError(where, `trajectories of at least ${delays + 2} states`, `trajectory ${k} of ${tr.length}`);
      const rows = rowsOf(where, tr);
      if (rows[0]!.length !== n) throw new ShapeError(where, `states of dimension ${n}`, `${rows[0]!.length} in trajectory ${k}`);
      const z = delays ? delayEmbed(rows, delays) : rows;
      for (let t = 0; t + 1 < z.length; t++) {
        X.push(z[t]!);
        Y.push(z[t + 1]!);
      }
    });
    return { X, Y, n };
  }
  if (delays) throw new ValueError(where, 'trajectories for a dictionary with time delays', 'X/Y pairs');
  const X = rowsOf(where, data.X);
  const Y = rowsOf(where, data.Y);
  if (X.length !== Y.length || X[0]!.length !== Y[0]!.length) throw new ShapeError(where, 'X and Y of equal shape', `${X.length}×${X[0]!.length} and ${Y.length}×${Y[0]!.length}`);
  return { X, Y, n: X[0]!.length };
}

function chooseRank(where: string, s: number[], rank: number | undefined, rcond: number): number {
  const max = s.length;
  if (rank !== undefined) {
    if (!Number.isInteger(rank) || rank < 1 || rank > max) throw new ValueError(where, `rank an integer in 1…${max} (the data's)`, String(rank));
    const numerical = s.filter((v) => v > 1e-14 * s[0]!).length;
    if (rank > numerical) throw new ValueError(where, `rank ≤ the data's numerical rank ${numerical}`, String(rank));
    return rank;
  }
  const r = s.filter((v) => v > rcond * s[0]!).length;
  if (r === 0) throw new ValueError(where, 'data with a non-zero singular value', 'all zero');
  return r;
}

/** Columns 0…r−1 of a matrix. */
function leadingColumns(a: Matrix, r: number): Matrix {
  const out = { rows: a.rows, cols: r, data: new Float64Array(a.rows * r) };
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < r; j++) out.data[i * r + j] = a.data[i * a.cols + j]!;
  return out;
}

/** z·c for a real vector z and column j of a complex matrix. */
function dotColumn(z: Float64Array, c: CMatrix, j: number): Complex {
  let re = 0;
  let im = 0;
  for (let i = 0; i < z.length; i++) {
    re += z[i]! * c.re[i * c.cols + j]!;
    im += z[i]! * c.im[i * c.cols + j]!;
  }
  return { re, im };
}

/**
 * z·M for a row vector z (length M.rows).
 * @example rowTimes([1, 2], matrix([[1, 0], [0, 1]]))  // Float64Array [1, 2]
 */
export function rowTimes(z: ArrayLike<number>, m: Matrix): Float64Array {
  const out = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    const zi = z[i]!;
    if (zi === 0) continue;
    for (let j = 0; j < m.cols; j++) out[j] += zi * m.data[i * m.cols + j]!;
  }
  return out;
}

interface Parts {
  method: KoopmanResult['method'];
  stateDim: number;
  delays: number;
  singularValues: number[];
  K: Matrix;
  lift: (x: ArrayLike<number>) => Float64Array;
  /** B (r×n): x ≈ z(x)·B over the data. */
  B: Matrix;
  /** The first snapshot (lifted-space input). */
  x0: ArrayLike<number>;
}

/** Eigen-decomposition of K̃ and everything that follows from it. */
function assemble(p: Parts): KoopmanResult {
  const { values, right } = eigenvectors(p.K);
  const r = p.K.rows;
  const evaluate = (x: ArrayLike<number>): Complex[] => {
    const z = p.lift(x);
    return values.map((_, j) => dotColumn(z, right, j));
  };
  // Rows of R⁻¹ are the left eigenvectors, biorthonormal to the ξ_i: z(x) = Σ φ_i(x)·(R⁻¹)_i.
  const modesM = csolveMatrix(right, complexOf(p.B));
  const modes = Array.from({ length: r }, (_, i) => Array.from({ length: p.stateDim }, (_, j) => ({ re: modesM.re[i * p.stateDim + j]!, im: modesM.im[i * p.stateDim + j]! })));
  return {
    method: p.method, stateDim: p.stateDim, delays: p.delays, rank: r, singularValues: p.singularValues, eigenvalues: values,
    matrix: p.K, lift: p.lift, coefficients: right,
    eigenfunctions: values.map((_, j) => (x: ArrayLike<number>) => dotColumn(p.lift(x), right, j)),
    evaluate, modes, amplitudes: evaluate(p.x0),
  };
}

/**
 * Exact DMD of snapshot pairs: rows of X (m×n) and their successors in Y. X ≈ U_rΣ_rV_rᵀ (columns
 * as snapshots), Ã = U_rᵀYᵀV_rΣ_r⁻¹, eigenvalues of Ã, exact modes (1/λ)YᵀV_rΣ_r⁻¹w (Tu et al. 2014;
 * the projected mode U_rw when λ = 0), eigenfunctions φ_i(x) = (W⁻¹U_rᵀx)_i, and the amplitudes b
 * minimising Σ_t ‖x_t − Σ_i b_iλ_i^t v_i‖² over the rows of X taken as consecutive snapshots.
 * @example const r = dmd(X, Y, { rank: 2 });  r.eigenvalues  // ≈ 0.9, 0.8 for J = [[0.9, −0.1], [0, 0.8]]
 */
export function dmd(X: Snapshots, Y: Snapshots, opts: DmdOptions = {}): KoopmanResult {
  checkOptions('dmd', opts, ['rank', 'rcond']);
  const { X: xs, Y: ys, n } = snapshotPairs('dmd', { X, Y });
  const Xc = transposeMatrix(matrix(xs)); // n × m
  const { s, U, V } = svd(Xc);
  const r = chooseRank('dmd', s, opts.rank, opts.rcond ?? 1e-10);
  const Ur = leadingColumns(U, r);
  const Vr = leadingColumns(V, r);
  // YᵀV_rΣ_r⁻¹ (n×r), then Ã = U_rᵀ·that; in the row convention K̃ = Ãᵀ.
  const Yt = transposeMatrix(matrix(ys));
  const YVS = { rows: n, cols: r, data: new Float64Array(n * r) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < r; j++) {
      let acc = 0;
      for (let k = 0; k < xs.length; k++) acc += Yt.data[i * xs.length + k]! * Vr.data[k * r + j]!;
      YVS.data[i * r + j] = acc / s[j]!;
    }
  }
  const Atilde = { rows: r, cols: r, data: new Float64Array(r * r) };
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let k = 0; k < n; k++) Atilde.data[i * r + j] += Ur.data[k * r + i]! * YVS.data[k * r + j]!;
  const res = assemble({
    method: 'dmd', stateDim: n, delays: 0, singularValues: s, K: transposeMatrix(Atilde),
    lift: (x) => rowTimes(x, Ur), B: transposeMatrix(Ur), x0: xs[0]!,
  });
  res.modes = exactModes(res, YVS, Ur);
  res.amplitudes = optimalAmplitudes(res.modes, res.eigenvalues, xs);
  return res;
}

/** Tu's exact modes (1/λ)·YᵀVΣ⁻¹w_i, w_i = the right eigenvectors of Ã that the projected modes use. */
function exactModes(res: KoopmanResult, YVS: Matrix, Ur: Matrix): Complex[][] {
  const r = res.rank;
  const n = res.stateDim;
  // Projected mode i = U_r w_i, so w_i = U_rᵀ·(projected mode i).
  return res.modes.map((pm, i) => {
    const w = Array.from({ length: r }, (_, a) => pm.reduce((acc, v, k) => ({ re: acc.re + Ur.data[k * r + a]! * v.re, im: acc.im + Ur.data[k * r + a]! * v.im }), { re: 0, im: 0 }));
    const lam = res.eigenvalues[i]!;
    const l2 = lam.re * lam.re + lam.im * lam.im;
    if (l2 < 1e-28) return pm;
    return Array.from({ length: n }, (_, k) => {
      let re = 0;
      let im = 0;
      for (let a = 0; a < r; a++) {
        re += YVS.data[k * r + a]! * w[a]!.re;
        im += YVS.data[k * r + a]! * w[a]!.im;
      }
      // (re + i·im) / λ
      return { re: (re * lam.re + im * lam.im) / l2, im: (im * lam.re - re * lam.im) / l2 };
    });
  });
}

/** b = argmin Σ_t ‖x_t − Σ_i b_i λ_i^t v_i‖² (normal equations P b = q, P_ij = v_iᴴv_j Σ_t λ̄_i^t λ_j^t). */
function optimalAmplitudes(modes: Complex[][], lambdas: Complex[], xs: number[][]): Complex[] {
  const r = modes.length;
  const P = czeros(r, r);
  const q = czeros(r, 1);
  const pows = xs.map((_, t) => lambdas.map((l) => cpow(l, t)));
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let gr = 0;
      let gi = 0;
      for (let k = 0; k < modes[i]!.length; k++) {
        const [a, b] = [modes[i]![k]!, modes[j]![k]!];
        gr += a.re * b.re + a.im * b.im;
        gi += a.re * b.im - a.im * b.re;
      }
      let sr = 0;
      let si = 0;
      for (const pw of pows) {
        const [a, b] = [pw[i]!, pw[j]!];
        sr += a.re * b.re + a.im * b.im;
        si += a.re * b.im - a.im * b.re;
      }
      P.re[i * r + j] = gr * sr - gi * si;
      P.im[i * r + j] = gr * si + gi * sr;
    }
    xs.forEach((x, t) => {
      const l = pows[t]![i]!;
      let dr = 0;
      let di = 0;
      for (let k = 0; k < x.length; k++) {
        dr += modes[i]![k]!.re * x[k]!;
        di -= modes[i]![k]!.im * x[k]!;
      }
      q.re[i] += l.re * dr + l.im * di;
      q.im[i] += l.re * di - l.im * dr;
    });
  }
  return ccolumn(csolveMatrix(P, q), 0);
}

/**
 * EDMD: Ψ_X = ψ(X) (M×N) = QΣZᵀ, truncated to the r singular values above rcond·σ₁;
 * K̃ = diag(σ/(σ² + Mρ))·QᵀΨ_Y·Z_r in the coordinates z(x) = ψ(x)·Z_r (ρ = 0: K = Ψ_X⁺Ψ_Y
 * restricted to the range of Ψ_Xᵀ). Eigenfunctions φ_i(x) = ψ(x)·Z_rξ_i; modes from x ≈ z(x)·B,
 * B the least-squares fit over the data. A dictionary with delays k needs trajectories; its
 * eigenfunctions take delay vectors (delayEmbed).
 * @example const r = edmd({ trajectories }, { dictionary: monomials(3) });  r.eigenvalues.slice(0, 9)
 */
export function edmd(data: KoopmanData, opts: EdmdOptions): KoopmanResult & { dictionary: Dictionary; projection: Matrix } {
  checkOptions('edmd', opts, ['dictionary', 'ridge', 'rcond']);
  const dict = opts.dictionary;
  if (!dict || typeof dict.evaluate !== 'function') throw new ValueError('edmd', 'options.dictionary (e.g. monomials(3))', String(dict));
  const { X, Y, n } = snapshotPairs('edmd', data, dict.delays);
  const N = dict.size(X[0]!.length);
  const psi = (x: ArrayLike<number>): Float64Array => {
    const v = dict.evaluate(x);
    if (v.length !== N) throw new ShapeError('edmd', `${N} dictionary values`, String(v.length));
    return v;
  };
  const PX = matrix(X.map((x) => Array.from(psi(x))));
  const PY = matrix(Y.map((y) => Array.from(psi(y))));
  const { s, U: Q, V: Z } = svd(PX);
  const r = chooseRank('edmd', s, undefined, opts.rcond ?? 1e-10);
  const ridge = opts.ridge ?? 0;
  if (!(ridge >= 0)) throw new ValueError('edmd', 'ridge >= 0', String(ridge));
  const M = X.length;
  const Zr = leadingColumns(Z, r);
  const QtPY = matmulT(leadingColumns(Q, r), PY); // r×N
  const K = matmulPlain(QtPY, Zr);
  for (let i = 0; i < r; i++) {
    const f = s[i]! / (s[i]! ** 2 + M * ridge);
    for (let j = 0; j < r; j++) K.data[i * r + j] *= f;
  }
  const target = matrix(X.map((x) => x.slice(0, n)));
  const B = matmulT(leadingColumns(Q, r), target);
  for (let i = 0; i < r; i++) for (let j = 0; j < n; j++) B.data[i * n + j] /= s[i]!;
  const res = assemble({ method: 'edmd', stateDim: n, delays: dict.delays, singularValues: s, K, lift: (x) => rowTimes(psi(x), Zr), B, x0: X[0]! });
  return { ...res, dictionary: dict, projection: Zr };
}

/** Aᵀ·B. */
function matmulT(a: Matrix, b: Matrix): Matrix {
  const out = { rows: a.cols, cols: b.cols, data: new Float64Array(a.cols * b.cols) };
  for (let k = 0; k < a.rows; k++) {
    for (let i = 0; i < a.cols; i++) {
      const aki = a.data[k * a.cols + i]!;
      if (aki === 0) continue;
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += aki * b.data[k * b.cols + j]!;
    }
  }
  return out;
}

function matmulPlain(a: Matrix, b: Matrix): Matrix {
  return transposeMatrix(matmulT(b, transposeMatrix(a)));
}

/**
 * Gaussian kernel exp(−‖x − y‖² / (2w²)).
 * @example kernelEdmd({ trajectories }, { kernel: gaussianKernel(0.5), rank: 20 })
 */
export function gaussianKernel(width: number): Kernel {
  if (!(width > 0)) throw new ValueError('gaussianKernel', 'a positive width', String(width));
  const evaluate = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
    let d = 0;
    for (let i = 0; i < x.length; i++) d += (x[i]! - y[i]!) ** 2;
    return Math.exp(-d / (2 * width * width));
  };
  return { name: `gaussian(${width})`, evaluate };
}

/**
 * Polynomial kernel (1 + x·y / c²)^d: the span of monomials of degree ≤ d.
 * @example polynomialKernel(3).evaluate([1, 0], [1, 1])  // 8
 */
export function polynomialKernel(d: number, c = 1): Kernel {
  if (!Number.isInteger(d) || d < 1) throw new ValueError('polynomialKernel', 'an integer degree >= 1', String(d));
  const evaluate = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
    let dot = 0;
    for (let i = 0; i < x.length; i++) dot += x[i]! * y[i]!;
    return (1 + dot / (c * c)) ** d;
  };
  return { name: `polynomial(${d}, ${c})`, evaluate };
}

/**
 * Kernel EDMD: Gram matrices Ĝ_ij = k(x_i, x_j) = QΣ²Qᵀ and Â_ij = k(y_i, x_j); K̃ = Σ⁺QᵀÂQΣ⁺
 * (r leading eigenpairs of Ĝ), lifted coordinates z(x) = k(x, X)·QΣ⁺, so φ_i(x) = k(x, X)·QΣ⁺ξ_i.
 * Costs O(M³) in the number of snapshot pairs M (keep M ≲ 300).
 * @example kernelEdmd({ X, Y }, { kernel: polynomialKernel(3), rank: 10 })
 */
export function kernelEdmd(data: KoopmanData, opts: KernelEdmdOptions): KoopmanResult {
  checkOptions('kernelEdmd', opts, ['kernel', 'rank', 'rcond']);
  if (!opts.kernel || typeof opts.kernel.evaluate !== 'function') throw new ValueError('kernelEdmd', 'options.kernel (e.g. gaussianKernel(0.5))', String(opts.kernel));
  const { X, Y, n } = snapshotPairs('kernelEdmd', data);
  const k = opts.kernel.evaluate;
  const M = X.length;
  const G = matrix(X.map((xi) => X.map((xj) => k(xi, xj))));
  const A = matrix(Y.map((yi) => X.map((xj) => k(yi, xj))));
  const { s: s2, U: Q } = svd(G); // Ĝ symmetric PSD: its SVD is its eigen-decomposition
  const r = chooseRank('kernelEdmd', s2, opts.rank, opts.rcond ?? 1e-12);
  const sig = s2.slice(0, r).map(Math.sqrt);
  const QS = leadingColumns(Q, r);
  for (let i = 0; i < M; i++) for (let j = 0; j < r; j++) QS.data[i * r + j] /= sig[j]!;
  const K = matmulT(QS, matmulPlain(A, QS)); // (QΣ⁺)ᵀ Â (QΣ⁺)
  const B = matmulT(QS, matrix(X)); // Σ⁻¹QᵀX = (QΣ⁺)ᵀX
  const lift = (x: ArrayLike<number>): Float64Array => rowTimes(X.map((xj) => k(x, xj)), QS);
  return assemble({ method: 'kernel-edmd', stateDim: n, delays: 0, singularValues: sig, K, lift, B, x0: X[0]! });
}
