/**
 * Gradient flow through time (Bengio et al. 1994; Pascanu et al. 2013): how much of a loss's
 * gradient reaches the state k steps back, and the singular values of the products of step
 * Jacobians that carry it.
 *
 * The analysed layer is unrolled as T single-step calls of the library's fused op (float64
 * copies of the weights), each step's state kept with `retainGrad`, so ∂L/∂s_t is exact
 * (reverse-mode, no approximation) for every t. Layers below run once as a sequence (their
 * output is the analysed layer's input); layers above run as a sequence on the unrolled output,
 * so the loss sees the whole model. Dropout is off (eval semantics).
 *
 * State convention: s = h for RNN/GRU, s = [h, c] for LSTM; the Jacobian products are of the
 * full state map, ∂s_{T−1}/∂s_{T−1−k} = J_{T−1} ⋯ J_{T−k}, J_t = ∂s_t/∂s_{t−1} (2H×2H for LSTM).
 */
import { Tensor } from '../tensor/tensor.js';
import { backward } from '../autograd/engine.js';
import { recurrent, type RecurrentState } from '../ops/recurrent.js';
import { reshape, slice, stack } from '../ops/shape.js';
import { sum } from '../ops/reduce.js';
import { mulScalar } from '../ops/elementwise.js';
import { checkOptions } from '../ops/checks.js';
import { OptionError, ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';
import { cellOf, initialState, layerInput, layerRange, stateRange, stepTensor, timeMajor, type RecurrentModule } from './cell.js';
import { jacobian } from './jacobian.js';
import { identity, matmulMatrix, type Matrix } from './linalg.js';
import { singularValues } from './eig.js';
import type { LinePlot } from './plot-svg.js';

export interface GradientFlowOptions {
  /** Layer to analyse (default 0); the module must be unidirectional. */
  layer?: number;
  /** Initial state of the module, h (L, B, H) [c (L, B, H)]; zeros when omitted. */
  state?: RecurrentState | null;
  /**
   * Scalar loss of the top layer's output (T, B, H), time-major float64 (whatever the module's
   * batchFirst). Default: L = (1/B) Σ_b Σ_j y_{T−1}[b, j], a loss at the last step only.
   */
  loss?: (output: Tensor) => Tensor;
  /** Spans k of the Jacobian products ∂s_{T−1}/∂s_{T−1−k}, in [1, T] (default 1, 2, 4, … ≤ T). */
  spans?: readonly number[];
  /** Batch row whose Jacobian products are analysed (default 0). */
  sample?: number;
}

/** Singular values of ∂s_{T−1}/∂s_{T−1−span} for one sample (descending). */
export interface JacobianProductSpectrum {
  span: number;
  singularValues: number[];
  /** Natural logs, exact even where the values under/overflow float64. */
  logSingularValues: number[];
}

export interface GradientFlowResult {
  loss: number;
  /** Step index t = 0 … T−1 (the state after reading x_t). */
  steps: number[];
  /** Lag T−1−t from the last step. */
  lags: number[];
  /** ‖∂L/∂s_t‖ over the whole batch (Frobenius), per step. */
  gradNorm: number[];
  /** ‖∂L/∂h_t‖ (equals gradNorm except for LSTM). */
  hGradNorm: number[];
  /** ‖∂L/∂c_t‖ for LSTM; null otherwise. */
  cGradNorm: number[] | null;
  /** ‖∂L/∂s_{−1}‖, the gradient reaching the initial state. */
  initialGradNorm: number;
  jacobianProducts: JacobianProductSpectrum[];
  plots: { gradNorm: LinePlot; singularValues: LinePlot };
}

function norm(d: ArrayLike<number>, B: number, S: number, from: number, to: number): number {
  let s = 0;
  for (let b = 0; b < B; b++) for (let j = from; j < to; j++) s += d[b * S + j]! ** 2;
  return Math.sqrt(s);
}

/**
 * Norms of ∂L/∂s_t for every step t and singular values of Jacobian products over spans.
 * @param x input as the module takes it: (T, B, I), (B, T, I) when batchFirst, or (T, I)
 * @example
 * const g = gradientFlow(lstm, x, { loss: (y) => F.mseLoss(head.forward(lastStep(y)), target) });
 * writeFileSync('flow.svg', plotSvg(g.plots.gradNorm));
 */
export function gradientFlow(model: RecurrentModule, x: Tensor, opts: GradientFlowOptions = {}): GradientFlowResult {
  checkOptions('gradientFlow', opts, ['layer', 'state', 'loss', 'spans', 'sample']);
  const l = opts.layer ?? 0;
  const L = model.numLayers;
  if (!Number.isInteger(l) || l < 0 || l >= L) throw new ValueError('gradientFlow: layer', `an integer in [0, ${L})`, String(l));
  if (model.bidirectional) throw new OptionError('gradientFlow', 'a unidirectional module', 'bidirectional');
  const xs = timeMajor(model, x);
  const [T, B] = xs.shape as [number, number];
  const cell = cellOf(model, { layer: l });
  const { stateSize: S, hiddenSize: H, inputSize: I } = cell;
  const sample = opts.sample ?? 0;
  if (!Number.isInteger(sample) || sample < 0 || sample >= B) throw new ValueError('gradientFlow: sample', `a batch row in [0, ${B})`, String(sample));
  const spans = opts.spans ?? Array.from({ length: Math.floor(Math.log2(T)) + 1 }, (_, i) => 2 ** i);
  for (const k of spans) if (!Number.isInteger(k) || k < 1 || k > T) throw new ValueError('gradientFlow: spans', `integers in [1, ${T}]`, String(k));

  const inp = layerInput(model, xs, l, opts.state);
  const s0 = new Tensor(initialState(cell, opts.state, l, B), [B, S], { requiresGrad: true });
  const states: Tensor[] = [];
  const outs: Tensor[] = [];
  let s = s0;
  for (let t = 0; t < T; t++) {
    s = stepTensor(cell, s, reshape(slice(inp, 0, t, t + 1), [B, I])).retainGrad();
    states.push(s);
    outs.push(cell.mode === 'lstm' ? slice(s, 1, 0, H) : s);
  }
  let output = stack(outs, 0);
  if (l < L - 1) output = recurrent(model.mode, output, stateRange(opts.state, l + 1, L), layerRange(model, l + 1, L), { numLayers: L - l - 1 }).output;
  const lossT = opts.loss ? opts.loss(output) : mulScalar(sum(slice(output, 0, T - 1, T)), 1 / B);
  if (lossT.size !== 1) throw new ShapeError('gradientFlow: loss', 'a scalar', fmtShape(lossT.shape));
  backward(lossT);

  const zeros = new Float64Array(B * S);
  const g = (t: Tensor): ArrayLike<number> => t.grad?.data ?? zeros;
  const gradNorm = states.map((st) => norm(g(st), B, S, 0, S));
  const hGradNorm = states.map((st) => norm(g(st), B, S, 0, H));
  const cGradNorm = cell.mode === 'lstm' ? states.map((st) => norm(g(st), B, S, H, S)) : null;
  const steps = states.map((_, t) => t);
  const lags = steps.map((t) => T - 1 - t);

  // Jacobian products for one sample, accumulated from the last step backwards and rescaled
  // every step (the scale kept in log space) so long spans neither overflow nor underflow.
  const prevState = (t: number): ArrayLike<number> => (t === 0 ? s0.data : states[t - 1]!.data).subarray(sample * S, (sample + 1) * S);
  const xAt = (t: number): ArrayLike<number> => inp.data.subarray((t * B + sample) * I, (t * B + sample + 1) * I);
  const wanted = new Set(spans);
  const jacobianProducts: JacobianProductSpectrum[] = [];
  let P: Matrix = identity(S);
  let logScale = 0;
  for (let k = 1; k <= Math.max(...spans); k++) {
    P = matmulMatrix(P, jacobian(cell, prevState(T - k), xAt(T - k)));
    const mx = P.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (mx > 0) {
      for (let i = 0; i < P.data.length; i++) P.data[i] /= mx;
      logScale += Math.log(mx);
    }
    if (!wanted.has(k)) continue;
    const logSv = singularValues(P).map((v) => (v > 0 ? Math.log(v) + logScale : -Infinity));
    jacobianProducts.push({ span: k, singularValues: logSv.map(Math.exp), logSingularValues: logSv });
  }
  const nSv = Math.min(S, 4);
  return {
    loss: lossT.item(), steps, lags, gradNorm, hGradNorm, cGradNorm, initialGradNorm: norm(g(s0), B, S, 0, S), jacobianProducts,
    plots: {
      gradNorm: {
        title: `Gradient norm through time (${model.mode}, layer ${l})`, xLabel: 'lag T−1−t', yLabel: '‖∂L/∂s_t‖', logY: true,
        series: [
          { name: 'state', x: lags, y: gradNorm },
          ...(cGradNorm ? [{ name: 'h', x: lags, y: hGradNorm }, { name: 'c', x: lags, y: cGradNorm }] : []),
        ],
      },
      singularValues: {
        title: 'Singular values of Jacobian products', xLabel: 'span k', yLabel: 'σ_i(∂s_{T−1}/∂s_{T−1−k})', logY: true,
        series: Array.from({ length: nSv }, (_, i) => ({
          name: `σ${i + 1}`, x: jacobianProducts.map((p) => p.span), y: jacobianProducts.map((p) => p.singularValues[i]!),
        })),
      },
    },
  };
}

/** The last time step of a time-major output (T, B, F) → (B, F), for losses at the last step. */
export function lastStep(output: Tensor): Tensor {
  if (output.ndim !== 3) throw new ShapeError('lastStep', 'an output of shape (T, B, F)', fmtShape(output.shape));
  const [T, B, Fd] = output.shape as [number, number, number];
  return reshape(slice(output, 0, T - 1, T), [B, Fd]);
}
