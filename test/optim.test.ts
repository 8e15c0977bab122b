/**
 * Golden tests: recur's optimizers, clipping and LR schedules against PyTorch numbers in
 * test/fixtures/optim.json (written by tools/gen_optim_fixtures.py; see its docstring for the setup).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor } from '../src/tensor/index.js';
import {
  SGD,
  clipGradNorm,
  clipGradValue,
  gradNorm,
  makeOptimizer,
  makeSchedule,
  type LRSchedule,
  type OptimizerConfig,
} from '../src/optim/index.js';

interface OptimCase {
  name: string;
  kind: OptimizerConfig['kind'];
  options: Record<string, unknown>;
  groups: Record<string, unknown>[] | null;
  skip: [number, number][] | null;
  f64: number[][];
  f32: number[][];
}
interface Fixture {
  torch: string;
  init: number[][];
  shapes: number[][];
  optim: OptimCase[];
  clip: { normType: number | 'inf'; maxNorm: number; total: number; clipped: number[] }[];
  clipValue: { clipValue: number; clipped: number[] };
  schedules: { name: string; config: LRSchedule; metrics: number[] | null; lrs: number[][] }[];
}

const FX = JSON.parse(readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8')) as Fixture;
type DType = 'float32' | 'float64';

function makeParams(dtype: DType): Tensor[] {
  return FX.init.map((v, i) => new Tensor(dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v), FX.shapes[i]!));
}

/** g = sin(0.7 s + 1.1 j + i) + 0.1 i, in the parameter's dtype; skipped parameters get null. */
function setGrads(params: Tensor[], s: number, skip: [number, number][] | null, scale = 1): void {
  params.forEach((p, i) => {
    if (skip?.some(([pi, ps]) => pi === i && ps === s)) {
      p.grad = null;
      return;
    }
    const g = p.data instanceof Float64Array ? new Float64Array(p.size) : new Float32Array(p.size);
    for (let j = 0; j < p.size; j++) g[j] = scale * (Math.sin(0.7 * s + 1.1 * j + i) + 0.1 * i);
    p.grad = new Tensor(g, p.shape);
  });
}

function flat(params: Tensor[]): number[] {
  return params.flatMap((p) => Array.from(p.data));
}

/** |a − b| ≤ rtol · max(|b|, floor) elementwise. */
function assertClose(actual: number[], expected: number[], rtol: number, what: string, floor = 1e-2): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, k) => {
    const b = expected[k]!;
    const tol = rtol * Math.max(Math.abs(b), floor);
    assert.ok(Math.abs(a - b) <= tol, `${what}[${k}]: got ${a}, PyTorch ${b} (|diff| ${Math.abs(a - b)} > ${tol})`);
  });
}

function buildOptimizer(c: OptimCase, params: Tensor[]) {
  const config = { kind: c.kind, ...c.options } as OptimizerConfig;
  if (c.groups === null) return makeOptimizer(params, config);
  return makeOptimizer(c.groups.map((g, i) => ({ params: [params[i]!], ...g })), config);
}

for (const dtype of ['float64', 'float32'] as const) {
  test(`optimizers match PyTorch step by step (${dtype})`, () => {
    for (const c of FX.optim) {
      const params = makeParams(dtype);
      const opt = buildOptimizer(c, params);
      const expected = dtype === 'float64' ? c.f64 : c.f32;
      for (let s = 1; s <= expected.length; s++) {
        setGrads(params, s, c.skip);
        opt.step();
        assertClose(flat(params), expected[s - 1]!, dtype === 'float64' ? 1e-6 : 1e-5, `${c.name} ${dtype} step ${s}`);
      }
      for (const p of params) assert.ok(p.data instanceof (dtype === 'float64' ? Float64Array : Float32Array));
    }
  });
}

test('float64 optimizers agree with PyTorch far beyond the 1e-6 tolerance', () => {
  let worst = 0;
  for (const c of FX.optim) {
    const params = makeParams('float64');
    const opt = buildOptimizer(c, params);
    c.f64.forEach((exp, k) => {
      setGrads(params, k + 1, c.skip);
      opt.step();
      flat(params).forEach((a, j) => (worst = Math.max(worst, Math.abs(a - exp[j]!) / Math.max(Math.abs(exp[j]!), 1e-2))));
    });
  }
  assert.ok(worst < 1e-12, `worst relative difference ${worst}`);
});

test('clipGradNorm matches clip_grad_norm_ (2, inf, 1, and no-op)', () => {
  for (const c of FX.clip) {
    for (const dtype of ['float64', 'float32'] as const) {
      const params = makeParams(dtype);
      setGrads(params, 1, null, 3);
      const normType = c.normType === 'inf' ? Infinity : c.normType;
      const rtol = dtype === 'float64' ? 1e-6 : 1e-5;
      const before = gradNorm(params, { normType });
      const total = clipGradNorm(params, c.maxNorm, { normType });
      assert.equal(total, before);
      assertClose([total], [c.total], rtol, `total norm ${c.normType} ${dtype}`);
      assertClose(flat(params.map((p) => p.grad!)), c.clipped, rtol, `clipped ${c.normType}/${c.maxNorm} ${dtype}`);
    }
  }
});

test('clipGradValue matches clip_grad_value_', () => {
  const params = makeParams('float64');
  setGrads(params, 1, null, 3);
  clipGradValue(params, FX.clipValue.clipValue);
  assertClose(flat(params.map((p) => p.grad!)), FX.clipValue.clipped, 1e-12, 'clip value');
});

test('clipping skips parameters without a gradient and returns 0 when none have one', () => {
  const params = makeParams('float64');
  assert.equal(clipGradNorm(params, 1), 0);
  assert.equal(gradNorm(params), 0);
  setGrads(params, 1, [[0, 1]]);
  const g1 = Array.from(params[1]!.grad!.data);
  const n = Math.sqrt(g1.reduce((a, x) => a + x * x, 0));
  assert.ok(Math.abs(clipGradNorm(params, 0.1) - n) < 1e-12);
  assert.equal(params[0]!.grad, null);
  assertClose(Array.from(params[1]!.grad!.data), g1.map((x) => x * (0.1 / (n + 1e-6))), 1e-12, 'scaled');
});

/** An SGD with two groups (lr 0.1 and 0.05), as in the fixture generator. */
function scheduleOptimizer(): SGD {
  const ps = [new Tensor(new Float64Array(1), [1]), new Tensor(new Float64Array(1), [1])];
  return new SGD([{ params: [ps[0]!], lr: 0.1 }, { params: [ps[1]!], lr: 0.05 }]);
}

test('schedules reproduce PyTorch LR sequences for 30 steps', () => {
  for (const sc of FX.schedules) {
    const opt = scheduleOptimizer();
    const sched = makeSchedule(opt, sc.config);
    const lrs = [opt.groups.map((g) => g.lr)];
    assert.deepEqual(sched.lastLr, lrs[0]);
    for (let t = 0; t < sc.lrs.length - 1; t++) {
      opt.step();
      sched.step(sc.metrics ? sc.metrics[t] : undefined);
      lrs.push([opt.getLr(0), opt.getLr(1)]);
      assert.deepEqual(sched.lastLr, lrs[t + 1]);
    }
    lrs.forEach((row, t) => assertClose(row, sc.lrs[t]!, 1e-6, `${sc.name} lr at step ${t}`, 1e-300));
  }
});

test('fixture came from PyTorch 2.x', () => {
  assert.match(FX.torch, /^2\./);
});
