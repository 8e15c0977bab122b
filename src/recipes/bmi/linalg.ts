/**
 * Dense float64 helpers for the decoders: Gram matrices, Cholesky solves and small inverses.
 * Matrices are row-major Float64Array with explicit sizes.
 */
import { F, Tensor, ValueError } from '../../index.js';

/** Aᵀ·B for A (n, p) and B (n, q): (p, q). */
export function crossprod(A: Float64Array, p: number, B: Float64Array, q: number): Float64Array {
  const n = A.length / p;
  const out = new Float64Array(p * q);
  for (let i = 0; i < n; i++) {
    const a = A.subarray(i * p, (i + 1) * p);
    const b = B.subarray(i * q, (i + 1) * q);
    for (let r = 0; r < p; r++) {
      const ar = a[r]!;
      if (ar === 0) continue;
      const o = r * q;
      for (let c = 0; c < q; c++) out[o + c]! += ar * b[c]!;
    }
  }
  return out;
}

/**
 * AᵀA for A (n, p) through the backend's float32 GEMM (accumulated in float32: relative error
 * ~1e-6, far below the ridge penalties used), returned in float64; small problems stay in float64.
 */
export function gram(A: Float64Array, p: number): Float64Array {
  const n = A.length / p;
  if (n * p * p < 1e7) return crossprod(A, p, A, p);
  const t = new Tensor(Float32Array.from(A), [n, p]);
  return Float64Array.from(F.matmul(F.transpose(t, 0, 1), t).data);
}

/** A (n, p) · B (p, q): (n, q). */
export function matmul(A: Float64Array, n: number, p: number, B: Float64Array, q: number): Float64Array {
  const out = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < p; r++) {
      const a = A[i * p + r]!;
      if (a === 0) continue;
      for (let c = 0; c < q; c++) out[i * q + c]! += a * B[r * q + c]!;
    }
  }
  return out;
}

/** Lower Cholesky factor of a symmetric positive definite (p, p) matrix (in place on a copy). */
export function cholesky(S: Float64Array, p: number): Float64Array {
  const L = Float64Array.from(S);
  for (let j = 0; j < p; j++) {
    let d = L[j * p + j]!;
    for (let k = 0; k < j; k++) d -= L[j * p + k]! ** 2;
    if (!(d > 0)) throw new ValueError('cholesky', 'a positive definite matrix', `pivot ${d} at ${j}`);
    const s = Math.sqrt(d);
    L[j * p + j] = s;
    for (let i = j + 1; i < p; i++) {
      let v = L[i * p + j]!;
      const ri = i * p;
      const rj = j * p;
      for (let k = 0; k < j; k++) v -= L[ri + k]! * L[rj + k]!;
      L[ri + j] = v / s;
    }
    for (let k = j + 1; k < p; k++) L[j * p + k] = 0;
  }
  return L;
}

/** Solve (L Lᵀ) X = B for B (p, q). */
export function cholSolve(L: Float64Array, p: number, B: Float64Array, q: number): Float64Array {
  const X = Float64Array.from(B);
  for (let c = 0; c < q; c++) {
    for (let i = 0; i < p; i++) {
      let v = X[i * q + c]!;
      for (let k = 0; k < i; k++) v -= L[i * p + k]! * X[k * q + c]!;
      X[i * q + c] = v / L[i * p + i]!;
    }
    for (let i = p - 1; i >= 0; i--) {
      let v = X[i * q + c]!;
      for (let k = i + 1; k < p; k++) v -= L[k * p + i]! * X[k * q + c]!;
      X[i * q + c] = v / L[i * p + i]!;
    }
  }
  return X;
}

/** Inverse of a symmetric positive definite (p, p) matrix. */
export function spdInverse(S: Float64Array, p: number): Float64Array {
  const I = new Float64Array(p * p);
  for (let i = 0; i < p; i++) I[i * p + i] = 1;
  return cholSolve(cholesky(S, p), p, I, p);
}

/** Aᵀ (p, n) of A (n, p). */
export function transpose(A: Float64Array, n: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) out[j * n + i] = A[i * p + j]!;
  return out;
}
