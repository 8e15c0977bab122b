/**
 * The recurrent models of Che et al. (2018), each followed by the same head on [h_T, statics]:
 * - `grud`: the GRU-D cell (a user-defined cell, BPTT by autograd) on x, mask, δ, x_last;
 * - `gru-simple`: the fused GRU on [x forward-filled, mask, δ/48];
 * - `gru-mean`: the fused GRU on x with the training mean (0 after z-scoring) where missing;
 * - `gru-forward`: the fused GRU on x with the last observation carried forward.
 */
import {
  F, GRU, GRUDCell, Linear, Module, Recurrent, Dropout, Tensor, type Rng,
} from '../../index.js';
import type { SeqInputs } from './features.js';

export type ModelKind = 'grud' | 'gru-simple' | 'gru-mean' | 'gru-forward';
export const MODEL_KINDS: readonly ModelKind[] = ['grud', 'gru-simple', 'gru-mean', 'gru-forward'];
export const MODEL_LABELS: Record<ModelKind, string> = {
  grud: 'GRU-D', 'gru-simple': 'GRU-Simple', 'gru-mean': 'GRU-Mean', 'gru-forward': 'GRU-Forward',
};

/** A batch, time-major: x/mask/delta/xLast (T, B, V), statics (B, S). */
export interface IcuBatch { x: Tensor; mask: Tensor; delta: Tensor; xLast: Tensor; statics: Tensor }

/** Gather stays `idx` into one time-major batch. */
export function makeBatch(seqs: readonly SeqInputs[], statics: readonly Float64Array[], idx: readonly number[], T: number, V: number): IcuBatch {
  const B = idx.length;
  const S = statics[0]?.length ?? 0;
  const bufs = { x: new Float32Array(T * B * V), mask: new Float32Array(T * B * V), delta: new Float32Array(T * B * V), xLast: new Float32Array(T * B * V) };
  idx.forEach((i, b) => {
    const s = seqs[i]!;
    for (const k of ['x', 'mask', 'delta', 'xLast'] as const) {
      for (let t = 0; t < T; t++) bufs[k].set(s[k].subarray(t * V, (t + 1) * V), (t * B + b) * V);
    }
  });
  const st = new Float32Array(B * S);
  idx.forEach((i, b) => st.set(statics[i]!, b * S));
  const mk = (d: Float32Array): Tensor => new Tensor(d, [T, B, V]);
  return { x: mk(bufs.x), mask: mk(bufs.mask), delta: mk(bufs.delta), xLast: mk(bufs.xLast), statics: new Tensor(st, [B, S]) };
}

/** Forward-filled x: x where observed, else the last observation (0 = mean before the first). */
function forwardFilled(b: IcuBatch): Tensor {
  const out = new Float32Array(b.x.size);
  for (let i = 0; i < out.length; i++) out[i] = b.mask.data[i] ? b.x.data[i]! : b.xLast.data[i]!;
  return new Tensor(out, b.x.shape);
}

function simpleInput(b: IcuBatch): Tensor {
  const d = new Float32Array(b.delta.size);
  for (let i = 0; i < d.length; i++) d[i] = b.delta.data[i]! / 48;
  return F.concat([forwardFilled(b), b.mask, new Tensor(d, b.delta.shape)], 2);
}

export interface IcuNetOptions { hidden: number; dropout: number; rng: Rng }

export class IcuNet extends Module {
  private readonly rnn: Module;
  private readonly drop: Dropout;
  private readonly head: Linear;
  constructor(readonly kind: ModelKind, V: number, S: number, opts: IcuNetOptions) {
    super();
    const H = opts.hidden;
    this.rnn = this.registerModule('rnn', kind === 'grud' ? new Recurrent(new GRUDCell(V, H, { rng: opts.rng }))
      : new GRU(kind === 'gru-simple' ? 3 * V : V, H, { rng: opts.rng }));
    this.drop = this.registerModule('drop', new Dropout(opts.dropout, { rng: opts.rng }));
    this.head = this.registerModule('head', new Linear(H + S, 1, { rng: opts.rng }));
  }

  /** Logits (B). */
  forward(b: IcuBatch): Tensor {
    const [, B] = b.x.shape as [number, number];
    let h: Tensor;
    if (this.kind === 'grud') {
      h = (this.rnn as Recurrent).forward(b.x, { inputs: { mask: b.mask, delta: b.delta, xLast: b.xLast } }).state.h;
    } else {
      const x = this.kind === 'gru-simple' ? simpleInput(b) : this.kind === 'gru-forward' ? forwardFilled(b) : b.x;
      h = (this.rnn as GRU).forward(x).state.h;
    }
    h = F.reshape(h, [B, h.size / B]);
    const z = this.drop.forward(F.concat([h, b.statics], 1));
    return F.reshape(this.head.forward(z), [B]);
  }
}
