/**
 * The spike-history simulator (seeded): a frozen-noise stimulus repeated on every trial drives a
 * neuron with an absolute and a relative refractory period and spike-frequency adaptation, in
 * 1 ms bins. Conditional intensity per bin:
 *   log λ_t = b + (k ∗ s)_t − a_t − R·exp(−(τ_t − t_abs)/τ_r),   λ_t = 0 while τ_t ≤ t_abs,
 * (with adaptation 'gain', (k ∗ s)_t · exp(−a_t) in place of (k ∗ s)_t: adaptation also divides the drive),
 *   a_t = Δ · Σ_{spikes i < t} exp(−(t − t_i)/τ_a),
 * with τ_t the bins since the last spike; a spike occurs with probability 1 − exp(−λ_t).
 *
 * Legend: R trials, T bins per trial, D stimulus-filter length.
 */
import { Rng } from '../../index.js';

export interface NeuronParams {
  /** Baseline log rate per bin. */
  bias: number;
  /** Stimulus filter k (D lags, lag 0 first). */
  filter: number[];
  /** Absolute refractory period in bins (λ = 0 for τ ≤ tAbs). */
  tAbs: number;
  /** Relative refractory depth R and time constant τ_r (bins). */
  relDepth: number;
  relTau: number;
  /** Adaptation jump Δ per spike and time constant τ_a (bins). */
  adaptJump: number;
  adaptTau: number;
  /**
   * How adaptation acts: 'additive' subtracts a_t from log λ (a GLM's spike-history filter
   * expresses it exactly); 'gain' also divides the stimulus drive, (k ∗ s)_t · exp(−a_t), so the
   * effect of a past spike depends on the stimulus (a fixed additive filter cannot express it).
   */
  adaptation: 'additive' | 'gain';
}

/** A biphasic stimulus filter of `D` lags with gain `g`. */
export function biphasicFilter(D = 20, g = 2): number[] {
  return Array.from({ length: D }, (_, j) => g * (Math.exp(-j / 3) - 0.6 * Math.exp(-j / 6)));
}

/** The default neuron: ~20 spikes/s, 2 ms absolute and ~4 ms relative refractoriness, adaptation over ~80 ms. */
export const DEFAULT_NEURON: NeuronParams = {
  bias: Math.log(0.04), filter: biphasicFilter(), tAbs: 2, relDepth: 3, relTau: 4, adaptJump: 1, adaptTau: 80, adaptation: 'additive',
};

/** Smooth frozen-noise stimulus of T bins: AR(1) with correlation time `tau` bins, unit variance. */
export function frozenStimulus(T: number, rng: Rng, tau = 10): Float64Array {
  const a = Math.exp(-1 / tau);
  const s = new Float64Array(T);
  let x = rng.normal();
  for (let t = 0; t < T; t++) {
    x = a * x + Math.sqrt(1 - a * a) * rng.normal();
    s[t] = x;
  }
  return s;
}

/** (k ∗ s)_t = Σ_j k_j s_{t−j} (zero before the start). */
export function filterStimulus(s: Float64Array, k: readonly number[]): Float64Array {
  const out = new Float64Array(s.length);
  for (let t = 0; t < s.length; t++) {
    let v = 0;
    for (let j = 0; j < k.length && j <= t; j++) v += k[j]! * s[t - j]!;
    out[t] = v;
  }
  return out;
}

/**
 * Run the neuron over R trials: `spike(r, t, λ)` decides bin t of trial r given its intensity
 * (sampling draws it; scoring reads recorded spikes). Returns λ (R·T).
 */
function runNeuron(p: NeuronParams, s: Float64Array, R: number, spike: (r: number, t: number, lambda: number) => boolean): Float64Array {
  const T = s.length;
  const drive = filterStimulus(s, p.filter);
  const lambda = new Float64Array(R * T);
  const decay = Math.exp(-1 / p.adaptTau);
  for (let r = 0; r < R; r++) {
    let a = 0;
    let since = 1e9;
    for (let t = 0; t < T; t++) {
      since++;
      a *= decay;
      if (since > p.tAbs) {
        const stim = (p.adaptation === 'gain' ? drive[t]! * Math.exp(-a) : drive[t]!) - a;
        lambda[r * T + t] = Math.exp(p.bias + stim - p.relDepth * Math.exp(-(since - p.tAbs) / p.relTau));
      }
      if (spike(r, t, lambda[r * T + t]!)) {
        a += p.adaptJump;
        since = 0;
      }
    }
  }
  return lambda;
}

/** Spikes (R, T) as 0/1 bytes: R trials of the neuron driven by the same stimulus `s`. */
export function simulateTrials(p: NeuronParams, s: Float64Array, R: number, rng: Rng): Uint8Array {
  const T = s.length;
  const y = new Uint8Array(R * T);
  runNeuron(p, s, R, (r, t, lambda) => {
    if (!(lambda > 0 && rng.random() < 1 - Math.exp(-lambda))) return false;
    y[r * T + t] = 1;
    return true;
  });
  return y;
}

/** The simulator's own intensity λ (R·T) given recorded trials y: the true model, for scoring. */
export function trueRate(p: NeuronParams, s: Float64Array, y: Uint8Array): Float64Array {
  const T = s.length;
  return runNeuron(p, s, y.length / T, (r, t) => y[r * T + t] === 1);
}

/** Fraction of inter-spike intervals ≤ `tAbs` bins (the refractory-violation rate). */
export function refractoryViolations(y: Uint8Array, T: number, tAbs: number): { rate: number; isis: number } {
  let bad = 0;
  let n = 0;
  for (let r = 0; r < y.length / T; r++) {
    let last = -1;
    for (let t = 0; t < T; t++) {
      if (!y[r * T + t]) continue;
      if (last >= 0) {
        n++;
        if (t - last <= tAbs) bad++;
      }
      last = t;
    }
  }
  return { rate: n ? bad / n : 0, isis: n };
}

/**
 * The spike-history effect of a set of trains: for lags τ = 1..maxLag, P(spike at t + τ | spike at t)
 * divided by the trains' own PSTH at t + τ (1 = no history effect; 0 = refractory).
 */
export function historyRatio(y: Uint8Array, T: number, maxLag = 200): Float64Array {
  const R = y.length / T;
  const psth = new Float64Array(T);
  for (let r = 0; r < R; r++) for (let t = 0; t < T; t++) psth[t]! += y[r * T + t]! / R;
  const num = new Float64Array(maxLag + 1);
  const den = new Float64Array(maxLag + 1);
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      if (!y[r * T + t]) continue;
      for (let l = 1; l <= maxLag && t + l < T; l++) {
        num[l]! += y[r * T + t + l]!;
        den[l]! += psth[t + l]!;
      }
    }
  }
  return num.map((v, l) => (l && den[l]! > 0 ? v / den[l]! : NaN));
}

/** Adaptation index: 1 − mean history ratio over lags [from, to] (0 = none; > 0 = firing suppressed after a spike). */
export function adaptationIndex(ratio: Float64Array, from = 20, to = 150): number {
  let s = 0;
  let n = 0;
  for (let l = from; l <= to && l < ratio.length; l++) if (Number.isFinite(ratio[l]!)) (s += ratio[l]!), n++;
  return 1 - s / Math.max(1, n);
}
