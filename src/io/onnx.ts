/**
 * ONNX export: RNN / LSTM / GRU (stacked, bidirectional, batch-first, with sequence lengths) as
 * ONNX's own RNN / LSTM / GRU operators (an LSTM with projSize, which they cannot express, as a Scan:
 * onnx-lstm-proj.ts), and Linear / Embedding / Conv1d, at opset 14–17.
 * Composite models (a recipe's network) are exported through `build`, which wires the same
 * emitters (`onnxRecurrent`, `onnxLinear`, …) and primitive nodes on an `OnnxGraph`.
 *
 * Layouts (RECURRENT-MATH.md "Other layouts"): W (D, G·H, I), R (D, G·H, H), B (D, 2·G·H) = [Wb, Rb],
 * gates reordered from PyTorch's LSTM i,f,g,o to ONNX's i,o,f,c and GRU r,z,n to z,r,h, with
 * GRU `linear_before_reset = 1` (PyTorch's b_hn inside the reset product).
 */
import { Conv1d, Embedding, GRU, LSTM, Linear, RNN, type Module } from '../nn/index.js';
import { OptionError, ShapeError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';
import { onnxLstmProjection } from './onnx-lstm-proj.js';
import { OnnxExportError, OnnxGraph, type Dim, type OnnxAttr, type OnnxValue } from './onnx-graph.js';

export { OnnxGraph, OnnxExportError, ONNX_IR_VERSION, type Dim, type OnnxValue, type OnnxAttr, type OnnxElemType } from './onnx-graph.js';

/** Opsets the exporter writes: 14 is the first with today's RNN/LSTM/GRU (and Reshape/Slice) forms; 17 is IR 8's last. */
export const ONNX_OPSETS = { min: 14, max: 17, default: 17 } as const;

type Recurrent = RNN | LSTM | GRU;

const dimsText = (d: readonly Dim[]): string => `(${d.join(', ')})`;

export interface OnnxExportOptions {
  /** Shape of an example input: (T, B, I), or (B, T, I) when batchFirst, for RNN/LSTM/GRU; (…, in) for Linear; (N, C, L) for Conv1d; index shape for Embedding. */
  inputShape?: readonly number[];
  /** An example input instead of `inputShape` (only its shape is used). */
  example?: { readonly shape: readonly number[] };
  /** ONNX opset, 14–17 (default 17). */
  opset?: number;
  /** Input axes made dynamic, by index, with their symbolic names: `{ 1: 'batch' }`. Other axes are fixed. */
  dynamicAxes?: Readonly<Record<number, string>>;
  /** RNN/LSTM/GRU: add an int32 input `lengths` (B) in [1, T] (ONNX sequence_lens; PyTorch packed-sequence semantics). */
  lengths?: boolean;
  /** RNN/LSTM/GRU: add inputs `h0` (L·D, B, Hout) and, for an LSTM, `c0` (L·D, B, H). */
  initialState?: boolean;
  /** A composite module: wire its graph from the (float32) input; return the graph outputs by name. */
  build?: (g: OnnxGraph, input: OnnxValue) => Record<string, OnnxValue>;
  /** Key/value strings stored in the model (metadata_props). */
  metadata?: Readonly<Record<string, string>>;
  /** Name of the graph input (default `input`; `indices` for an Embedding). */
  inputName?: string;
  /** Graph name (default the module's class name). */
  graphName?: string;
}

/**
 * Export a module as an ONNX model (float32 weights).
 * Graph inputs: `input` (`indices`, int64, for an Embedding), optional `lengths`, `h0`, `c0`; outputs:
 * `output` and for RNN/LSTM/GRU `h_n` (and LSTM `c_n`), in recur's (and PyTorch's) layouts.
 * @returns the serialized ModelProto (write it to `model.onnx`)
 * @throws OnnxExportError for a module it cannot export, OptionError / ShapeError for bad options
 * @remarks The graph is the inference form: dropout (between layers, variational, Dropout modules) is
 * left out whatever the module's mode. An LSTM with a projection (projSize), which ONNX's LSTM
 * operator cannot express, is decomposed into primitive ops: one Scan over time per layer and direction.
 * @example
 * const bytes = exportOnnx(new LSTM(8, 16, { numLayers: 2 }), { inputShape: [20, 4, 8], dynamicAxes: { 0: 'time', 1: 'batch' }, lengths: true });
 */
export function exportOnnx(module: Module, opts: OnnxExportOptions): Uint8Array {
  const shape = checkOptions(module, opts);
  const g = new OnnxGraph(opts.opset ?? ONNX_OPSETS.default);
  const dims: Dim[] = shape.map((d, k) => opts.dynamicAxes?.[k] ?? d);
  if (opts.build) {
    const outs = opts.build(g, g.input(opts.inputName ?? 'input', 'float32', dims));
    for (const [name, v] of Object.entries(outs)) g.output(v, name);
  } else if (module instanceof RNN || module instanceof LSTM || module instanceof GRU) {
    exportRecurrent(g, module, dims, opts);
  } else if (module instanceof Linear) {
    g.output(onnxLinear(g, module, g.input(opts.inputName ?? 'input', 'float32', dims)), 'output');
  } else if (module instanceof Conv1d) {
    g.output(onnxConv1d(g, module, g.input(opts.inputName ?? 'input', 'float32', dims)), 'output');
  } else if (module instanceof Embedding) {
    g.output(onnxEmbedding(g, module, g.input(opts.inputName ?? 'indices', 'int64', dims)), 'output');
  } else {
    throw new OnnxExportError('exportOnnx', 'an RNN, LSTM, GRU, Linear, Embedding or Conv1d (or a `build` function for a composite model)', module.constructor.name);
  }
  return g.encode({ graphName: opts.graphName ?? module.constructor.name, metadata: { ...opts.metadata } });
}

/** Check the options; returns the input shape. */
function checkOptions(module: Module, opts: OnnxExportOptions): readonly number[] {
  if (!opts.inputShape === !opts.example) throw new OptionError('exportOnnx', 'one of inputShape or example', opts.inputShape ? 'both' : 'neither');
  const shape = opts.inputShape ?? opts.example!.shape;
  const opset = opts.opset ?? ONNX_OPSETS.default;
  if (!Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new OptionError('exportOnnx: opset', `an integer in [${ONNX_OPSETS.min}, ${ONNX_OPSETS.max}]`, String(opts.opset));
  }
  if (!shape.every((d) => Number.isInteger(d) && d >= 1)) throw new ShapeError('exportOnnx: inputShape', 'positive integer sizes', fmtShape(shape));
  for (const k of Object.keys(opts.dynamicAxes ?? {})) {
    if (!(Number(k) >= 0 && Number(k) < shape.length)) throw new OptionError('exportOnnx: dynamicAxes', `axes of the ${shape.length}-D input`, `axis ${k}`);
  }
  const recurrent = module instanceof RNN || module instanceof LSTM || module instanceof GRU;
  if ((opts.lengths || opts.initialState) && (!recurrent || opts.build)) {
    throw new OptionError('exportOnnx', 'lengths / initialState only for an RNN, LSTM or GRU exported whole', module.constructor.name);
  }
  return shape;
}

function exportRecurrent(g: OnnxGraph, m: Recurrent, dims: Dim[], opts: OnnxExportOptions): void {
  if (dims.length !== 3 || dims[2] !== m.inputSize) {
    throw new ShapeError(`exportOnnx(${m.constructor.name}): inputShape`, `${m.batchFirst ? '(B, T, I)' : '(T, B, I)'} with I = ${m.inputSize}`, dimsText(dims));
  }
  const B = dims[m.batchFirst ? 0 : 1]!;
  const LD = m.numLayers * (m.bidirectional ? 2 : 1);
  const Hout = m.projSize || m.hiddenSize;
  const x = g.input(opts.inputName ?? 'input', 'float32', dims);
  const lengths = opts.lengths ? g.input('lengths', 'int32', [B]) : null;
  const h0 = opts.initialState ? g.input('h0', 'float32', [LD, B, Hout]) : null;
  const c0 = opts.initialState && m instanceof LSTM ? g.input('c0', 'float32', [LD, B, m.hiddenSize]) : null;
  const r = onnxRecurrent(g, m, x, { lengths, h0, c0 });
  g.output(r.output, 'output');
  g.output(r.h, 'h_n');
  if (r.c) g.output(r.c, 'c_n');
}

/** Reorder the G gate blocks of a (G·H, …) PyTorch matrix or (G·H) bias into ONNX's order. */
function reorderGates(data: ArrayLike<number>, blocks: readonly number[], blockSize: number, out: Float32Array, at: number): void {
  for (let k = 0; k < blocks.length; k++) {
    const src = blocks[k]! * blockSize;
    for (let j = 0; j < blockSize; j++) out[at + k * blockSize + j] = data[src + j]!;
  }
}

/** ONNX gate k comes from PyTorch gate ORDER[k]: LSTM i,o,f,c ← i,f,g,o; GRU z,r,h ← r,z,n. */
const ORDER = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnn: [0] } as const;

/**
 * Emit an RNN/LSTM/GRU: one ONNX operator per layer (both directions in one), layers chained by
 * Transpose+Reshape of Y (T, D, B, H) into (T, B, D·H). Returns output (T, B, D·Hout) (batch-first
 * when the module is), h (L·D, B, Hout) and for an LSTM c (L·D, B, H).
 */
export function onnxRecurrent(g: OnnxGraph, m: Recurrent, x: OnnxValue, state: { lengths?: OnnxValue | null; h0?: OnnxValue | null; c0?: OnnxValue | null } = {}): { output: OnnxValue; h: OnnxValue; c?: OnnxValue } {
  if (m instanceof LSTM && m.projSize > 0) return onnxLstmProjection(g, m, x, state);
  const kind = m instanceof LSTM ? 'lstm' : m instanceof GRU ? 'gru' : 'rnn';
  const D = m.bidirectional ? 2 : 1;
  const H = m.hiddenSize;
  let seq = m.batchFirst ? g.op('Transpose', [x], [x.dims[1]!, x.dims[0]!, x.dims[2]!], { perm: { ints: [1, 0, 2] } }) : x;
  const [T, B] = [seq.dims[0]!, seq.dims[1]!];
  const hs: OnnxValue[] = [];
  const cs: OnnxValue[] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const layerState = (s: OnnxValue | null | undefined): OnnxValue | null =>
      s ? g.op('Slice', [s, g.int64s('start', [l * D]), g.int64s('end', [(l + 1) * D]), g.int64s('axes', [0])], [D, ...s.dims.slice(1)]) : null;
    const w = layerWeights(g, m, kind, l);
    const inputs = [seq, w.W, w.R, w.B, state.lengths ?? null, layerState(state.h0)];
    if (kind === 'lstm') inputs.push(layerState(state.c0));
    const outs = g.node(kind.toUpperCase(), inputs, recurrentAttrs(m, kind), [
      { type: 'float32', dims: [T, D, B, H] }, { type: 'float32', dims: [D, B, H] },
      ...(kind === 'lstm' ? [{ type: 'float32' as const, dims: [D, B, H] }] : []),
    ], `${kind}_l${l}`);
    const y = g.op('Transpose', [outs[0]!], [T, B, D, H], { perm: { ints: [0, 2, 1, 3] } });
    seq = g.op('Reshape', [y, g.int64s('shape', [0, 0, -1])], [T, B, D * H]);
    hs.push(outs[1]!);
    if (outs[2]) cs.push(outs[2]);
  }
  const cat = (vs: OnnxValue[]): OnnxValue => (vs.length === 1 ? vs[0]! : g.op('Concat', vs, [vs.length * D, B, H], { axis: { i: 0 } }));
  const output = m.batchFirst ? g.op('Transpose', [seq], [B, T, D * H], { perm: { ints: [1, 0, 2] } }) : seq;
  return { output, h: cat(hs), ...(cs.length ? { c: cat(cs) } : {}) };
}

function recurrentAttrs(m: Recurrent, kind: 'lstm' | 'gru' | 'rnn'): Record<string, OnnxAttr> {
  const attrs: Record<string, OnnxAttr> = {
    hidden_size: { i: m.hiddenSize },
    direction: { s: m.bidirectional ? 'bidirectional' : 'forward' },
  };
  if (kind === 'gru') attrs.linear_before_reset = { i: 1 };
  if (kind === 'rnn') attrs.activations = { strings: Array(m.bidirectional ? 2 : 1).fill(m.mode === 'rnn_relu' ? 'Relu' : 'Tanh') };
  return attrs;
}

/** W (D, G·H, I), R (D, G·H, H) and B (D, 2·G·H) of layer l, gates in ONNX order (B null without bias). */
function layerWeights(g: OnnxGraph, m: Recurrent, kind: 'lstm' | 'gru' | 'rnn', l: number): { W: OnnxValue; R: OnnxValue; B: OnnxValue | null } {
  const D = m.bidirectional ? 2 : 1;
  const H = m.hiddenSize;
  const order = ORDER[kind];
  const GH = order.length * H;
  const sd = m.stateDict();
  const sfx = (d: number): string => `_l${l}${d === 1 ? '_reverse' : ''}`;
  const I = sd[`weight_ih${sfx(0)}`]!.shape[1]!;
  const W = new Float32Array(D * GH * I);
  const R = new Float32Array(D * GH * H);
  const Bs = m.bias ? new Float32Array(D * 2 * GH) : null;
  for (let d = 0; d < D; d++) {
    reorderGates(sd[`weight_ih${sfx(d)}`]!.data, order, H * I, W, d * GH * I);
    reorderGates(sd[`weight_hh${sfx(d)}`]!.data, order, H * H, R, d * GH * H);
    if (Bs) {
      reorderGates(sd[`bias_ih${sfx(d)}`]!.data, order, H, Bs, d * 2 * GH);
      reorderGates(sd[`bias_hh${sfx(d)}`]!.data, order, H, Bs, d * 2 * GH + GH);
    }
  }
  return {
    W: g.floats(`W${sfx(0)}`, W, [D, GH, I]), R: g.floats(`R${sfx(0)}`, R, [D, GH, H]),
    B: Bs ? g.floats(`B${sfx(0)}`, Bs, [D, 2 * GH]) : null,
  };
}

/** y = x·Wᵀ + b over the last axis, as MatMul (+ Add). */
export function onnxLinear(g: OnnxGraph, m: Linear, x: OnnxValue): OnnxValue {
  const inF = m.inFeatures;
  const outF = m.outFeatures;
  if (x.dims[x.dims.length - 1] !== inF) throw new ShapeError('exportOnnx(Linear): input', `last size ${inF}`, dimsText(x.dims));
  const w = m.param('weight').data;
  const wt = new Float32Array(inF * outF);
  for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) wt[i * outF + o] = w[o * inF + i]!;
  const dims = [...x.dims.slice(0, -1), outF];
  const y = g.op('MatMul', [x, g.floats('linear_weight_t', wt, [inF, outF])], dims);
  const b = m.paramOrNull('bias');
  return b ? g.op('Add', [y, g.floats('linear_bias', b.data, [outF])], dims) : y;
}

/** 1-D convolution (N, Cin, L) → (N, Cout, L'), as ONNX Conv. */
export function onnxConv1d(g: OnnxGraph, m: Conv1d, x: OnnxValue): OnnxValue {
  const w = m.param('weight');
  const [cout, , K] = w.shape as [number, number, number];
  const { stride, padding, dilation, groups } = m.conv;
  if (x.dims.length !== 3 || x.dims[1] !== m.inChannels) throw new ShapeError('exportOnnx(Conv1d): input', `(N, ${m.inChannels}, L)`, dimsText(x.dims));
  const L = x.dims[2]!;
  const Lout = typeof L === 'number' ? Math.floor((L + 2 * padding - dilation * (K - 1) - 1) / stride) + 1 : `${L}_conv`;
  const b = m.paramOrNull('bias');
  const inputs = [x, g.floats('conv_weight', w.data, w.shape), b ? g.floats('conv_bias', b.data, b.shape) : null];
  return g.op('Conv', inputs, [x.dims[0]!, cout, Lout], {
    kernel_shape: { ints: [K] }, pads: { ints: [padding, padding] }, strides: { ints: [stride] }, dilations: { ints: [dilation] }, group: { i: groups },
  });
}

/** Embedding lookup: int64 indices (any shape) → (…, D), as Gather on the table. */
export function onnxEmbedding(g: OnnxGraph, m: Embedding, indices: OnnxValue): OnnxValue {
  const w = m.param('weight');
  return g.op('Gather', [g.floats('embedding_weight', w.data, w.shape), indices], [...indices.dims, m.embeddingDim], { axis: { i: 0 } });
}
