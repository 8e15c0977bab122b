/**
 * An LSTM with a projection (projSize > 0), which ONNX's LSTM operator cannot express, decomposed
 * into primitive ops: per layer and direction one Scan over time whose body is one LSTM step
 * (RECURRENT-MATH.md, gate order i, f, g, o kept as PyTorch's) followed by h = m·W_hrᵀ.
 * Variable lengths become a (T, B, 1) mask: a padded step leaves the state unchanged and outputs
 * zeros, so the reverse direction, scanning T−1 … 0, starts at each sequence's own last step.
 *
 * Legend: T time, B batch, I input, H hidden, P projection, D directions.
 */
import type { LSTM } from '../nn/index.js';
import type { Dim, OnnxGraph, OnnxValue } from './onnx-graph.js';

/** Wᵀ of a (rows, cols) row-major matrix, as a (cols, rows) constant for MatMul. */
function transposed(g: OnnxGraph, base: string, w: { data: ArrayLike<number>; shape: readonly number[] }): OnnxValue {
  const [r, c] = w.shape as [number, number];
  const t = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = w.data[i * c + j]!;
  return g.floats(base, t, [c, r]);
}

/** (T, B, 1) float mask, 1 where t < lengths[b], from x (T, B, ·) and int32 lengths (B). */
function stepMask(g: OnnxGraph, x: OnnxValue, lengths: OnnxValue): OnnxValue {
  const [T, B] = [x.dims[0]!, x.dims[1]!];
  const shape = g.node('Shape', [x], {}, [{ type: 'int64', dims: [3] }])[0]!;
  const tScalar = g.node('Gather', [shape, g.int64s('zero', [0], true)], { axis: { i: 0 } }, [{ type: 'int64', dims: [] }])[0]!;
  const steps = g.node('Range', [g.int64s('zero', [0], true), tScalar, g.int64s('one', [1], true)], {}, [{ type: 'int64', dims: [T] }])[0]!;
  const len64 = g.node('Cast', [lengths], { to: { i: 7 } }, [{ type: 'int64', dims: [B] }])[0]!;
  const less = g.node('Less', [g.op('Unsqueeze', [steps, g.int64s('axes', [1])], [T, 1]), g.op('Unsqueeze', [len64, g.int64s('axes', [0])], [1, B])], {}, [{ type: 'bool', dims: [T, B] }])[0]!;
  const m = g.node('Cast', [less], { to: { i: 1 } }, [{ type: 'float32', dims: [T, B] }])[0]!;
  return g.op('Unsqueeze', [m, g.int64s('axes', [2])], [T, B, 1]);
}

/** Zeros (B, n), B read from x (T, B, ·) at run time. */
function zeroState(g: OnnxGraph, x: OnnxValue, n: number): OnnxValue {
  const shape = g.node('Shape', [x], {}, [{ type: 'int64', dims: [3] }])[0]!;
  const b = g.op('Slice', [shape, g.int64s('start', [1]), g.int64s('end', [2]), g.int64s('axes', [0])], [1]);
  const dims = g.op('Concat', [b, g.int64s('size', [n])], [2], { axis: { i: 0 } });
  return g.node('ConstantOfShape', [dims], {}, [{ type: 'float32', dims: [x.dims[1]!, n] }])[0]!;
}

/** The Scan body: one step (h, c, x·W_ihᵀ + b, [mask]) → (h', c', y). */
function stepBody(g: OnnxGraph, B: Dim, H: number, P: number, wHhT: OnnxValue, wHrT: OnnxValue, masked: boolean): OnnxGraph {
  const s = g.subgraph();
  const h = s.input('h_prev', 'float32', [B, P]);
  const c = s.input('c_prev', 'float32', [B, H]);
  const xw = s.input('xw_t', 'float32', [B, 4 * H]);
  const mask = masked ? s.input('mask_t', 'float32', [B, 1]) : null;
  const a = s.op('Add', [xw, s.op('MatMul', [h, wHhT], [B, 4 * H])], [B, 4 * H]);
  const [ai, af, ag, ao] = s.node('Split', [a], { axis: { i: 1 } }, Array(4).fill({ type: 'float32', dims: [B, H] }));
  const i = s.op('Sigmoid', [ai!], [B, H]);
  const f = s.op('Sigmoid', [af!], [B, H]);
  const gg = s.op('Tanh', [ag!], [B, H]);
  const o = s.op('Sigmoid', [ao!], [B, H]);
  let cNew = s.op('Add', [s.op('Mul', [f, c], [B, H]), s.op('Mul', [i, gg], [B, H])], [B, H]);
  let hNew = s.op('MatMul', [s.op('Mul', [o, s.op('Tanh', [cNew], [B, H])], [B, H]), wHrT], [B, P]);
  // A graph output appears once: the step output is its own value, not h' again.
  let y = s.op('Identity', [hNew], [B, P]);
  if (mask) {
    // state ← state + mask·(new − state); output mask·new (zeros at padded steps).
    const keep = (prev: OnnxValue, next: OnnxValue, n: number): OnnxValue => s.op('Add', [prev, s.op('Mul', [mask, s.op('Sub', [next, prev], [B, n])], [B, n])], [B, n]);
    y = s.op('Mul', [mask, hNew], [B, P]);
    hNew = keep(h, hNew, P);
    cNew = keep(c, cNew, H);
  }
  for (const v of [hNew, cNew, y]) s.output(v, v.name);
  return s;
}

/**
 * Emit an LSTM with projection: same contract as onnxRecurrent — output (T, B, D·P) (batch-first
 * when the module is), h (L·D, B, P), c (L·D, B, H).
 */
export function onnxLstmProjection(g: OnnxGraph, m: LSTM, x: OnnxValue, state: { lengths?: OnnxValue | null; h0?: OnnxValue | null; c0?: OnnxValue | null }): { output: OnnxValue; h: OnnxValue; c: OnnxValue } {
  const D = m.bidirectional ? 2 : 1;
  const [H, P] = [m.hiddenSize, m.projSize];
  let seq = m.batchFirst ? g.op('Transpose', [x], [x.dims[1]!, x.dims[0]!, x.dims[2]!], { perm: { ints: [1, 0, 2] } }) : x;
  const [T, B] = [seq.dims[0]!, seq.dims[1]!];
  const mask = state.lengths ? stepMask(g, seq, state.lengths) : null;
  const sd = m.stateDict();
  const hs: OnnxValue[] = [];
  const cs: OnnxValue[] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const ys: OnnxValue[] = [];
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      let xw = g.op('MatMul', [seq, transposed(g, `W_ih_t${sfx}`, sd[`weight_ih${sfx}`]!)], [T, B, 4 * H]);
      if (m.bias) {
        const b = Float32Array.from(sd[`bias_ih${sfx}`]!.data, (v, k) => v + sd[`bias_hh${sfx}`]!.data[k]!);
        xw = g.op('Add', [xw, g.floats(`b${sfx}`, b, [4 * H])], [T, B, 4 * H]);
      }
      const initial = (s: OnnxValue | null | undefined, n: number): OnnxValue => s
        ? g.op('Squeeze', [g.op('Slice', [s, g.int64s('start', [l * D + d]), g.int64s('end', [l * D + d + 1]), g.int64s('axes', [0])], [1, B, n]), g.int64s('axes', [0])], [B, n])
        : zeroState(g, seq, n);
      const body = stepBody(g, B, H, P, transposed(g, `W_hh_t${sfx}`, sd[`weight_hh${sfx}`]!), transposed(g, `W_hr_t${sfx}`, sd[`weight_hr${sfx}`]!), mask !== null);
      const dirs = Array(mask ? 2 : 1).fill(d);
      const [hT, cT, y] = g.node('Scan', [initial(state.h0, P), initial(state.c0, H), xw, ...(mask ? [mask] : [])], {
        body: { graph: body }, num_scan_inputs: { i: dirs.length }, scan_input_directions: { ints: dirs }, scan_output_directions: { ints: [d] },
      }, [{ type: 'float32', dims: [B, P] }, { type: 'float32', dims: [B, H] }, { type: 'float32', dims: [T, B, P] }], `lstm_proj${sfx}`);
      ys.push(y!);
      hs.push(g.op('Unsqueeze', [hT!, g.int64s('axes', [0])], [1, B, P]));
      cs.push(g.op('Unsqueeze', [cT!, g.int64s('axes', [0])], [1, B, H]));
    }
    seq = D === 1 ? ys[0]! : g.op('Concat', ys, [T, B, D * P], { axis: { i: 2 } });
  }
  const cat = (vs: OnnxValue[], n: number): OnnxValue => (vs.length === 1 ? vs[0]! : g.op('Concat', vs, [vs.length, B, n], { axis: { i: 0 } }));
  const output = m.batchFirst ? g.op('Transpose', [seq], [B, T, D * P], { perm: { ints: [1, 0, 2] } }) : seq;
  return { output, h: cat(hs, P), c: cat(cs, H) };
}
