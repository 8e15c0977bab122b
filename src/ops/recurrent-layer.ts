/**
 * Sequence-level recurrent ops: one differentiable op per layer and direction, whose
 * forward and BPTT run inside the backend (`lstmForward`/`lstmBackward`, ...). The tape sees
 * a single node per layer, not a graph of per-step ops.
 *
 * Legend: T time, B batch, I input, H hidden, P projection (0 = none), Hout = P || H.
 */
import type { Buf, LstmForwardOut, LstmGrads, LstmInputs, RecurrentInputs, RnnNonlinearity } from '../kernels/backend.js';
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike } from '../tensor/create.js';
import { recordOp } from '../autograd/engine.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';

/** Weights of one layer and direction, stored as PyTorch does. */
export interface LayerWeights {
  wIh: Tensor; // (G, I)
  wHh: Tensor; // (G, Hout)
  bIh: Tensor | null; // (G)
  bHh: Tensor | null; // (G)
  wHr?: Tensor | null; // (P, H), LSTM projection only
}

export interface LayerOptions {
  /** Per-row lengths in [1, T] (null: all T). */
  lengths?: Int32Array | null;
  /** Run t = T-1 … 0 (the reverse direction of a bidirectional layer). */
  reverse?: boolean;
  /** Variational input mask (B, I), already scaled. */
  maskX?: Buf | null;
  /** Variational recurrent mask (B, Hout), already scaled. */
  maskH?: Buf | null;
}

export interface LayerResult {
  output: Tensor; // (T, B, Hout)
  h: Tensor; // (B, Hout)
  c?: Tensor; // (B, H), LSTM only
}

function expect(op: string, t: Tensor | null | undefined, shape: number[], what: string): void {
  if (!t) return;
  if (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, `${what} of shape ${fmtShape(shape)}`, fmtShape(t.shape));
  }
}

/** Rows of weight_ih (G = gates·H); throws unless a positive multiple of the gate count. */
function gateRows(op: string, w: LayerWeights, gates: number, names: string): number {
  const G = w.wIh.ndim === 2 ? w.wIh.shape[0]! : 0;
  if (G === 0 || G % gates !== 0) throw new ShapeError(op, `weight_ih of shape (${gates}·H, I) (gates ${names})`, fmtShape(w.wIh.shape));
  return G;
}

function commonInputs(op: string, x: Tensor, h0: Tensor, w: LayerWeights, G: number, Hout: number, o: LayerOptions): RecurrentInputs {
  if (x.ndim !== 3) throw new ShapeError(op, 'input x of shape (T, B, I)', fmtShape(x.shape));
  const [T, B, I] = x.shape as [number, number, number];
  expect(op, w.wIh, [G, I], 'weight_ih');
  expect(op, w.wHh, [G, Hout], 'weight_hh');
  expect(op, w.bIh, [G], 'bias_ih');
  expect(op, w.bHh, [G], 'bias_hh');
  expect(op, h0, [B, Hout], 'h0');
  const named: [string, Tensor | null | undefined][] = [['h0', h0], ['weight_ih', w.wIh], ['weight_hh', w.wHh], ['bias_ih', w.bIh], ['bias_hh', w.bHh], ['weight_hr', w.wHr]];
  for (const [name, t] of named) {
    if (t && t.dtype !== x.dtype) throw new ValueError(op, `${name} of the input's dtype ${x.dtype}`, t.dtype);
  }
  if (o.maskX && o.maskX.length !== B * I) throw new ShapeError(op, `maskX of ${B * I} elements (B, I)`, String(o.maskX.length));
  if (o.maskH && o.maskH.length !== B * Hout) throw new ShapeError(op, `maskH of ${B * Hout} elements (B, Hout)`, String(o.maskH.length));
  return {
    T, B, I, H: 0,
    x: x.data, h0: h0.data,
    wIh: w.wIh.data, wHh: w.wHh.data, bIh: w.bIh?.data ?? null, bHh: w.bHh?.data ?? null,
    lengths: o.lengths ?? null, reverse: o.reverse ?? false,
    maskX: o.maskX ?? null, maskH: o.maskH ?? null,
  };
}

const gradIf = (t: Tensor | null | undefined, like: Buf): Buf | null => (t && t.requiresGrad ? allocLike(like, t.size) : null);

/**
 * One LSTM layer in one direction over a whole sequence (gate order i, f, g, o).
 * x (T, B, I), h0 (B, Hout), c0 (B, H) → output (T, B, Hout), h (B, Hout), c (B, H).
 */
export function lstmLayer(x: Tensor, h0: Tensor, c0: Tensor, w: LayerWeights, o: LayerOptions = {}): LayerResult {
  const G = gateRows('lstm', w, 4, 'i, f, g, o');
  const H = G / 4;
  const P = w.wHr ? w.wHr.shape[0]! : 0;
  const Hout = P > 0 ? P : H;
  const inp: LstmInputs = { ...commonInputs('lstm', x, h0, w, G, Hout, o), H, P, c0: c0.data, wHr: w.wHr?.data ?? null };
  expect('lstm', c0, [inp.B, H], 'c0');
  if (w.wHr) expect('lstm', w.wHr, [P, H], 'weight_hr');
  const { T, B } = inp;
  const be = getBackend();
  const like = x.data;
  const out: LstmForwardOut = {
    y: allocLike(like, T * B * Hout), hN: allocLike(like, B * Hout), cN: allocLike(like, B * H),
    gates: allocLike(like, T * B * 4 * H), c: allocLike(like, T * B * H), h: allocLike(like, T * B * Hout),
    m: P > 0 ? allocLike(like, T * B * H) : null,
  };
  const dims = { T, B, I: inp.I, H, P };
  be.lstmForward(inp, out, allocLike(like, be.recurrentWorkspace('lstm', dims)));
  const output = new Tensor(out.y, [T, B, Hout]);
  const h = new Tensor(out.hN, [B, Hout]);
  const c = new Tensor(out.cN, [B, H]);
  recordOp('lstm', [x, h0, c0, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr], [output, h, c], ([dy, dhN, dcN]) => {
    const g: LstmGrads = {
      dy: dy!, dhN: dhN!, dcN: dcN!,
      dx: gradIf(x, like), dh0: gradIf(h0, like), dc0: gradIf(c0, like),
      dWIh: gradIf(w.wIh, like), dWHh: gradIf(w.wHh, like), dBIh: gradIf(w.bIh, like), dBHh: gradIf(w.bHh, like),
      dWHr: gradIf(w.wHr, like),
    };
    be.lstmBackward(inp, out, g, allocLike(like, be.recurrentWorkspace('lstm', dims)));
    return [g.dx, g.dh0, g.dc0, g.dWIh, g.dWHh, g.dBIh, g.dBHh, g.dWHr];
  });
  return { output, h, c };
}

/**
 * One GRU layer in one direction (PyTorch r, z, n; b_hn inside the reset product).
 * x (T, B, I), h0 (B, H) → output (T, B, H), h (B, H).
 */
export function gruLayer(x: Tensor, h0: Tensor, w: LayerWeights, o: LayerOptions = {}): LayerResult {
  const G = gateRows('gru', w, 3, 'r, z, n');
  const H = G / 3;
  const inp = { ...commonInputs('gru', x, h0, w, G, H, o), H };
  const { T, B } = inp;
  const be = getBackend();
  const like = x.data;
  const out = {
    y: allocLike(like, T * B * H), hN: allocLike(like, B * H),
    gates: allocLike(like, T * B * 3 * H), q: allocLike(like, T * B * H), h: allocLike(like, T * B * H),
  };
  const dims = { T, B, I: inp.I, H, P: 0 };
  be.gruForward(inp, out, allocLike(like, be.recurrentWorkspace('gru', dims)));
  const output = new Tensor(out.y, [T, B, H]);
  const h = new Tensor(out.hN, [B, H]);
  recordOp('gru', [x, h0, w.wIh, w.wHh, w.bIh, w.bHh], [output, h], ([dy, dhN]) => {
    const g = {
      dy: dy!, dhN: dhN!, dx: gradIf(x, like), dh0: gradIf(h0, like),
      dWIh: gradIf(w.wIh, like), dWHh: gradIf(w.wHh, like), dBIh: gradIf(w.bIh, like), dBHh: gradIf(w.bHh, like),
    };
    be.gruBackward(inp, out, g, allocLike(like, be.recurrentWorkspace('gru', dims)));
    return [g.dx, g.dh0, g.dWIh, g.dWHh, g.dBIh, g.dBHh];
  });
  return { output, h };
}

/**
 * One Elman RNN layer in one direction, h' = φ(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), φ = tanh | relu.
 * x (T, B, I), h0 (B, H) → output (T, B, H), h (B, H).
 */
export function rnnLayer(x: Tensor, h0: Tensor, w: LayerWeights, o: LayerOptions & { nonlinearity?: RnnNonlinearity } = {}): LayerResult {
  const H = gateRows('rnn', w, 1, 'h');
  const inp = { ...commonInputs('rnn', x, h0, w, H, H, o), H, nonlinearity: o.nonlinearity ?? 'tanh' };
  const { T, B } = inp;
  const be = getBackend();
  const like = x.data;
  const out = { y: allocLike(like, T * B * H), hN: allocLike(like, B * H), h: allocLike(like, T * B * H) };
  const dims = { T, B, I: inp.I, H, P: 0 };
  be.rnnForward(inp, out, allocLike(like, be.recurrentWorkspace('rnn', dims)));
  const output = new Tensor(out.y, [T, B, H]);
  const h = new Tensor(out.hN, [B, H]);
  recordOp(`rnn_${inp.nonlinearity}`, [x, h0, w.wIh, w.wHh, w.bIh, w.bHh], [output, h], ([dy, dhN]) => {
    const g = {
      dy: dy!, dhN: dhN!, dx: gradIf(x, like), dh0: gradIf(h0, like),
      dWIh: gradIf(w.wIh, like), dWHh: gradIf(w.wHh, like), dBIh: gradIf(w.bIh, like), dBHh: gradIf(w.bHh, like),
    };
    be.rnnBackward(inp, out, g, allocLike(like, be.recurrentWorkspace('rnn', dims)));
    return [g.dx, g.dh0, g.dWIh, g.dWHh, g.dBIh, g.dBHh];
  });
  return { output, h };
}
