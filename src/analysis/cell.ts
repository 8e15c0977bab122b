/**
 * The one-step map of a recurrent layer, s' = F(s, x), as the analysis tools see it.
 *
 * A {@link Cell} is a float64 snapshot of one layer (and direction) of an RNN/LSTM/GRU module or
 * of a cell module. The state s is h (size H) for RNN and GRU and the concatenation [h, c]
 * (size 2H) for the LSTM, so every tool treats all three as a map on R^S. Two evaluations of F:
 * {@link stepValues} (plain float64 arrays, closed form, fast for long rollouts) and
 * {@link stepTensor} (the library's fused sequence op with T = 1, differentiable).
 *
 * Legend: T time, B batch, I input size, H hidden size, S state size (H, or 2H for LSTM).
 */
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/engine.js';
import { recurrent, type RecurrentMode, type RecurrentState } from '../ops/recurrent.js';
import { gruLayer, lstmLayer, rnnLayer, type LayerWeights } from '../ops/recurrent-layer.js';
import { cellSpec, gruUnit, lstmUnit, rnnUnit } from '../ops/cells.js';
import { concat, permute, reshape, slice } from '../ops/shape.js';
import { GRU, LSTM, RNN } from '../nn/recurrent.js';
import { GRUCell, LSTMCell, RNNCell } from '../nn/cells.js';
import { OptionError, ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';

/** A whole-sequence module whose layers can be analysed. */
export type RecurrentModule = RNN | LSTM | GRU;
/** A single-step cell module. */
export type CellModule = RNNCell | LSTMCell | GRUCell;

/** A float64 snapshot of one recurrent layer's step map (re-create it after the weights change). */
export interface Cell {
  readonly mode: RecurrentMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** H for RNN and GRU; 2H for LSTM, whose state is [h, c]. */
  readonly stateSize: number;
  /** Weights as flat float64 arrays (absent biases are zeros): wIh (G, I), wHh (G, H), bIh, bHh (G). */
  readonly w: { wIh: Float64Array; wHh: Float64Array; bIh: Float64Array; bHh: Float64Array };
  /** The same weights as float64 tensors (no gradient) for the fused ops. */
  readonly weights: LayerWeights;
}

const gatesOf = (mode: RecurrentMode): number => cellSpec(mode).gates;

/** Float64 copy of a tensor, as a new leaf. */
export function f64(t: Tensor): Tensor {
  return new Tensor(Float64Array.from(t.data), t.shape);
}

/** A Cell from one layer's weights (PyTorch layout). The LSTM projection (weight_hr) is not supported. */
export function cellFromWeights(mode: RecurrentMode, w: LayerWeights): Cell {
  if (w.wHr) throw new OptionError('analysis: cell', 'an LSTM without projection (projSize 0)', `weight_hr of shape ${fmtShape(w.wHr.shape)}`);
  const Gs = gatesOf(mode);
  if (w.wIh.ndim !== 2 || w.wIh.shape[0]! % Gs !== 0) throw new ShapeError('analysis: cell', `weight_ih of shape (${Gs}·H, I)`, fmtShape(w.wIh.shape));
  const G = w.wIh.shape[0]!;
  const H = G / Gs;
  const I = w.wIh.shape[1]!;
  if (w.wHh.ndim !== 2 || w.wHh.shape[0] !== G || w.wHh.shape[1] !== H) throw new ShapeError('analysis: cell', `weight_hh of shape [${G}, ${H}]`, fmtShape(w.wHh.shape));
  const bias = (b: Tensor | null): Tensor => (b ? f64(b) : new Tensor(new Float64Array(G), [G]));
  const weights: LayerWeights = { wIh: f64(w.wIh), wHh: f64(w.wHh), bIh: bias(w.bIh), bHh: bias(w.bHh) };
  return {
    mode, inputSize: I, hiddenSize: H, stateSize: mode === 'lstm' ? 2 * H : H,
    w: { wIh: weights.wIh.data as Float64Array, wHh: weights.wHh.data as Float64Array, bIh: weights.bIh!.data as Float64Array, bHh: weights.bHh!.data as Float64Array },
    weights,
  };
}

export interface CellOfOptions {
  /** Layer of a stacked module (default 0). */
  layer?: number;
  /** 1 for the reverse direction of a bidirectional module (default 0). */
  direction?: 0 | 1;
}

/**
 * Snapshot one layer of a module (or a cell module) as a {@link Cell}.
 * @example const cell = cellOf(lstm, { layer: 1 });  // state [h, c] of layer 1
 */
export function cellOf(model: RecurrentModule | CellModule, opts: CellOfOptions = {}): Cell {
  for (const k of Object.keys(opts)) if (k !== 'layer' && k !== 'direction') throw new OptionError('cellOf', 'options among layer, direction', `unknown option "${k}"`);
  if (model instanceof RNNCell || model instanceof LSTMCell || model instanceof GRUCell) {
    if (opts.layer || opts.direction) throw new OptionError('cellOf', 'no layer/direction for a cell module', JSON.stringify(opts));
    return cellFromWeights(model.mode, {
      wIh: model.param('weight_ih'), wHh: model.param('weight_hh'), bIh: model.paramOrNull('bias_ih'), bHh: model.paramOrNull('bias_hh'),
    });
  }
  const l = opts.layer ?? 0;
  const d = opts.direction ?? 0;
  const D = model.bidirectional ? 2 : 1;
  if (!Number.isInteger(l) || l < 0 || l >= model.numLayers) throw new ValueError('cellOf', `layer in [0, ${model.numLayers})`, String(l));
  if (d >= D) throw new ValueError('cellOf', 'direction 0 (the module is unidirectional)', String(d));
  return cellFromWeights(model.mode, model.layerWeights()[l * D + d]!);
}

function affine(W: Float64Array, b: Float64Array, v: ArrayLike<number>, out: Float64Array, rows: number, cols: number, accumulate: boolean): void {
  for (let r = 0; r < rows; r++) {
    let s = accumulate ? out[r]! : b[r]!;
    const off = r * cols;
    for (let k = 0; k < cols; k++) s += W[off + k]! * v[k]!;
    out[r] = accumulate ? s + b[r]! : s;
  }
}

/** Intermediate values of one step, shared by the closed-form Jacobians. */
export interface StepCache {
  next: Float64Array; // (S)
  /** Post-activation gates: RNN [φ(a)] plus `pre` a; LSTM i, f, g, o; GRU r, z, n and q = W_hn h + b_hn. */
  gates: Float64Array;
  pre: Float64Array;
  q: Float64Array;
}

/** One step with its intermediate values (closed form in float64). */
export function stepCache(cell: Cell, s: ArrayLike<number>, x: ArrayLike<number>): StepCache {
  const { mode, hiddenSize: H, inputSize: I, w } = cell;
  if (s.length !== cell.stateSize) throw new ShapeError('analysis: step', `a state of size ${cell.stateSize}`, String(s.length));
  if (x.length !== I) throw new ShapeError('analysis: step', `an input of size ${I}`, String(x.length));
  const G = gatesOf(mode) * H;
  const h = mode === 'lstm' ? Float64Array.from({ length: H }, (_, j) => s[j]!) : s;
  const gi = new Float64Array(G);
  const gh = new Float64Array(G);
  affine(w.wIh, w.bIh, x, gi, G, I, false);
  affine(w.wHh, w.bHh, h, gh, G, H, false);
  const next = new Float64Array(cell.stateSize);
  const gates = new Float64Array(G);
  const pre = new Float64Array(G);
  const q = new Float64Array(mode === 'gru' ? H : 0);
  for (let k = 0; k < G; k++) pre[k] = gi[k]! + gh[k]!;
  const u = new Float64Array(6);
  for (let j = 0; j < H; j++) {
    if (mode === 'rnn_tanh' || mode === 'rnn_relu') {
      next[j] = gates[j] = rnnUnit(pre[j]!, mode === 'rnn_relu');
    } else if (mode === 'lstm') {
      lstmUnit(pre[j]!, pre[H + j]!, pre[2 * H + j]!, pre[3 * H + j]!, s[H + j]!, u);
      for (let k = 0; k < 4; k++) gates[k * H + j] = u[k]!;
      next[H + j] = u[4]!;
      next[j] = u[5]!;
    } else {
      q[j] = gh[2 * H + j]!;
      gruUnit(pre[j]!, pre[H + j]!, gi[2 * H + j]!, q[j]!, s[j]!, u);
      for (let k = 0; k < 3; k++) gates[k * H + j] = u[k]!;
      next[j] = u[3]!;
    }
  }
  return { next, gates, pre, q };
}

/** s' = F(s, x) on plain float64 arrays: s (S), x (I) → (S). */
export function stepValues(cell: Cell, s: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  return stepCache(cell, s, x).next;
}

/**
 * s' = F(s, x) as a differentiable op (the library's fused layer op over one step).
 * s (B, S), x (B, I) float64 → (B, S).
 */
export function stepTensor(cell: Cell, s: Tensor, x: Tensor): Tensor {
  const { hiddenSize: H, inputSize: I, stateSize: S } = cell;
  if (s.ndim !== 2 || s.shape[1] !== S) throw new ShapeError('analysis: stepTensor', `a state of shape (B, ${S})`, fmtShape(s.shape));
  const B = s.shape[0]!;
  if (x.ndim !== 2 || x.shape[0] !== B || x.shape[1] !== I) throw new ShapeError('analysis: stepTensor', `an input of shape [${B}, ${I}]`, fmtShape(x.shape));
  const x1 = reshape(x, [1, B, I]);
  if (cell.mode === 'lstm') {
    const r = lstmLayer(x1, slice(s, 1, 0, H), slice(s, 1, H, 2 * H), cell.weights);
    return concat([r.h, r.c!], 1);
  }
  if (cell.mode === 'gru') return gruLayer(x1, s, cell.weights).h;
  return rnnLayer(x1, s, cell.weights, { nonlinearity: cell.mode === 'rnn_relu' ? 'relu' : 'tanh' }).h;
}

/** Input of a module as float64, time-major (T, B, I) (batch-first and unbatched inputs accepted). */
export function timeMajor(model: RecurrentModule, x: Tensor): Tensor {
  let t = f64(x);
  if (t.ndim === 2) t = reshape(t, [t.shape[0]!, 1, t.shape[1]!]);
  else if (model.batchFirst) t = permute(t, [1, 0, 2]);
  if (t.ndim !== 3 || t.shape[2] !== model.inputSize) throw new ShapeError('analysis', `input (T, B, ${model.inputSize})`, fmtShape(x.shape));
  return t;
}

/** Float64 weights of layers [from, to) of a unidirectional module. */
export function layerRange(model: RecurrentModule, from: number, to: number): LayerWeights[] {
  return model.layerWeights().slice(from, to).map((w) => ({
    wIh: f64(w.wIh), wHh: f64(w.wHh), bIh: w.bIh && f64(w.bIh), bHh: w.bHh && f64(w.bHh), wHr: w.wHr && f64(w.wHr),
  }));
}

/** Rows [from, to) of a stacked initial state (L, B, ·), as float64. */
export function stateRange(state: RecurrentState | null | undefined, from: number, to: number): RecurrentState | null {
  if (!state) return null;
  const pick = (t: Tensor): Tensor => f64(slice(t, 0, from, to));
  return state.c ? { h: pick(state.h), c: pick(state.c) } : { h: pick(state.h) };
}

/**
 * The input sequence seen by `layer` of a unidirectional module: the output of the layers
 * below it (eval mode, no dropout), or x itself for layer 0. x (T, B, I) time-major float64.
 */
export function layerInput(model: RecurrentModule, x: Tensor, layer: number, state?: RecurrentState | null): Tensor {
  if (model.bidirectional) throw new OptionError('analysis', 'a unidirectional module', 'bidirectional');
  if (layer === 0) return x;
  return noGrad(() => recurrent(model.mode, x, stateRange(state, 0, layer), layerRange(model, 0, layer), { numLayers: layer }).output);
}

/** Initial state of one layer as a flat (B·S) array ([h, c] per row for LSTM); zeros if absent. */
export function initialState(cell: Cell, state: RecurrentState | null | undefined, layer: number, B: number): Float64Array {
  const { hiddenSize: H, stateSize: S } = cell;
  const out = new Float64Array(B * S);
  if (!state) return out;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      out[b * S + j] = state.h.data[(layer * B + b) * H + j]!;
      if (state.c) out[b * S + H + j] = state.c.data[(layer * B + b) * H + j]!;
    }
  }
  return out;
}

/**
 * Run the closed-form step over a sequence: xs (T, B, I), s0 (B·S) → states after every step,
 * flat (T, B, S).
 */
export function trajectory(cell: Cell, xs: Tensor, s0?: ArrayLike<number> | null): Float64Array {
  if (xs.ndim !== 3 || xs.shape[2] !== cell.inputSize) throw new ShapeError('analysis: trajectory', `inputs (T, B, ${cell.inputSize})`, fmtShape(xs.shape));
  const [T, B, I] = xs.shape as [number, number, number];
  const S = cell.stateSize;
  const out = new Float64Array(T * B * S);
  let prev = s0 ? Float64Array.from(s0) : new Float64Array(B * S);
  if (prev.length !== B * S) throw new ShapeError('analysis: trajectory', `an initial state of ${B * S} values (B·S)`, String(prev.length));
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const x = xs.data.subarray((t * B + b) * I, (t * B + b + 1) * I);
      out.set(stepValues(cell, prev.subarray(b * S, (b + 1) * S), x), (t * B + b) * S);
    }
    prev = out.slice(t * B * S, (t + 1) * B * S);
  }
  return out;
}
