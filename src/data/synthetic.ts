/**
 * Seeded synthetic tasks for memory, gradient-flow and dynamics experiments. Every generator
 * takes an explicit `Rng` (same seed → same data, bit for bit), returns time-major tensors
 * (T, B, ·) (float32 unless `dtype`) plus the metadata an experiment needs (positions, values,
 * masks, chance-level baselines). Class targets are Int32Array indices, flat (T·B) or (B).
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import type { DType } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { OptionError, ValueError } from '../util/errors.js';

export interface SyntheticOptions {
  rng: Rng;
  dtype?: DType;
}

function checkKeys(where: string, opts: object, extra: readonly string[]): void {
  const allowed = ['rng', 'dtype', ...extra];
  for (const k of Object.keys(opts)) if (!allowed.includes(k)) throw new OptionError(where, `options among ${allowed.join(', ')}`, `unknown option "${k}"`);
  if (!(opts as { rng?: unknown }).rng) throw new OptionError(where, 'an rng (synthetic data is always seeded)', 'none');
}

function checkInt(where: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ValueError(where, `${name} an integer >= ${min}`, String(v));
}

export interface AddingProblem {
  /** (T, B, 2): channel 0 values ~ U(0, 1), channel 1 the two markers (1 at the marked steps). */
  x: Tensor;
  /** (B, 1): the sum of the two marked values. */
  y: Tensor;
  /** (B·2): the marked steps per row, first in [0, ⌊T/2⌋), second in [⌊T/2⌋, T). */
  positions: Int32Array;
  /** MSE of always predicting 1 (= Var of the target), 1/6 ≈ 0.167 in expectation. */
  baselineMse: number;
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997; the variant of Le et al. 2015): remember
 * two marked values among T and output their sum.
 * @example const { x, y } = addingProblem(200, 32, { rng: new Rng(0) });
 */
export function addingProblem(T: number, batch: number, opts: SyntheticOptions): AddingProblem {
  checkKeys('addingProblem', opts, []);
  checkInt('addingProblem', 'T', T, 2);
  checkInt('addingProblem', 'batch', batch, 1);
  const { rng } = opts;
  const x = zeros([T, batch, 2], { dtype: opts.dtype });
  const y = zeros([batch, 1], { dtype: opts.dtype });
  const positions = new Int32Array(batch * 2);
  const half = Math.floor(T / 2);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < T; t++) x.data[(t * batch + b) * 2] = rng.random();
    const p = [rng.int(half), half + rng.int(T - half)];
    positions.set(p, b * 2);
    let s = 0;
    for (const t of p) {
      x.data[(t * batch + b) * 2 + 1] = 1;
      s += x.data[(t * batch + b) * 2]!;
    }
    y.data[b] = s;
  }
  return { x, y, positions, baselineMse: 1 / 6 };
}

export interface CopyTaskOptions extends SyntheticOptions {
  /** Number of symbols to remember (default 10). */
  length?: number;
  /** Alphabet size K (default 8); symbols are tokens 1 … K. */
  alphabet?: number;
}

export interface CopyTask {
  /** (T, B, K + 2) one-hot tokens: 0 blank, 1 … K symbols, K + 1 the "recall now" marker. */
  x: Tensor;
  /** (T·B) input token ids, time-major. */
  tokens: Int32Array;
  /** (T·B) target ids: blank (0) everywhere except the last `length` steps, which repeat the symbols. */
  targets: Int32Array;
  T: number;
  numClasses: number;
  /** Cross-entropy per step of the best memoryless strategy: length·ln K / T. */
  baselineLoss: number;
}

/**
 * The copy-memory task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): `length` random
 * symbols, `delay − 1` blanks, the marker, `length` blanks during which the symbols must be
 * reproduced. T = delay + 2·length.
 */
export function copyTask(delay: number, batch: number, opts: CopyTaskOptions): CopyTask {
  checkKeys('copyTask', opts, ['length', 'alphabet']);
  const L = opts.length ?? 10;
  const K = opts.alphabet ?? 8;
  checkInt('copyTask', 'delay', delay, 1);
  checkInt('copyTask', 'batch', batch, 1);
  checkInt('copyTask', 'length', L, 1);
  checkInt('copyTask', 'alphabet', K, 2);
  const T = delay + 2 * L;
  const V = K + 2;
  const tokens = new Int32Array(T * batch);
  const targets = new Int32Array(T * batch);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < L; i++) {
      const sym = 1 + opts.rng.int(K);
      tokens[i * batch + b] = sym;
      targets[(T - L + i) * batch + b] = sym;
    }
    tokens[(L + delay - 1) * batch + b] = K + 1;
  }
  return { x: oneHot(tokens, T, batch, V, opts.dtype), tokens, targets, T, numClasses: V, baselineLoss: (L * Math.log(K)) / T };
}

function oneHot(tokens: Int32Array, T: number, B: number, V: number, dtype?: DType): Tensor {
  const x = zeros([T, B, V], { dtype });
  for (let i = 0; i < T * B; i++) x.data[i * V + tokens[i]!] = 1;
  return x;
}

export interface FlipFlopOptions extends SyntheticOptions {
  /** Number of channels (default 3). */
  bits?: number;
  /** Probability of a pulse per step and channel (default 0.05). */
  pulseProb?: number;
}

export interface FlipFlop {
  /** (T, B, bits): ±1 pulses, 0 elsewhere. */
  x: Tensor;
  /** (T, B, bits): sign of the latest pulse at or before t on each channel, 0 before the first. */
  y: Tensor;
}

/** The n-bit flip-flop (Sussillo & Barak 2013): each output holds the sign of its channel's last pulse. */
export function flipFlop(T: number, batch: number, opts: FlipFlopOptions): FlipFlop {
  checkKeys('flipFlop', opts, ['bits', 'pulseProb']);
  const bits = opts.bits ?? 3;
  const p = opts.pulseProb ?? 0.05;
  checkInt('flipFlop', 'T', T, 1);
  checkInt('flipFlop', 'batch', batch, 1);
  checkInt('flipFlop', 'bits', bits, 1);
  if (!(p >= 0 && p <= 1)) throw new ValueError('flipFlop', 'pulseProb in [0, 1]', String(p));
  const x = zeros([T, batch, bits], { dtype: opts.dtype });
  const y = zeros([T, batch, bits], { dtype: opts.dtype });
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < bits; c++) {
      let last = 0;
      for (let t = 0; t < T; t++) {
        const i = (t * batch + b) * bits + c;
        if (opts.rng.bernoulli(p)) {
          last = opts.rng.bernoulli(0.5) ? 1 : -1;
          x.data[i] = last;
        }
        y.data[i] = last;
      }
    }
  }
  return { x, y };
}

export interface DelayedResponseOptions extends SyntheticOptions {
  /** Steps the cue value is shown (default 5). */
  cueSteps?: number;
  /** Delay between the cue's end and the go signal, drawn uniformly in [minDelay, maxDelay] (default 10, 20). */
  minDelay?: number;
  maxDelay?: number;
  /** Range of the cue value (default [−1, 1]). */
  range?: [number, number];
}

export interface DelayedResponse {
  /** (T, B, 2): channel 0 the cue value during steps [0, cueSteps), channel 1 a go pulse (1) at goTimes[b]. */
  x: Tensor;
  /** (T, B, 1): the cue value from the go step on, 0 before. */
  y: Tensor;
  /** (T, B): 1 on the response period t ≥ go, where the output is scored. */
  mask: Tensor;
  values: Float64Array;
  goTimes: Int32Array;
}

/**
 * Delayed response with a continuous value (parametric working memory, cf. Romo et al. 1999):
 * see a value, hold it through a variable delay, output it after the go signal.
 * Requires T > cueSteps + maxDelay.
 */
export function delayedResponse(T: number, batch: number, opts: DelayedResponseOptions): DelayedResponse {
  checkKeys('delayedResponse', opts, ['cueSteps', 'minDelay', 'maxDelay', 'range']);
  const cue = opts.cueSteps ?? 5;
  const lo = opts.minDelay ?? 10;
  const hi = opts.maxDelay ?? 20;
  const [v0, v1] = opts.range ?? [-1, 1];
  checkInt('delayedResponse', 'batch', batch, 1);
  checkInt('delayedResponse', 'cueSteps', cue, 1);
  checkInt('delayedResponse', 'minDelay', lo, 0);
  checkInt('delayedResponse', 'maxDelay', hi, lo);
  if (!(Number.isInteger(T) && T > cue + hi)) throw new ValueError('delayedResponse', `T an integer > cueSteps + maxDelay = ${cue + hi}`, String(T));
  const x = zeros([T, batch, 2], { dtype: opts.dtype });
  const y = zeros([T, batch, 1], { dtype: opts.dtype });
  const mask = zeros([T, batch], { dtype: opts.dtype });
  const values = new Float64Array(batch);
  const goTimes = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const v = opts.rng.uniform(v0, v1);
    const go = cue + lo + opts.rng.int(hi - lo + 1);
    values[b] = v;
    goTimes[b] = go;
    for (let t = 0; t < cue; t++) x.data[(t * batch + b) * 2] = v;
    x.data[(go * batch + b) * 2 + 1] = 1;
    for (let t = go; t < T; t++) {
      y.data[t * batch + b] = v;
      mask.data[t * batch + b] = 1;
    }
  }
  return { x, y, mask, values, goTimes };
}

export interface FirstTokenOptions extends SyntheticOptions {
  /** Number of labels C (default 2); the first token is the label, a token in [0, C). */
  numClasses?: number;
  /** Vocabulary size V ≥ C (default C + 8); later tokens are uniform over all V (distractors). */
  vocab?: number;
}

export interface FirstToken {
  /** (T, B, V) one-hot tokens. */
  x: Tensor;
  /** (T·B) token ids, time-major. */
  tokens: Int32Array;
  /** (B) labels = the first token. */
  labels: Int32Array;
  /** Accuracy of guessing: 1/C. */
  chanceAccuracy: number;
}

/** "The first token decides the label": classify a long sequence of distractors by its first token. */
export function firstTokenTask(T: number, batch: number, opts: FirstTokenOptions): FirstToken {
  checkKeys('firstTokenTask', opts, ['numClasses', 'vocab']);
  const C = opts.numClasses ?? 2;
  const V = opts.vocab ?? C + 8;
  checkInt('firstTokenTask', 'T', T, 1);
  checkInt('firstTokenTask', 'batch', batch, 1);
  checkInt('firstTokenTask', 'numClasses', C, 2);
  checkInt('firstTokenTask', 'vocab', V, C);
  const tokens = new Int32Array(T * batch);
  const labels = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    labels[b] = tokens[b] = opts.rng.int(C);
    for (let t = 1; t < T; t++) tokens[t * batch + b] = opts.rng.int(V);
  }
  return { x: oneHot(tokens, T, batch, V, opts.dtype), tokens, labels, chanceAccuracy: 1 / C };
}
