/**
 * Reference GEMM: C = alpha·op(A)·op(B) + beta·C (or + bias on every row), row-major, plain loops (the spec, not fast).
 *   op(A): (M, K)   op(B): (K, N)   C: (M, N)
 * Accumulates in the buffers' own precision order: for each (i, j) the K products are summed
 * left to right in a double, then scaled and stored.
 */
import type { GemmArgs } from '../backend.js';

export function gemm(g: GemmArgs): void {
  const { transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc } = g;
  const bias = g.bias ?? null;
  const ao = g.aOff ?? 0;
  const bo = g.bOff ?? 0;
  const co = g.cOff ?? 0;
  for (let i = 0; i < M; i++) {
    const crow = co + i * ldc;
    for (let j = 0; j < N; j++) {
      let s = 0;
      if (!transA && !transB) for (let k = 0; k < K; k++) s += A[ao + i * lda + k]! * B[bo + k * ldb + j]!;
      else if (!transA && transB) for (let k = 0; k < K; k++) s += A[ao + i * lda + k]! * B[bo + j * ldb + k]!;
      else if (transA && !transB) for (let k = 0; k < K; k++) s += A[ao + k * lda + i]! * B[bo + k * ldb + j]!;
      else for (let k = 0; k < K; k++) s += A[ao + k * lda + i]! * B[bo + j * ldb + k]!;
      const prev = bias ? bias[j]! : beta === 0 ? 0 : beta * C[crow + j]!;
      C[crow + j] = prev + alpha * s;
    }
  }
}
