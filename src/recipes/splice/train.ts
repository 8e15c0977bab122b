/**
 * A small supervised loop for sequence classifiers: AdamW, gradient clipping, ReduceLROnPlateau
 * on the validation loss, early stopping with the best weights restored.
 *
 * Legend: N examples, T steps, K channels, B batch, C classes.
 */
import { AdamW, F, NonFiniteError, ReduceLROnPlateau, Tensor, clipGradNorm, noGrad, type Module, type Rng } from '../../index.js';
import { yieldToEvents } from '../common/interrupt.js';

/** Examples stored one after another: x (N, T, K) row-major, labels (N). */
export interface EncodedSet {
  x: Float32Array;
  labels: Int32Array;
  n: number;
  T: number;
  K: number;
  /** Length of each example when they differ (the rest of its T steps are zero padding). */
  lengths?: Int32Array;
}

/** A model mapping (T, B, K) inputs (and the lengths of padded sequences) to (B, C) logits. */
export interface Classifier extends Module {
  forward(x: Tensor, lengths?: Int32Array): Tensor;
}

export interface FitOptions {
  /** Most epochs (early stopping may end sooner). */
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Stop after this many epochs without a better validation loss. */
  patience: number;
  /** Max gradient 2-norm. */
  clip: number;
  /**
   * Decay of an exponential moving average of the weights, updated after every step and used
   * for validation and the returned model (0 = off). Smooths the epoch-to-epoch swings of the
   * decision boundary between classes.
   */
  ema?: number;
  /** Shuffling. */
  rng: Rng;
  /** Called after every epoch. */
  onEpoch?: (e: EpochRecord) => void;
  /**
   * Checked after every step; once `requested`, training ends and fitClassifier returns null.
   * With it the loop yields to the event loop after every step, so a SIGINT handler can run.
   */
  stop?: { readonly requested: boolean };
  /** Called after every optimizer step: `step` of `steps` in epoch `epoch` (from 0). */
  onStep?: (s: { epoch: number; step: number; steps: number; loss: number }) => void;
}

/** One line of training history. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valError: number;
  lr: number;
  ms: number;
}

export interface FitResult {
  history: EpochRecord[];
  /** Epoch (from 0) whose weights were kept. */
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
}

/** The subset at `idx`. */
export function subset(s: EncodedSet, idx: readonly number[]): EncodedSet {
  const w = s.T * s.K;
  const x = new Float32Array(idx.length * w);
  idx.forEach((i, j) => x.set(s.x.subarray(i * w, (i + 1) * w), j * w));
  const out: EncodedSet = { x, labels: Int32Array.from(idx, (i) => s.labels[i]!), n: idx.length, T: s.T, K: s.K };
  return s.lengths ? { ...out, lengths: Int32Array.from(idx, (i) => s.lengths![i]!) } : out;
}

/** The logits of examples `idx` (a padded batch goes with its lengths). */
function logitsOf(model: Classifier, s: EncodedSet, idx: readonly number[]): Tensor {
  if (!s.lengths) return model.forward(batchOf(s, idx));
  const lengths = Int32Array.from(idx, (i) => s.lengths![i]!);
  return model.forward(batchOf(s, idx, Math.max(...lengths)), lengths);
}

/** Examples `idx` as a time-major batch (T, B, K), or only their first `T` steps. */
export function batchOf(s: EncodedSet, idx: readonly number[], T = s.T): Tensor {
  const { K } = s;
  const B = idx.length;
  const out = new Float32Array(T * B * K);
  idx.forEach((i, b) => {
    for (let t = 0; t < T; t++) out.set(s.x.subarray((i * s.T + t) * K, (i * s.T + t + 1) * K), (t * B + b) * K);
  });
  return new Tensor(out, [T, B, K]);
}

/** Class probabilities (N, C) in eval mode, without a graph. */
export function predictProbs(model: Classifier, s: EncodedSet, batchSize = 256): { probs: Float64Array; loss: number } {
  model.eval();
  const parts: Float64Array[] = [];
  let lossSum = 0;
  noGrad(() => {
    for (let i = 0; i < s.n; i += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, s.n - i) }, (_, j) => i + j);
      const logits = logitsOf(model, s, idx);
      lossSum += F.crossEntropy(logits, s.labels.subarray(i, i + idx.length), { reduction: 'sum' }).item();
      parts.push(Float64Array.from(F.softmax(logits, -1).data));
    }
  });
  const probs = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    probs.set(p, at);
    at += p.length;
  }
  return { probs, loss: lossSum / Math.max(1, s.n) };
}

function errorOf(probs: Float64Array, labels: Int32Array): number {
  const C = probs.length / labels.length;
  let wrong = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + best]!) best = c;
    if (best !== labels[i]) wrong++;
  }
  return wrong / labels.length;
}

/** Weight averages: ema ← d·ema + (1 − d)·w after every step. */
class Ema {
  readonly avg: Float32Array[];
  private saved: Float32Array[] = [];
  constructor(private readonly params: readonly Tensor[], private readonly decay: number) {
    this.avg = params.map((p) => Float32Array.from(p.data));
  }
  update(): void {
    const d = this.decay;
    this.params.forEach((p, i) => {
      const a = this.avg[i]!;
      for (let j = 0; j < a.length; j++) a[j] = d * a[j]! + (1 - d) * p.data[j]!;
    });
  }
  /** Put the averages into the parameters (keeping the raw weights to restore). */
  swapIn(): void {
    this.saved = this.params.map((p) => Float32Array.from(p.data));
    this.params.forEach((p, i) => p.data.set(this.avg[i]!));
  }
  swapOut(): void {
    this.params.forEach((p, i) => p.data.set(this.saved[i]!));
  }
}

/** Mean training loss of one epoch, or null when a stop was requested. */
async function trainEpoch(model: Classifier, opt: AdamW, train: EncodedSet, o: FitOptions, ema: Ema | null, epoch: number): Promise<number | null> {
  model.train();
  const order = o.rng.shuffle(Array.from({ length: train.n }, (_, i) => i));
  const steps = Math.ceil(order.length / o.batchSize);
  let lossSum = 0;
  for (let i = 0; i < order.length; i += o.batchSize) {
    const idx = order.slice(i, i + o.batchSize);
    const loss = F.crossEntropy(logitsOf(model, train, idx), Int32Array.from(idx, (j) => train.labels[j]!));
    opt.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), o.clip);
    opt.step();
    ema?.update();
    const l = loss.item();
    lossSum += l * idx.length;
    o.onStep?.({ epoch, step: i / o.batchSize + 1, steps, loss: l });
    if (o.stop) {
      await yieldToEvents();
      if (o.stop.requested) return null;
    }
  }
  return lossSum / train.n;
}

/**
 * Train `model` on `train`, select the epoch by validation loss and restore its weights.
 * @returns null when `o.stop` was requested (the model then holds half-trained weights).
 * @example const fit = await fitClassifier(net, trainSet, valSet, { epochs: 30, batchSize: 32, … });
 */
export async function fitClassifier(model: Classifier, train: EncodedSet, val: EncodedSet, o: FitOptions): Promise<FitResult | null> {
  const opt = new AdamW(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  // Halve the lr well before early stopping gives up: after ⌊patience/2⌋ epochs without progress.
  const sched = new ReduceLROnPlateau(opt, { factor: 0.5, patience: Math.max(0, Math.floor(o.patience / 2) - 1) });
  const history: EpochRecord[] = [];
  const ema = o.ema ? new Ema(model.parameters(), o.ema) : null;
  let best = { loss: Infinity, epoch: -1, weights: [] as Float32Array[] };
  let epoch = 0;
  for (; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    const lr = opt.groups[0]!.lr;
    const trainLoss = await trainEpoch(model, opt, train, o, ema, epoch);
    if (trainLoss === null) return null;
    ema?.swapIn();
    const v = predictProbs(model, val);
    const rec = { epoch, trainLoss, valLoss: v.loss, valError: errorOf(v.probs, val.labels), lr, ms: performance.now() - t0 };
    history.push(rec);
    o.onEpoch?.(rec);
    if (v.loss < best.loss) best = { loss: v.loss, epoch, weights: model.parameters().map((p) => Float32Array.from(p.data)) };
    ema?.swapOut();
    if (epoch - best.epoch >= o.patience) {
      epoch++;
      break;
    }
    sched.step(v.loss);
  }
  if (best.epoch < 0) throw new NonFiniteError('fitClassifier', `a validation loss of ${history.at(-1)?.valLoss} in every epoch`);
  model.parameters().forEach((p, i) => p.data.set(best.weights[i]!));
  return { history, bestEpoch: best.epoch, epochsRun: epoch, stoppedEarly: epoch < o.epochs };
}
