/**
 * The three spike models, all maximum likelihood under a Poisson likelihood per 1 ms bin, and
 * their samplers (a bin spikes with probability 1 − exp(−λ), so sampled trains are binary):
 * - PSTH: inhomogeneous Poisson, λ_t = the training trials' mean count at t, Gaussian-smoothed
 *   (the ML rate under a smoothness constraint; the width is chosen on the validation trials).
 * - GLM: log λ_t = b + Σ_j k_j s_{t−j} + Σ_l h_l y_{t−l}; stimulus lags 0..D−1, spike history
 *   as 4 single-bin lags plus 8 raised-cosine bumps to 250 ms. Convex; fitted by Newton's
 *   method with a small ridge.
 * The recurrent model is in rnn.ts.
 *
 * Legend: R trials, T bins, p GLM features.
 */
import type { Rng } from '../../index.js';

/** Poisson log-likelihood Σ y log λ − λ (binary y: log y! = 0). */
export function poissonLL(y: Uint8Array, lambda: Float64Array): number {
  let ll = 0;
  for (let i = 0; i < y.length; i++) {
    const l = Math.max(lambda[i]!, 1e-8);
    ll += (y[i] ? Math.log(l) : 0) - l;
  }
  return ll;
}

/** Gaussian-smoothed mean over trials (R, T) → (T). */
export function psthFit(y: Uint8Array, T: number, sigma: number): Float64Array {
  const R = y.length / T;
  const m = new Float64Array(T);
  for (let r = 0; r < R; r++) for (let t = 0; t < T; t++) m[t]! += y[r * T + t]! / R;
  if (sigma <= 0) return m.map((v) => Math.max(v, 1e-5));
  const w = Math.ceil(3 * sigma);
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    let z = 0;
    for (let d = -w; d <= w; d++) {
      if (t + d < 0 || t + d >= T) continue;
      const g = Math.exp(-(d * d) / (2 * sigma * sigma));
      s += g * m[t + d]!;
      z += g;
    }
    out[t] = Math.max(s / z, 1e-5);
  }
  return out;
}

/** The GLM's spike-history basis: (maxLag + 1, nb) with rows = lags (row 0 unused). */
export function historyBasis(maxLag = 250, single = 4, bumps = 8): Float64Array[] {
  const cols: Float64Array[] = [];
  for (let j = 1; j <= single; j++) cols.push(Float64Array.from({ length: maxLag + 1 }, (_, l) => (l === j ? 1 : 0)));
  const lo = Math.log(single + 1);
  const hi = Math.log(maxLag);
  const step = (hi - lo) / (bumps - 1);
  for (let j = 0; j < bumps; j++) {
    const c = lo + j * step;
    cols.push(Float64Array.from({ length: maxLag + 1 }, (_, l) => {
      if (l <= single) return 0;
      const x = (Math.log(l) - c) / (2 * step);
      return Math.abs(x) < 1 ? 0.5 * (1 + Math.cos(Math.PI * x)) : 0;
    }));
  }
  return cols;
}

export interface Glm {
  D: number;
  /** Weights: D stimulus lags, history bases, bias. */
  beta: Float64Array;
  basis: Float64Array[];
  /** The history filter h_l, l = 0..maxLag (h_0 = 0). */
  history: Float64Array;
}

/** Design rows for trials y (R, T): [s_t … s_{t−D+1}, history features, 1]. */
export function glmDesign(s: Float64Array, y: Uint8Array, D: number, basis: Float64Array[]): Float64Array {
  const T = s.length;
  const R = y.length / T;
  const nb = basis.length;
  const p = D + nb + 1;
  const X = new Float64Array(R * T * p);
  const maxLag = basis[0]!.length - 1;
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      const row = (r * T + t) * p;
      for (let j = 0; j < D && j <= t; j++) X[row + j] = s[t - j]!;
      for (let l = 1; l <= maxLag && l <= t; l++) {
        if (!y[r * T + t - l]) continue;
        for (let b = 0; b < nb; b++) X[row + D + b]! += basis[b]![l]!;
      }
      X[row + p - 1] = 1;
    }
  }
  return X;
}

function solveSym(A: Float64Array, b: Float64Array, p: number): Float64Array {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < p; c++) {
    const d = M[c * p + c]!;
    for (let r = c + 1; r < p; r++) {
      const f = M[r * p + c]! / d;
      if (f === 0) continue;
      for (let k = c; k < p; k++) M[r * p + k]! -= f * M[c * p + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = p - 1; r >= 0; r--) {
    let v = x[r]!;
    for (let k = r + 1; k < p; k++) v -= M[r * p + k]! * x[k]!;
    x[r] = v / M[r * p + r]!;
  }
  return x;
}

/** Newton's method on the penalised Poisson log-likelihood (concave): ridge `rho` on all but the bias. */
export function glmFit(s: Float64Array, y: Uint8Array, D = 20, rho = 1e-2, iters = 40): Glm {
  const basis = historyBasis();
  const X = glmDesign(s, y, D, basis);
  const p = D + basis.length + 1;
  const n = y.length;
  const beta = new Float64Array(p);
  beta[p - 1] = Math.log(Math.max(1e-4, y.reduce((a, v) => a + v, 0) / n));
  const objective = (b: Float64Array): number => {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let j = 0; j < p; j++) e += X[i * p + j]! * b[j]!;
      ll += y[i]! * e - Math.exp(e);
    }
    for (let j = 0; j < p - 1; j++) ll -= 0.5 * rho * b[j]! ** 2;
    return ll;
  };
  let f = objective(beta);
  for (let it = 0; it < iters; it++) {
    const g = new Float64Array(p);
    const Hm = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      const row = X.subarray(i * p, (i + 1) * p);
      let e = 0;
      for (let j = 0; j < p; j++) e += row[j]! * beta[j]!;
      const lam = Math.exp(e);
      const res = y[i]! - lam;
      for (let j = 0; j < p; j++) {
        if (row[j] === 0) continue;
        g[j]! += row[j]! * res;
        const w = lam * row[j]!;
        for (let k = j; k < p; k++) Hm[j * p + k]! += w * row[k]!;
      }
    }
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) Hm[j * p + k] = Hm[k * p + j]!;
    for (let j = 0; j < p - 1; j++) {
      g[j]! -= rho * beta[j]!;
      Hm[j * p + j]! += rho;
    }
    const step = solveSym(Hm, g, p);
    let t = 1;
    let next = beta.map((v, j) => v + step[j]!);
    let fn = objective(next);
    while (fn < f && t > 1e-4) {
      t /= 2;
      next = beta.map((v, j) => v + t * step[j]!);
      fn = objective(next);
    }
    const gain = fn - f;
    beta.set(next);
    f = fn;
    if (gain < 1e-6) break;
  }
  const history = new Float64Array(basis[0]!.length);
  for (let l = 1; l < history.length; l++) for (let b = 0; b < basis.length; b++) history[l]! += beta[D + b]! * basis[b]![l]!;
  return { D, beta, basis, history };
}

/** The GLM's λ (R·T) on trials y given the stimulus (teacher-forced history). */
export function glmRate(m: Glm, s: Float64Array, y: Uint8Array): Float64Array {
  const X = glmDesign(s, y, m.D, m.basis);
  const p = m.beta.length;
  return Float64Array.from({ length: y.length }, (_, i) => {
    let e = 0;
    for (let j = 0; j < p; j++) e += X[i * p + j]! * m.beta[j]!;
    return Math.exp(e);
  });
}

/** Sample R trials from the GLM, feeding its own spikes back. */
export function glmSample(m: Glm, s: Float64Array, R: number, rng: Rng): Uint8Array {
  const T = s.length;
  const y = new Uint8Array(R * T);
  const drive = Float64Array.from(s, (_, t) => {
    let v = m.beta[m.beta.length - 1]!;
    for (let j = 0; j < m.D && j <= t; j++) v += m.beta[j]! * s[t - j]!;
    return v;
  });
  const L = m.history.length - 1;
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      let e = drive[t]!;
      for (let l = 1; l <= L && l <= t; l++) if (y[r * T + t - l]) e += m.history[l]!;
      if (rng.random() < 1 - Math.exp(-Math.exp(e))) y[r * T + t] = 1;
    }
  }
  return y;
}
