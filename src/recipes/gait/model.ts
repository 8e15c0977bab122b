/**
 * The recurrent footstep segmenter: an LSTM or GRU reads a window of W samples of the 12 foot
 * IMU channels from a zero state and a linear head gives, at every sample, the logits of "left
 * foot in step" and "right foot in step" (causal: the output at t sees samples ≤ t of its
 * window). Training draws random windows of W samples; prediction slides windows of W with hop
 * W/2 and keeps each window's second half (the first window keeps all), so every sample past the
 * first W/2 is predicted with between ⌊W/2⌋ and W samples of history.
 *
 * Legend: W window, B batch, C channels, H hidden, T samples of a trial.
 */
import { Adam, F, GRU, LSTM, Linear, Module, Rng, Tensor, ValueError, clipGradNorm, noGrad } from '../../index.js';
import { yieldToEvents } from '../common/interrupt.js';
import { C } from './data.js';

export type Cell = 'lstm' | 'gru';

export class Segmenter extends Module {
  readonly rnn: LSTM | GRU;
  readonly head: Linear;

  constructor(readonly cell: Cell, readonly hidden: number, rng: Rng, readonly inputs = C, readonly outputs = 2) {
    super();
    this.rnn = this.registerModule('rnn', new (cell === 'lstm' ? LSTM : GRU)(inputs, hidden, { rng }));
    this.head = this.registerModule('head', new Linear(hidden, outputs, { rng }));
  }

  /** (W, B, C) → logits (W·B, outputs), row (t·B + b). */
  forward(x: Tensor): Tensor {
    const [W, B] = x.shape as [number, number];
    return this.head.forward(F.reshape(this.rnn.forward(x).output, [W * B, this.hidden]));
  }
}

export function paramCount(cell: Cell, hidden: number, inputs = C, outputs = 2): number {
  return new Segmenter(cell, hidden, new Rng(0), inputs, outputs).parameters().reduce((a, p) => a + p.size, 0);
}

/** The GRU width whose parameter count is closest to an LSTM of width `lstmHidden` (equal budget). */
export function matchedGruHidden(lstmHidden: number, inputs = C, outputs = 2): number {
  const target = paramCount('lstm', lstmHidden, inputs, outputs);
  let best = 1;
  for (let h = 1; h <= 2 * lstmHidden; h++) if (Math.abs(paramCount('gru', h, inputs, outputs) - target) < Math.abs(paramCount('gru', best, inputs, outputs) - target)) best = h;
  return best;
}

/** A sequence ready for the model: standardised X (T, C) and labels Y (T, outputs). */
export interface Seq {
  T: number;
  X: Float32Array;
  Y: Float32Array;
}

/** Window starts covering [0, T) with hop ⌈W/2⌉ (the last one ends at T). */
export function windowStarts(T: number, W: number): number[] {
  if (T <= W) return [0];
  const hop = Math.ceil(W / 2);
  const s: number[] = [];
  for (let a = 0; a + W < T; a += hop) s.push(a);
  s.push(T - W);
  return s;
}

function batchOf(seq: Seq, starts: readonly number[], W: number, inputs: number): Tensor {
  const B = starts.length;
  const x = new Float32Array(W * B * inputs);
  starts.forEach((a, b) => {
    for (let t = 0; t < W; t++) x.set(seq.X.subarray((a + t) * inputs, (a + t + 1) * inputs), (t * B + b) * inputs);
  });
  return new Tensor(x, [W, B, inputs]);
}

/** Probabilities (T, outputs) for one sequence, windows as in the file comment. */
export function predictSeq(model: Segmenter, seq: Seq, W: number): Float32Array {
  const w = Math.min(W, seq.T);
  const starts = windowStarts(seq.T, w);
  const K = model.outputs;
  const out = new Float32Array(seq.T * K);
  model.eval();
  noGrad(() => {
    const z = model.forward(batchOf(seq, starts, w, model.inputs)).data;
    const B = starts.length;
    // Window b writes its last w − hop samples (all of them for b = 0); later windows overwrite,
    // so the written ranges tile [0, T) with no gap for odd w either.
    const hop = Math.ceil(w / 2);
    starts.forEach((a, b) => {
      const keep = b === 0 ? 0 : w - hop;
      for (let t = keep; t < w; t++) for (let k = 0; k < K; k++) out[(a + t) * K + k] = 1 / (1 + Math.exp(-z[(t * B + b) * K + k]!));
    });
  });
  return out;
}

/** Mean binary cross entropy of probabilities against labels. */
export function bce(p: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s -= Math.log(Math.min(Math.max(y[i] ? p[i]! : 1 - p[i]!, 1e-7), 1));
  return s / p.length;
}

export interface FitOptions {
  W: number;
  lr: number;
  epochs: number;
  patience: number;
  /** Sample-steps per epoch (windows × W), the same for every W. */
  stepsPerEpoch: number;
  /** Sample-steps per batch (B = this / W windows). */
  batchSteps: number;
  rng: Rng;
  stop?: { readonly requested: boolean };
}

/** Random training windows of W samples (sequences drawn in proportion to their usable starts). */
function drawWindows(seqs: readonly Seq[], W: number, B: number, rng: Rng): { seq: Seq; a: number }[] {
  const usable = seqs.map((s) => Math.max(0, s.T - W + 1));
  const total = usable.reduce((a, b) => a + b, 0);
  return Array.from({ length: B }, () => {
    let r = rng.int(total);
    let i = 0;
    while (r >= usable[i]!) r -= usable[i++]!;
    return { seq: seqs[i]!, a: r };
  });
}

function trainBatch(model: Segmenter, seqs: readonly Seq[], o: FitOptions, opt: Adam): number {
  const B = Math.max(1, Math.round(o.batchSteps / o.W));
  const wins = drawWindows(seqs, o.W, B, o.rng);
  const K = model.outputs;
  const x = new Float32Array(o.W * B * model.inputs);
  const y = new Float32Array(o.W * B * K);
  wins.forEach(({ seq, a }, b) => {
    for (let t = 0; t < o.W; t++) {
      x.set(seq.X.subarray((a + t) * model.inputs, (a + t + 1) * model.inputs), (t * B + b) * model.inputs);
      y.set(seq.Y.subarray((a + t) * K, (a + t + 1) * K), (t * B + b) * K);
    }
  });
  model.train();
  const loss = F.bceWithLogits(model.forward(new Tensor(x, [o.W, B, model.inputs])), new Tensor(y, [o.W * B, K]));
  opt.zeroGrad();
  loss.backward();
  clipGradNorm(model.parameters(), 1);
  opt.step();
  return loss.item();
}

export interface FitResult {
  bestEpoch: number;
  valLoss: number;
  history: { epoch: number; trainLoss: number; valLoss: number }[];
}

/** Train with early stopping on the validation loss; the best epoch's weights are restored. Null when stopped. */
export async function fitSegmenter(model: Segmenter, train: readonly Seq[], val: readonly Seq[], o: FitOptions): Promise<FitResult | null> {
  if (!train.some((s) => s.T >= o.W)) throw new ValueError('fitSegmenter', `a training sequence of at least W = ${o.W} samples`, 'none that long');
  const opt = new Adam(model.parameters(), { lr: o.lr });
  const B = Math.max(1, Math.round(o.batchSteps / o.W));
  const nBatches = Math.max(1, Math.ceil(o.stepsPerEpoch / (B * o.W)));
  let best = { loss: Infinity, epoch: -1, weights: [] as Float32Array[] };
  const history: FitResult['history'] = [];
  for (let epoch = 0; epoch < o.epochs && epoch - best.epoch <= o.patience; epoch++) {
    let sum = 0;
    for (let i = 0; i < nBatches; i++) sum += trainBatch(model, train, o, opt);
    await yieldToEvents();
    if (o.stop?.requested) return null;
    // Early stopping reads every other validation sequence: half the cost, and the decision rule is still tuned on all of them.
    const es = val.filter((_, i) => i % 2 === 0);
    const valLoss = es.reduce((a, s) => a + bce(predictSeq(model, s, o.W), s.Y) * s.T, 0) / es.reduce((a, s) => a + s.T, 0);
    history.push({ epoch, trainLoss: sum / nBatches, valLoss });
    if (valLoss < best.loss) best = { loss: valLoss, epoch, weights: model.parameters().map((p) => Float32Array.from(p.data)) };
  }
  model.parameters().forEach((p, i) => p.data.set(best.weights[i]!));
  return { bestEpoch: best.epoch, valLoss: best.loss, history };
}
