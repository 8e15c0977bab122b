/**
 * Dense complex float64 matrices for the Koopman tools (eigenvectors of real nonsymmetric
 * matrices are complex): split real/imaginary storage, products, LU with partial pivoting and
 * solves with several right-hand sides. Row-major like linalg.ts.
 */
import { ShapeError } from '../util/errors.js';
import { EPS, type Complex, type Matrix } from './linalg.js';

/** A dense row-major complex matrix: element (i, j) is `re[i·cols + j] + i·im[i·cols + j]`. */
export interface CMatrix {
  rows: number;
  cols: number;
  re: Float64Array;
  im: Float64Array;
}

/**
 * A rows×cols zero matrix.
 * @example czeros(2, 2).re  // Float64Array [0, 0, 0, 0]
 */
export function czeros(rows: number, cols: number): CMatrix {
  return { rows, cols, re: new Float64Array(rows * cols), im: new Float64Array(rows * cols) };
}

/**
 * A real matrix as a complex one.
 * @example complexOf(matrix([[1, 2]])).im  // Float64Array [0, 0]
 */
export function complexOf(a: Matrix): CMatrix {
  return { rows: a.rows, cols: a.cols, re: a.data.slice(), im: new Float64Array(a.data.length) };
}

/**
 * Element (i, j).
 * @example centry(eigenvectors(A).right, 0, 1)  // entry 0 of the second eigenvector
 */
export function centry(a: CMatrix, i: number, j: number): Complex {
  return { re: a.re[i * a.cols + j]!, im: a.im[i * a.cols + j]! };
}

/**
 * Column j as a complex vector.
 * @example ccolumn(eigenvectors(A).right, 0)  // the leading eigenvector
 */
export function ccolumn(a: CMatrix, j: number): Complex[] {
  return Array.from({ length: a.rows }, (_, i) => centry(a, i, j));
}

/**
 * C = A·B.
 * @example cmatmul(complexOf(A), eigenvectors(A).right)  // = V·diag(λ)
 */
export function cmatmul(a: CMatrix, b: CMatrix): CMatrix {
  if (a.cols !== b.rows) throw new ShapeError('cmatmul', `inner sizes to agree (${a.cols})`, `(${a.rows}×${a.cols})·(${b.rows}×${b.cols})`);
  const c = czeros(a.rows, b.cols);
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const ar = a.re[i * a.cols + k]!;
      const ai = a.im[i * a.cols + k]!;
      if (ar === 0 && ai === 0) continue;
      for (let j = 0; j < n; j++) {
        const br = b.re[k * n + j]!;
        const bi = b.im[k * n + j]!;
        c.re[i * n + j] += ar * br - ai * bi;
        c.im[i * n + j] += ar * bi + ai * br;
      }
    }
  }
  return c;
}

/** An LU factorisation P·A = L·U of a square complex matrix (L unit lower, stored together). */
export interface CLU {
  n: number;
  re: Float64Array;
  im: Float64Array;
  perm: Int32Array;
}

/**
 * LU with partial pivoting; a zero pivot is replaced by a tiny one (inverse iteration needs that).
 * @example const f = clu(complexOf(A));  cluSolve(f, [1, 0], [0, 0])
 */
export function clu(a: CMatrix): CLU {
  if (a.rows !== a.cols) throw new ShapeError('clu', 'a square matrix', `${a.rows}×${a.cols}`);
  const n = a.rows;
  const re = a.re.slice();
  const im = a.im.slice();
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let scale = 0;
  for (let i = 0; i < re.length; i++) scale = Math.max(scale, Math.hypot(re[i]!, im[i]!));
  const tiny = EPS * (scale || 1);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.hypot(re[i * n + k]!, im[i * n + k]!) > Math.hypot(re[p * n + k]!, im[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        [re[k * n + j], re[p * n + j]] = [re[p * n + j]!, re[k * n + j]!];
        [im[k * n + j], im[p * n + j]] = [im[p * n + j]!, im[k * n + j]!];
      }
      [perm[k], perm[p]] = [perm[p]!, perm[k]!];
    }
    if (Math.hypot(re[k * n + k]!, im[k * n + k]!) < tiny) {
      re[k * n + k] = tiny;
      im[k * n + k] = 0;
    }
    const pr = re[k * n + k]!;
    const pi = im[k * n + k]!;
    const d = pr * pr + pi * pi;
    for (let i = k + 1; i < n; i++) {
      const xr = re[i * n + k]!;
      const xi = im[i * n + k]!;
      const fr = (xr * pr + xi * pi) / d;
      const fi = (xi * pr - xr * pi) / d;
      re[i * n + k] = fr;
      im[i * n + k] = fi;
      if (fr === 0 && fi === 0) continue;
      for (let j = k + 1; j < n; j++) {
        const ur = re[k * n + j]!;
        const ui = im[k * n + j]!;
        re[i * n + j] -= fr * ur - fi * ui;
        im[i * n + j] -= fr * ui + fi * ur;
      }
    }
  }
  return { n, re, im, perm };
}

/**
 * Solve A·x = b with a factorisation from {@link clu}; b and x as split re/im vectors.
 * @example cluSolve(clu(complexOf(matrix([[2]]))), [1], [1])  // { re: [0.5], im: [0.5] }
 */
export function cluSolve(f: CLU, bRe: ArrayLike<number>, bIm: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const { n, re, im, perm } = f;
  const xr = Float64Array.from({ length: n }, (_, i) => bRe[perm[i]!]!);
  const xi = Float64Array.from({ length: n }, (_, i) => bIm[perm[i]!]!);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const lr = re[i * n + j]!;
      const li = im[i * n + j]!;
      xr[i] -= lr * xr[j]! - li * xi[j]!;
      xi[i] -= lr * xi[j]! + li * xr[j]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let sr = xr[i]!;
    let si = xi[i]!;
    for (let j = i + 1; j < n; j++) {
      const ur = re[i * n + j]!;
      const ui = im[i * n + j]!;
      sr -= ur * xr[j]! - ui * xi[j]!;
      si -= ur * xi[j]! + ui * xr[j]!;
    }
    const dr = re[i * n + i]!;
    const di = im[i * n + i]!;
    const d = dr * dr + di * di;
    xr[i] = (sr * dr + si * di) / d;
    xi[i] = (si * dr - sr * di) / d;
  }
  return { re: xr, im: xi };
}

/**
 * X = A⁻¹·B for a square A (columns of B solved one by one).
 * @example csolveMatrix(V, complexOf(B))  // V⁻¹B
 */
export function csolveMatrix(a: CMatrix, b: CMatrix): CMatrix {
  if (b.rows !== a.rows) throw new ShapeError('csolveMatrix', `${a.rows} rows in the right-hand side`, String(b.rows));
  const f = clu(a);
  const x = czeros(b.rows, b.cols);
  for (let j = 0; j < b.cols; j++) {
    const col = b.rows;
    const bRe = Float64Array.from({ length: col }, (_, i) => b.re[i * b.cols + j]!);
    const bIm = Float64Array.from({ length: col }, (_, i) => b.im[i * b.cols + j]!);
    const s = cluSolve(f, bRe, bIm);
    for (let i = 0; i < col; i++) {
      x.re[i * b.cols + j] = s.re[i]!;
      x.im[i * b.cols + j] = s.im[i]!;
    }
  }
  return x;
}

/**
 * z·w.
 * @example cmul({ re: 0, im: 1 }, { re: 0, im: 1 })  // { re: -1, im: 0 }
 */
export const cmul = (z: Complex, w: Complex): Complex => ({ re: z.re * w.re - z.im * w.im, im: z.re * w.im + z.im * w.re });
/**
 * z^t for an integer t ≥ 0 (polar form, so large t stays accurate).
 * @example cpow({ re: 0, im: 1 }, 2)  // ≈ { re: -1, im: 0 }
 */
export function cpow(z: Complex, t: number): Complex {
  const r = Math.hypot(z.re, z.im) ** t;
  const a = Math.atan2(z.im, z.re) * t;
  return { re: r * Math.cos(a), im: r * Math.sin(a) };
}
