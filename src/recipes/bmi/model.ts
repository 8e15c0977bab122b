/**
 * The recurrent decoder of Glaser et al. 2020: an LSTM or GRU run over the causal lag window
 * (the current bin and L bins before it, from a zero state), a dropout and a linear head on the
 * last hidden state. Trained with MSE on standardised targets (Adam, early stopping on the
 * validation block, best weights restored).
 *
 * Streaming: {@link StreamingDecoder} decodes bin by bin with carried state and T = 1 per call.
 * It keeps L + 1 staggered copies of the state (a batch of L + 1): copy j restarts from zero every
 * L + 1 bins, so at every bin exactly one copy has seen the whole current window, and its output
 * equals the window decoder's. One recurrent step (batch L + 1) per bin instead of L + 1 steps.
 *
 * Legend: W window (L + 1 bins), B batch, N units, Hd hidden, K targets.
 */
import { Adam, Dropout, F, GRU, LSTM, Linear, Module, Tensor, clipGradNorm, noGrad, type Rng, type RecurrentState } from '../../index.js';
import { yieldToEvents } from '../common/interrupt.js';

export interface DecoderSpec {
  cell: 'gru' | 'lstm';
  inputs: number;
  hidden: number;
  targets: number;
  dropout: number;
}

/** Window decoder: forward (W, B, N) → (B, K). */
export class WindowDecoder extends Module {
  readonly spec: DecoderSpec;
  readonly rnn: GRU | LSTM;
  private readonly drop: Dropout;
  readonly head: Linear;

  constructor(spec: DecoderSpec, rng: Rng) {
    super();
    this.spec = spec;
    const Cell = spec.cell === 'lstm' ? LSTM : GRU;
    this.rnn = this.registerModule('rnn', new Cell(spec.inputs, spec.hidden, { rng }));
    this.drop = this.registerModule('drop', new Dropout(spec.dropout, { rng }));
    this.head = this.registerModule('head', new Linear(spec.hidden, spec.targets, { rng }));
  }

  forward(x: Tensor): Tensor {
    const B = x.shape[1]!;
    const { state } = this.rnn.forward(x);
    return this.head.forward(this.drop.forward(F.reshape(state.h, [B, this.spec.hidden])));
  }
}

/** Standardised series: X (T, N) inputs and Y (T, K) targets, float32. */
export interface Series {
  X: Float32Array;
  Y: Float32Array;
  N: number;
  K: number;
  lags: number;
}

/** The windows ending at bins `ts`: (L + 1, B, N) time-major. */
export function windowBatch(s: Series, ts: readonly number[]): Tensor {
  const W = s.lags + 1;
  const B = ts.length;
  const out = new Float32Array(W * B * s.N);
  ts.forEach((t, b) => {
    for (let l = 0; l < W; l++) out.set(s.X.subarray((t - s.lags + l) * s.N, (t - s.lags + l + 1) * s.N), (l * B + b) * s.N);
  });
  return new Tensor(out, [W, B, s.N]);
}

function targetBatch(s: Series, ts: readonly number[]): Tensor {
  const out = new Float32Array(ts.length * s.K);
  ts.forEach((t, b) => out.set(s.Y.subarray(t * s.K, (t + 1) * s.K), b * s.K));
  return new Tensor(out, [ts.length, s.K]);
}

/** Predictions (n, K) for bins `ts`, eval mode, no graph. */
export function decode(model: WindowDecoder, s: Series, ts: readonly number[], batch = 512): Float64Array {
  model.eval();
  const out = new Float64Array(ts.length * s.K);
  noGrad(() => {
    for (let i = 0; i < ts.length; i += batch) out.set(model.forward(windowBatch(s, ts.slice(i, i + batch))).data, i * s.K);
  });
  return out;
}

function mse(pred: Float64Array, s: Series, ts: readonly number[]): number {
  let e = 0;
  ts.forEach((t, i) => {
    for (let k = 0; k < s.K; k++) e += (pred[i * s.K + k]! - s.Y[t * s.K + k]!) ** 2;
  });
  return e / (ts.length * s.K);
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  patience: number;
  rng: Rng;
  stop?: { readonly requested: boolean };
  onEpoch?: (e: { epoch: number; trainLoss: number; valLoss: number }) => void;
}

export interface FitResult {
  bestEpoch: number;
  epochsRun: number;
  valLoss: number;
  history: { epoch: number; trainLoss: number; valLoss: number }[];
}

/** Train on bins `train`, early-stop on bins `val`; the best epoch's weights are restored. Null when stopped. */
export async function fitDecoder(model: WindowDecoder, s: Series, train: number[], val: number[], o: FitOptions): Promise<FitResult | null> {
  const opt = new Adam(model.parameters(), { lr: o.lr });
  let best = { loss: Infinity, epoch: -1, weights: [] as Float32Array[] };
  const history: FitResult['history'] = [];
  let epoch = 0;
  for (; epoch < o.epochs && epoch - best.epoch <= o.patience; epoch++) {
    model.train();
    const order = o.rng.shuffle([...train]);
    let sum = 0;
    for (let i = 0; i < order.length; i += o.batchSize) {
      const ts = order.slice(i, i + o.batchSize);
      const loss = F.mseLoss(model.forward(windowBatch(s, ts)), targetBatch(s, ts));
      opt.zeroGrad();
      loss.backward();
      clipGradNorm(model.parameters(), 1);
      opt.step();
      sum += loss.item() * ts.length;
    }
    if (o.stop) {
      await yieldToEvents();
      if (o.stop.requested) return null;
    }
    const valLoss = mse(decode(model, s, val), s, val);
    history.push({ epoch, trainLoss: sum / order.length, valLoss });
    o.onEpoch?.(history[history.length - 1]!);
    if (valLoss < best.loss) best = { loss: valLoss, epoch, weights: model.parameters().map((p) => Float32Array.from(p.data)) };
  }
  model.parameters().forEach((p, i) => p.data.set(best.weights[i]!));
  return { bestEpoch: best.epoch, epochsRun: epoch, valLoss: best.loss, history };
}

/** Bin-by-bin decoding with carried state (see the file comment); `push` returns the decoded targets. */
export class StreamingDecoder {
  private readonly W: number;
  private h: Float32Array;
  private c: Float32Array | null;
  private t = 0;

  constructor(private readonly model: WindowDecoder, lags: number) {
    this.W = lags + 1;
    this.h = new Float32Array(this.W * model.spec.hidden);
    this.c = model.spec.cell === 'lstm' ? new Float32Array(this.W * model.spec.hidden) : null;
    model.eval();
  }

  /** Feed one bin x (N) of standardised activity; returns (K) once L + 1 bins have been seen, else null. */
  push(x: Float32Array): Float32Array | null {
    const { W } = this;
    const { hidden: Hd, inputs: N } = this.model.spec;
    const restart = this.t % W;
    this.h.fill(0, restart * Hd, (restart + 1) * Hd);
    this.c?.fill(0, restart * Hd, (restart + 1) * Hd);
    const xb = new Float32Array(W * N);
    for (let j = 0; j < W; j++) xb.set(x, j * N);
    let out: Float32Array | null = null;
    noGrad(() => {
      const state: RecurrentState = { h: new Tensor(this.h, [1, W, Hd]), ...(this.c ? { c: new Tensor(this.c, [1, W, Hd]) } : {}) };
      const r = this.model.rnn.forward(new Tensor(xb, [1, W, N]), { state });
      this.h = Float32Array.from(r.state.h.data);
      if (this.c && r.state.c) this.c = Float32Array.from(r.state.c.data);
      if (this.t >= W - 1) {
        const done = (this.t + 1) % W;
        out = Float32Array.from(this.model.head.forward(new Tensor(this.h.slice(done * Hd, (done + 1) * Hd), [1, Hd])).data);
      }
    });
    this.t++;
    return out;
  }
}
