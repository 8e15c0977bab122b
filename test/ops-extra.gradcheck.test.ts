import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, randn, tensor, uniform } from '../src/tensor/index.js';
import { gradcheck } from '../src/autograd/index.js';
import * as F from '../src/ops/index.js';
import { Rng } from '../src/util/rng.js';
import { NonFiniteError, OptionError, ShapeError, ValueError } from '../src/util/errors.js';

const rng = new Rng(7);
const r = (shape: number[], grad = true): Tensor => randn(shape, rng, { dtype: 'float64', requiresGrad: grad });
const u = (shape: number[], lo: number, hi: number, grad = true): Tensor =>
  uniform(shape, lo, hi, rng, { dtype: 'float64', requiresGrad: grad });
const t64 = (values: number[], shape: number[], grad = false): Tensor =>
  tensor(values, shape, { dtype: 'float64', requiresGrad: grad });

function check(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const res = gradcheck(f, inputs);
  assert.ok(res.ok, `${name}: ${res.worst} (max abs ${res.maxAbsErr})`);
}

const REDUCTIONS = ['mean', 'sum', 'none'] as const;

test('indexing ops match finite differences', () => {
  check('indexSelect', (x) => F.indexSelect(x, 1, [2, 0, 2]), [r([2, 3, 2])]);
  check('indexSelect neg axis', (x) => F.indexSelect(x, -1, new Int32Array([1, 1])), [r([3, 2])]);
  check('gather', (x) => F.gather(x, 0, { data: [1, 0, 1, 1, 0, 0], shape: [2, 3] }), [r([2, 4])]);
  check('gather axis 2', (x) => F.gather(x, 2, { data: [0, 2, 2, 1], shape: [1, 2, 2] }), [r([2, 2, 3])]);
  check('embedding', (w) => F.embedding(w, [3, 1, 3, 0], [2, 2]), [r([4, 3])]);
});

test('conv1d matches finite differences', () => {
  check('conv1d plain', (x, w, b) => F.conv1d(x, w, b), [r([2, 3, 6]), r([4, 3, 3]), r([4])]);
  check('conv1d stride/pad/dilation', (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 2, dilation: 2 }), [r([1, 2, 7]), r([3, 2, 3]), r([3])]);
  check('conv1d groups', (x, w) => F.conv1d(x, w, null, { groups: 2, padding: 1 }), [r([2, 4, 5]), r([6, 2, 2])]);
  check('conv1d same', (x, w) => F.conv1d(x, w, null, { padding: 'same', dilation: 2 }), [r([1, 2, 6]), r([2, 2, 4])]);
  check('conv1d unbatched', (x, w) => F.conv1d(x, w), [r([2, 5]), r([3, 2, 2])]);
});

test('dropout variants match finite differences (fixed seed)', () => {
  check('dropout', (x) => F.dropout(x, 0.4, { training: true, rng: new Rng(3) }), [r([3, 5])]);
  check('timeLocked', (x) => F.timeLockedDropout(x, 0.5, { training: true, rng: new Rng(4) }), [r([3, 2, 4])]);
  check('timeLocked bf', (x) => F.timeLockedDropout(x, 0.5, { training: true, rng: new Rng(4), batchFirst: true }), [r([2, 3, 4])]);
});

test('pointwise losses match finite differences for every reduction, mask and weight', () => {
  const mask = t64([1, 0, 1, 1, 1, 0], [3, 2, 1]); // (T, B, 1) over a (T, B, F) loss
  for (const reduction of REDUCTIONS) {
    const o = { reduction, mask };
    check(`mse ${reduction}`, (x, t, w) => F.mseLoss(x, t, { ...o, weight: w }), [r([3, 2, 3]), r([3, 2, 3]), u([3], 0.5, 2)]);
    check(`l1 ${reduction}`, (x, t) => F.l1Loss(x, t, o), [r([3, 2, 3]), r([3, 2, 3])]);
    check(`huber ${reduction}`, (x, t, w) => F.huberLoss(x, t, { ...o, weight: w, delta: 0.8 }), [r([3, 2, 3]), r([3, 2, 3]), u([2, 1], 0.5, 2)]);
    check(`bce ${reduction}`, (p, t) => F.bce(p, t, o), [u([3, 2, 2], 0.05, 0.95), u([3, 2, 2], 0, 1)]);
    check(`bceWithLogits ${reduction}`, (x, t, pw, w) => F.bceWithLogits(x, t, { ...o, posWeight: pw, weight: w }),
      [r([3, 2, 4]), u([3, 2, 4], 0, 1), u([4], 0.5, 3), u([3, 2, 4], 0.2, 2)]);
  }
  check('mse plain', (x, t) => F.mseLoss(x, t), [r([4]), r([4])]);
  check('bceWithLogits plain', (x, t) => F.bceWithLogits(x, t), [r([2, 3]), u([2, 3], 0, 1)]);
});

test('likelihood losses match finite differences', () => {
  // Targets stay away from 1, where the Stirling term switches on.
  const counts = (shape: number[]): Tensor => {
    const t = u(shape, 1.5, 6);
    for (let i = 0; i < t.size; i += 3) t.data[i] = 0.25;
    return t;
  };
  for (const reduction of REDUCTIONS) {
    check(`poisson log ${reduction}`, (x, t) => F.poissonNllLoss(x, t, { reduction }), [r([3, 4]), counts([3, 4])]);
    check(`poisson full ${reduction}`, (x, t) => F.poissonNllLoss(x, t, { reduction, logInput: false, full: true }),
      [u([3, 4], 0.2, 3), counts([3, 4])]);
    check(`gaussian ${reduction}`, (m, t, v) => F.gaussianNllLoss(m, t, v, { reduction, full: true }), [r([3, 4]), r([3, 4]), u([3, 4], 0.2, 2)]);
  }
  check('gaussian homoscedastic (N)', (m, t, v) => F.gaussianNllLoss(m, t, v), [r([3, 4]), r([3, 4]), u([3], 0.2, 2)]);
  check('gaussian size-1 axis', (m, t, v) => F.gaussianNllLoss(m, t, v, { mask: t64([1, 0, 1], [3, 1]) }), [r([3, 4]), r([3, 4]), u([1, 4], 0.2, 2)]);
});

test('crossEntropy matches finite differences with classWeight, ignoreIndex, smoothing, mask', () => {
  const classWeight = u([4], 0.3, 2, false);
  const y = [0, 3, 1, 2, 1];
  for (const reduction of REDUCTIONS) {
    const o = { reduction, classWeight, ignoreIndex: 1, labelSmoothing: 0.1 };
    check(`ce ${reduction}`, (z) => F.crossEntropy(z, y, o), [r([5, 4])]);
    check(`ce mask+weight ${reduction}`, (z, w) => F.crossEntropy(z, y, { ...o, mask: t64([1, 1, 0, 1, 1], [5]), weight: w }), [r([5, 4]), u([5], 0.5, 2)]);
  }
  const cw3 = u([3], 0.5, 2, false);
  check('ce k-dim', (z) => F.crossEntropy(z, [0, 2, -100, 1, 2, 0], { classWeight: cw3 }), [r([2, 3, 3])]);
  check('ce k-dim mask', (z) => F.crossEntropy(z, [0, 2, 1, 1, 2, 0], { mask: t64([1, 1, 0, 1, 0, 0], [2, 3]), labelSmoothing: 0.3 }), [r([2, 3, 3])]);
  check('ce unbatched', (z) => F.crossEntropy(z, [2]), [r([4])]);
});

// ---------------------------------------------------------------- PyTorch fixtures
interface Arr { shape: number[]; data: number[] }
interface Case { inputs: Record<string, Arr>; opts: Record<string, unknown>; out: Arr; upstream?: Arr; grads?: Record<string, Arr> }
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/losses.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };

const isArr = (v: unknown): v is Arr => typeof v === 'object' && v !== null && 'shape' in v && 'data' in v;

function runCase(name: string, c: Case, ts: Record<string, Tensor>): Tensor {
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.opts)) opts[k] = isArr(v) ? t64(v.data, v.shape) : v;
  const ints = (k: string): number[] => c.inputs[k]!.data;
  const kind = name.replace(/_.*/, '');
  switch (kind) {
    case 'mse': return F.mseLoss(ts.input!, ts.target!, { ...opts, mask: ts.mask ?? null, weight: ts.weight ?? null });
    case 'l1': return F.l1Loss(ts.input!, ts.target!, opts);
    case 'huber': return F.huberLoss(ts.input!, ts.target!, opts);
    case 'ce': return F.crossEntropy(ts.logits!, ints('target'), opts);
    case 'bcel': return F.bceWithLogits(ts.logits!, ts.target!, { ...opts, posWeight: ts.posWeight ?? null, weight: ts.weight ?? null });
    case 'bce': return F.bce(ts.input!, ts.target!, opts);
    case 'poisson': return F.poissonNllLoss(ts.input!, ts.target!, opts);
    case 'gauss': return F.gaussianNllLoss(ts.mean!, ts.target!, ts.var!, opts);
    case 'conv1d': return F.conv1d(ts.x!, ts.weight!, ts.bias ?? null, opts);
    case 'embedding': return F.embedding(ts.weight!, ints('indices'), c.inputs.indices!.shape, opts);
    case 'gather': return F.gather(ts.x!, opts.axis as number, { data: ints('index'), shape: c.inputs.index!.shape });
    case 'index': return F.indexSelect(ts.x!, opts.axis as number, ints('indices'));
    default: throw new Error(`no runner for fixture ${name}`);
  }
}

function assertClose(what: string, got: Tensor, want: Arr): void {
  assert.deepEqual([...got.shape], want.shape, `${what}: shape`);
  want.data.forEach((w, i) => {
    const g = got.data[i]!;
    assert.ok(Math.abs(g - w) <= 1e-5 * Math.abs(w) + 1e-9, `${what}[${i}]: got ${g}, PyTorch ${w}`);
  });
}

test('losses and ops agree with PyTorch (test/fixtures/losses.json)', () => {
  const names = Object.keys(fixtures.cases);
  assert.ok(names.length >= 20);
  for (const name of names) {
    const c = fixtures.cases[name]!;
    const ts: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(c.inputs)) ts[k] = t64(v.data, v.shape, c.grads !== undefined && k in c.grads);
    const out = runCase(name, c, ts);
    assertClose(`${name} out`, out, c.out);
    if (!c.grads) continue;
    out.backward(c.upstream ? t64(c.upstream.data, c.upstream.shape) : undefined);
    for (const [k, g] of Object.entries(c.grads)) assertClose(`${name} grad ${k}`, ts[k]!.grad!, g);
  }
});

// ---------------------------------------------------------------- semantics
test('mask removes padded steps from numerator and denominator', () => {
  const x = r([4, 2, 3], false);
  const t = r([4, 2, 3], false);
  const mask = t64([1, 1, 1, 0, 0, 0, 0, 0], [4, 2, 1]);
  const masked = F.mseLoss(x, t, { mask }).item();
  const kept = F.mseLoss(F.slice(x, 0, 0, 2), F.slice(t, 0, 0, 2), { mask: t64([1, 1, 1, 0], [2, 2, 1]) }).item();
  assert.ok(Math.abs(masked - kept) < 1e-12);
  const direct = F.mseLoss(F.reshape(F.slice(x, 0, 0, 2), [-1]), F.reshape(F.slice(t, 0, 0, 2), [-1])).item();
  const firstRows = F.mseLoss(F.slice(F.reshape(x, [8, 3]), 0, 0, 3), F.slice(F.reshape(t, [8, 3]), 0, 0, 3)).item();
  assert.ok(Math.abs(masked - firstRows) < 1e-12 && direct !== masked);
  // weighted mean = Σ w·l / Σ w
  const w = t64([1, 2, 3], [3]);
  const l = F.mseLoss(x, t, { reduction: 'none' });
  let num = 0;
  let den = 0;
  for (let i = 0; i < l.size; i++) {
    num += l.data[i]! * (i % 3 + 1);
    den += i % 3 + 1;
  }
  assert.ok(Math.abs(F.mseLoss(x, t, { weight: w }).item() - num / den) < 1e-12);
  // 'none' zeroes masked elements; a float32 mask is accepted for float64 losses.
  const none = F.l1Loss(x, t, { reduction: 'none', mask: tensor([0, 1, 1, 1, 1, 1, 1, 1], [4, 2, 1]) });
  assert.deepEqual([none.data[0], none.data[1], none.data[2]], [0, 0, 0]);
});

test('crossEntropy: all targets ignored gives NaN (as PyTorch); embedding padding row gets no gradient', () => {
  assert.ok(Number.isNaN(F.crossEntropy(r([2, 3], false), [-100, -100]).item()));
  const w = r([4, 2]);
  F.sum(F.embedding(w, [1, 2, 1, 0], null, { paddingIdx: -3 })).backward();
  assert.deepEqual(w.grad!.toFlatArray(), [1, 1, 0, 0, 1, 1, 0, 0]);
});

test('dropout: scaling, identity, p = 1, reproducible masks, time-locked sharing', () => {
  const x = tensor(new Float32Array(20000).fill(1), [100, 200]);
  assert.equal(F.dropout(x, 0.3, { training: false, rng: new Rng(1) }), x);
  assert.equal(F.dropout(x, 0, { training: true, rng: new Rng(1) }), x);
  const y = F.dropout(x, 0.3, { training: true, rng: new Rng(1) });
  let zeros = 0;
  for (const v of y.data) {
    if (v === 0) zeros++;
    else assert.ok(Math.abs(v - 1 / 0.7) < 1e-6);
  }
  assert.ok(Math.abs(zeros / x.size - 0.3) < 0.02, `drop rate ${zeros / x.size}`);
  assert.deepEqual(F.dropout(x, 0.3, { training: true, rng: new Rng(1) }).data, y.data);
  assert.ok(F.dropout(x, 1, { training: true, rng: new Rng(1) }).data.every((v) => v === 0));
  const m = F.variationalMask(3, 5, 0.5, new Rng(2), 'float64');
  assert.ok(m instanceof Float64Array && m.length === 15 && m.every((v) => v === 0 || v === 2));
  const s = tensor(new Float32Array(4 * 3 * 5).fill(1), [4, 3, 5]); // (T, B, F)
  const tl = F.timeLockedDropout(s, 0.5, { training: true, rng: new Rng(2) });
  for (let t = 0; t < 4; t++) assert.deepEqual(Array.from(tl.data.subarray(t * 15, t * 15 + 15)), Array.from(m));
  const bf = F.timeLockedDropout(s, 0.5, { training: true, rng: new Rng(2), batchFirst: true }); // (B=4, T=3, F=5)
  const m4 = F.variationalMask(4, 5, 0.5, new Rng(2), 'float32');
  for (let b = 0; b < 4; b++) for (let t = 0; t < 3; t++) {
    assert.deepEqual(Array.from(bf.data.subarray((b * 3 + t) * 5, (b * 3 + t) * 5 + 5)), Array.from(m4.subarray(b * 5, b * 5 + 5)));
  }
});

// ---------------------------------------------------------------- errors
test('errors: shapes, non-finite values, bad indices, bad p, bad options', () => {
  const a = r([2, 3], false);
  assert.throws(() => F.mseLoss(a, r([3, 2], false)), (e) => e instanceof ShapeError && /mseLoss: expected target of the input's shape \[2, 3\], got \[3, 2\]/.test(e.message));
  assert.throws(() => F.mseLoss(a, a, { mask: t64([1, 0], [2, 1, 1]) }), ShapeError);
  assert.throws(() => F.mseLoss(a, a, { mask: t64([1, 0.5, 1], [3]) }), /mask of 0s and 1s, got 0.5 at element 1/);
  const bad = t64([0, 1, NaN, 3, 4, 5], [2, 3]);
  assert.throws(() => F.mseLoss(bad, a), (e) => e instanceof NonFiniteError && /mseLoss: expected finite values, got NaN in input at element 2/.test(e.message));
  assert.throws(() => F.huberLoss(a, t64([0, Infinity, 0, 0, 0, 0], [2, 3])), /huberLoss: .*Infinity in target at element 1/);
  assert.throws(() => F.crossEntropy(bad, [0, 1]), /crossEntropy: .*NaN in input at element 2/);
  assert.throws(() => F.gaussianNllLoss(a, a, t64([1, NaN], [2])), /gaussianNllLoss: .*NaN in var at element 1/);
  assert.throws(() => F.gaussianNllLoss(a, a, t64([1, -1], [2])), ValueError);
  assert.throws(() => F.gaussianNllLoss(a, a, t64([1, 1, 1, 1], [2, 2])), ShapeError);
  assert.throws(() => F.assertFinite(bad, 'myOp'), /myOp: expected finite values, got NaN at element 2 of \[2, 3\]/);
  F.assertFinite(a, 'ok');
  assert.throws(() => F.bce(t64([0.5, 1.5], [2]), t64([0, 1], [2])), /bce: expected input probabilities in \[0, 1\], got 1.5 at element 1/);
  assert.throws(() => F.crossEntropy(a, [0, 3]), (e) => e instanceof ValueError && /crossEntropy: expected indices in \[0, 3\) or -100, got 3 at position 1/.test(e.message));
  assert.throws(() => F.crossEntropy(a, [0]), ShapeError);
  assert.throws(() => F.crossEntropy(a, [0, 1], { classWeight: t64([1, 1], [2]) }), ShapeError);
  assert.throws(() => F.crossEntropy(a, [0, 1], { labelSmoothing: 1.5 }), ValueError);
  assert.throws(() => F.mseLoss(a, a, { reduction: 'avg' as 'mean' }), OptionError);
  assert.throws(() => F.mseLoss(a, a, { reductio: 'sum' } as object), /unknown option "reductio"/);
  assert.throws(() => F.huberLoss(a, a, { delta: 0 }), ValueError);
  // indices
  assert.throws(() => F.embedding(r([6, 2], false), [0, 5, 7]), (e) => e instanceof ValueError && /embedding: expected indices in \[0, 6\), got 7 at position 2/.test(e.message));
  assert.throws(() => F.embedding(r([6, 2], false), [0, 1.5]), /got 1.5 at position 1/);
  assert.throws(() => F.embedding(r([6, 2], false), [0, 1, 2], [2, 2]), ShapeError);
  assert.throws(() => F.embedding(r([6, 2], false), [0], null, { paddingIdx: 6 }), /paddingIdx in \[-6, 6\)/);
  assert.throws(() => F.indexSelect(a, 1, [0, -1]), /indexSelect: expected indices in \[0, 3\), got -1 at position 1/);
  assert.throws(() => F.gather(a, 1, { data: [0, 3], shape: [2, 1] }), /gather: expected indices in \[0, 3\), got 3 at position 1/);
  assert.throws(() => F.gather(a, 1, { data: [0, 0, 0], shape: [3, 1] }), ShapeError);
  assert.throws(() => F.gather(a, 1, { data: [0, 0], shape: [2] }), ShapeError);
  // dropout p
  for (const p of [-0.1, 1.5, NaN]) {
    assert.throws(() => F.dropout(a, p, { training: true, rng: new Rng(1) }), (e) => e instanceof ValueError && /dropout: expected a dropout probability p in \[0, 1\]/.test(e.message));
    assert.throws(() => F.variationalMask(2, 3, p, new Rng(1)), ValueError);
    assert.throws(() => F.timeLockedDropout(r([2, 2, 2], false), p, { training: false, rng: new Rng(1) }), ValueError);
  }
  assert.throws(() => F.timeLockedDropout(a, 0.1, { training: true, rng: new Rng(1) }), ShapeError);
  // conv1d
  const x = r([1, 4, 5], false);
  assert.throws(() => F.conv1d(x, r([2, 3, 2], false)), /conv1d: expected weight \(2, 4, K\)/);
  assert.throws(() => F.conv1d(x, r([3, 2, 2], false), null, { groups: 2 }), ValueError);
  assert.throws(() => F.conv1d(x, r([2, 4, 9], false)), /conv1d: expected padded length 5 >= dilated kernel 9/);
  assert.throws(() => F.conv1d(x, r([2, 4, 2], false), r([3], false)), /bias \(2\)/);
  assert.throws(() => F.conv1d(x, r([2, 4, 2], false), null, { stride: 0 }), ValueError);
  assert.throws(() => F.conv1d(x, r([2, 4, 2], false), null, { padding: 'same', stride: 2 }), ValueError);
  assert.throws(() => F.conv1d(x, r([2, 4, 2], false), null, { pad: 1 } as object), OptionError);
});
