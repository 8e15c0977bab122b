/**
 * Step-map Jacobians: closed form vs reverse-mode autodiff vs central differences, for the Elman
 * RNN (tanh and relu), LSTM (state [h, c]) and GRU; the Cell snapshot vs the modules' own forward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, Rng, randn, noGrad } from '../src/index.js';
import { cellOf, jacobian, jacobianAutodiff, linearize, stepValues, type Cell } from '../src/analysis/index.js';

const rng = new Rng(7);
const vec = (n: number, scale = 1): Float64Array => Float64Array.from({ length: n }, () => scale * rng.normal());

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function finiteDiff(cell: Cell, s: Float64Array, x: Float64Array, eps = 1e-6): Float64Array {
  const S = cell.stateSize;
  const J = new Float64Array(S * S);
  for (let k = 0; k < S; k++) {
    const p = s.slice();
    const m = s.slice();
    p[k] += eps;
    m[k] -= eps;
    const fp = stepValues(cell, p, x);
    const fm = stepValues(cell, m, x);
    for (let i = 0; i < S; i++) J[i * S + k] = (fp[i]! - fm[i]!) / (2 * eps);
  }
  return J;
}

const models = {
  rnn_tanh: () => new RNN(3, 5, { rng: new Rng(1) }),
  rnn_relu: () => new RNN(3, 5, { rng: new Rng(2), nonlinearity: 'relu' }),
  lstm: () => new LSTM(3, 5, { rng: new Rng(3) }),
  gru: () => new GRU(3, 5, { rng: new Rng(4) }),
};

for (const [name, make] of Object.entries(models)) {
  test(`${name}: closed-form Jacobian = autodiff = finite differences`, () => {
    const cell = cellOf(make());
    for (let trial = 0; trial < 3; trial++) {
      const s = vec(cell.stateSize, 0.8);
      const x = vec(cell.inputSize);
      const Jc = jacobian(cell, s, x);
      const Ja = jacobianAutodiff(cell, s, x);
      assert.ok(maxDiff(Jc.data, Ja.data) < 1e-12, `closed vs autodiff ${maxDiff(Jc.data, Ja.data)}`);
      assert.ok(maxDiff(Jc.data, finiteDiff(cell, s, x)) < 1e-7, 'closed vs finite differences');
    }
  });
}

test('input Jacobian by autodiff matches finite differences (GRU)', () => {
  const cell = cellOf(models.gru());
  const s = vec(5, 0.5);
  const x = vec(3);
  const Jx = jacobianAutodiff(cell, s, x, { wrt: 'input' });
  assert.deepEqual([Jx.rows, Jx.cols], [5, 3]);
  for (let k = 0; k < 3; k++) {
    const p = x.slice();
    const m = x.slice();
    p[k] += 1e-6;
    m[k] -= 1e-6;
    const fp = stepValues(cell, s, p);
    const fm = stepValues(cell, s, m);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(Jx.data[i * 3 + k]! - (fp[i]! - fm[i]!) / 2e-6) < 1e-8);
  }
});

test('Cell snapshot steps like the modules (multi-layer layer pick, cell modules)', () => {
  const lstm = new LSTM(3, 4, { numLayers: 2, rng: new Rng(5) }).toDType('float64');
  const x = randn([1, 2, 3], rng, { dtype: 'float64' });
  const out = noGrad(() => lstm.forward(x));
  const c0 = cellOf(lstm, { layer: 0 });
  const c1 = cellOf(lstm, { layer: 1 });
  for (let b = 0; b < 2; b++) {
    const s0 = stepValues(c0, new Float64Array(8), x.data.subarray(b * 3, b * 3 + 3));
    const s1 = stepValues(c1, new Float64Array(8), s0.subarray(0, 4));
    assert.ok(maxDiff(s1.subarray(0, 4), out.output.data.subarray(b * 4, b * 4 + 4)) < 1e-12);
    assert.ok(maxDiff(s1.subarray(4), out.state.c!.data.subarray((2 + b) * 4, (3 + b) * 4)) < 1e-12);
  }
  for (const m of [new RNNCell(2, 3, { rng: new Rng(1), nonlinearity: 'relu' }), new GRUCell(2, 3, { rng: new Rng(1) }), new LSTMCell(2, 3, { rng: new Rng(1) })]) {
    const cell = cellOf(m);
    const xin = randn([2], rng);
    const got = stepValues(cell, new Float64Array(cell.stateSize), xin.data);
    const want = noGrad(() => m.forward(xin));
    assert.ok(maxDiff(got.subarray(0, 3), want.h.data) < 1e-6);
  }
  assert.equal(cellOf(new RNNCell(2, 3, { nonlinearity: 'relu' })).mode, 'rnn_relu');
});

test('linearize: spectral radius and singular values of a linear-regime RNN', () => {
  const rnn = new RNN(1, 2, { rng: new Rng(1), bias: false });
  rnn.param('weight_hh_l0').data.set([0.5, -0.3, 0.2, 0.4]);
  const lin = linearize(cellOf(rnn), [0, 0], [0]);
  // tanh'(0) = 1, so J = W_hh: eigenvalues 0.45 ± i·sqrt(0.0575).
  assert.ok(Math.abs(lin.spectralRadius - Math.sqrt(0.45 ** 2 + 0.0575)) < 1e-6);
  assert.ok(Math.abs(lin.eigenvalues[0]!.re - 0.45) < 1e-6);
  assert.ok(Math.abs(lin.singularValues[0]! * lin.singularValues[1]! - Math.abs(0.5 * 0.4 + 0.3 * 0.2)) < 1e-6);
});
