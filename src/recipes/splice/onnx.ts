/**
 * One splice network as an ONNX model: input `onehot` (batch, T, 4) float32 (A, C, G, T one-hot,
 * batch-first), outputs `logits` and `probs` (batch, classes) — softmax, as `recur predict` uses.
 * Every pooling mode is expressed with ONNX primitives (ReduceMax/ReduceMean over time, the final
 * states, or the centre steps as a Slice); dropout is the identity at inference.
 */
import { Conv1d, GRU, LSTM, Linear, OnnxExportError, exportOnnx, onnxConv1d, onnxLinear, onnxRecurrent, type OnnxGraph, type OnnxValue } from '../../index.js';
import type { SpliceNet } from './model.js';

/** The network's submodules by their registered names (conv is absent without a front end). */
function parts(net: SpliceNet): { conv: Conv1d | null; rnn: GRU | LSTM; head: Linear } {
  const m = new Map(net.namedModules());
  const conv = m.get('conv');
  const rnn = m.get('rnn');
  const head = m.get('head');
  if (!(rnn instanceof GRU || rnn instanceof LSTM) || !(head instanceof Linear) || (conv !== undefined && !(conv instanceof Conv1d))) {
    throw new OnnxExportError('splice ONNX export', 'a SpliceNet with rnn (GRU/LSTM), head (Linear) and an optional conv (Conv1d)', [...m.keys()].join(', '));
  }
  return { conv: conv ?? null, rnn, head };
}

/**
 * Serialize `net` (trained on sequences of `steps` nucleotides) as ONNX at `opset`.
 * @throws OnnxExportError if the network is not the shape this exporter knows
 */
export function spliceOnnx(net: SpliceNet, opts: { steps: number; classes: readonly string[]; opset?: number; metadata?: Record<string, string> }): Uint8Array {
  const { conv, rnn, head } = parts(net);
  const T = opts.steps;
  return exportOnnx(net, {
    inputShape: [1, T, 4], dynamicAxes: { 0: 'batch' }, inputName: 'onehot', opset: opts.opset, graphName: 'splice',
    metadata: { classes: JSON.stringify(opts.classes), input: `onehot (batch, ${T}, 4): A, C, G, T one-hot`, pooling: net.pooling, ...opts.metadata },
    build: (g, x) => {
      const B = x.dims[0]!;
      let seq: OnnxValue;
      if (conv) {
        const c = g.op('Relu', [onnxConv1d(g, conv, g.op('Transpose', [x], [B, 4, T], { perm: { ints: [0, 2, 1] } }))], [B, conv.outChannels, T]);
        seq = g.op('Transpose', [c], [T, B, conv.outChannels], { perm: { ints: [2, 0, 1] } });
      } else {
        seq = g.op('Transpose', [x], [T, B, 4], { perm: { ints: [1, 0, 2] } });
      }
      const { output, h } = onnxRecurrent(g, rnn, seq);
      const logits = onnxLinear(g, head, pool(g, net.pooling, output, h, rnn.hiddenSize));
      return { logits, probs: g.op('Softmax', [logits], logits.dims, { axis: { i: -1 } }) };
    },
  });
}

/** (T, B, 2H) outputs and (2, B, H) final states → (B, P), as SpliceNet.forward pools. */
function pool(g: OnnxGraph, mode: SpliceNet['pooling'], output: OnnxValue, h: OnnxValue, H: number): OnnxValue {
  const [T, B] = output.dims as [number, number | string];
  const flat = (v: OnnxValue, n: number): OnnxValue => g.op('Reshape', [v, g.int64s('shape', [0, -1])], [B, n]);
  const batchFirst = (v: OnnxValue): OnnxValue => g.op('Transpose', [v], [v.dims[1]!, v.dims[0]!, v.dims[2]!], { perm: { ints: [1, 0, 2] } });
  const max = (): OnnxValue => g.op('ReduceMax', [output], [B, 2 * H], { axes: { ints: [0] }, keepdims: { i: 0 } });
  const last = (): OnnxValue => flat(batchFirst(h), 2 * H);
  switch (mode) {
    case 'max': return max();
    case 'mean': return g.op('ReduceMean', [output], [B, 2 * H], { axes: { ints: [0] }, keepdims: { i: 0 } });
    case 'last': return last();
    case 'max+last': return g.op('Concat', [max(), last()], [B, 4 * H], { axis: { i: 1 } });
    case 'center': {
      const m = Math.floor(T / 2);
      const mid = g.op('Slice', [output, g.int64s('start', [m - 1]), g.int64s('end', [m + 1]), g.int64s('axes', [0])], [2, B, 2 * H]);
      return flat(batchFirst(mid), 4 * H);
    }
    case 'flatten': return flat(batchFirst(output), T * 2 * H);
    default: throw new OnnxExportError('splice ONNX export: pooling', "'max', 'mean', 'last', 'max+last', 'center' or 'flatten'", String(mode));
  }
}
