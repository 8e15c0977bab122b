/**
 * Lyapunov exponents by the QR method: a linear map (exponents = log|eigenvalues|, distinct
 * moduli, including a negative eigenvalue), an RNN contracting to a fixed point (exponents =
 * log|eig J(h*)|), the exact volume identity Σλ = mean log|det J| along an input-driven
 * trajectory, and the convergence control.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, LSTM, RNN, Rng, randn } from '../src/index.js';
import {
  cellOf, cellSystem, eigenvalues, jacobian, linearSystem, lyapunovExponents, matmulMatrix, matrix, modulus, solve, stepValues,
} from '../src/analysis/index.js';

test('linear map W = P diag(1.1, 0.7, −0.4, 0.2) P⁻¹: exponents = log|λ|', () => {
  const rng = new Rng(1);
  const n = 4;
  const P = matrix(Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal())));
  const lam = [1.1, 0.7, -0.4, 0.2];
  // W = P D P⁻¹, column by column: W e_j = P D (P⁻¹ e_j).
  const cols = Array.from({ length: n }, (_, j) => {
    const e = new Float64Array(n);
    e[j] = 1;
    const y = solve(P, e).map((v, i) => v * lam[i]!);
    return matmulMatrix(P, { rows: n, cols: 1, data: y }).data;
  });
  const W = matrix(Array.from({ length: n }, (_, i) => cols.map((c) => c[i]!)));
  const r = lyapunovExponents(linearSystem(W), new Float64Array(n), { warmup: 50, maxSteps: 20000, tol: 1e-7 });
  assert.ok(r.converged, `not converged after ${r.steps}`);
  lam.map((v) => Math.log(Math.abs(v))).forEach((want, i) => assert.ok(Math.abs(r.exponents[i]! - want) < 2e-3, `λ${i}: ${r.exponents[i]} vs ${want}`));
  assert.equal(r.history.length, r.historySteps.length);
  // Only the leading two.
  const r2 = lyapunovExponents(linearSystem(W), new Float64Array(n), { k: 2, warmup: 50, maxSteps: 5000 });
  assert.equal(r2.exponents.length, 2);
  assert.ok(Math.abs(r2.exponents[0]! - Math.log(1.1)) < 5e-3);
});

test('autonomous RNN contracting to a fixed point: exponents = log|eig J(h*)|', () => {
  const rnn = new RNN(2, 5, { rng: new Rng(2) });
  for (const p of rnn.parameters()) for (let i = 0; i < p.size; i++) p.data[i] *= 1.2;
  const cell = cellOf(rnn);
  const x = [0.3, -0.2];
  let h: Float64Array = new Float64Array(5).fill(0.1);
  for (let t = 0; t < 2000; t++) h = stepValues(cell, h, x);
  const want = eigenvalues(jacobian(cell, h, x)).map((e) => Math.log(modulus(e)));
  assert.ok(want[0]! < 0, 'the fixed point is attracting');
  const r = lyapunovExponents(cellSystem(cell, { input: x }), new Float64Array(5), { warmup: 200, maxSteps: 20000, tol: 1e-8 });
  want.forEach((w, i) => assert.ok(Math.abs(r.exponents[i]! - w) < 5e-3, `λ${i}: ${r.exponents[i]} vs ${w}`));
});

for (const [name, make] of [['lstm', () => new LSTM(2, 3, { rng: new Rng(3) })], ['gru', () => new GRU(2, 3, { rng: new Rng(4) })]] as const) {
  test(`${name}, input-driven: Σ exponents = mean log|det J_t| along the trajectory (exact)`, () => {
    const cell = cellOf(make());
    const xs = randn([300, 2], new Rng(5), { dtype: 'float64' });
    const warmup = 20;
    const r = lyapunovExponents(cellSystem(cell, { inputs: xs }), new Float64Array(cell.stateSize), { warmup, window: 40, tol: 0 });
    assert.equal(r.steps, 280);
    assert.equal(r.converged, false);
    let s: Float64Array = new Float64Array(cell.stateSize);
    let logDet = 0;
    for (let t = 0; t < 300; t++) {
      const xt = xs.data.subarray(t * 2, t * 2 + 2);
      if (t >= warmup) logDet += eigenvalues(jacobian(cell, s, xt)).reduce((a, e) => a + Math.log(modulus(e)), 0);
      s = stepValues(cell, s, xt);
    }
    const total = r.exponents.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - logDet / 280) < 1e-9, `${total} vs ${logDet / 280}`);
    assert.ok(r.state.every((v, i) => Math.abs(v - s[i]!) < 1e-12), 'final state');
  });
}

test('convergence control: stops early within tol; validates options', () => {
  const W = matrix([[0.5, 0], [0, 0.25]]);
  const r = lyapunovExponents(linearSystem(W), [0, 0], { warmup: 0, window: 10, tol: 1e-3, rng: new Rng(3) });
  assert.ok(r.converged && r.steps < 10000);
  const hs = r.history;
  assert.ok(hs.length >= 2 && Math.abs(hs[hs.length - 1]![0]! - hs[hs.length - 2]![0]!) < 1e-3);
  assert.throws(() => lyapunovExponents(linearSystem(W), [0, 0], { k: 3 }), /k/);
  assert.throws(() => lyapunovExponents(linearSystem(W), [0], {}), /initial state/);
});
