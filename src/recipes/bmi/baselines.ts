/**
 * The classical decoders of Glaser et al. 2020:
 * - Wiener filter: ridge regression from the lagged bins (window of L + 1 bins, causal) to the
 *   targets, W = (AᵀA + λD)⁻¹AᵀY with D = I except 0 for the intercept.
 * - Kalman filter (Wu et al. 2003): state x_t = targets (centred), x_t = A x_{t−1} + w, w ~ N(0, W);
 *   observation z_t = H x_t + q, q ~ N(0, Q), z_t = the current bin's (standardised) activity.
 *   A, W, H, Q by least squares on the training bins; run causally (filter, no smoother).
 *   As in Glaser's KalmanFilterDecoder, W is scaled by a factor c chosen on the validation block.
 *
 * Legend: n rows, p design columns, N units, K targets.
 */
import { cholSolve, cholesky, crossprod, gram as gramOf, matmul, spdInverse, transpose } from './linalg.js';
import type { Block } from './data.js';

/** Ridge weights (p, K) for design A (n, p) whose last column is the intercept. */
export function ridgeFit(A: Float64Array, p: number, Y: Float64Array, K: number, lambda: number, gram?: Float64Array): Float64Array {
  const G = Float64Array.from(gram ?? gramOf(A, p));
  for (let j = 0; j < p - 1; j++) G[j * p + j]! += lambda;
  G[(p - 1) * p + p - 1]! += 1e-9;
  return cholSolve(cholesky(G, p), p, crossprod(A, p, Y, K), K);
}

/** Predictions (n, K) = A W. */
export function linearPredict(A: Float64Array, p: number, W: Float64Array, K: number): Float64Array {
  return matmul(A, A.length / p, p, W, K);
}

/** Parameters of a fitted Kalman filter. */
export interface KalmanModel {
  K: number;
  N: number;
  A: Float64Array;
  W: Float64Array;
  H: Float64Array;
  Q: Float64Array;
  /** Stationary covariance of the training states (the initial P). */
  P0: Float64Array;
}

/** Sample covariance of residual rows R (n, d). */
function residualCov(R: Float64Array, d: number): Float64Array {
  const n = R.length / d;
  return crossprod(R, d, R, d).map((v) => v / Math.max(1, n));
}

/** R = Y − X B for X (n, a), B (a, d). */
function residual(Y: Float64Array, X: Float64Array, a: number, B: Float64Array, d: number): Float64Array {
  const P = matmul(X, X.length / a, a, B, d);
  return Y.map((v, i) => v - P[i]!);
}

/**
 * Fit A, W, H, Q by least squares (Wu et al. 2003) on `blocks` of states S (T, K) and
 * observations Z (T, N). Transitions pair consecutive bins inside a block only. `qFloor` is added
 * to Q's diagonal (a unit silent in training would otherwise have zero noise).
 */
export function kalmanFit(S: Float64Array, K: number, Z: Float64Array, N: number, blocks: readonly Block[], qFloor = 1e-2): KalmanModel {
  const cur: number[] = [];
  const prev: number[] = [];
  const all: number[] = [];
  for (const b of blocks) {
    for (let t = b.start; t < b.end; t++) {
      all.push(t);
      if (t > b.start) {
        cur.push(t);
        prev.push(t - 1);
      }
    }
  }
  const rows = (M: Float64Array, C: number, ts: number[]): Float64Array => {
    const out = new Float64Array(ts.length * C);
    ts.forEach((t, i) => out.set(M.subarray(t * C, (t + 1) * C), i * C));
    return out;
  };
  const X1 = rows(S, K, cur);
  const X0 = rows(S, K, prev);
  const reg = (G: Float64Array, d: number): Float64Array => {
    const g = Float64Array.from(G);
    for (let i = 0; i < d; i++) g[i * d + i]! += 1e-9;
    return g;
  };
  // A = argmin ||X1 − X0 Aᵀ||: Aᵀ = (X0ᵀX0)⁻¹ X0ᵀX1.
  const At = cholSolve(cholesky(reg(crossprod(X0, K, X0, K), K), K), K, crossprod(X0, K, X1, K), K);
  const W = residualCov(residual(X1, X0, K, At, K), K);
  const Xa = rows(S, K, all);
  const Za = rows(Z, N, all);
  const Ht = cholSolve(cholesky(reg(crossprod(Xa, K, Xa, K), K), K), K, crossprod(Xa, K, Za, N), N);
  const Q = residualCov(residual(Za, Xa, K, Ht, N), N);
  for (let i = 0; i < N; i++) Q[i * N + i]! += qFloor;
  const P0 = residualCov(Xa, K);
  return { K, N, A: transpose(At, K, K), W, H: transpose(Ht, K, N), Q, P0 };
}

/** The filter's per-step constants: HᵀQ⁻¹ (K, N) and HᵀQ⁻¹H (K, K). */
export interface KalmanRunner {
  m: KalmanModel;
  HtQi: Float64Array;
  HtQiH: Float64Array;
}

export function kalmanRunner(m: KalmanModel): KalmanRunner {
  const Qi = spdInverse(m.Q, m.N);
  const HtQi = matmul(transpose(m.H, m.N, m.K), m.K, m.N, Qi, m.N);
  return { m, HtQi, HtQiH: matmul(HtQi, m.K, m.N, m.H, m.K) };
}

/**
 * Run the filter over bins [start, end) of Z (T, N), starting from x = 0 (the training mean),
 * P = P0, with transition noise c·W. Information form, so each step inverts only K × K matrices.
 * @returns the filtered states (end − start, K).
 */
export function kalmanFilter(r: KalmanRunner, Z: Float64Array, start: number, end: number, c = 1): Float64Array {
  const { K, N, A, W, P0 } = r.m;
  const At = transpose(A, K, K);
  let x: Float64Array = new Float64Array(K);
  let P: Float64Array = Float64Array.from(P0);
  const out = new Float64Array((end - start) * K);
  for (let t = start; t < end; t++) {
    // Predict: x⁻ = A x, P⁻ = A P Aᵀ + cW (the first step takes the prior as is).
    const xp = t === start ? x : matmul(A, K, K, x, 1);
    const Pp = t === start ? P : matmul(matmul(A, K, K, P, K), K, K, At, K).map((v, i) => v + c * W[i]!);
    // Update: P = (P⁻⁻¹ + HᵀQ⁻¹H)⁻¹, x = x⁻ + P HᵀQ⁻¹ (z − H x⁻).
    const info = spdInverse(Pp, K).map((v, i) => v + r.HtQiH[i]!);
    P = spdInverse(info, K);
    const z = Z.subarray(t * N, (t + 1) * N);
    const innov = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let hx = 0;
      for (let k = 0; k < K; k++) hx += r.m.H[i * K + k]! * xp[k]!;
      innov[i] = z[i]! - hx;
    }
    const g = matmul(P, K, K, matmul(r.HtQi, K, N, innov, 1), 1);
    x = xp.map((v, k) => v + g[k]!);
    out.set(x, (t - start) * K);
  }
  return out;
}

/** The Wiener filter's λ grid (standardised inputs) and the Kalman filter's noise-scale grid. */
export const RIDGE_GRID = [1, 10, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5];
export const KALMAN_C_GRID = [1 / 16, 1 / 8, 0.25, 0.5, 1, 2, 4, 8];
