/**
 * Baseline forecasts, computed in every run beside the model: persistence (the last value),
 * seasonal naive (the value one season earlier), a ridge-regularised linear autoregression on
 * the same lookback window and covariates as the model (direct multi-horizon), and a reference
 * column when there is one (e.g. a turbine's power curve).
 *
 * Every forecast is a Float64Array (W, H, k) in the data's own units, W windows (origins).
 */
import type { Normaliser, Series, WindowSpec } from './dataset.js';
import { rowIndexOfTimes, rowNorm, seasonalRow } from './dataset.js';

/** (W, H, k) forecast in data units. */
export type Forecast = Float64Array;

/** The truth for every window: target rows t+1 … t+H. */
export function truthOf(s: Series, origins: Int32Array, H: number): Forecast {
  const out = new Float64Array(origins.length * H * s.k);
  origins.forEach((t, w) => {
    for (let h = 1; h <= H; h++) for (let j = 0; j < s.k; j++) out[(w * H + h - 1) * s.k + j] = s.raw[(t + h) * s.F + j]!;
  });
  return out;
}

/** Persistence: ŷ(t+h) = y(t). */
export function persistence(s: Series, origins: Int32Array, H: number): Forecast {
  const out = new Float64Array(origins.length * H * s.k);
  origins.forEach((t, w) => {
    for (let h = 1; h <= H; h++) for (let j = 0; j < s.k; j++) out[(w * H + h - 1) * s.k + j] = s.raw[t * s.F + j]!;
  });
  return out;
}

/** Seasonal naive: ŷ(t+h) = y(t+h − m·⌈h/m⌉) for season m (looked up by time when there is a time column). */
export function seasonalNaive(s: Series, origins: Int32Array, H: number, season: number): Forecast {
  const rot = rowIndexOfTimes(s);
  const out = new Float64Array(origins.length * H * s.k);
  origins.forEach((t, w) => {
    for (let h = 1; h <= H; h++) {
      const r = seasonalRow(s, t, t + h, season, rot);
      for (let j = 0; j < s.k; j++) out[(w * H + h - 1) * s.k + j] = r >= 0 ? s.raw[r * s.F + j]! : NaN;
    }
  });
  return out;
}

/** A reference column as a forecast: its value at the origin (usable) or at the target time (an oracle). */
export function referenceForecast(s: Series, origins: Int32Array, H: number, at: 'origin' | 'target'): Forecast {
  const ref = s.reference!;
  const out = new Float64Array(origins.length * H * s.k);
  origins.forEach((t, w) => {
    for (let h = 1; h <= H; h++) out[(w * H + h - 1) * s.k] = ref[at === 'origin' ? t : t + h]!;
  });
  return out;
}

// ---- ridge regression ------------------------------------------------------------------------

/** Solve A X = B for symmetric positive definite A (d, d) by Cholesky; B (d, m). Overwrites nothing. */
export function choleskySolve(A: Float64Array, B: Float64Array, d: number, m: number): Float64Array {
  const Lm = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i * d + j]!;
      for (let p = 0; p < j; p++) sum -= Lm[i * d + p]! * Lm[j * d + p]!;
      if (i === j) Lm[i * d + i] = Math.sqrt(Math.max(sum, 1e-300));
      else Lm[i * d + j] = sum / Lm[j * d + j]!;
    }
  }
  const X = Float64Array.from(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < d; i++) {
      let sum = X[i * m + c]!;
      for (let p = 0; p < i; p++) sum -= Lm[i * d + p]! * X[p * m + c]!;
      X[i * m + c] = sum / Lm[i * d + i]!;
    }
    for (let i = d - 1; i >= 0; i--) {
      let sum = X[i * m + c]!;
      for (let p = i + 1; p < d; p++) sum -= Lm[p * d + i]! * X[p * m + c]!;
      X[i * m + c] = sum / Lm[i * d + i]!;
    }
  }
  return X;
}

/** Normal equations of a least-squares problem: XᵀX (d, d), XᵀY (d, m), and the row count. */
export interface Gram {
  xtx: Float64Array;
  xty: Float64Array;
  n: number;
  d: number;
  m: number;
}

/** Accumulate XᵀX and XᵀY over rows given by a callback filling x (d) and y (m). */
export function gram(n: number, d: number, m: number, row: (i: number, x: Float64Array, y: Float64Array) => void): Gram {
  const xtx = new Float64Array(d * d);
  const xty = new Float64Array(d * m);
  const x = new Float64Array(d);
  const y = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    row(i, x, y);
    for (let a = 0; a < d; a++) {
      const xa = x[a]!;
      if (xa === 0) continue;
      for (let b = a; b < d; b++) xtx[a * d + b]! += xa * x[b]!;
      for (let c = 0; c < m; c++) xty[a * m + c]! += xa * y[c]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) xtx[a * d + b] = xtx[b * d + a]!;
  return { xtx, xty, n, d, m };
}

/**
 * Ridge solution W (d, m) of min ‖XW − Y‖² + λ·n·‖W‖², the last feature (the intercept)
 * unpenalised.
 */
export function ridgeSolve(g: Gram, lambda: number): Float64Array {
  const A = Float64Array.from(g.xtx);
  for (let i = 0; i < g.d - 1; i++) A[i * g.d + i]! += lambda * g.n + 1e-10 * g.n;
  A[(g.d - 1) * g.d + g.d - 1]! += 1e-10 * g.n;
  return choleskySolve(A, g.xty, g.d, g.m);
}

/** A fitted ridge AR model. */
export interface RidgeAR {
  /** (d, H·k) weights over [window features (L·F, oldest step first) …, 1]. */
  W: Float64Array;
  lambda: number;
  d: number;
  /** λ tried → validation MSE (normalised units), when λ was chosen automatically. */
  search: [number, number][];
}

/** Fill the design row for origin t: the normalised window, flattened, then 1. */
function designRow(z: Float32Array, F: number, L: number, t: number, x: Float64Array): void {
  const base = (t - L + 1) * F;
  for (let p = 0; p < L * F; p++) x[p] = z[base + p]!;
  x[L * F] = 1;
}

/** Targets in normalised units, relative to the last observed value (as the neural model). */
function targetRow(z: Float32Array, F: number, k: number, H: number, t: number, y: Float64Array): void {
  for (let h = 1; h <= H; h++) for (let j = 0; j < k; j++) y[(h - 1) * k + j] = z[(t + h) * F + j]! - z[t * F + j]!;
}

/** Lambdas tried by `ridgeLambda: 'auto'` (scaled by the row count inside). */
export const RIDGE_GRID = [1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1];

/**
 * Fit the ridge AR baseline on training windows; with `lambda: 'auto'` choose λ from
 * {@link RIDGE_GRID} by validation MSE.
 * @example const ar = fitRidgeAR(z, s, spec, trainOrigins, valOrigins, 'auto');
 */
export function fitRidgeAR(z: Float32Array, s: Series, w: WindowSpec, train: Int32Array, val: Int32Array, lambda: number | 'auto'): RidgeAR {
  const d = w.L * s.F + 1;
  const m = w.H * s.k;
  const g = gram(train.length, d, m, (i, x, y) => {
    designRow(z, s.F, w.L, train[i]!, x);
    targetRow(z, s.F, s.k, w.H, train[i]!, y);
  });
  if (lambda !== 'auto') return { W: ridgeSolve(g, lambda), lambda, d, search: [] };
  const search: [number, number][] = [];
  let best: RidgeAR | null = null;
  let bestErr = Infinity;
  for (const lam of RIDGE_GRID) {
    const W = ridgeSolve(g, lam);
    const err = ridgeMse(z, s, w, val, W);
    search.push([lam, err]);
    if (err < bestErr) [best, bestErr] = [{ W, lambda: lam, d, search }, err];
  }
  return best!;
}

function ridgeMse(z: Float32Array, s: Series, w: WindowSpec, origins: Int32Array, W: Float64Array): number {
  const d = w.L * s.F + 1;
  const m = w.H * s.k;
  const x = new Float64Array(d);
  const y = new Float64Array(m);
  let sse = 0;
  for (const t of origins) {
    designRow(z, s.F, w.L, t, x);
    targetRow(z, s.F, s.k, w.H, t, y);
    for (let c = 0; c < m; c++) {
      let p = 0;
      for (let a = 0; a < d; a++) p += x[a]! * W[a * m + c]!;
      sse += (p - y[c]!) ** 2;
    }
  }
  return sse / (origins.length * m);
}

/** Ridge AR forecasts in data units. */
export function ridgeForecast(ar: RidgeAR, z: Float32Array, s: Series, w: WindowSpec, origins: Int32Array, norm: Normaliser): Forecast {
  const m = w.H * s.k;
  const x = new Float64Array(ar.d);
  const out = new Float64Array(origins.length * m);
  origins.forEach((t, i) => {
    designRow(z, s.F, w.L, t, x);
    const nm = rowNorm(norm, s, t);
    for (let c = 0; c < m; c++) {
      const j = c % s.k;
      let p = z[t * s.F + j]!;
      for (let a = 0; a < ar.d; a++) p += x[a]! * ar.W[a * m + c]!;
      out[i * m + c] = p * nm.std[j]! + nm.mean[j]!;
    }
  });
  return out;
}

/**
 * The effective AR coefficients of target j at horizon step h (1-based) on target j's own lags,
 * oldest lag first, in normalised units (= data units for a single-feature series).
 */
export function ridgeLagCoefficients(ar: RidgeAR, s: Series, w: WindowSpec, h: number, j = 0): number[] {
  const m = w.H * s.k;
  const c = (h - 1) * s.k + j;
  return Array.from({ length: w.L }, (_, l) => ar.W[(l * s.F + j) * m + c]! + (l === w.L - 1 ? 1 : 0));
}
