/**
 * Complex right and left eigenvectors of real nonsymmetric matrices (Koopman eigenfunctions and
 * modes need them): eigenvalues from eig.ts, each vector by inverse iteration on the complex
 * shifted matrix (A − μI), μ next to the eigenvalue.
 */
import { checkOptions } from '../ops/checks.js';
import { matrix, square, transposeMatrix, EPS, type Complex, type Matrix } from './linalg.js';
import { eigenvalues } from './eig.js';
import { clu, cluSolve, czeros, type CMatrix } from './complex.js';

/** Eigenvalues with right (and optionally left) eigenvectors of a real square matrix. */
export interface EigenDecomposition {
  /** Sorted as {@link eigenvalues}: by modulus, largest first; a conjugate pair lists +im first. */
  values: Complex[];
  /** n×n, column i the unit right eigenvector of values[i] (A·v = λv), largest entry real positive. */
  right: CMatrix;
  /** n×n, column i the left eigenvector (uᴴ·A = λuᴴ), scaled so that uᵢᴴ·vᵢ = 1; null unless asked for. */
  left: CMatrix | null;
}

export interface EigenvectorOptions {
  /** Also compute left eigenvectors (default false). */
  left?: boolean;
  /** Inverse-iteration steps per eigenvalue (default 3). */
  iters?: number;
}

/**
 * Eigenvalues and complex eigenvectors of a real square matrix (n ≲ 200): eigenvalues by
 * {@link eigenvalues}, each eigenvector by inverse iteration on (A − μI) with μ = λ(1 + 1e-13),
 * in complex arithmetic; the vector of λ̄ is the conjugate of that of λ. Vectors of (numerically)
 * repeated eigenvalues are orthogonalised against each other, which spans the eigenspace when A
 * is diagonalisable there (a defective eigenvalue has fewer independent eigenvectors than its
 * multiplicity, and the returned columns are then nearly parallel).
 * @example const { values, right, left } = eigenvectors([[0.9, -0.1], [0, 0.8]], { left: true });
 */
export function eigenvectors(m: Matrix | readonly (readonly number[])[], opts: EigenvectorOptions = {}): EigenDecomposition {
  checkOptions('eigenvectors', opts, ['left', 'iters']);
  const a = matrix(m);
  const n = square('eigenvectors', a);
  const values = eigenvalues(a);
  const iters = opts.iters ?? 3;
  const right = vectorsFor(a, values, iters);
  if (!opts.left) return { values, right, left: null };
  const w = vectorsFor(transposeMatrix(a), values, iters);
  const left = czeros(n, n);
  for (let k = 0; k < n; k++) {
    // u = conj(w) solves uᴴA = λuᴴ; scale so that uᴴv = 1.
    let sr = 0;
    let si = 0;
    for (let i = 0; i < n; i++) {
      const [vr, vi] = [right.re[i * n + k]!, right.im[i * n + k]!];
      const [ur, ui] = [w.re[i * n + k]!, -w.im[i * n + k]!];
      sr += ur * vr + ui * vi;
      si += ur * vi - ui * vr;
    }
    // u ← u / conj(s): then uᴴv = s / s = 1.
    const d = sr * sr + si * si || EPS;
    for (let i = 0; i < n; i++) {
      const [ur, ui] = [w.re[i * n + k]!, -w.im[i * n + k]!];
      left.re[i * n + k] = (ur * sr - ui * si) / d;
      left.im[i * n + k] = (ui * sr + ur * si) / d;
    }
  }
  return { values, right, left };
}

/** Right eigenvectors of a for the given eigenvalues, as the columns of an n×n complex matrix. */
function vectorsFor(a: Matrix, values: Complex[], iters: number): CMatrix {
  const n = a.rows;
  const out = czeros(n, n);
  const found: { lambda: Complex; re: Float64Array; im: Float64Array }[] = [];
  values.forEach((lambda, k) => {
    const prev = found[k - 1];
    let v: { re: Float64Array; im: Float64Array };
    if (lambda.im < 0 && prev && prev.lambda.re === lambda.re && prev.lambda.im === -lambda.im) v = { re: prev.re.slice(), im: prev.im.map((x) => -x) };
    else {
      const close = found.filter((f) => Math.hypot(f.lambda.re - lambda.re, f.lambda.im - lambda.im) <= 1e-9 * Math.max(1, Math.hypot(lambda.re, lambda.im)));
      v = inverseIteration(a, lambda, close, k, iters);
    }
    found.push({ lambda, ...v });
    for (let i = 0; i < n; i++) {
      out.re[i * n + k] = v.re[i]!;
      out.im[i * n + k] = v.im[i]!;
    }
  });
  return out;
}

function inverseIteration(a: Matrix, lambda: Complex, close: { re: Float64Array; im: Float64Array }[], k: number, iters: number): { re: Float64Array; im: Float64Array } {
  const n = a.rows;
  const shifted = czeros(n, n);
  shifted.re.set(a.data);
  const scale = 1e-13 * Math.max(1, Math.hypot(lambda.re, lambda.im));
  for (let i = 0; i < n; i++) {
    shifted.re[i * n + i] -= lambda.re + scale;
    shifted.im[i * n + i] -= lambda.im;
  }
  const f = clu(shifted);
  let v: { re: Float64Array; im: Float64Array } = {
    re: Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.sin(1.7 * i + 0.3 * k + 1)),
    im: Float64Array.from({ length: n }, (_, i) => 0.5 * Math.cos(2.3 * i + 0.7 * k)),
  };
  for (let it = 0; it < iters; it++) {
    v = cluSolve(f, v.re, v.im);
    for (const c of close) orthogonalise(v, c);
    normalise(v);
  }
  return v;
}

/** v ← v − (cᴴv)c for a unit vector c. */
function orthogonalise(v: { re: Float64Array; im: Float64Array }, c: { re: Float64Array; im: Float64Array }): void {
  let dr = 0;
  let di = 0;
  for (let i = 0; i < v.re.length; i++) {
    dr += c.re[i]! * v.re[i]! + c.im[i]! * v.im[i]!;
    di += c.re[i]! * v.im[i]! - c.im[i]! * v.re[i]!;
  }
  for (let i = 0; i < v.re.length; i++) {
    v.re[i] -= dr * c.re[i]! - di * c.im[i]!;
    v.im[i] -= dr * c.im[i]! + di * c.re[i]!;
  }
}

/** Unit 2-norm, phase turned so that the largest-modulus entry is real and positive. */
function normalise(v: { re: Float64Array; im: Float64Array }): void {
  let big = 0;
  let norm = 0;
  for (let i = 0; i < v.re.length; i++) {
    const m2 = v.re[i]! ** 2 + v.im[i]! ** 2;
    norm += m2;
    if (m2 > v.re[big]! ** 2 + v.im[big]! ** 2) big = i;
  }
  const mb = Math.hypot(v.re[big]!, v.im[big]!) || 1;
  // Multiply by conj(v_big)/|v_big| / ‖v‖.
  const [pr, pi] = [v.re[big]! / mb, -v.im[big]! / mb];
  const s = 1 / (Math.sqrt(norm) || 1);
  for (let i = 0; i < v.re.length; i++) {
    const [xr, xi] = [v.re[i]!, v.im[i]!];
    v.re[i] = (xr * pr - xi * pi) * s;
    v.im[i] = (xr * pi + xi * pr) * s;
  }
  v.im[big] = 0;
}
