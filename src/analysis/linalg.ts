/**
 * Small dense linear algebra in float64 for the analysis tools (matrices of state size, ≲ 500):
 * construction, products, Householder QR and LU solves. Spectra (eigenvalues, SVD) are in
 * eig.ts. No dependencies; row-major storage.
 */
import { ShapeError } from '../util/errors.js';

/** A dense row-major matrix: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A complex number (eigenvalues of real matrices come as conjugate pairs). */
export interface Complex {
  re: number;
  im: number;
}

/** Machine epsilon of float64. */
export const EPS = 2.220446049250313e-16;

/** A matrix from nested rows (or a Matrix, returned as is). */
export function matrix(rows: readonly (readonly number[])[] | Matrix): Matrix {
  if (!Array.isArray(rows)) return rows as Matrix;
  const r = rows as readonly (readonly number[])[];
  const m = r.length;
  const n = m === 0 ? 0 : r[0]!.length;
  const data = new Float64Array(m * n);
  r.forEach((row, i) => {
    if (row.length !== n) throw new ShapeError('matrix', `rows of length ${n}`, `row ${i} of length ${row.length}`);
    for (let j = 0; j < n; j++) data[i * n + j] = row[j]!;
  });
  return { rows: m, cols: n, data };
}

/** Nested rows of a matrix (plain arrays, e.g. for JSON). */
export function toRows(a: Matrix): number[][] {
  return Array.from({ length: a.rows }, (_, i) => Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
}

export function zerosMatrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function identity(n: number): Matrix {
  const m = zerosMatrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function transposeMatrix(a: Matrix): Matrix {
  const t = zerosMatrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return t;
}

/** C = A·B. */
export function matmulMatrix(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new ShapeError('matmulMatrix', `inner sizes to agree (${a.cols})`, `(${a.rows}×${a.cols})·(${b.rows}×${b.cols})`);
  const c = zerosMatrix(a.rows, b.cols);
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c.data[i * n + j] += aik * b.data[k * n + j]!;
    }
  }
  return c;
}

/** y = A·x. */
export function matvec(a: Matrix, x: ArrayLike<number>): Float64Array {
  if (x.length !== a.cols) throw new ShapeError('matvec', `a vector of length ${a.cols}`, String(x.length));
  const y = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/** n of an n×n matrix; throws for a non-square one. */
export function square(where: string, a: Matrix): number {
  if (a.rows !== a.cols) throw new ShapeError(where, 'a square matrix', `${a.rows}×${a.cols}`);
  return a.rows;
}

/**
 * Thin Householder QR of A (n×k, n ≥ k): A = Q·R with Q (n×k) orthonormal columns and R (k×k)
 * upper triangular with a non-negative diagonal (the convention Benettin's method needs).
 */
export function qr(a: Matrix): { Q: Matrix; R: Matrix } {
  const n = a.rows;
  const k = a.cols;
  if (n < k) throw new ShapeError('qr', 'rows >= cols', `${n}×${k}`);
  const W = a.data.slice();
  const vs: Float64Array[] = [];
  const betas: number[] = [];
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += W[i * k + j]! ** 2;
    norm = Math.sqrt(norm);
    const x0 = W[j * k + j]!;
    const alpha = x0 >= 0 ? -norm : norm;
    const v = new Float64Array(n - j);
    v[0] = x0 - alpha;
    for (let i = j + 1; i < n; i++) v[i - j] = W[i * k + j]!;
    let vn2 = 0;
    for (const e of v) vn2 += e * e;
    const beta = vn2 === 0 ? 0 : 2 / vn2;
    for (let c = j; c < k; c++) {
      let dot = 0;
      for (let i = j; i < n; i++) dot += v[i - j]! * W[i * k + c]!;
      for (let i = j; i < n; i++) W[i * k + c] -= beta * dot * v[i - j]!;
    }
    vs.push(v);
    betas.push(beta);
  }
  const R = zerosMatrix(k, k);
  for (let i = 0; i < k; i++) for (let j = i; j < k; j++) R.data[i * k + j] = W[i * k + j]!;
  const Q = zerosMatrix(n, k);
  for (let i = 0; i < k; i++) Q.data[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j]!;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = j; i < n; i++) dot += v[i - j]! * Q.data[i * k + c]!;
      for (let i = j; i < n; i++) Q.data[i * k + c] -= betas[j]! * dot * v[i - j]!;
    }
  }
  for (let i = 0; i < k; i++) {
    if (R.data[i * k + i]! >= 0) continue;
    for (let j = i; j < k; j++) R.data[i * k + j] = -R.data[i * k + j]!;
    for (let r = 0; r < n; r++) Q.data[r * k + i] = -Q.data[r * k + i]!;
  }
  return { Q, R };
}

/** Solve A·x = b by LU with partial pivoting (a zero pivot is replaced by a tiny one). */
export function solve(a: Matrix, b: ArrayLike<number>): Float64Array {
  const n = square('solve', a);
  const M = a.data.slice();
  const x = Float64Array.from(b);
  const scale = M.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i * n + k]!) > Math.abs(M[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [M[k * n + j], M[p * n + j]] = [M[p * n + j]!, M[k * n + j]!];
      [x[k], x[p]] = [x[p]!, x[k]!];
    }
    if (Math.abs(M[k * n + k]!) < EPS * scale) M[k * n + k] = EPS * scale;
    const piv = M[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const f = M[i * n + k]! / piv;
      if (f === 0) continue;
      for (let j = k; j < n; j++) M[i * n + j] -= f * M[k * n + j]!;
      x[i] -= f * x[k]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j < n; j++) s -= M[i * n + j]! * x[j]!;
    x[i] = s / M[i * n + i]!;
  }
  return x;
}

/** |z|. */
export const modulus = (z: Complex): number => Math.hypot(z.re, z.im);
