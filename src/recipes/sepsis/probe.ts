/**
 * Linear probes from an agent's features to the exact posterior over the hidden variables:
 * P(diabetic | history) and E[glucose | history] from the Bayes filter, run on the same
 * observation histories. Ridge regression fitted on half of the episodes, R² on the other half,
 * overall and by slice (step of the episode; whether vasopressors have been given so far, the
 * main source of evidence about diabetes).
 *
 * Feature sets compared on identical histories: the recurrent agent's GRU state, the memoryless
 * control's hidden layer, and a one-hot of the current observation (the most any memoryless
 * feature can carry).
 */
import { Tensor, noGrad } from '../../index.js';
import { ridgeFit, linearPredict } from '../bmi/baselines.js';
import { crossprod } from '../bmi/linalg.js';
import { HORIZON, N_OBS, type SepsisModel } from './simulator.js';
import { N_INPUT, type Episodes, type SepsisAgent } from './agent.js';
import { initialBelief, meanGlucose, pDiabetic, updateBelief } from './filter.js';

/** One row per step an agent acted in: the filter's targets and the slice labels. */
export interface ProbeRows {
  /** Index (t·B + b) of each row in the episodes' (T, B) layout. */
  at: Int32Array;
  episode: Int32Array;
  t: Int32Array;
  vasoSeen: Uint8Array;
  pDiabetic: Float64Array;
  glucose: Float64Array;
}

export function beliefRows(m: SepsisModel, e: Episodes): ProbeRows {
  const at: number[] = [], ep: number[] = [], ts: number[] = [], vaso: number[] = [], pd: number[] = [], gl: number[] = [];
  for (let b = 0; b < e.B; b++) {
    let bel = initialBelief(m, m.obs[e.state[b]!]!);
    let seen = 0;
    for (let t = 0; t < HORIZON && e.alive[t * e.B + b]; t++) {
      const k = t * e.B + b;
      if (t > 0) bel = updateBelief(m, bel, m.obs[e.state[k - e.B]!]!, e.act[k - e.B]!, m.obs[e.state[k]!]!);
      seen ||= (m.obs[e.state[k]!]! >> 1) & 1;
      at.push(k); ep.push(b); ts.push(t); vaso.push(seen); pd.push(pDiabetic(bel)); gl.push(meanGlucose(bel));
    }
  }
  return { at: Int32Array.from(at), episode: Int32Array.from(ep), t: Int32Array.from(ts), vasoSeen: Uint8Array.from(vaso), pDiabetic: Float64Array.from(pd), glucose: Float64Array.from(gl) };
}

/** Design rows (n, p + 1) with an intercept column, from features (T, B, p) at the rows' steps. */
export function designFrom(features: ArrayLike<number>, p: number, rows: ProbeRows): Float64Array {
  const X = new Float64Array(rows.at.length * (p + 1));
  rows.at.forEach((k, i) => {
    for (let j = 0; j < p; j++) X[i * (p + 1) + j] = features[k * p + j]!;
    X[i * (p + 1) + p] = 1;
  });
  return X;
}

/** The memoryless features of another agent on the same inputs (teacher-forced). */
export function featuresOf(agent: SepsisAgent, e: Episodes): Float32Array {
  return noGrad(() => Float32Array.from(agent.features(new Tensor(e.x, [HORIZON, e.B, N_INPUT])).data));
}

/** One-hot of the current observation, (T, B, 144). */
export function observationOneHot(m: SepsisModel, e: Episodes): Float32Array {
  const out = new Float32Array(HORIZON * e.B * N_OBS);
  e.state.forEach((s, k) => { if (s >= 0) out[k * N_OBS + m.obs[s]!] = 1; });
  return out;
}

export interface ProbeScore {
  target: 'P(diabetic)' | 'E[glucose]';
  /** R² on held-out episodes, overall and by slice (NaN where a slice has no variance). */
  r2: number;
  slices: { name: string; n: number; r2: number; targetSd: number }[];
}

export const PROBE_SLICES: { name: string; keep: (r: ProbeRows, i: number) => boolean }[] = [
  { name: 'step 0', keep: (r, i) => r.t[i] === 0 },
  { name: 'steps 1–4', keep: (r, i) => r.t[i]! >= 1 && r.t[i]! <= 4 },
  { name: 'steps 5–19', keep: (r, i) => r.t[i]! >= 5 },
  { name: 'vasopressors given so far', keep: (r, i) => r.vasoSeen[i] === 1 },
  { name: 'no vasopressors so far', keep: (r, i) => r.vasoSeen[i] === 0 },
];

function r2Of(y: Float64Array, yhat: Float64Array, idx: number[]): { r2: number; sd: number } {
  if (idx.length < 2) return { r2: NaN, sd: NaN };
  const mu = idx.reduce((a, i) => a + y[i]!, 0) / idx.length;
  let sst = 0, sse = 0;
  for (const i of idx) { sst += (y[i]! - mu) ** 2; sse += (y[i]! - yhat[i]!) ** 2; }
  return { r2: sst > 1e-12 ? 1 - sse / sst : NaN, sd: Math.sqrt(sst / idx.length) };
}

/** Ridge probe (λ fixed, not tuned on the held-out half): train on even episodes, score on odd ones. */
export function probe(X: Float64Array, p: number, rows: ProbeRows, lambda = 1e-2): ProbeScore[] {
  const train = [...rows.at.keys()].filter((i) => rows.episode[i]! % 2 === 0);
  const test = [...rows.at.keys()].filter((i) => rows.episode[i]! % 2 === 1);
  const pick = (A: Float64Array, q: number, idx: number[]): Float64Array => {
    const out = new Float64Array(idx.length * q);
    idx.forEach((i, r) => out.set(A.subarray(i * q, (i + 1) * q), r * q));
    return out;
  };
  // Centre the features on the training rows: the same fit (the intercept is not penalized), but
  // the intercept no longer couples to near-constant (saturated) units, which broke the Cholesky pivot.
  const mu = new Float64Array(p);
  for (const i of train) for (let j = 0; j < p; j++) mu[j]! += X[i * (p + 1) + j]! / train.length;
  const Xc = X.map((v, k) => (k % (p + 1) < p ? v - mu[k % (p + 1)]! : v));
  const Xtr = pick(Xc, p + 1, train);
  // The Gram matrix in float64: ridgeFit's default forms large ones in float32, whose rounding made
  // it indefinite beyond λ for 64 nearly collinear (saturated) units (a Cholesky pivot of −1.5).
  const gram = crossprod(Xtr, p + 1, Xtr, p + 1);
  return (['P(diabetic)', 'E[glucose]'] as const).map((target) => {
    const y = target === 'P(diabetic)' ? rows.pDiabetic : rows.glucose;
    const W = ridgeFit(Xtr, p + 1, pick(y, 1, train), 1, lambda, gram);
    const yhat = linearPredict(Xc, p + 1, W, 1);
    const slices = PROBE_SLICES.map((s) => {
      const idx = test.filter((i) => s.keep(rows, i));
      const r = r2Of(y, yhat, idx);
      return { name: s.name, n: idx.length, r2: r.r2, targetSd: r.sd };
    });
    return { target, r2: r2Of(y, yhat, test).r2, slices };
  });
}

