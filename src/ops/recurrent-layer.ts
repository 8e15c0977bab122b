/**
 * Sequence-level recurrent ops: one differentiable op per layer and direction, whose
 * forward and BPTT run inside the backend (`lstmForward`/`lstmBackward`, ...). The tape sees
 * a single node per layer, not a graph of per-step ops. One op (`layer`) serves every cell, driven
 * by its description in cells.ts (gates, state, saved buffers); lstmLayer / gruLayer / rnnLayer
 * name it per cell.
 *
 * Buffers (scratch.ts): the kernel workspace is one reused buffer; the saved activations come from
 * a free list and go back to it when backward frees the node, or, when no graph is recorded
 * (inference, streaming), are pieces of a reused discard buffer and the kernel is told
 * `inference: true`. Only the outputs are fresh allocations — small ones (a streamed step) carved from a shared slab —
 * except the output of a layer inside a stack (`inner`), which only the ops above it read: it comes from the free
 * list too and goes back with the saved buffers (W6: two (T, B, H) buffers a step that the GC no longer waits for).
 *
 * Legend: T time, B batch, I input, H hidden, P projection (0 = none), Hout = P || H.
 */
import type { Backend, Buf, LstmForwardOut, LstmGrads, RecurrentCall, RnnNonlinearity } from '../kernels/backend.js';
import { runCall } from '../kernels/recurrent-call.js';
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike, allocOverwritten } from '../tensor/create.js';
import { needsGrad, recordOp } from '../autograd/engine.js';
import { carve, discard, giveBuf, SMALL_OUT, takeBuf, workspace } from './scratch.js';
import { CELLS, savedSizes, type CellKind, type CellSpec } from './cells.js';
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

/** The directions of one layer: their outputs side by side, and each one's final state. */
export interface DirectionsResult {
  output: Tensor; // (T, B, Hout) or, two directions, (T, B, Hout_a + Hout_b): a's columns, then b's
  h: Tensor[]; // per direction (B, Hout)
  c: Tensor[]; // per direction (B, H), LSTM only
}

/** Throws unless t is absent or of shape (d0) / (d0, d1); the message is only built on failure. */
function expect1(op: string, t: Tensor | null | undefined, d0: number, what: string): void {
  if (t && (t.ndim !== 1 || t.shape[0] !== d0)) throw new ShapeError(op, `${what} of shape ${fmtShape([d0])}`, fmtShape(t.shape));
}
function expect2(op: string, t: Tensor | null | undefined, d0: number, d1: number, what: string): void {
  if (t && (t.ndim !== 2 || t.shape[0] !== d0 || t.shape[1] !== d1)) throw new ShapeError(op, `${what} of shape ${fmtShape([d0, d1])}`, fmtShape(t.shape));
}

/** Rows of weight_ih (G = gates·H); throws unless a positive multiple of the cell's gate count. */
export function gateRows(spec: CellSpec, w: LayerWeights): number {
  const G = w.wIh.ndim === 2 ? w.wIh.shape[0]! : 0;
  if (G === 0 || G % spec.gates !== 0) {
    throw new ShapeError(spec.kind, `weight_ih of shape (${spec.gates}·H, I) (gates ${spec.gateNames.join(', ')})`, fmtShape(w.wIh.shape));
  }
  return G;
}

/** Validate the inputs shared by every layer kind; returns (T, B, I). */
export function checkCommon(op: string, x: Tensor, h0: Tensor, w: LayerWeights, G: number, Hout: number, o: LayerOptions): [number, number, number] {
  if (x.ndim !== 3) throw new ShapeError(op, 'input x of shape (T, B, I)', fmtShape(x.shape));
  const T = x.shape[0]!, B = x.shape[1]!, I = x.shape[2]!;
  // an empty sequence or batch would reach the kernels' plans (division by B) and crash the process
  if (T < 1 || B < 1) throw new ShapeError(op, 'input x with at least one time step and one sequence (T >= 1, B >= 1)', fmtShape(x.shape));
  expect2(op, w.wIh, G, I, 'weight_ih');
  expect2(op, w.wHh, G, Hout, 'weight_hh');
  expect1(op, w.bIh, G, 'bias_ih');
  expect1(op, w.bHh, G, 'bias_hh');
  expect2(op, h0, B, Hout, 'h0');
  const dt = x.dtype;
  if (h0.dtype !== dt || w.wIh.dtype !== dt || w.wHh.dtype !== dt || (w.bIh && w.bIh.dtype !== dt) || (w.bHh && w.bHh.dtype !== dt) || (w.wHr && w.wHr.dtype !== dt)) {
    const named: [string, Tensor | null | undefined][] = [['h0', h0], ['weight_ih', w.wIh], ['weight_hh', w.wHh], ['bias_ih', w.bIh], ['bias_hh', w.bHh], ['weight_hr', w.wHr]];
    for (const [name, t] of named) {
      if (t && t.dtype !== dt) throw new ValueError(op, `${name} of the input's dtype ${dt}`, t.dtype);
    }
  }
  if (o.maskX && o.maskX.length !== B * I) throw new ShapeError(op, `maskX of ${B * I} elements (B, I)`, String(o.maskX.length));
  if (o.maskH && o.maskH.length !== B * Hout) throw new ShapeError(op, `maskH of ${B * Hout} elements (B, Hout)`, String(o.maskH.length));
  return dimsOut(T, B, I);
}

/** One reused triple for checkCommon's result (read at once by the caller). */
const DIMS: [number, number, number] = [0, 0, 0];
function dimsOut(T: number, B: number, I: number): [number, number, number] {
  DIMS[0] = T; DIMS[1] = B; DIMS[2] = I;
  return DIMS;
}

const gradIf = (t: Tensor | null | undefined, like: Buf): Buf | null => (t && t.requiresGrad ? allocLike(like, t.size) : null);

/** Workspace size of the backend for these dims and dtype, remembered for the last shape of each kind. */
const wsMemo = { lstm: [null, 0, 0, 0, 0, 0, 0, 0], gru: [null, 0, 0, 0, 0, 0, 0, 0], rnn: [null, 0, 0, 0, 0, 0, 0, 0] } as Record<'lstm' | 'gru' | 'rnn', [Backend | null, number, number, number, number, number, number, number]>;
export function wsSize(be: Backend, kind: 'lstm' | 'gru' | 'rnn', like: Buf, T: number, B: number, I: number, H: number, P: number): number {
  const m = wsMemo[kind];
  const f64 = like instanceof Float64Array ? 1 : 0;
  if (m[0] !== be || m[1] !== T || m[2] !== B || m[3] !== I || m[4] !== H || m[5] !== P || m[7] !== f64) {
    m[6] = be.recurrentWorkspace(kind, { T, B, I, H, P }, f64 ? 'float64' : 'float32');
    m[0] = be; m[1] = T; m[2] = B; m[3] = I; m[4] = H; m[5] = P; m[7] = f64;
  }
  return m[6];
}

/**
 * Buffers for the saved activations of a forward (up to four, sizes in elements; 0 = absent →
 * null): recycled ones (given back by `release` after backward) when the op is recorded, else
 * pieces of the reused discard buffer (the kernel writes them; nobody reads them), the pieces of
 * direction `dir` of a pair apart from the other's (the two may run at once).
 */
export function savedBuffers(record: boolean, like: Buf, dir: number, n0: number, n1: number, n2: number, n3: number): (Buf | null)[] {
  const sizes = SIZES;
  sizes[0] = n0; sizes[1] = n1; sizes[2] = n2; sizes[3] = n3;
  const out: (Buf | null)[] = [null, null, null, null];
  if (record) {
    for (let k = 0; k < 4; k++) if (sizes[k]! > 0) out[k] = takeBuf(like, sizes[k]!);
    return out;
  }
  const n = n0 + n1 + n2 + n3;
  const d = discard(like, (dir + 1) * n);
  const c = lastDiscard[dir]!;
  if (c.buf === d && c.sizes[0] === n0 && c.sizes[1] === n1 && c.sizes[2] === n2 && c.sizes[3] === n3) return c.views; // same pieces as last time
  let off = dir * n;
  for (let k = 0; k < 4; k++) {
    if (sizes[k]! > 0) out[k] = d.subarray(off, off + sizes[k]!);
    off += sizes[k]!;
  }
  lastDiscard[dir] = { buf: d, sizes: [n0, n1, n2, n3], views: out };
  return out;
}
const SIZES = [0, 0, 0, 0];
/** Per direction, the discard pieces of the last unrecorded call (a streamed step asks for the same ones every time). */
const lastDiscard: { buf: Buf | null; sizes: number[]; views: (Buf | null)[] }[] = [0, 1].map(() => ({ buf: null, sizes: [], views: [] }));

/**
 * The output buffers y (n0), hN (n1) and cN (n2, 0 = none): small ones (a streamed step) carved from
 * the shared slab (scratch.ts `carve`). Larger ones: hN and cN share one buffer, y (training) has
 * its own, so that keeping a final state alive does not keep the whole output sequence alive; every
 * backend's forward writes all of y (0 at padded steps), hN and cN, so none is zero-filled first (W5:
 * the zeroed 128 KB of hN, cN cost ~11 µs per batch on the calling thread, unzeroed ~1 µs); `pooledY`:
 * y from the free list (an inner layer's, given back with the saved buffers).
 */
export function outputBuffers(like: Buf, n0: number, n1: number, n2: number, pooledY = false): [Buf, Buf, Buf | null] {
  if (n0 + n1 + n2 <= SMALL_OUT) return [carve(like, n0), carve(like, n1), n2 > 0 ? carve(like, n2) : null];
  const one = allocOverwritten(like, n1 + n2);
  return [pooledY ? takeBuf(like, n0) : allocOverwritten(like, n0), one.subarray(0, n1), n2 > 0 ? one.subarray(n1, n1 + n2) : null];
}

/** One direction of a layer: its initial state (c0: LSTM only), weights and options. */
export interface LayerDirection {
  h0: Tensor;
  c0?: Tensor | null;
  w: LayerWeights;
  o?: LayerOptions;
}

/**
 * One LSTM layer in one direction over a whole sequence (gate order i, f, g, o).
 * x (T, B, I), h0 (B, Hout), c0 (B, H) → output (T, B, Hout), h (B, Hout), c (B, H).
 */
export function lstmLayer(x: Tensor, h0: Tensor, c0: Tensor, w: LayerWeights, o: LayerOptions = {}): LayerResult {
  const r = layer(CELLS.lstm, x, { h0, c0, w, o }, null, 'tanh');
  return { output: r.output, h: r.h[0]!, c: r.c[0]! };
}

/**
 * One GRU layer in one direction (PyTorch r, z, n; b_hn inside the reset product).
 * x (T, B, I), h0 (B, H) → output (T, B, H), h (B, H).
 */
export function gruLayer(x: Tensor, h0: Tensor, w: LayerWeights, o: LayerOptions = {}): LayerResult {
  const r = layer(CELLS.gru, x, { h0, w, o }, null, 'tanh');
  return { output: r.output, h: r.h[0]! };
}

/**
 * One Elman RNN layer in one direction, h' = φ(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), φ = tanh | relu.
 * x (T, B, I), h0 (B, H) → output (T, B, H), h (B, H).
 */
export function rnnLayer(x: Tensor, h0: Tensor, w: LayerWeights, o: LayerOptions & { nonlinearity?: RnnNonlinearity } = {}): LayerResult {
  const r = layer(CELLS.rnn, x, { h0, w, o }, null, o.nonlinearity ?? 'tanh');
  return { output: r.output, h: r.h[0]! };
}

/**
 * The directions of one layer over the same input x (T, B, I): one direction, or the two of a bidirectional
 * layer (`o.reverse` on the second), which the backend may run at once (Backend.recurrentPair), forward and
 * backward alike. The two write their outputs side by side into one (T, B, Hout_a + Hout_b) buffer (rows
 * ldy = Hout_a + Hout_b apart, Backend RecurrentInputs.ldy) and read their output gradients from it the
 * same way: no concatenation and no split; the numbers are those of each direction alone.
 * `inner` (a layer below the top of a stack): the outputs are read only by ops recorded after this one, so
 * when the graph is recorded their buffers come from the op free list and go back to it after backward —
 * an output must not be kept past backward then. `ownsX`: x's buffer came from the op free list and only
 * this op reads it (dropout.ts dropoutPooled between two layers): when recorded, it goes back after backward.
 */
export function recurrentLayer(kind: CellKind, x: Tensor, dirs: readonly LayerDirection[], nonlinearity: RnnNonlinearity = 'tanh', inner = false, ownsX = false): DirectionsResult {
  if (dirs.length !== 1 && dirs.length !== 2) throw new ValueError(kind, 'one or two directions', String(dirs.length));
  return layer(CELLS[kind], x, dirs[0]!, dirs[1] ?? null, nonlinearity, inner, ownsX);
}

/** Names of the layer's inputs (LSTM: with c0 and the projection), in recordOp order; gradients are 'd' + Name. */
const INPUTS_LSTM = ['x', 'h0', 'c0', 'wIh', 'wHh', 'bIh', 'bHh', 'wHr'] as const;
const INPUTS = ['x', 'h0', 'wIh', 'wHh', 'bIh', 'bHh'] as const;
const GRAD_OF: Record<string, string> = { x: 'dx', h0: 'dh0', c0: 'dc0', wIh: 'dWIh', wHh: 'dWHh', bIh: 'dBIh', bHh: 'dBHh', wHr: 'dWHr' };
const SAVED_SIZES: number[] = [];
/** Per cell, the index in spec.saved of each saved field gates, c, h, m, q (-1: the cell has none). */
export const SLOTS = Object.fromEntries((Object.keys(CELLS) as CellKind[]).map((k) =>
  [k, (['gates', 'c', 'h', 'm', 'q'] as const).map((n) => CELLS[k].saved.findIndex((s) => s.name === n))])) as Record<CellKind, number[]>;
const pick = (sv: (Buf | null)[], k: number): Buf | null => (k < 0 ? null : sv[k]!);
export type Bufs = Record<string, Buf | null>;

/** One direction checked and set up for the backend: its call, saved buffers, inputs and results. */
interface Prepared {
  call: RecurrentCall;
  /** Buffers given back when the graph frees the node: the saved activations (and an inner layer's output). */
  sv: (Buf | null)[];
  inputs: (Tensor | null)[];
  /** (T, B, Hout); null for a direction of a pair (its y is its half of the pair's output, see sideBySide). */
  output: Tensor | null;
  /** The final state: [h (B, Hout), c (B, H) (LSTM)]. */
  states: Tensor[];
  ws: number;
}

/** Check one direction and build its kernel call (its workspace comes later, see workspaces; a pair's y, see sideBySide). */
function prepare(spec: CellSpec, x: Tensor, d: LayerDirection, inputs: (Tensor | null)[], record: boolean, dir: number, nonlinearity: RnnNonlinearity, inner: boolean, pair: boolean): Prepared {
  const kind = spec.kind, lstm = kind === 'lstm', w = d.w, o = d.o ?? {}, h0 = d.h0, c0 = d.c0 ?? null;
  const G = gateRows(spec, w);
  const H = G / spec.gates;
  const P = lstm && w.wHr ? w.wHr.shape[0]! : 0;
  const Hout = P > 0 ? P : H;
  const [T, B, I] = checkCommon(kind, x, h0, w, G, Hout, o);
  if (lstm) {
    expect2(kind, c0, B, H, 'c0');
    if (w.wHr) expect2(kind, w.wHr, P, H, 'weight_hr');
    if (c0!.dtype !== x.dtype) throw new ValueError(kind, `c0 of the input's dtype ${x.dtype}`, c0!.dtype);
  }
  const inp = {
    T, B, I, H, P, x: x.data, h0: h0.data, c0: lstm ? c0!.data : null!,
    wIh: w.wIh.data, wHh: w.wHh.data, bIh: w.bIh ? w.bIh.data : null, bHh: w.bHh ? w.bHh.data : null, wHr: w.wHr && lstm ? w.wHr.data : null,
    lengths: o.lengths ?? null, reverse: o.reverse ?? false, maskX: o.maskX ?? null, maskH: o.maskH ?? null, inference: !record,
    nonlinearity, ldy: Hout,
  };
  const like = x.data;
  const sz = savedSizes(spec, T, B, H, P, SAVED_SIZES);
  const at = SLOTS[kind];
  // Without padded steps y_t = h_t: the output is the saved h (one (T, B, Hout) buffer less per layer); not in
  // a pair, whose y rows are strided
  const yIsH = record && !o.lengths && !pair;
  if (yIsH) sz[at[2]!] = 0;
  const sv = savedBuffers(record, like, dir, sz[0] ?? 0, sz[1] ?? 0, sz[2] ?? 0, sz[3] ?? 0);
  const pooledY = record && inner && !pair && T * B * Hout + B * Hout + (lstm ? B * H : 0) > SMALL_OUT; // small ones are carved
  const [y, hN, cN] = outputBuffers(like, pair ? 0 : T * B * Hout, B * Hout, lstm ? B * H : 0, pooledY);
  // one object shape for every cell (the kernels read only their cell's fields)
  const out: Bufs = {
    y, hN, cN: lstm ? cN : null, gates: pick(sv, at[0]!), c: pick(sv, at[1]!), h: yIsH ? y : pick(sv, at[2]!), m: pick(sv, at[3]!), q: pick(sv, at[4]!),
  };
  const hT = new Tensor(hN, [B, Hout]);
  return {
    call: { inp, out: out as unknown as LstmForwardOut, g: null, ws: like }, sv: pooledY ? [...sv, y] : sv, inputs, // ws: see workspaces
    output: pair ? null : new Tensor(y, [T, B, Hout]), states: lstm ? [hT, new Tensor(cN!, [B, H])] : [hT],
    ws: wsSize(getBackend(), kind, like, T, B, I, H, P),
  };
}

/**
 * A pair's output (T, B, Ha + Hb): a's y is its first Ha columns, b's the next Hb (ldy = Ha + Hb), allocated as
 * outputBuffers allocates a y (an inner layer's from the free list, given back with a's saved buffers).
 */
function sideBySide(like: Buf, a: Prepared, b: Prepared, pooled: boolean): Tensor {
  const { T, B } = a.call.inp, Ha = a.states[0]!.shape[1]!, Hb = b.states[0]!.shape[1]!, n = T * B * (Ha + Hb);
  const y = n <= SMALL_OUT ? carve(like, n) : pooled ? takeBuf(like, n) : allocOverwritten(like, n);
  if (pooled && n > SMALL_OUT) a.sv.push(y);
  a.call.out.y = y;
  b.call.out.y = y.subarray(Ha);
  a.call.inp.ldy = b.call.inp.ldy = Ha + Hb;
  return new Tensor(y, [T, B, Ha + Hb]);
}

/** The op's inputs from one direction, in recordOp order (INPUTS_LSTM / INPUTS). */
function inputsOf(lstm: boolean, x: Tensor, d: LayerDirection): (Tensor | null)[] {
  const w = d.w;
  return lstm ? [x, d.h0, d.c0 ?? null, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr ?? null] : [x, d.h0, w.wIh, w.wHh, w.bIh, w.bHh];
}

/** Each direction's workspace: its own piece of the one reused buffer (the two of a pair may run at once). */
function workspaces(like: Buf, a: Prepared, b: Prepared | null): void {
  const ws = workspace(like, a.ws + (b ? b.ws : 0));
  a.call.ws = b ? ws.subarray(0, a.ws) : ws;
  if (b) b.call.ws = ws.subarray(a.ws, a.ws + b.ws);
}

/** The backend's forward or backward of the cell on one direction or a pair. */
function run(be: Backend, kind: CellKind, a: Prepared, b: Prepared | null): void {
  if (b) be.recurrentPair(kind, a.call, b.call);
  else runCall(be, kind, a.call);
  // the backward takes the workspace again: the graph keeps no reference to a buffer that may be replaced
  a.call.ws = a.call.inp.x;
  if (b) b.call.ws = b.call.inp.x;
}

/** The gradients of one direction's backward: upstream dy and, from gOut[k..], its final state's; one buffer per wanted input gradient. */
function gradsOf(p: Prepared, names: readonly string[], dy: Buf | null, gOut: (Buf | null)[], k: number, like: Buf): void {
  const g: Bufs = { dy, dhN: gOut[k]!, dcN: p.states.length > 1 ? gOut[k + 1]! : null };
  // dx (names[0] = 'x') from the pool, zeroed (the kernels accumulate): the op below that consumes it
  // (the inter-layer dropout or the layer below of a stacked network) gives it back, instead of a fresh (T, B, I) per step
  names.forEach((n, i) => { g[GRAD_OF[n]!] = i > 0 ? gradIf(p.inputs[i], like) : p.inputs[0]!.requiresGrad ? takeBuf(like, p.inputs[0]!.size).fill(0) : null; });
  p.call.g = g as unknown as LstmGrads;
}

/**
 * The one layer op: any cell of cells.ts over a whole sequence, forward and BPTT in the backend, on one
 * direction (b null) or the two of a bidirectional layer (one graph node; x is an input of both, so
 * its gradient is the sum of the two, added by the engine as before).
 */
function layer(spec: CellSpec, x: Tensor, a: LayerDirection, b: LayerDirection | null, nonlinearity: RnnNonlinearity, inner = false, ownsX = false): DirectionsResult {
  const kind = spec.kind, lstm = kind === 'lstm';
  const names = lstm ? INPUTS_LSTM : INPUTS;
  const ia = inputsOf(lstm, x, a), ib = b ? inputsOf(lstm, x, b) : null;
  const record = needsGrad(ia) || (ib !== null && needsGrad(ib));
  const pa = prepare(spec, x, a, ia, record, 0, nonlinearity, inner, b !== null), pb = b ? prepare(spec, x, b, ib!, record, 1, nonlinearity, inner, true) : null;
  const like = x.data;
  const output = pb ? sideBySide(like, pa, pb, record && inner) : pa.output!;
  const be = getBackend();
  workspaces(like, pa, pb);
  run(be, kind, pa, pb);
  const states = pb ? [...pa.states, ...pb.states] : pa.states;
  const result: DirectionsResult = { output, h: pb ? [pa.states[0]!, pb.states[0]!] : [pa.states[0]!], c: !lstm ? [] : pb ? [pa.states[1]!, pb.states[1]!] : [pa.states[1]!] };
  if (!record) return result;
  const inputs = pb ? [...ia, ...ib!] : ia;
  recordOp(kind === 'rnn' ? `rnn_${nonlinearity}` : kind, inputs, [output, ...states], (gOut) => {
    const dy = gOut[0] ?? null;
    gradsOf(pa, names, dy, gOut, 1, like);
    if (pb) gradsOf(pb, names, dy && dy.subarray(pa.states[0]!.shape[1]!), gOut, 1 + pa.states.length, like);
    workspaces(like, pa, pb);
    run(be, kind, pa, pb);
    const ga = pa.call.g as unknown as Bufs, gb = pb ? (pb.call.g as unknown as Bufs) : null;
    return gb ? [...names.map((n) => ga[GRAD_OF[n]!]!), ...names.map((n) => gb[GRAD_OF[n]!]!)] : names.map((n) => ga[GRAD_OF[n]!]!);
  }, { freshGrads: true, consumesGrads: true, release: () => {
    for (const b of pa.sv) giveBuf(b);
    if (pb) for (const b of pb.sv) giveBuf(b);
    if (ownsX) giveBuf(like);
  } }); // y (the saved h when yIsH) belongs to the output, unless inner
  return result;
}
