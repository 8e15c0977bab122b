/**
 * The forecaster: a recurrent encoder over the lookback window and a linear head that emits
 * all H·k future values at once (direct multi-horizon), as corrections to the last observed
 * value (so an untrained model starts at persistence).
 *
 * Legend: L lookback, B batch, F features, Hd hidden size, H horizon, k targets.
 */
import { Embedding, F, GRU, LSTM, Linear, Module, RNN, ShapeError, Tensor, ValueError, noGrad, type Rng } from '../../index.js';
import { rowNorm, type Normaliser, type Series, type WindowSpec } from './dataset.js';
import type { Forecast } from './baselines.js';

export interface ForecasterSpec {
  cell: 'gru' | 'lstm' | 'rnn';
  features: number;
  hidden: number;
  layers: number;
  horizon: number;
  targets: number;
  /** A learned embedding of `dim` values for each series, by name (absent: none). */
  series?: { names: string[]; dim: number };
}

/** Recurrent encoder + linear head; forward (L, B, F) → (B, H·k), normalised units. */
export class Forecaster extends Module {
  readonly spec: ForecasterSpec;
  private readonly rnn: GRU | LSTM | RNN;
  private readonly head: Linear;
  private readonly series: Embedding | null;

  constructor(spec: ForecasterSpec, rng: Rng) {
    super();
    this.spec = spec;
    const Cell = spec.cell === 'lstm' ? LSTM : spec.cell === 'rnn' ? RNN : GRU;
    this.rnn = this.registerModule('rnn', new Cell(spec.features + (spec.series?.dim ?? 0), spec.hidden, { numLayers: spec.layers, rng }));
    this.head = this.registerModule('head', new Linear(spec.hidden, spec.horizon * spec.targets, { rng }));
    this.series = spec.series ? this.registerModule('series', new Embedding(spec.series.names.length, spec.series.dim, { rng })) : null;
  }

  /** The encoder's input: the features, with each window's series embedding appended at every step. */
  encoderInput(x: Tensor, ids: Int32Array | undefined): Tensor {
    if (!this.series) return x;
    const [L, B] = x.shape as [number, number, number];
    if (!ids || ids.length !== B) throw new ShapeError('Forecaster.forward', `the series id of each of the ${B} windows`, ids ? `${ids.length} ids` : 'none');
    const steps = new Int32Array(L * B);
    for (let l = 0; l < L; l++) steps.set(ids, l * B);
    return F.concat([x, this.series.forward(steps, [L, B])], 2);
  }

  /** x (L, B, F), with `ids` the series of each window when the model embeds them → (B, H·k): last value of each target + the head's correction. */
  forward(x: Tensor, ids?: Int32Array): Tensor {
    const [L, B] = x.shape as [number, number, number];
    const { state } = this.rnn.forward(this.encoderInput(x, ids));
    const last = F.reshape(F.slice(state.h, 0, this.spec.layers - 1, this.spec.layers), [B, this.spec.hidden]);
    const delta = this.head.forward(last);
    const { targets: k, horizon: H } = this.spec;
    const lastY = F.reshape(F.slice(F.slice(x, 0, L - 1, L), 2, 0, k), [B, 1, k]);
    return F.reshape(F.add(F.reshape(delta, [B, H, k]), lastY), [B, H * k]);
  }
}

/** Inputs of a batch of windows: (L, B, F) time-major, float32. */
export function windowBatch(z: Float32Array, s: Series, L: number, origins: ArrayLike<number>): Tensor {
  const B = origins.length;
  const x = new Float32Array(L * B * s.F);
  for (let b = 0; b < B; b++) {
    const t0 = origins[b]! - L + 1;
    for (let l = 0; l < L; l++) x.set(z.subarray((t0 + l) * s.F, (t0 + l + 1) * s.F), (l * B + b) * s.F);
  }
  return new Tensor(x, [L, B, s.F]);
}

/**
 * The embedding row of each window's series, found by name; undefined for a model without a
 * series embedding.
 * @throws ValueError for a series the model was not trained on (it has no embedding).
 */
export function seriesIds(model: Forecaster, s: Series, origins: ArrayLike<number>): Int32Array | undefined {
  const names = model.spec.series?.names;
  if (!names) return undefined;
  const index = new Map(names.map((n, i) => [n, i]));
  const rows = (s.groups.length ? s.groups : ['']).map((n) => index.get(n) ?? -1);
  const bad = rows.indexOf(-1);
  if (bad >= 0) throw new ValueError(s.file, `only series the model was trained on (it learned an embedding for each of ${names.length})`, `series ${JSON.stringify(s.groups[bad] ?? '')}`);
  return Int32Array.from(origins, (t) => rows[s.group[t]!]!);
}

/** Targets of a batch of windows: (B, H·k), normalised. */
export function targetBatch(z: Float32Array, s: Series, H: number, origins: ArrayLike<number>): Tensor {
  const B = origins.length;
  const y = new Float32Array(B * H * s.k);
  for (let b = 0; b < B; b++) {
    const t = origins[b]!;
    for (let h = 1; h <= H; h++) for (let j = 0; j < s.k; j++) y[(b * H + h - 1) * s.k + j] = z[(t + h) * s.F + j]!;
  }
  return new Tensor(y, [B, H * s.k]);
}

/**
 * Model forecasts in data units (eval mode, no graph); with `bounds` (per target [lo, hi], e.g.
 * 0 to rated power) every value is clipped into its target's range.
 */
export function modelForecast(
  model: Forecaster, z: Float32Array, s: Series, w: WindowSpec, origins: Int32Array, norm: Normaliser, bounds: readonly (readonly [number, number])[] | null = null, batch = 512,
): Forecast {
  const m = w.H * s.k;
  const out = new Float64Array(origins.length * m);
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let i = 0; i < origins.length; i += batch) {
      const o = origins.subarray(i, Math.min(i + batch, origins.length));
      const p = model.forward(windowBatch(z, s, w.L, o), seriesIds(model, s, o)).data;
      for (let q = 0; q < o.length * m; q++) {
        const j = q % s.k;
        const nm = rowNorm(norm, s, o[Math.floor(q / m)]!);
        const v = p[q]! * nm.std[j]! + nm.mean[j]!;
        out[i * m + q] = bounds ? Math.min(bounds[j]![1], Math.max(bounds[j]![0], v)) : v;
      }
    }
  });
  model.train(wasTraining);
  return out;
}

/** The training loss kinds. */
export type LossKind = 'mse' | 'mae' | 'huber';


/** Scalar loss of predictions against targets (normalised units); `delta` is Huber's threshold. */
export function lossOf(kind: LossKind, pred: Tensor, target: Tensor, delta = 1): Tensor {
  return kind === 'mae' ? F.l1Loss(pred, target) : kind === 'huber' ? F.huberLoss(pred, target, { delta }) : F.mseLoss(pred, target);
}

export function modelLoss(model: Forecaster, z: Float32Array, s: Series, w: WindowSpec, origins: Int32Array, kind: LossKind = 'mse', batch = 512, delta = 1): number {
  let sum = 0;
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let i = 0; i < origins.length; i += batch) {
      const o = origins.subarray(i, Math.min(i + batch, origins.length));
      sum += lossOf(kind, model.forward(windowBatch(z, s, w.L, o), seriesIds(model, s, o)), targetBatch(z, s, w.H, o), delta).item() * o.length;
    }
  });
  model.train(wasTraining);
  return sum / origins.length;
}
