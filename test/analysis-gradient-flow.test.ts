/**
 * Gradient flow through time: the per-step norms ‖∂L/∂s_t‖ (exact, by retainGrad on a per-step
 * unroll) against central finite differences of a perturbed closed-form rollout, for RNN, LSTM
 * ([h, c]) and GRU, single- and multi-layer, default and user losses; Jacobian-product spectra
 * against explicit products; the SVG helper.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, GRU, LSTM, Linear, RNN, Rng, Tensor, noGrad, randn } from '../src/index.js';
import {
  cellOf, gradientFlow, jacobian, lastStep, layerInput, matmulMatrix, plotSvg, singularValues, stepValues, timeMajor,
  type RecurrentModule,
} from '../src/analysis/index.js';

type Loss = (output: Tensor) => Tensor;
const defaultLoss: Loss = (y) => F.mulScalar(F.sum(lastStep(y)), 1 / y.shape[1]!);

/** ‖∂L/∂s_k‖ by central differences: perturb s_k in a closed-form rollout of `layer`, run the layers above with F.recurrent. */
function fdNorms(model: RecurrentModule, x: Tensor, layer: number, loss: Loss, eps = 1e-6): number[] {
  const xs = timeMajor(model, x);
  const [T, B] = xs.shape as [number, number];
  const cell = cellOf(model, { layer });
  const { stateSize: S, hiddenSize: H, inputSize: I } = cell;
  const inp = layerInput(model, xs, layer);
  const run = (k: number, idx: number, delta: number): number => {
    let s = new Float64Array(B * S);
    const out = new Float64Array(T * B * H);
    for (let t = 0; t < T; t++) {
      const next = new Float64Array(B * S);
      for (let b = 0; b < B; b++) next.set(stepValues(cell, s.subarray(b * S, (b + 1) * S), inp.data.subarray((t * B + b) * I, (t * B + b + 1) * I)), b * S);
      if (t === k) next[idx] += delta;
      for (let b = 0; b < B; b++) out.set(next.subarray(b * S, b * S + H), (t * B + b) * H);
      s = next;
    }
    let y = new Tensor(out, [T, B, H]);
    const L = model.numLayers;
    if (layer < L - 1) y = noGrad(() => F.recurrent(model.mode, y, null, model.layerWeights().slice(layer + 1), { numLayers: L - layer - 1 }).output);
    return noGrad(() => loss(y)).item();
  };
  return Array.from({ length: T }, (_, k) => {
    let n2 = 0;
    for (let idx = 0; idx < B * S; idx++) n2 += ((run(k, idx, eps) - run(k, idx, -eps)) / (2 * eps)) ** 2;
    return Math.sqrt(n2);
  });
}

function assertClose(got: number[], want: number[], rtol: number, what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= rtol * Math.max(1e-8, Math.abs(want[i]!)), `${what}[${i}]: ${g} vs ${want[i]}`));
}

const rng = new Rng(3);
const make = {
  rnn: (L = 1) => new RNN(2, 3, { numLayers: L, rng: new Rng(11) }).toDType('float64'),
  lstm: (L = 1) => new LSTM(2, 3, { numLayers: L, rng: new Rng(12) }).toDType('float64'),
  gru: (L = 1) => new GRU(2, 3, { numLayers: L, rng: new Rng(13) }).toDType('float64'),
};

for (const [name, mk] of Object.entries(make)) {
  test(`${name}: per-step gradient norms match finite differences (loss at the last step)`, () => {
    const model = mk();
    const x = randn([6, 2, 2], rng, { dtype: 'float64' });
    const g = gradientFlow(model, x);
    assertClose(g.gradNorm, fdNorms(model, x, 0, defaultLoss), 1e-6, 'gradNorm');
    assert.deepEqual(g.lags, [5, 4, 3, 2, 1, 0]);
    if (name === 'lstm') {
      g.gradNorm.forEach((v, t) => assert.ok(Math.abs(v - Math.hypot(g.hGradNorm[t]!, g.cGradNorm![t]!)) < 1e-12));
    } else assert.equal(g.cGradNorm, null);
  });
}

test('multi-layer LSTM: both layers match finite differences under a user loss on all outputs (batch-first)', () => {
  const model = new LSTM(2, 3, { numLayers: 2, batchFirst: true, rng: new Rng(4) }).toDType('float64');
  const head = new Linear(3, 1, { rng: new Rng(5) }).toDType('float64');
  const target = randn([5, 2, 1], rng, { dtype: 'float64' });
  const loss: Loss = (y) => F.mseLoss(head.forward(y), target);
  const x = randn([2, 5, 2], rng, { dtype: 'float64' });
  for (const layer of [0, 1]) {
    const g = gradientFlow(model, x, { layer, loss });
    assertClose(g.gradNorm, fdNorms(model, x, layer, loss), 1e-6, `layer ${layer}`);
  }
});

test('Jacobian products: span 1 = last step Jacobian, longer spans = explicit products, bound the gradient', () => {
  const model = make.gru();
  const x = randn([8, 1, 2], rng, { dtype: 'float64' });
  const g = gradientFlow(model, x, { spans: [1, 3, 8] });
  const cell = cellOf(model);
  const xs = timeMajor(model, x);
  let s: Float64Array = new Float64Array(3);
  const Js = [];
  for (let t = 0; t < 8; t++) {
    const xt = xs.data.subarray(t * 2, t * 2 + 2);
    Js.push(jacobian(cell, s, xt));
    s = stepValues(cell, s, xt);
  }
  for (const { span, singularValues: sv } of g.jacobianProducts) {
    let P = Js[7]!;
    for (let k = 2; k <= span; k++) P = matmulMatrix(P, Js[8 - k]!);
    assertClose(sv, singularValues(P), 1e-9, `span ${span}`);
    // Loss at the last step only and B = 1: ∂L/∂s_{T−1−k} = Pᵀ ∂L/∂s_{T−1}.
    if (span < 8) {
      const ratio = g.gradNorm[7 - span]! / g.gradNorm[7]!;
      assert.ok(ratio <= sv[0]! * (1 + 1e-9) && ratio >= sv[sv.length - 1]! * (1 - 1e-9));
    }
  }
});

test('long spans stay finite in log space; the SVG helper renders the plots', () => {
  const model = new RNN(1, 4, { rng: new Rng(6) }).toDType('float64');
  for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] *= 0.3;
  const g = gradientFlow(model, randn([300, 1, 1], rng, { dtype: 'float64' }), { spans: [300] });
  const last = g.jacobianProducts[0]!;
  assert.ok(last.logSingularValues.every((v) => Number.isFinite(v) && v < -100), `${last.logSingularValues}`);
  const svg = plotSvg(g.plots.gradNorm);
  assert.match(svg, /^<svg[^>]*>/);
  assert.match(svg, /<polyline/);
  assert.match(plotSvg(g.plots.singularValues), /σ1/);
});

test('gradientFlow rejects bad options', () => {
  const model = make.rnn();
  const x = randn([3, 1, 2], rng, { dtype: 'float64' });
  assert.throws(() => gradientFlow(model, x, { layer: 1 }), /layer/);
  assert.throws(() => gradientFlow(model, x, { spans: [4] }), /spans/);
  assert.throws(() => gradientFlow(model, x, { loss: (y) => y }), /scalar/);
  assert.throws(() => gradientFlow(model, x, { layers: 0 } as never), /unknown option "layers"/);
  assert.throws(() => gradientFlow(new RNN(2, 3, { bidirectional: true }), x), /unidirectional/);
});
