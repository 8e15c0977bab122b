/**
 * The classical baselines: AR(p) decay estimation from the autocovariance and OASIS-style
 * non-negative deconvolution (Friedrich, Zhou & Paninski 2017, PLoS Comput Biol 13(3): e1005423).
 *
 * Model: c_t = g1·c_{t−1} + g2·c_{t−2} + s_t, s_t ≥ 0;  y_t = b + c_t + noise  (AR(1): g2 = 0).
 * Problem: min_c ½‖y − b − c‖² + λ Σ s_t  subject to s_t ≥ 0. The L1 term equals
 * λ(1 − g1 − g2)·Σ c_t up to the boundary, so it shifts y by −λ(1 − g1 − g2).
 *
 * OASIS (pool-adjacent-violators): the trace is split into pools i = (t_i, l_i, v_i) inside which
 * no spike occurs, so c_{t_i+k} = h_k·v_i + g2·h_{k−1}·c_{t_i−1} with the impulse response
 * h_0 = 1, h_1 = g1, h_k = g1·h_{k−1} + g2·h_{k−2}. Given the last calcium value of the previous
 * pool, the least-squares value is v_i = (Σ_k h_k·y_{t_i+k} − c_{t_i−1}·Σ_k h_k·g2·h_{k−1}) / Σ_k h_k².
 * Samples are added one at a time as new pools; while the spike at a pool's start is negative
 * (the constraint is violated) the pool is merged into its predecessor and the value recomputed.
 * For AR(1) (h_k = γ^k) this is the exact OASIS algorithm (eq. 11–14 of the paper); for AR(2) it
 * is the paper's greedy variant. Σ_k h_k·y_{t+k} is kept as two geometric sums over the roots d, r
 * of z² = g1·z + g2 (h_k = (d^{k+1} − r^{k+1})/(d − r)) so a merge costs O(1).
 */
import { median, meanScore } from './data.js';

/** Autocovariance of `y` (mean removed) at lags 0..maxLag. */
export function autocov(y: ArrayLike<number>, maxLag: number): Float64Array {
  const n = y.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += y[i]!;
  m /= n;
  const z = Float64Array.from(y, (v) => v - m);
  const c = new Float64Array(maxLag + 1);
  for (let k = 0; k <= maxLag; k++) {
    let s = 0;
    for (let i = k; i < n; i++) s += z[i]! * z[i - k]!;
    c[k] = s / n;
  }
  return c;
}

/**
 * AR(1) decay γ from the autocovariance, skipping the short lags (lag 0 carries the noise
 * variance; the first few lags of a trace resampled to 100 Hz carry the interpolation's smoothing):
 * for an AR(1) process driven by independent spikes C(k+m) = γ^m·C(k) for k ≥ 1, fitted by least
 * squares over k = k0..k0+span with a step of m samples, then γ = (γ^m)^(1/m).
 */
export function estimateAr1(y: ArrayLike<number>, o: { k0?: number; span?: number; m?: number } = {}): number {
  const k0 = o.k0 ?? 10;
  const span = o.span ?? 40;
  const m = o.m ?? 10;
  const c = autocov(y, k0 + span + m);
  let num = 0;
  let den = 0;
  for (let k = k0; k <= k0 + span; k++) {
    num += c[k]! * c[k + m]!;
    den += c[k]! * c[k]!;
  }
  const gm = den > 0 && num > 0 ? num / den : 0.5;
  return clampGamma(gm ** (1 / m));
}

/**
 * AR(2) coefficients (g1, g2) by Yule–Walker over lags ≥ 1 (C(k) = g1·C(k−1) + g2·C(k−2) for
 * k = 3..lags+2), adjusted so that both roots are real and in [0, 1): the AR(2) kernel is then a
 * difference of two decaying exponentials (rise and decay).
 */
export function estimateAr2(y: ArrayLike<number>, lags = 30): [number, number] {
  const c = autocov(y, lags + 2);
  let a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
  for (let k = 3; k <= lags + 2; k++) {
    const x1 = c[k - 1]!, x2 = c[k - 2]!, t = c[k]!;
    a11 += x1 * x1; a12 += x1 * x2; a22 += x2 * x2; b1 += x1 * t; b2 += x2 * t;
  }
  const det = a11 * a22 - a12 * a12;
  if (!(Math.abs(det) > 1e-300)) return [estimateAr1(y), 0];
  let g1 = (b1 * a22 - b2 * a12) / det;
  let g2 = (a11 * b2 - a12 * b1) / det;
  // Real roots d ≥ r ≥ 0 below 1: d + r = g1, d·r = −g2.
  let disc = g1 * g1 + 4 * g2;
  if (disc < 0) disc = 0;
  let d = clampGamma((g1 + Math.sqrt(disc)) / 2);
  let r = Math.min(Math.max((g1 - Math.sqrt(disc)) / 2, 0), d * 0.999);
  if (!Number.isFinite(d) || !Number.isFinite(r)) [d, r] = [estimateAr1(y), 0];
  g1 = d + r;
  g2 = -d * r;
  return [g1, g2];
}

function clampGamma(g: number): number {
  return Math.min(Math.max(g, 0.5), 0.9995);
}

/** Noise standard deviation: MAD of the first differences / (0.6745·√2) (spikes are rare outliers). */
export function noiseSd(y: ArrayLike<number>): number {
  const d = new Float64Array(y.length - 1);
  for (let i = 1; i < y.length; i++) d[i - 1] = y[i]! - y[i - 1]!;
  const m = median(d);
  const dev = Float64Array.from(d, (v) => Math.abs(v - m));
  return median(dev) / (0.6745 * Math.SQRT2) || 1e-9;
}

/** Result of a deconvolution: calcium c and spikes s (both ≥ 0, length T). */
export interface Deconvolved {
  c: Float64Array;
  s: Float64Array;
}

interface Pool { t: number; l: number; v: number; sd: number; sr: number; cp: number }

/**
 * OASIS non-negative deconvolution of `y` (baseline already removed) with AR coefficients
 * (g1, g2) and sparsity λ. O(T) amortised.
 */
export function oasis(y: ArrayLike<number>, g1: number, g2 = 0, lambda = 0): Deconvolved {
  const T = y.length;
  const disc = Math.max(0, g1 * g1 + 4 * g2);
  const d = (g1 + Math.sqrt(disc)) / 2;
  let r = (g1 - Math.sqrt(disc)) / 2;
  if (Math.abs(d - r) < 1e-9) r = d - 1e-9;
  const h = new Float64Array(T + 1);
  const h2 = new Float64Array(T + 1); // h2[l] = Σ_{k<l} h_k²
  const hg = new Float64Array(T + 1); // hg[l] = Σ_{k<l} h_k·g2·h_{k−1}
  const pd = new Float64Array(T + 1); // d^k
  const pr = new Float64Array(T + 1); // r^k
  h[0] = 1; pd[0] = 1; pr[0] = 1;
  for (let k = 1; k <= T; k++) {
    h[k] = g1 * h[k - 1]! + (k >= 2 ? g2 * h[k - 2]! : 0);
    pd[k] = pd[k - 1]! * d;
    pr[k] = pr[k - 1]! * r;
  }
  for (let l = 1; l <= T; l++) {
    h2[l] = h2[l - 1]! + h[l - 1]! ** 2;
    hg[l] = hg[l - 1]! + h[l - 1]! * (l >= 2 ? g2 * h[l - 2]! : 0);
  }
  const shift = lambda * (1 - g1 - g2);
  const pools: Pool[] = [];
  // Calcium at offset k ≥ 0 of pool p (p.cp = the calcium just before the pool).
  const cAt = (p: Pool, k: number): number => h[k]! * p.v + (k >= 1 ? g2 * h[k - 1]! * p.cp : 0);
  const lastC = (p: Pool | undefined): number => (p ? cAt(p, p.l - 1) : 0);
  const value = (p: Pool): number => {
    const sh = (d * p.sd - r * p.sr) / (d - r);
    return Math.max(0, (sh - p.cp * hg[p.l]!) / h2[p.l]!);
  };
  // The spike at the start of pool b, which follows pool a.
  const spike = (a: Pool, b: Pool): number => b.v - g1 * lastC(a) - g2 * (a.l >= 2 ? cAt(a, a.l - 2) : a.cp);
  for (let t = 0; t < T; t++) {
    const yt = y[t]! - shift;
    const p: Pool = { t, l: 1, v: 0, sd: yt, sr: yt, cp: lastC(pools[pools.length - 1]) };
    p.v = value(p);
    pools.push(p);
    while (pools.length > 1 && spike(pools[pools.length - 2]!, pools[pools.length - 1]!) < 0) {
      const b = pools.pop()!;
      const a = pools[pools.length - 1]!;
      a.sd += pd[a.l]! * b.sd;
      a.sr += pr[a.l]! * b.sr;
      a.l += b.l;
      a.v = value(a);
    }
  }
  return reconstruct(pools, T, g1, g2, h);
}

function reconstruct(pools: Pool[], T: number, g1: number, g2: number, h: Float64Array): Deconvolved {
  const c = new Float64Array(T);
  let cPrev = 0;
  for (const p of pools) {
    for (let k = 0; k < p.l; k++) c[p.t + k] = h[k]! * p.v + (k >= 1 ? g2 * h[k - 1]! * cPrev : 0);
    cPrev = c[p.t + p.l - 1]!;
  }
  const s = new Float64Array(T);
  for (let t = 0; t < T; t++) s[t] = Math.max(0, c[t]! - g1 * (t >= 1 ? c[t - 1]! : 0) - g2 * (t >= 2 ? c[t - 2]! : 0));
  return { c, s };
}

/** Quantile q ∈ [0, 1] of a copy. */
export function quantile(x: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(x).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
}

/**
 * Slow baseline of a trace: the q-quantile of a sliding window (`win` samples, evaluated every
 * `step` samples, linearly interpolated). Removes drifts slower than the window, which would
 * otherwise dominate the autocovariance and push the γ estimate towards 1.
 */
export function runningQuantile(y: ArrayLike<number>, q: number, win = 3000, step = 500): Float64Array {
  const T = y.length;
  const knots: number[] = [];
  const vals: number[] = [];
  for (let c = 0; c < T + step; c += step) {
    const at = Math.min(c, T - 1);
    const lo = Math.max(0, at - (win >> 1));
    const hi = Math.min(T, lo + win);
    const w = new Float64Array(hi - lo);
    for (let i = lo; i < hi; i++) w[i - lo] = y[i]!;
    knots.push(at);
    vals.push(quantile(w, q));
    if (at === T - 1) break;
  }
  const out = new Float64Array(T);
  let k = 0;
  for (let t = 0; t < T; t++) {
    while (k < knots.length - 2 && t > knots[k + 1]!) k++;
    const [a, b] = [knots[k]!, knots[Math.min(k + 1, knots.length - 1)]!];
    const f = b > a ? (t - a) / (b - a) : 0;
    out[t] = vals[k]! + f * (vals[Math.min(k + 1, vals.length - 1)]! - vals[k]!);
  }
  return out;
}

/** One setting of the OASIS baseline: running-baseline quantile and λ in units of the noise sd. */
export interface OasisSetting { q: number; kappa: number }

/** The grid searched (on training neurons only) for each baseline. */
export const OASIS_GRID: OasisSetting[] = [0.05, 0.1, 0.2, 0.35, 0.5].flatMap((q) => [0, 0.25, 0.5, 1, 2].map((kappa) => ({ q, kappa })));

/** What the OASIS baseline estimates from a trace alone (no spikes): AR coefficients and noise sd of the detrended trace. */
export interface TraceStats { g: [number, number]; sn: number; y: Float64Array }

/** Detrend with the running q-quantile, then estimate the AR(p) coefficients and the noise. */
export function traceStats(y: ArrayLike<number>, order: 1 | 2, q: number): TraceStats {
  const base = runningQuantile(y, q);
  const yd = Float64Array.from(y, (v, t) => v - base[t]!);
  return { g: order === 1 ? [estimateAr1(yd), 0] : estimateAr2(yd), sn: noiseSd(yd), y: yd };
}

/** Spike estimate of one trace by OASIS AR(p), coefficients estimated from the trace itself. */
export function oasisSpikes(y: ArrayLike<number>, order: 1 | 2, s: OasisSetting): Float64Array {
  const st = traceStats(y, order, s.q);
  return oasis(st.y, st.g[0], st.g[1], s.kappa * st.sn).s;
}

/** Per-dataset leave-one-neuron-out score of an OASIS baseline. */
export interface BaselineScore {
  order: 1 | 2;
  /** Mean held-out r (25 Hz) and per neuron. */
  mean: number;
  perNeuron: number[];
  /** Setting chosen for each held-out neuron (on the others). */
  chosen: OasisSetting[];
  /** Estimated coefficients per neuron (g1, g2). */
  coefs: [number, number][];
}

/**
 * Leave-one-neuron-out within a dataset: every neuron is scored with the grid setting that
 * maximises the mean r of the dataset's other neurons. γ (g1, g2) is estimated per trace without
 * spikes, so it needs no held-out split.
 */
export function oasisLono(calcium: Float64Array[], spikes: Float64Array[], order: 1 | 2): BaselineScore {
  const table = calcium.map((y, i) => {
    const stats = new Map<number, TraceStats>();
    return OASIS_GRID.map((s) => {
      if (!stats.has(s.q)) stats.set(s.q, traceStats(y, order, s.q));
      const st = stats.get(s.q)!;
      return meanScore([oasis(st.y, st.g[0], st.g[1], s.kappa * st.sn).s], [spikes[i]!]).mean;
    });
  });
  const chosen = calcium.map((_, i) => {
    let best = 0;
    let bestR = -Infinity;
    OASIS_GRID.forEach((_s, g) => {
      const r = table.reduce((a, row, j) => (j === i ? a : a + row[g]!), 0);
      if (r > bestR) [best, bestR] = [g, r];
    });
    return best;
  });
  const perNeuron = chosen.map((g, i) => table[i]![g]!);
  return {
    order, perNeuron, mean: perNeuron.reduce((a, b) => a + b, 0) / perNeuron.length,
    chosen: chosen.map((g) => OASIS_GRID[g]!),
    coefs: calcium.map((y, i) => traceStats(y, order, OASIS_GRID[chosen[i]!]!.q).g),
  };
}
