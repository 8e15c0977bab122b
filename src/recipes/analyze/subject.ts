/**
 * Turning a module (any depth, uni- or bidirectional) and its inputs into a {@link Subject}:
 * one layer of a unidirectional module. A direction of a bidirectional layer becomes a
 * one-layer unidirectional module with that direction's weights, fed the layer's input (the
 * output of the full bidirectional layers below it), reversed in time for the reverse direction.
 */
import { GRU, LSTM, OptionError, RNN, Tensor, noGrad, toDType, type analysis } from '../../index.js';
import type { Subject } from './instruments.js';

type Module = analysis.RecurrentModule;

/** A new module of `model`'s kind (mode, bias) with the given sizes, its weights uninitialised for loading. */
function like(model: Module, inputSize: number, opts: { numLayers: number; bidirectional: boolean }): Module {
  const o = { ...opts, bias: model.bias };
  if (model.mode === 'lstm') return new LSTM(inputSize, model.hiddenSize, o);
  if (model.mode === 'gru') return new GRU(inputSize, model.hiddenSize, o);
  return new RNN(inputSize, model.hiddenSize, { ...o, nonlinearity: model.mode === 'rnn_relu' ? 'relu' : 'tanh' });
}

/** Output of layers [0, layer) of a bidirectional module: the input of `layer`, (T, B, 2H). */
function belowOutput(model: Module, layer: number, x: Tensor): Tensor {
  if (layer === 0) return x;
  const lower = like(model, model.inputSize, { numLayers: layer, bidirectional: true });
  const sd = model.stateDict();
  lower.loadStateDict(Object.fromEntries(Object.entries(sd).filter(([k]) => Number(/_l(\d+)/.exec(k)?.[1]) < layer)));
  lower.toDType('float64');
  return noGrad(() => lower.forward(toDType(x, 'float64')).output);
}

/** A (T, B, F) tensor with time reversed. */
export function reverseTime(x: Tensor): Tensor {
  const [T, B, Fd] = x.shape as [number, number, number];
  const out = new Float64Array(T * B * Fd);
  const w = B * Fd;
  for (let t = 0; t < T; t++) out.set(x.data.subarray(t * w, (t + 1) * w), (T - 1 - t) * w);
  return new Tensor(out, [T, B, Fd]);
}

/** One direction of one layer as a one-layer unidirectional module. */
function singleDirection(model: Module, layer: number, direction: 0 | 1): Module {
  const suffix = direction ? '_reverse' : '';
  const m = like(model, layer === 0 ? model.inputSize : 2 * model.hiddenSize, { numLayers: 1, bidirectional: false });
  const sd = model.stateDict();
  m.loadStateDict(Object.fromEntries(Object.keys(m.stateDict()).map((k) => [k, sd[k.replace('_l0', `_l${layer}${suffix}`)]!])));
  return m;
}

export interface SubjectInputs {
  /** (T, B, I) time-major held-out batch. */
  batch: Tensor;
  /** (N, 1, I) one long input sequence. */
  drive: Tensor;
  loss?: (output: Tensor) => Tensor;
  lossLabel?: string;
  description: string;
  inputsLabel: string;
}

export const PROXY_LOSS = 'Σ of the last step\'s output / B (how strongly the final state depends on each earlier state)';

/**
 * The subject for `layer` (and `direction` of a bidirectional module) of `model`.
 * @throws OptionError for a layer or direction the module does not have, or an LSTM with projection.
 */
export function subjectOf(model: Module, layer: number, direction: 0 | 1, inp: SubjectInputs): Subject {
  if (!Number.isInteger(layer) || layer < 0 || layer >= model.numLayers) throw new OptionError('--layer', `a layer in 0…${model.numLayers - 1}`, String(layer));
  if (model.projSize) throw new OptionError('recur analyze', 'an LSTM without projection (proj_size 0)', `proj_size ${model.projSize}`);
  if (!model.bidirectional) {
    if (direction) throw new OptionError('--direction', 'forward (the module is unidirectional)', 'reverse');
    return { model, layer, batch: inp.batch, drive: inp.drive, lossLabel: inp.lossLabel ?? PROXY_LOSS, description: inp.description, inputsLabel: inp.inputsLabel, ...(inp.loss ? { loss: inp.loss } : {}) };
  }
  const prep = (x: Tensor): Tensor => {
    const below = belowOutput(model, layer, x);
    return direction ? reverseTime(below) : below;
  };
  return {
    model: singleDirection(model, layer, direction), layer: 0, batch: prep(inp.batch), drive: prep(inp.drive), lossLabel: PROXY_LOSS,
    description: `${inp.description}, ${direction ? 'reverse' : 'forward'} direction`, inputsLabel: inp.inputsLabel, origin: { layer, layers: model.numLayers },
  };
}

/** A cell kind for people: GRU, LSTM, RNN (tanh), RNN (relu). */
export function modeName(mode: string): string {
  return mode.startsWith('rnn_') ? `RNN (${mode.slice(4)})` : mode.toUpperCase();
}

/** `n` indices spread evenly over 0…total−1 (all of them when total ≤ n). */
export function spread(total: number, n: number): number[] {
  if (total <= n) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor((i * total) / n));
}
