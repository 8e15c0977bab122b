import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, randn, tensor } from '../src/tensor/index.js';
import { gradcheck } from '../src/autograd/index.js';
import * as F from '../src/ops/index.js';
import { Rng } from '../src/util/rng.js';

const rng = new Rng(42);
const r = (shape: number[], grad = true): Tensor => randn(shape, rng, { dtype: 'float64', requiresGrad: grad });
const pos = (shape: number[]): Tensor => {
  const t = r(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.abs(t.data[i]!) + 0.5;
  return t;
};

function check(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const res = gradcheck(f, inputs);
  assert.ok(res.ok, `${name}: ${res.worst} (max abs ${res.maxAbsErr})`);
}

test('broadcasting binary ops match finite differences', () => {
  check('add', F.add, [r([3, 1, 5]), r([4, 1])]);
  check('sub', F.sub, [r([2, 3]), r([3])]);
  check('mul', F.mul, [r([2, 3, 1]), r([1, 4])]);
  check('div', F.div, [r([3, 4]), pos([4])]);
  check('maximum', F.maximum, [r([5]), r([5])]);
});

test('unary ops match finite differences', () => {
  for (const f of [F.tanh, F.sigmoid, F.exp, F.softplus, F.neg, F.square]) check(f.name, f, [r([2, 3, 4])]);
  check('relu', F.relu, [pos([7])]);
  check('log', F.log, [pos([6])]);
  check('sqrt', F.sqrt, [pos([6])]);
  check('abs', F.abs, [pos([6])]);
  check('powScalar', (x) => F.powScalar(x, 3), [r([5])]);
  check('clamp', (x) => F.clamp(x, -0.5, 0.5), [r([9])]);
});

test('matmul and linear match finite differences', () => {
  check('matmul 2d', F.matmul, [r([3, 4]), r([4, 5])]);
  check('matmul nd', F.matmul, [r([2, 3, 4]), r([4, 2])]);
  check('matmul batched', F.matmul, [r([2, 3, 4]), r([2, 4, 3])]);
  check('matmul vec', F.matmul, [r([3, 4]), r([4])]);
  check('linear', F.linear, [r([2, 3, 4]), r([5, 4]), r([5])]);
});

test('reductions and softmax match finite differences', () => {
  check('sum all', (x) => F.sum(x), [r([3, 4])]);
  check('sum axes', (x) => F.sum(x, { axis: [0, 2], keepDim: true }), [r([2, 3, 4])]);
  check('mean', (x) => F.mean(x, { axis: -1 }), [r([2, 3, 4])]);
  check('max', (x) => F.max(x, 1), [r([2, 5, 3])]);
  check('softmax', (x) => F.softmax(x, 1), [r([2, 5, 3])]);
  check('logSoftmax', (x) => F.logSoftmax(x), [r([4, 6])]);
  check('logSumExp', (x) => F.logSumExp(x, 0), [r([4, 6])]);
});

test('shape ops match finite differences', () => {
  check('reshape', (x) => F.reshape(x, [4, -1]), [r([2, 3, 2])]);
  check('permute', (x) => F.permute(x, [2, 0, 1]), [r([2, 3, 4])]);
  check('transpose', (x) => F.transpose(x, 0, 1), [r([2, 3, 4])]);
  check('concat', (a, b) => F.concat([a, b], 1), [r([2, 3, 2]), r([2, 1, 2])]);
  check('stack', (a, b) => F.stack([a, b], -1), [r([2, 3]), r([2, 3])]);
  check('slice', (x) => F.slice(x, 1, 1, 3), [r([2, 4, 3])]);
  check('split', (x) => F.split(x, [1, 2], 0)[1]!, [r([3, 2])]);
});

test('values: matmul, softmax, permute on known numbers', () => {
  const a = tensor([[1, 2], [3, 4]]);
  const b = tensor([[5, 6], [7, 8]]);
  assert.deepEqual(F.matmul(a, b).toArray(), [[19, 22], [43, 50]]);
  const s = F.softmax(tensor([0, Math.log(3)]));
  assert.ok(Math.abs(s.data[1]! - 0.75) < 1e-7);
  assert.deepEqual(F.permute(tensor([[1, 2, 3], [4, 5, 6]]), [1, 0]).toArray(), [[1, 4], [2, 5], [3, 6]]);
});

test('gradients accumulate on leaves and a freed graph refuses a second backward', () => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  const y = F.sum(F.mul(x, x));
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assert.deepEqual(x.grad!.toFlatArray(), [4, 8, 12]);
  assert.throws(() => y.backward(), /second time|freed/);
  const z = F.sum(x);
  assert.throws(() => F.mul(x, x).backward(), /scalar/);
  assert.throws(() => F.add(tensor([1, 2]), tensor([1, 2, 3])), /add: expected shapes that broadcast/);
  z.backward();
});

test('shape errors name the op and the shapes', () => {
  assert.throws(() => F.matmul(tensor([[1, 2]]), tensor([[1, 2]])), /matmul: expected inner sizes/);
  assert.throws(() => F.reshape(tensor([1, 2, 3]), [2, 2]), /reshape: expected a shape with 3 elements/);
  assert.throws(() => F.slice(tensor([1, 2, 3]), 0, 2, 5), /slice/);
});

test('defineOp: a user op with its own backward passes gradcheck and is recorded once', async () => {
  const { defineOp } = await import('../src/autograd/index.js');
  const cube = defineOp({
    name: 'cube',
    forward: (x: Tensor) => ({ output: F.powScalar(x, 3), saved: x.data }),
    backward: (xd, g) => [g.map((gi, i) => 3 * xd[i]! ** 2 * gi)],
  });
  check('cube', cube, [r([4])]);
  const y = cube(r([3]));
  assert.equal(y.node!.name, 'cube');
  assert.equal(y.node!.inputs[0]!.node, null);
});

test('setBackend rejects unknown names, null and non-backends with a typed error', async () => {
  const { setBackend, getBackend, OptionError } = await import('../src/index.js');
  const before = getBackend();
  assert.throws(() => setBackend('gpu' as never), OptionError);
  assert.throws(() => setBackend(null as never), OptionError);
  assert.throws(() => setBackend({ name: 'x' } as never), OptionError);
  assert.equal(getBackend(), before);
});
