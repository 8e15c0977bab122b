/**
 * Continual learning on a seeded two-task linear regression whose tasks share input features
 * with conflicting weights: plain sequential training forgets task A; EWC (diagonal Fisher of
 * the Gaussian log-likelihood) forgets much less; OGD gradient projection onto the complement
 * of A's output-gradient span forgets nothing. Plus the forgetting metrics and basis algebra.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Linear, Rng, SGD, Tensor, noGrad, tensor } from '../src/index.js';
import {
  EWC, GradientBasis, fisherDiagonal, flatGrad, forgettingFromMatrix, gradientBasis, measureForgetting, projectGradients,
} from '../src/analysis/index.js';

const D = 10;
interface Task { X: Tensor; y: Tensor; rows: number[][] }

function makeTask(dims: number[], w: Record<number, number>, n: number, rng: Rng): Task {
  const rows = Array.from({ length: n }, () => Array.from({ length: D }, (_, i) => (dims.includes(i) ? rng.normal() : 0)));
  const y = rows.map((r) => [r.reduce((s, v, i) => s + v * (w[i] ?? 0), 0)]);
  return { X: tensor(rows, undefined, { dtype: 'float64' }), y: tensor(y, undefined, { dtype: 'float64' }), rows };
}

const rng = new Rng(42);
const A = makeTask([0, 1, 2, 3, 4, 5], { 0: 1, 1: -1, 2: 0.5, 3: 1, 4: 1, 5: -0.5 }, 64, rng);
const B = makeTask([3, 4, 5, 6, 7, 8, 9], { 3: -1, 4: 0.5, 5: 1, 6: 1, 7: -1, 8: 0.5, 9: 1 }, 64, rng);

const model = new Linear(D, 1, { bias: false, rng: new Rng(1) }).toDType('float64');
const params = model.parameters();
const lossOn = (t: Task): Tensor => F.mseLoss(model.forward(t.X), t.y);
const evalOn = (t: Task): number => noGrad(() => lossOn(t)).item();

function train(t: Task, steps: number, opts: { ewc?: EWC; basis?: GradientBasis } = {}): void {
  const opt = new SGD(params, { lr: 0.1 });
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    const loss = opts.ewc ? F.add(lossOn(t), opts.ewc.penalty()) : lossOn(t);
    loss.backward();
    if (opts.basis) projectGradients(params, opts.basis);
    opt.step();
  }
}

train(A, 400);
const thetaA = Float64Array.from(params[0]!.data);
const reset = (): void => params[0]!.data.set(thetaA);
const sampleA = A.rows.slice(0, 32).map((r) => tensor([r], undefined, { dtype: 'float64' }));

test('EWC and OGD reduce forgetting of task A versus plain sequential training', () => {
  assert.ok(evalOn(A) < 1e-10, 'task A learnt');
  reset();
  const plain = measureForgetting(() => evalOn(A), () => train(B, 300));
  const plainB = evalOn(B);

  reset();
  // True Fisher of the Gaussian likelihood: targets drawn from the model's own predictive N(f(x), 1).
  const noise = new Rng(5);
  const fisher = fisherDiagonal(params, sampleA, (x) => {
    const f = model.forward(x);
    const ySample = new Tensor(Float64Array.from(f.data, (v) => v + noise.normal()), f.shape);
    return F.mulScalar(F.sum(F.square(F.sub(ySample, f))), -0.5);
  });
  assert.ok(fisher[0]!.data.slice(6).every((v) => v === 0), 'features never seen by A have zero Fisher');
  const ewc = new EWC({ lambda: 10 }).consolidate(params, fisher);
  assert.ok(ewc.penalty().item() === 0);
  const withEwc = measureForgetting(() => evalOn(A), () => train(B, 300, { ewc }));

  reset();
  const basis = gradientBasis(params, sampleA, (x) => model.forward(x));
  assert.equal(basis.size, 6, 'the span of A inputs');
  const withOgd = measureForgetting(() => evalOn(A), () => train(B, 300, { basis }));

  assert.ok(plain.forgetting > 0.5, `plain forgetting ${plain.forgetting}`);
  assert.ok(withEwc.forgetting < 0.3 * plain.forgetting, `EWC ${withEwc.forgetting} vs plain ${plain.forgetting}`);
  assert.ok(Math.abs(withOgd.forgetting) < 1e-9, `OGD ${withOgd.forgetting}`);
  // B's weights on the features it shares with A conflict with A's; OGD may only move the others.
  const ogdB = evalOn(B);
  assert.ok(ogdB < 0.8 * makeBaseline(), `OGD still learns B in the free directions: ${ogdB} vs ${makeBaseline()}`);
  assert.ok(plainB < 1e-6);
});

function makeBaseline(): number {
  // Loss on B of task A's solution: what B training starts from.
  const saved = Float64Array.from(params[0]!.data);
  reset();
  const l = evalOn(B);
  params[0]!.data.set(saved);
  return l;
}

test('GradientBasis: orthonormal, drops spanned vectors, projection removes the span', () => {
  const b = new GradientBasis(4);
  assert.ok(b.add([1, 1, 0, 0]));
  assert.ok(b.add([1, 0, 1, 0]));
  assert.equal(b.add([2, 1, 1, 0]), false, 'in the span');
  const [u, v] = b.vectors as [Float64Array, Float64Array];
  const dot = (p: ArrayLike<number>, q: ArrayLike<number>): number => Array.from(p).reduce((s, x, i) => s + x * q[i]!, 0);
  assert.ok(Math.abs(dot(u, u) - 1) < 1e-14 && Math.abs(dot(v, v) - 1) < 1e-14 && Math.abs(dot(u, v)) < 1e-14);
  const p = new Tensor(new Float64Array(4), [2, 2], { requiresGrad: true });
  p.grad = new Tensor(Float64Array.from([3, -1, 2, 5]), [2, 2]);
  projectGradients([p], b);
  const g = flatGrad([p]);
  assert.ok(Math.abs(dot(g, u)) < 1e-14 && Math.abs(dot(g, v)) < 1e-14);
  assert.ok(Math.abs(g[3]! - 5) < 1e-14, 'the orthogonal part is kept');
});

test('forgetting metrics from a task matrix', () => {
  // Accuracies: R[i][j] after training task i, on task j.
  const R = [[0.9, 0.1, 0.1], [0.6, 0.95, 0.2], [0.5, 0.7, 0.9]];
  const f = forgettingFromMatrix(R, { higherIsBetter: true });
  assert.deepEqual(f.perTask.map((v) => +v.toFixed(10)), [0.4, 0.25]);
  assert.ok(Math.abs(f.average - 0.325) < 1e-12);
  assert.ok(Math.abs(f.backwardTransfer - (-0.4 - 0.25) / 2) < 1e-12);
  const losses = forgettingFromMatrix([[0.1, 2], [0.5, 0.2]]);
  assert.ok(Math.abs(losses.perTask[0]! - 0.4) < 1e-12);
  assert.deepEqual(measureForgetting(() => 0.9, () => {}, { higherIsBetter: true }).forgetting, 0);
});
