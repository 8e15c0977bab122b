/**
 * Fixed-point finder: the 9 fixed points of a 2-unit tanh RNN with W = diag(2, 2) (h = tanh(2h)
 * per unit: ±h*, 0) with locations and classification (4 stable, 4 saddles with one unstable
 * direction, 1 unstable source); a slow manifold (line attractor) of a near-linear network;
 * LSTM and GRU fixed points verified by the step map itself; the classifier and sampling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, LSTM, RNN, Rng, randn } from '../src/index.js';
import { cellOf, classify, findFixedPoints, sampleStates, slowManifold, stepValues } from '../src/analysis/index.js';

/** Positive root of h = tanh(2h) by Newton. */
function hStar(): number {
  let h = 1;
  for (let i = 0; i < 50; i++) h -= (Math.tanh(2 * h) - h) / (2 * (1 - Math.tanh(2 * h) ** 2) - 1);
  return h;
}

function twoUnitRnn(w: number[]): RNN {
  const rnn = new RNN(1, 2, { bias: false, rng: new Rng(0) });
  rnn.param('weight_ih_l0').data.fill(0);
  rnn.param('weight_hh_l0').data.set(w);
  return rnn;
}

test('W = diag(2, 2): recovers all 9 fixed points, locations and stability', () => {
  const cell = cellOf(twoUnitRnn([2, 0, 0, 2]));
  const rng = new Rng(1);
  const init = Array.from({ length: 120 }, () => [rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)]);
  const { points } = findFixedPoints(cell, { initialStates: init, maxIters: 1500 });
  const hs = hStar();
  assert.ok(Math.abs(hs - 0.957504) < 1e-6);
  const fixed = points.filter((p) => p.kind === 'fixed');
  assert.equal(fixed.length, 9, JSON.stringify(points.map((p) => [p.state, p.q])));
  for (const p of fixed) {
    for (const v of p.state) assert.ok(Math.abs(v) < 1e-9 || Math.abs(Math.abs(v) - hs) < 1e-9, `location ${p.state}`);
    const nz = p.state.filter((v) => Math.abs(v) > 0.5).length;
    const want = nz === 2 ? ['stable', 0] : nz === 1 ? ['saddle', 1] : ['unstable', 2];
    assert.deepEqual([p.stability, p.unstableDims], want, `${p.state}`);
    assert.ok(p.q < 1e-20);
  }
  // Stable eigenvalue 2(1 − h*²) at ±h*.
  const stable = fixed.find((p) => p.stability === 'stable')!;
  assert.ok(Math.abs(stable.eigenvalues[0]!.re - 2 * (1 - hs * hs)) < 1e-9);
  assert.equal(fixed.reduce((a, p) => a + p.count, 0) <= 120, true);
});

test('near-linear network with W = ½[[1, 1], [1, 1]]: slow points form a line attractor along (1, 1)', () => {
  const cell = cellOf(twoUnitRnn([0.5, 0.5, 0.5, 0.5]));
  const rng = new Rng(2);
  const init = Array.from({ length: 40 }, () => {
    const a = rng.uniform(-0.03, 0.03);
    const b = rng.uniform(-0.05, 0.05);
    return [a + b, a - b];
  });
  const { points } = findFixedPoints(cell, { initialStates: init, tolQ: 1e-11, tolSlow: 1e-9, tolUnit: 2e-3, tolUnique: 1e-4, maxIters: 400 });
  assert.ok(points.length >= 10, `${points.length} points`);
  const m = slowManifold(points);
  assert.ok(m.isLineAttractor, JSON.stringify(m));
  assert.ok(Math.abs(Math.abs(m.direction[0]!) - Math.SQRT1_2) < 1e-3 && m.direction[0]! * m.direction[1]! > 0);
  const p = points.find((q) => q.lineAttractor)!;
  assert.equal(p.stability, 'marginal');
  assert.ok(Math.abs(Math.abs(p.slowDirection![0]!) - Math.SQRT1_2) < 1e-3);
});

for (const [name, make] of [['lstm', () => new LSTM(2, 3, { rng: new Rng(7) })], ['gru', () => new GRU(2, 3, { rng: new Rng(8) })]] as const) {
  test(`${name}: trajectory-sampled initial states converge to true fixed points of F(·, x*)`, () => {
    const m = make();
    for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] *= 3;
    const cell = cellOf(m);
    const rng = new Rng(9);
    // Trajectories driven by x* plus input noise, as in a task with the input held at x*.
    const x = [0.2, -0.1];
    const xs = randn([60, 4, 2], rng, { dtype: 'float64' });
    for (let i = 0; i < xs.size; i++) xs.data[i] = x[i % 2]! + 0.1 * xs.data[i]!;
    const init = sampleStates(cell, xs, { count: 24, noise: 0.05, rng });
    assert.equal(init.length, 24 * cell.stateSize);
    const { points, candidates } = findFixedPoints(cell, { initialStates: init, input: x, maxIters: 1500 });
    assert.equal(candidates.length, 24);
    const fixed = points.filter((p) => p.kind === 'fixed');
    assert.ok(fixed.length >= 1);
    for (const p of fixed) {
      const f = stepValues(cell, p.state, x);
      assert.ok(f.every((v, i) => Math.abs(v - p.state[i]!) < 1e-9), 'F(s*) = s*');
      assert.equal(p.eigenvalues.length, cell.stateSize);
    }
    // The attractor the dynamics itself settles into is among them, classified stable.
    let s: Float64Array = new Float64Array(cell.stateSize);
    for (let t = 0; t < 3000; t++) s = stepValues(cell, s, x);
    const hit = fixed.find((p) => p.state.every((v, i) => Math.abs(v - s[i]!) < 1e-6));
    assert.ok(hit, `attractor ${Array.from(s)} not found`);
    assert.equal(hit.stability, 'stable');
  });
}

test('classify: stable / unstable / saddle / marginal and the line-attractor signature', () => {
  const c = (...ev: [number, number][]) => classify(ev.map(([re, im]) => ({ re, im })));
  assert.equal(c([0.5, 0], [0.2, 0]).stability, 'stable');
  assert.equal(c([1.5, 0], [-2, 0]).stability, 'unstable');
  assert.deepEqual(c([1.5, 0], [0.5, 0]), { stability: 'saddle', unstableDims: 1, marginalDims: 0, lineAttractor: false });
  assert.deepEqual(c([1.0002, 0], [0.3, 0]), { stability: 'marginal', unstableDims: 0, marginalDims: 1, lineAttractor: true });
  assert.equal(c([0, 1], [0, -1]).lineAttractor, false, 'a rotation is marginal but no line attractor');
  assert.throws(() => findFixedPoints(cellOf(twoUnitRnn([1, 0, 0, 1])), { initialStates: [1, 2, 3] }), /initialStates/);
});
