/**
 * A forecasting run's model as an ONNX model that reads and writes data units: input `features`
 * (batch, L, F) float32, the run's features in its order (targets first; angles as sin/cos), output
 * `forecast` (batch, H, k). The run's normaliser is part of the graph (Sub/Div in, Mul/Add out), as
 * is the clipping to the training range when the run clips (`clipOutput`), so the model computes what
 * `recur predict` prints.
 */
import { GRU, LSTM, Linear, OnnxExportError, RNN, exportOnnx, onnxLinear, onnxRecurrent, type OnnxValue } from '../../index.js';
import type { Normaliser } from './dataset.js';
import type { Forecaster } from './model.js';

export interface ForecastOnnxOptions {
  lookback: number;
  features: readonly string[];
  norm: Normaliser;
  /** Per-target [lo, hi] to clip to, or null. */
  bounds: readonly (readonly [number, number])[] | null;
  opset?: number;
  metadata?: Record<string, string>;
}

/**
 * Serialize a Forecaster with its normaliser (and clipping) as ONNX.
 * @throws OnnxExportError if the model is not the shape this exporter knows
 */
export function forecastOnnx(model: Forecaster, opts: ForecastOnnxOptions): Uint8Array {
  const m = new Map(model.namedModules());
  const rnn = m.get('rnn');
  const head = m.get('head');
  if (!(rnn instanceof GRU || rnn instanceof LSTM || rnn instanceof RNN) || !(head instanceof Linear)) {
    throw new OnnxExportError('forecast ONNX export', 'a Forecaster with rnn (RNN/GRU/LSTM) and head (Linear)', [...m.keys()].join(', '));
  }
  if (model.spec.series) throw new OnnxExportError('forecast ONNX export', 'a Forecaster without a series embedding (its input would need the series id beside the features)', `a series embedding of ${model.spec.series.dim} values`);
  const { horizon: H, targets: k, layers, hidden } = model.spec;
  const L = opts.lookback;
  const Fn = opts.features.length;
  return exportOnnx(model, {
    inputShape: [1, L, Fn], dynamicAxes: { 0: 'batch' }, inputName: 'features', opset: opts.opset, graphName: 'forecast',
    metadata: {
      features: JSON.stringify(opts.features), input: `features (batch, ${L}, ${Fn}) in data units`,
      output: `forecast (batch, ${H}, ${k}): horizons 1..${H} of ${JSON.stringify(opts.features.slice(0, k))}`, ...opts.metadata,
    },
    build: (g, x) => {
      const B = x.dims[0]!;
      const z = g.op('Div', [g.op('Sub', [x, g.floats('mean', opts.norm.mean, [Fn])], x.dims), g.floats('std', opts.norm.std, [Fn])], x.dims);
      const { h } = onnxRecurrent(g, rnn, g.op('Transpose', [z], [L, B, Fn], { perm: { ints: [1, 0, 2] } }));
      // The top layer's final state (B, hidden) → corrections (B, H, k) to the last observed targets.
      const top = g.op('Squeeze', [g.op('Slice', [h, g.int64s('start', [layers - 1]), g.int64s('end', [layers]), g.int64s('axes', [0])], [1, B, hidden]), g.int64s('axes', [0])], [B, hidden]);
      const delta = g.op('Reshape', [onnxLinear(g, head, top), g.int64s('shape', [0, H, k])], [B, H, k]);
      const lastY = g.op('Slice', [z, g.int64s('start', [L - 1, 0]), g.int64s('end', [L, k]), g.int64s('axes', [1, 2])], [B, 1, k]);
      const scaled = g.op('Mul', [g.op('Add', [delta, lastY], [B, H, k]), g.floats('target_std', opts.norm.std.slice(0, k), [k])], [B, H, k]);
      let y: OnnxValue = g.op('Add', [scaled, g.floats('target_mean', opts.norm.mean.slice(0, k), [k])], [B, H, k]);
      if (opts.bounds) {
        y = g.op('Max', [y, g.floats('lo', opts.bounds.map((b) => b[0]), [k])], [B, H, k]);
        y = g.op('Min', [y, g.floats('hi', opts.bounds.map((b) => b[1]), [k])], [B, H, k]);
      }
      return { forecast: y };
    },
  });
}
