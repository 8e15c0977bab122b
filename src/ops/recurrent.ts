/**
 * Multi-layer, optionally bidirectional recurrent networks as functions — the source of truth
 * under `nn.RNN`, `nn.LSTM`, `nn.GRU`. Each layer and direction is one fused op
 * (recurrent-layer.ts); this file stacks them, handles layouts, lengths and dropout.
 */
import type { RnnNonlinearity } from '../kernels/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { needsGrad } from '../autograd/engine.js';
import type { Rng } from '../util/rng.js';
import { NonFiniteError, OptionError, ShapeError, ValueError } from '../util/errors.js';
import { fmtShape, shapeSlice } from '../util/shape.js';
import { permute, reshape, slice, stack } from './shape.js';
import { mul } from './elementwise.js';
import { dropoutPooled, variationalMask } from './dropout.js';
import { recurrentLayer, type LayerDirection, type LayerWeights } from './recurrent-layer.js';
import { firstNonFinite } from './fused.js';
import { cellSpec } from './cells.js';

export type RecurrentMode = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

/** Time-locked dropout rates (Gal & Ghahramani 2016): one mask per sequence, shared by all steps and gates. */
export interface VariationalDropout {
  /** On every layer's input x_t. */
  input?: number;
  /** On h_{t-1} where it enters W_hh, in every layer. */
  hidden?: number;
  /** On every layer's output (including the last). */
  output?: number;
}

export interface RecurrentOptions {
  numLayers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  /** Per-sequence lengths in [1, T]; padded steps change no state and output zeros. */
  lengths?: ArrayLike<number> | null;
  /** Ordinary dropout on each layer's output except the last (training only), as PyTorch. */
  dropout?: number;
  variational?: VariationalDropout;
  training?: boolean;
  /** Required when any dropout is active in training. */
  rng?: Rng;
  nonlinearity?: RnnNonlinearity;
}

/** Recurrent state: h (L·D, B, Hout) and, for LSTM, c (L·D, B, H). */
export interface RecurrentState {
  h: Tensor;
  c?: Tensor;
}

export interface RecurrentResult {
  /** (T, B, D·Hout), or (B, T, D·Hout) when batchFirst; (T, D·Hout) for unbatched input. */
  output: Tensor;
  state: RecurrentState;
}

const OPTION_KEYS = new Set(['numLayers', 'bidirectional', 'batchFirst', 'lengths', 'dropout', 'variational', 'training', 'rng', 'nonlinearity']);
const VARIATIONAL_KEYS = ['input', 'hidden', 'output'];

function checkRate(name: string, p: number | undefined): number {
  const v = p ?? 0;
  if (!(v >= 0 && v < 1)) throw new ValueError(`recurrent: ${name}`, 'a rate in [0, 1)', String(p));
  return v;
}

function lengthsOf(lengths: ArrayLike<number> | null | undefined, T: number, B: number): Int32Array | null {
  if (lengths == null) return null;
  if (lengths.length !== B) throw new ShapeError('recurrent: lengths', `${B} lengths (one per sequence)`, `${lengths.length}`);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const L = lengths[b]!;
    if (!Number.isInteger(L) || L < 1 || L > T) throw new ValueError('recurrent: lengths', `integers in [1, ${T}]`, `${L} at index ${b}`);
    out[b] = L;
  }
  return out;
}

/** Throws NonFiniteError at the first NaN or ±Inf of a recurrent input (also the cells' check). */
export function assertFiniteInput(x: Tensor): void {
  const i = firstNonFinite(x.data);
  if (i >= 0) throw new NonFiniteError('recurrent: input', `${x.data[i]} at flat index ${i} of ${fmtShape(x.shape)}`);
}

/** Unknown or contradictory options throw rather than being ignored. */
function checkOptionKeys(mode: RecurrentMode, state: RecurrentState | null, opts: RecurrentOptions): void {
  for (const k in opts) if (!OPTION_KEYS.has(k)) throw new OptionError('recurrent', `one of ${[...OPTION_KEYS].join(', ')}`, `unknown option "${k}"`);
  if (opts.variational) {
    for (const k in opts.variational) {
      if (!VARIATIONAL_KEYS.includes(k)) throw new OptionError(`${mode}: variational`, `one of ${VARIATIONAL_KEYS.join(', ')}`, `unknown option "${k}"`);
    }
  }
  if (opts.nonlinearity !== undefined && mode !== `rnn_${opts.nonlinearity}`) {
    throw new OptionError(`${mode}: nonlinearity`, mode.startsWith('rnn') ? `"${mode.slice(4)}" (the mode's)` : 'no nonlinearity option (RNN only)', String(opts.nonlinearity));
  }
  if (mode !== 'lstm' && state?.c) throw new OptionError(`${mode}: initial c`, 'no cell state (only an LSTM has c)', `c of shape ${fmtShape(state.c.shape)}`);
}

/**
 * Run a stacked (bi)directional recurrent network.
 * @param x       (T, B, I), or (B, T, I) when batchFirst, or unbatched (T, I)
 * @param state   initial state or null (zeros)
 * @param weights one entry per layer and direction, index layer·D + direction
 */
export function recurrent(mode: RecurrentMode, x: Tensor, state: RecurrentState | null, weights: readonly LayerWeights[], opts: RecurrentOptions = {}): RecurrentResult {
  checkOptionKeys(mode, state, opts);
  const L = opts.numLayers ?? 1;
  if (!Number.isInteger(L) || L < 1) throw new ValueError(`${mode}: numLayers`, 'a positive integer', String(L));
  const D = opts.bidirectional ? 2 : 1;
  if (weights.length !== L * D) throw new ValueError(mode, `${L * D} layer weights (numLayers × directions)`, `${weights.length}`);
  const unbatched = x.ndim === 2;
  if (x.ndim !== 3 && !unbatched) throw new ShapeError(mode, 'input of rank 3 (or 2 for unbatched)', fmtShape(x.shape));
  assertFiniteInput(x);
  let xt = unbatched ? reshape(x, [x.shape[0]!, 1, x.shape[1]!]) : opts.batchFirst ? permute(x, [1, 0, 2]) : x;
  const [T, B] = xt.shape as [number, number];
  const training = opts.training ?? false;
  const pDrop = checkRate('dropout', opts.dropout);
  const vIn = checkRate('variational.input', opts.variational?.input);
  const vHid = checkRate('variational.hidden', opts.variational?.hidden);
  const vOut = checkRate('variational.output', opts.variational?.output);
  const active = training && (pDrop > 0 || vIn > 0 || vHid > 0 || vOut > 0);
  if (active && !opts.rng) throw new OptionError(mode, 'an rng when dropout is active in training', 'no rng');
  const lengths = lengthsOf(opts.lengths, T, B);
  const Hout = weights[0]!.wHh.shape[1]!;
  const H = mode === 'lstm' ? weights[0]!.wIh.shape[0]! / 4 : Hout;
  const h0 = stateTensor(mode, 'h', state?.h, L * D, B, Hout, unbatched, xt);
  const c0 = mode === 'lstm' ? stateTensor(mode, 'c', state?.c, L * D, B, H, unbatched, xt) : null;
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  let ownsX = false; // xt from the op free list (dropout between layers): the layer reading it gives it back
  for (let l = 0; l < L; l++) {
    const I = xt.shape[2]!;
    const dirs: LayerDirection[] = [];
    for (let d = 0; d < D; d++) {
      const k = l * D + d;
      const o = {
        lengths, reverse: d === 1,
        maskX: training && vIn > 0 ? variationalMask(B, I, vIn, opts.rng!, xt.dtype) : null,
        maskH: training && vHid > 0 ? variationalMask(B, Hout, vHid, opts.rng!, xt.dtype) : null,
      };
      dirs.push({ h0: pick(h0, k), c0: c0 ? pick(c0, k) : null, w: weights[k]!, o });
    }
    // both directions in one op: the backend may run them at once (Backend.recurrentPair)
    // below the top layer the outputs feed only the ops above: their buffers are recycled (inner)
    // both directions write one (T, B, 2·Hout) output, side by side
    const r = recurrentLayer(cellSpec(mode).kind, xt, dirs, mode === 'rnn_relu' ? 'relu' : 'tanh', l < L - 1, ownsX);
    hs.push(...r.h);
    cs.push(...r.c);
    xt = r.output;
    if (training && vOut > 0) {
      const m = variationalMask(B, xt.shape[2]!, vOut, opts.rng!, xt.dtype);
      xt = mul(xt, new Tensor(m, [1, B, xt.shape[2]!]));
    }
    ownsX = training && pDrop > 0 && l < L - 1;
    if (ownsX) xt = dropoutPooled(xt, pDrop, opts.rng!);
  }
  let output = xt;
  if (unbatched) output = reshape(output, [T, output.shape[2]!]);
  else if (opts.batchFirst) output = permute(output, [1, 0, 2]);
  return { output, state: mode === 'lstm' ? { h: finalState(hs, unbatched), c: finalState(cs, unbatched) } : { h: finalState(hs, unbatched) } };
}

/** The final states of every layer and direction stacked: (L·D, B, size), or (L·D, size) unbatched. */
function finalState(ts: Tensor[], unbatched: boolean): Tensor {
  const t0 = ts[0]!;
  if (ts.length === 1) {
    // One layer and direction: a view (B, size) → (1, B, size), or (1, size) unbatched.
    const shape = unbatched ? [1, t0.shape[1]!] : [1, t0.shape[0]!, t0.shape[1]!];
    return needsGrad([t0]) ? reshape(t0, shape) : new Tensor(t0.data, shape);
  }
  return unbatched ? reshape(stack(ts, 0), [ts.length, t0.shape[1]!]) : stack(ts, 0);
}

/** Validate or create the initial state for all layers: (L·D, B, size). */
function stateTensor(mode: string, name: string, t: Tensor | undefined, LD: number, B: number, size: number, unbatched: boolean, like: Tensor): Tensor {
  if (!t) return zeros([LD, B, size], { dtype: like.dtype });
  const ok = unbatched ? t.ndim === 2 && t.shape[0] === LD && t.shape[1] === size : t.ndim === 3 && t.shape[0] === LD && t.shape[1] === B && t.shape[2] === size;
  if (!ok) {
    const expected = unbatched ? [LD, size] : [LD, B, size];
    throw new ShapeError(`${mode}: initial ${name}`, `shape ${fmtShape(expected)} (layers·directions, batch, size)`, fmtShape(t.shape));
  }
  if (t.dtype !== like.dtype) throw new ValueError(`${mode}: initial ${name}`, `dtype ${like.dtype}`, t.dtype);
  return unbatched ? reshape(t, [LD, 1, size]) : t;
}

/** State of layer-direction k: (B, size), a view of s when no gradient flows through it. */
function pick(s: Tensor, k: number): Tensor {
  const shape = shapeSlice(s.shape, 1);
  if (!needsGrad([s])) {
    const n = s.size / s.shape[0]!;
    return new Tensor(s.shape[0] === 1 ? s.data : s.data.subarray(k * n, (k + 1) * n), shape);
  }
  return reshape(s.shape[0] === 1 ? s : slice(s, 0, k, k + 1), shape);
}

/** `recurrent('lstm', …)`. See {@link recurrent}. */
export const lstm = (x: Tensor, state: RecurrentState | null, weights: readonly LayerWeights[], opts?: RecurrentOptions): RecurrentResult =>
  recurrent('lstm', x, state, weights, opts);
/** `recurrent('gru', …)`. See {@link recurrent}. */
export const gru = (x: Tensor, state: RecurrentState | null, weights: readonly LayerWeights[], opts?: RecurrentOptions): RecurrentResult =>
  recurrent('gru', x, state, weights, opts);
/** `recurrent('rnn_tanh' | 'rnn_relu', …)` from `opts.nonlinearity`. See {@link recurrent}. */
export const rnn = (x: Tensor, state: RecurrentState | null, weights: readonly LayerWeights[], opts?: RecurrentOptions): RecurrentResult =>
  recurrent(opts?.nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', x, state, weights, opts);
