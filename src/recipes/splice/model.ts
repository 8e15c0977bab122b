/**
 * The splice model: one-hot nucleotides → optional Conv1d motif front end (ReLU) →
 * bidirectional GRU or LSTM → pooling over time → dropout → Linear → class logits.
 *
 * Legend: T time (60), B batch, I input channels (4), C conv channels, H hidden, D = 2 directions.
 */
import { Conv1d, Dropout, F, GRU, LSTM, Linear, Module, Tensor, ValueError, type Rng } from '../../core.js'; // core: the model also runs in the browser (web/)

/**
 * How the (T, B, D·H) outputs become one (B, P) vector: max or mean over time, the final
 * states of both directions ('last'), max and last concatenated, the outputs at the two middle
 * steps ('center': for the splice data the steps either side of the candidate junction, where
 * the forward direction has read the left flank and the backward direction the right flank),
 * or every step ('flatten', position-specific, needs a fixed length).
 */
export type Pooling = 'max' | 'mean' | 'last' | 'max+last' | 'center' | 'flatten';

export interface SpliceNetOptions {
  /** Recurrent cell (default 'gru'). */
  cell?: 'gru' | 'lstm';
  /** Hidden size per direction (default 32). */
  hidden?: number;
  /** Conv1d front end channels (0 = none; default 0). */
  convChannels?: number;
  /** Conv1d kernel width, odd (default 7; 'same' padding). */
  convKernel?: number;
  /** Pooling over time (default 'max+last'). */
  pooling?: Pooling;
  /** Sequence length, needed by 'flatten' (default 60). */
  steps?: number;
  /** Dropout before the classifier (default 0.2). */
  dropout?: number;
  rng: Rng;
}

/** A bidirectional recurrent sequence classifier (logits, not probabilities). */
export class SpliceNet extends Module {
  readonly pooling: Pooling;
  private readonly conv: Conv1d | null;
  private readonly rnn: GRU | LSTM;
  private readonly drop: Dropout;
  private readonly head: Linear;

  constructor(inputSize: number, numClasses: number, opts: SpliceNetOptions) {
    super();
    const H = opts.hidden ?? 32;
    const C = opts.convChannels ?? 0;
    const K = opts.convKernel ?? 7;
    if (C > 0 && K % 2 !== 1) throw new ValueError('SpliceNet', 'an odd convKernel', String(K));
    this.pooling = opts.pooling ?? 'max+last';
    this.conv = C > 0 ? this.registerModule('conv', new Conv1d(inputSize, C, K, { padding: (K - 1) / 2, rng: opts.rng })) : null;
    const Rnn = (opts.cell ?? 'gru') === 'lstm' ? LSTM : GRU;
    this.rnn = this.registerModule('rnn', new Rnn(C > 0 ? C : inputSize, H, { bidirectional: true, rng: opts.rng }));
    this.drop = this.registerModule('drop', new Dropout(opts.dropout ?? 0.2, { rng: opts.rng }));
    const P = 2 * H * (this.pooling === 'max+last' || this.pooling === 'center' ? 2 : this.pooling === 'flatten' ? opts.steps ?? 60 : 1);
    this.head = this.registerModule('head', new Linear(P, numClasses, { rng: opts.rng }));
  }

  /**
   * x (T, B, I) → logits (B, numClasses). With `lengths` (padded sequences) each sequence is
   * read to its own end in both directions, and max/mean pool over its real steps only.
   */
  forward(x: Tensor, lengths?: Int32Array): Tensor {
    let h = x;
    if (this.conv) {
      // (T, B, I) → (B, I, T) for Conv1d, and back to time-major.
      h = F.permute(F.relu(this.conv.forward(F.permute(h, [1, 2, 0]))), [2, 0, 1]);
    }
    if (lengths && (this.pooling === 'center' || this.pooling === 'flatten')) throw new ValueError('SpliceNet', 'max, mean, last or max+last pooling for sequences of different lengths', this.pooling);
    const { output, state } = this.rnn.forward(h, lengths ? { lengths } : {});
    const B = x.shape[1]!;
    const pad = lengths ? paddingTerms(lengths, output.shape[0]!) : null;
    const last = (): Tensor => F.reshape(F.permute(state.h, [1, 0, 2]), [B, -1]);
    let pooled: Tensor;
    const maxOver = (): Tensor => F.max(pad ? F.add(output, pad.offset) : output, 0);
    if (this.pooling === 'max') pooled = maxOver();
    else if (this.pooling === 'mean') pooled = pad ? F.div(F.sum(output, { axis: 0 }), pad.count) : F.mean(output, { axis: 0 });
    else if (this.pooling === 'last') pooled = last();
    else if (this.pooling === 'max+last') pooled = F.concat([maxOver(), last()], 1);
    else if (this.pooling === 'center') {
      const m = Math.floor(output.shape[0]! / 2);
      pooled = F.reshape(F.permute(F.slice(output, 0, m - 1, m + 1), [1, 0, 2]), [B, -1]);
    } else pooled = F.reshape(F.permute(output, [1, 0, 2]), [B, -1]);
    return this.head.forward(this.drop.forward(pooled));
  }
}

/**
 * For padded sequences: `offset` (T, B, 1), 0 on real steps and −1e9 on padding (added before a
 * max over time, so padding never wins), and `count` (B, 1), the lengths (a mean's divisor).
 */
function paddingTerms(lengths: Int32Array, T: number): { offset: Tensor; count: Tensor } {
  const B = lengths.length;
  const off = new Float32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= lengths[b]!) off[t * B + b] = -1e9;
  return { offset: new Tensor(off, [T, B, 1]), count: new Tensor(Float32Array.from(lengths), [B, 1]) };
}
