/**
 * nn.RNNCell / nn.LSTMCell / nn.GRUCell: one step of a recurrence, weight-compatible with PyTorch (the
 * same state-dict keys weight_ih, weight_hh, bias_ih, bias_hh, gate order and initialisation as the
 * whole-sequence modules of recurrent.ts, whose option checks they share).
 */
import { Tensor } from '../tensor/tensor.js';
import { assertFiniteInput, type RecurrentMode } from '../ops/recurrent.js';
import { gruLayer, lstmLayer, rnnLayer, type LayerOptions, type LayerResult, type LayerWeights } from '../ops/recurrent-layer.js';
import { cellSpec } from '../ops/cells.js';
import { streamStep } from '../ops/recurrent-step.js';
import { reshape } from '../ops/shape.js';
import { Module } from './module.js';
import { uniformParam } from './init.js';
import { checkKeys, checkNonlinearity, checkSizes } from './recurrent.js';
import { globalRng, type Rng } from '../util/rng.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';

export interface CellOptions {
  bias?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  rng?: Rng;
}

/** Shared single-step cell: PyTorch names weight_ih, weight_hh, bias_ih, bias_hh. */
abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Which recurrence this cell runs (rnn_tanh, rnn_relu, lstm, gru). */
  readonly mode: RecurrentMode;

  constructor(mode: RecurrentMode, inputSize: number, hiddenSize: number, opts: CellOptions) {
    super();
    checkKeys(this.constructor.name, opts, mode.startsWith('rnn') ? ['bias', 'nonlinearity', 'rng'] : ['bias', 'rng']);
    checkNonlinearity(this.constructor.name, opts.nonlinearity);
    checkSizes(this.constructor.name, [['inputSize', inputSize], ['hiddenSize', hiddenSize]]);
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.layerOpts = { nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' };
    const G = cellSpec(mode).gates * hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize);
    const rng = opts.rng ?? globalRng();
    this.registerParameter('weight_ih', uniformParam([G, inputSize], k, rng));
    this.registerParameter('weight_hh', uniformParam([G, hiddenSize], k, rng));
    if (opts.bias ?? true) {
      this.registerParameter('bias_ih', uniformParam([G], k, rng));
      this.registerParameter('bias_hh', uniformParam([G], k, rng));
    }
  }

  /** Options of the layer op for this cell (the nonlinearity of an Elman cell), built once. */
  private readonly layerOpts: LayerOptions & { nonlinearity: 'tanh' | 'relu' };

  /**
   * One step: x (B, I) or (I); state h (B, H) [c (B, H)] or unbatched; zeros when omitted. Without a
   * graph to record it is one streamed step (ops/recurrent-step.ts); else the layer op on T = 1 (not
   * `recurrent`: a single layer and direction needs none of its stacking, layout and option handling).
   */
  protected stepCell(x: Tensor, h?: Tensor | null, c?: Tensor | null): { h: Tensor; c?: Tensor } {
    const unbatched = x.ndim === 1;
    const I = this.inputSize;
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== I) throw new ShapeError(this.constructor.name, `input (B, ${I}) or (${I})`, fmtShape(x.shape));
    const wIh = this.param('weight_ih');
    if (x.dtype !== wIh.dtype) throw new ValueError(this.constructor.name, `input of the parameters' dtype ${wIh.dtype} (convert the cell with toDType)`, x.dtype);
    const B = unbatched ? 1 : x.shape[0]!;
    const lstm = this.mode === 'lstm';
    if (h) this.checkState(h, 'h', unbatched, B, x);
    if (c && lstm) this.checkState(c, 'c', unbatched, B, x);
    assertFiniteInput(x);
    const w: LayerWeights = { wIh, wHh: this.param('weight_hh'), bIh: this.paramOrNull('bias_ih'), bHh: this.paramOrNull('bias_hh') };
    const s = streamStep(cellSpec(this.mode).kind, this.layerOpts.nonlinearity, x, B, h ?? null, lstm ? c ?? null : null, w, false);
    if (s !== null) {
      const shape = unbatched ? [this.hiddenSize] : [B, this.hiddenSize];
      return { h: new Tensor(s.h, shape), c: s.c ? new Tensor(s.c, shape) : undefined };
    }
    const H = this.hiddenSize;
    const x3 = reshape(x, [1, B, I]);
    const h0 = this.stateIn(h, unbatched, B, x);
    let r: LayerResult;
    if (lstm) r = lstmLayer(x3, h0, this.stateIn(c, unbatched, B, x), w, this.layerOpts);
    else if (this.mode === 'gru') r = gruLayer(x3, h0, w, this.layerOpts);
    else r = rnnLayer(x3, h0, w, this.layerOpts);
    if (!unbatched) return { h: r.h, c: r.c };
    return { h: reshape(r.h, [H]), c: r.c ? reshape(r.c, [H]) : undefined };
  }

  /** Throws unless a given state h or c is (B, H), or (H) unbatched, of x's dtype. */
  private checkState(t: Tensor, n: string, unbatched: boolean, B: number, x: Tensor): void {
    const H = this.hiddenSize;
    const ok = unbatched ? t.ndim === 1 && t.shape[0] === H : t.ndim === 2 && t.shape[0] === B && t.shape[1] === H;
    if (!ok) throw new ShapeError(`${this.constructor.name}: ${n}`, fmtShape(unbatched ? [H] : [B, H]), fmtShape(t.shape));
    if (t.dtype !== x.dtype) throw new ValueError(`${this.constructor.name}: ${n}`, `dtype ${x.dtype}`, t.dtype);
  }

  /** A (checked) state as (B, H) for the layer op (a view when unbatched); zeros when absent. */
  private stateIn(t: Tensor | null | undefined, unbatched: boolean, B: number, x: Tensor): Tensor {
    if (!t) return zerosLike(x, [B, this.hiddenSize]);
    return unbatched ? reshape(t, [1, this.hiddenSize]) : t;
  }
}

function zerosLike(x: Tensor, shape: number[]): Tensor {
  return new Tensor(x.dtype === 'float64' ? new Float64Array(shape.reduce((a, b) => a * b, 1)) : new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

/** One Elman RNN step, for streaming inference with a carried state. */
export class RNNCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super(opts.nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h?: Tensor | null): { h: Tensor } {
    return { h: this.stepCell(x, h).h };
  }
}

/** One LSTM step (i, f, g, o), for streaming inference with a carried state. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, state?: { h: Tensor; c: Tensor } | null): { h: Tensor; c: Tensor } {
    const r = this.stepCell(x, state?.h, state?.c);
    return { h: r.h, c: r.c! };
  }
}

/** One GRU step (r, z, n), for streaming inference with a carried state. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h?: Tensor | null): { h: Tensor } {
    return { h: this.stepCell(x, h).h };
  }
}
