/**
 * How far back a trained segmenter's decisions reach: gradient flow through time
 * (src/analysis/gradient-flow.ts) of the loss at the last step of test windows of L samples,
 * ‖∂L/∂s_{L−1−k}‖ per lag k, normalised by its value at lag 0. The dependency length is the
 * first lag where that ratio falls below a level (1 % and 10 %); the state is [h, c] for the
 * LSTM and h for the GRU.
 */
import { F, Rng, Tensor, analysis, toDType } from '../../index.js';
import type { Segmenter, Seq } from './model.js';

export interface FlowReading {
  /** ‖∂L/∂s_{L−1−k}‖ / ‖∂L/∂s_{L−1}‖ for k = 0 … L−1. */
  ratio: number[];
  /** First lag with ratio < 0.01 (L when it never falls that low). */
  reach1: number;
  /** First lag with ratio < 0.1. */
  reach10: number;
}

/** First lag with ratio below `level`, or the curve's length. */
export function reachOf(ratio: readonly number[], level: number): number {
  const k = ratio.findIndex((r) => r < level);
  return k < 0 ? ratio.length : k;
}

/** Gradient flow of the last-step BCE over `B` random windows of `L` samples (sequences ≥ L only). */
export function dependencyFlow(model: Segmenter, seqs: readonly Seq[], L: number, B: number, rng: Rng): FlowReading | null {
  const long = seqs.filter((s) => s.T >= L);
  if (!long.length) return null;
  const I = model.inputs;
  const K = model.outputs;
  const x = new Float64Array(L * B * I);
  const y = new Float64Array(B * K);
  for (let b = 0; b < B; b++) {
    const s = long[rng.int(long.length)]!;
    const a = rng.int(s.T - L + 1);
    for (let t = 0; t < L; t++) for (let i = 0; i < I; i++) x[(t * B + b) * I + i] = s.X[(a + t) * I + i]!;
    for (let k = 0; k < K; k++) y[b * K + k] = s.Y[(a + L - 1) * K + k]!;
  }
  const w = toDType(model.head.param('weight'), 'float64');
  const bias = toDType(model.head.param('bias'), 'float64');
  const target = new Tensor(y, [B, K]);
  const g = analysis.gradientFlow(model.rnn, new Tensor(x, [L, B, I]), {
    loss: (out) => F.bceWithLogits(F.linear(analysis.lastStep(out), w, bias), target),
    spans: [1],
  });
  const last = g.gradNorm[L - 1]!;
  const ratio = g.lags.map((_, k) => g.gradNorm[L - 1 - k]! / last);
  return { ratio, reach1: reachOf(ratio, 0.01), reach10: reachOf(ratio, 0.1) };
}
