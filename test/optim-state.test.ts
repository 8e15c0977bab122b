/** Optimizer and schedule state dicts, option validation and typed errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../src/tensor/index.js';
import { NonFiniteError, OptionError, StateDictError, ValueError } from '../src/util/errors.js';
import {
  Adam,
  AdamW,
  RMSprop,
  SGD,
  StepLR,
  CosineWithWarmup,
  ReduceLROnPlateau,
  clipGradNorm,
  clipGradValue,
  makeOptimizer,
  makeSchedule,
  type AdamOptions,
  type LRSchedule,
  type OptimizerConfig,
  type OptimizerState,
} from '../src/optim/index.js';

const INIT = [[0.5, -0.3, 0.8, -1.2, 0.1, 0.4], [1.0, -0.7, 0.25, -0.05]];
const SHAPES = [[2, 3], [4]];

function makeParams(dtype: 'float32' | 'float64' = 'float64', init = INIT): Tensor[] {
  return init.map((v, i) => new Tensor(dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v), SHAPES[i]!));
}
function setGrads(params: Tensor[], s: number, skip: [number, number][] = []): void {
  params.forEach((p, i) => {
    if (skip.some(([a, b]) => a === i && b === s)) return void (p.grad = null);
    const g = p.data instanceof Float64Array ? new Float64Array(p.size) : new Float32Array(p.size);
    for (let j = 0; j < p.size; j++) g[j] = Math.sin(0.7 * s + 1.1 * j + i) + 0.1 * i;
    p.grad = new Tensor(g, p.shape);
  });
}
const values = (ps: Tensor[]): number[] => ps.flatMap((p) => Array.from(p.data));

const CONFIGS: OptimizerConfig[] = [
  { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 },
  { kind: 'sgd', lr: 0.05, momentum: 0.8, nesterov: true },
  { kind: 'adam', lr: 0.05, betas: [0.8, 0.95], weightDecay: 0.1, amsgrad: true },
  { kind: 'adamw', lr: 0.02, amsgrad: true },
  { kind: 'rmsprop', lr: 0.01, alpha: 0.9, momentum: 0.9, centered: true, weightDecay: 0.05 },
];
const SKIP: [number, number][] = [[1, 2], [0, 5]];

for (const dtype of ['float64', 'float32'] as const) {
  test(`stateDict round trip mid-run continues bit for bit (${dtype})`, () => {
    for (const config of CONFIGS) {
      const straight = makeParams(dtype);
      const a = makeOptimizer(straight, config);
      for (let s = 1; s <= 5; s++) {
        setGrads(straight, s, SKIP);
        a.step();
      }
      const resumed = makeParams(dtype);
      const b = makeOptimizer(resumed, config);
      for (let s = 1; s <= 3; s++) {
        setGrads(resumed, s, SKIP);
        b.step();
      }
      // a checkpoint: JSON metadata plus typed-array buffers
      const saved = b.stateDict();
      const { buffers, ...meta } = saved;
      const restored: OptimizerState = { ...JSON.parse(JSON.stringify(meta)), buffers: structuredClone(buffers) };
      const c = makeOptimizer(resumed.map((p) => p.clone()), { ...config, lr: 123 } as OptimizerConfig);
      c.loadStateDict(restored);
      assert.equal(c.lr, config.lr, `${config.kind}: lr restored from the state dict`);
      const ps = c.params as Tensor[];
      for (let s = 4; s <= 5; s++) {
        setGrads(ps, s, SKIP);
        c.step();
      }
      assert.deepEqual(values(ps), values(straight), `${config.kind} ${dtype}`);
      assert.deepEqual(c.stateDict(), a.stateDict());
    }
  });
}

test('stateDict names buffers by parameter index, copies them, and keeps the dtype', () => {
  const ps = makeParams('float32');
  const opt = new Adam(ps, { amsgrad: true });
  setGrads(ps, 1, [[0, 1]]);
  opt.step();
  const s = opt.stateDict();
  assert.deepEqual(Object.keys(s.buffers).sort(), ['exp_avg.1', 'exp_avg_sq.1', 'max_exp_avg_sq.1']);
  assert.deepEqual(s.step, [0, 1]);
  assert.deepEqual(s.shapes, SHAPES);
  assert.ok(s.buffers['exp_avg.1'] instanceof Float32Array);
  s.buffers['exp_avg.1']![0] = 99;
  assert.notEqual(opt.stateDict().buffers['exp_avg.1']![0], 99);
  assert.deepEqual(s.groups, [{ params: [0, 1], lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false }]);
});

test('loadStateDict casts float32 state onto float64 parameters', () => {
  const p32 = makeParams('float32');
  const a = new RMSprop(p32, { momentum: 0.5 });
  setGrads(p32, 1);
  a.step();
  const b = new RMSprop(makeParams('float64'), { momentum: 0.5 });
  b.loadStateDict(a.stateDict());
  const buf = b.stateDict().buffers['square_avg.0']!;
  assert.ok(buf instanceof Float64Array);
  assert.deepEqual(Array.from(buf), Array.from(a.stateDict().buffers['square_avg.0']!));
});

function steppedAdam(): { opt: Adam; state: OptimizerState } {
  const ps = makeParams();
  const opt = new Adam(ps, { lr: 0.1 });
  setGrads(ps, 1);
  opt.step();
  return { opt, state: opt.stateDict() };
}

test('loadStateDict rejects mismatched state dicts with typed errors naming the key', () => {
  const { state } = steppedAdam();
  const fresh = (): Adam => new Adam(makeParams(), { lr: 0.1 });
  const sgd = new SGD(makeParams());
  assert.throws(() => sgd.loadStateDict(state), (e: unknown) => e instanceof ValueError && /kind 'sgd'.*'adam'/.test(e.message));
  assert.throws(() => new AdamW(makeParams()).loadStateDict(state), ValueError);
  const twoGroups = new Adam([{ params: [makeParams()[0]!] }, { params: [makeParams()[1]!] }]);
  assert.throws(() => twoGroups.loadStateDict(state), (e: unknown) => e instanceof ValueError && /groups of length 2/.test(e.message));
  const oneParam = new Adam([makeParams()[0]!]);
  assert.throws(() => oneParam.loadStateDict(state), (e: unknown) => e instanceof ValueError && /groups\[0\]\.params/.test(e.message));

  const short = { ...state, buffers: { ...state.buffers, 'exp_avg.1': new Float64Array(3) } };
  assert.throws(() => fresh().loadStateDict(short), (e: unknown) => e instanceof StateDictError && e.misShaped[0]!.startsWith('exp_avg.1'));
  const { ['exp_avg_sq.0']: _gone, ...rest } = state.buffers;
  assert.throws(() => fresh().loadStateDict({ ...state, buffers: rest }), (e: unknown) => e instanceof StateDictError && e.missing.includes('exp_avg_sq.0'));
  const extra = { ...state, buffers: { ...state.buffers, 'momentum_buffer.0': new Float64Array(6), 'exp_avg.7': new Float64Array(1) } };
  assert.throws(() => fresh().loadStateDict(extra), (e: unknown) => e instanceof StateDictError && e.unexpected.join() === 'momentum_buffer.0,exp_avg.7');
  const amsgrad = { ...state, groups: [{ ...state.groups[0]!, amsgrad: true }] };
  assert.throws(() => fresh().loadStateDict(amsgrad), (e: unknown) => e instanceof StateDictError && e.missing.includes('max_exp_avg_sq.0'));
  const reshaped = { ...state, shapes: [[3, 2], [4]] };
  assert.throws(() => fresh().loadStateDict(reshaped), (e: unknown) => e instanceof StateDictError && /shapes\[0\]/.test(e.misShaped[0]!));
  const badHyper = { ...state, groups: [{ ...state.groups[0]!, foo: 1 }] };
  assert.throws(() => fresh().loadStateDict(badHyper), (e: unknown) => e instanceof StateDictError && e.unexpected.includes('groups[0].foo'));
  const badLr = { ...state, groups: [{ ...state.groups[0]!, lr: -1 }] };
  assert.throws(() => fresh().loadStateDict(badLr), (e: unknown) => e instanceof ValueError && /lr >= 0/.test(e.message));
  assert.throws(() => fresh().loadStateDict({ ...state, step: [1] }), (e: unknown) => e instanceof ValueError && /step of length 2/.test(e.message));
});

test('a failed loadStateDict leaves the optimizer unchanged', () => {
  const { opt, state } = steppedAdam();
  const before = opt.stateDict();
  const bad = { ...state, groups: [{ ...state.groups[0]!, lr: 0.5 }], buffers: { ...state.buffers, 'exp_avg.0': new Float64Array(2) } };
  assert.throws(() => opt.loadStateDict(bad), StateDictError);
  assert.deepEqual(opt.stateDict(), before);
});

test('unknown and out-of-range options throw typed errors naming the option', () => {
  const ps = makeParams();
  assert.throws(
    () => new Adam(ps, { lr: 1e-3, betas: [0.9, 0.999], foo: 1 } as AdamOptions),
    (e: unknown) => e instanceof OptionError && /'foo'/.test(e.message),
  );
  assert.throws(() => new SGD([{ params: ps, lrr: 1 } as never]), (e: unknown) => e instanceof OptionError && /'lrr'/.test(e.message));
  assert.throws(() => makeOptimizer(ps, { kind: 'adagrad' } as never), OptionError);
  assert.throws(() => makeOptimizer(ps, { kind: 'rmsprop', betas: [0.9, 0.9] } as never), OptionError);
  const bad: [() => unknown, RegExp][] = [
    [() => new SGD(ps, { lr: -0.1 }), /lr >= 0/],
    [() => new SGD(ps, { momentum: -1 }), /momentum/],
    [() => new SGD(ps, { nesterov: true }), /nesterov/],
    [() => new SGD(ps, { momentum: 0.9, dampening: 0.1, nesterov: true }), /nesterov/],
    [() => new Adam(ps, { betas: [1, 0.999] }), /betas\[0\]/],
    [() => new Adam(ps, { betas: [0.9, -0.1] }), /betas\[1\]/],
    [() => new AdamW(ps, { eps: -1 }), /eps/],
    [() => new AdamW(ps, { weightDecay: -1 }), /weightDecay/],
    [() => new RMSprop(ps, { alpha: -0.5 }), /alpha/],
    [() => new RMSprop(ps, { centered: 1 as never }), /centered a boolean/],
    [() => new Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: Number.NaN }]), /group 1.*lr/],
    [() => new Adam([]), /non-empty/],
    [() => new Adam([{ params: ps }, { params: [ps[0]!] }]), /only one group/],
  ];
  for (const [fn, re] of bad) assert.throws(fn, (e: unknown) => e instanceof ValueError && re.test(e.message));
});

test('zeroGrad sets grads to null; lr getter/setter per group; groups override defaults', () => {
  const ps = makeParams();
  const opt = new Adam([{ params: [ps[0]!], lr: 0.5 }, { params: [ps[1]!] }], { lr: 0.1, eps: 1e-6 });
  assert.deepEqual([opt.getLr(0), opt.getLr(1), opt.lr], [0.5, 0.1, 0.5]);
  assert.equal(opt.groups[0]!.eps, 1e-6);
  opt.setLr(0.2, 1);
  assert.equal(opt.getLr(1), 0.2);
  opt.lr = 0.3;
  assert.deepEqual(opt.groups.map((g) => g.lr), [0.3, 0.3]);
  assert.throws(() => opt.setLr(-1, 0), ValueError);
  assert.throws(() => opt.getLr(2), ValueError);
  setGrads(ps, 1);
  opt.zeroGrad();
  assert.ok(ps.every((p) => p.grad === null));
  const before = values(ps);
  opt.step();
  assert.deepEqual(values(ps), before, 'no grads: nothing moves');
  assert.deepEqual(opt.stateDict().step, [0, 0]);
});

test('clip errors: non-finite norms, bad options', () => {
  const ps = makeParams();
  setGrads(ps, 1);
  ps[1]!.grad!.data[2] = Number.NaN;
  assert.throws(() => clipGradNorm(ps, 1, { errorIfNonfinite: true }), NonFiniteError);
  assert.ok(Number.isNaN(clipGradNorm(ps, 1)));
  assert.throws(() => clipGradNorm(ps, 1, { norm: 2 } as never), (e: unknown) => e instanceof OptionError && /'norm'/.test(e.message));
  assert.throws(() => clipGradNorm(ps, 1, { normType: 0 }), ValueError);
  assert.throws(() => clipGradNorm(ps, -1), ValueError);
  assert.throws(() => clipGradValue(ps, -1), ValueError);
});

function twoGroupSgd(): SGD {
  const ps = makeParams();
  return new SGD([{ params: [ps[0]!], lr: 0.1 }, { params: [ps[1]!], lr: 0.05 }]);
}

test('schedule state dicts resume identically (through JSON)', () => {
  const metrics = Array.from({ length: 30 }, (_, t) => Math.max(0.3, 1 / (1 + 0.4 * t)));
  const configs: LRSchedule[] = [
    { kind: 'step', stepSize: 4, gamma: 0.5 },
    { kind: 'cosineWithWarmup', warmupSteps: 3, totalSteps: 20, minLr: 1e-3 },
    { kind: 'reduceLROnPlateau', patience: 2, cooldown: 1, factor: 0.5, minLr: [0.02, 0] },
  ];
  for (const config of configs) {
    const run = (opt: SGD, sched: ReturnType<typeof makeSchedule>, from: number, to: number, out: number[][]): void => {
      for (let t = from; t < to; t++) {
        opt.step();
        sched.step(metrics[t]);
        out.push([...sched.lastLr]);
      }
    };
    const straightOpt = twoGroupSgd();
    const straight: number[][] = [];
    run(straightOpt, makeSchedule(straightOpt, config), 0, 30, straight);
    const o1 = twoGroupSgd();
    const s1 = makeSchedule(o1, config);
    const resumed: number[][] = [];
    run(o1, s1, 0, 12, resumed);
    const saved = JSON.parse(JSON.stringify({ sched: s1.stateDict(), opt: { ...o1.stateDict(), buffers: {} } }));
    const o2 = twoGroupSgd();
    o2.loadStateDict(saved.opt);
    const s2 = makeSchedule(o2, config);
    s2.loadStateDict(saved.sched);
    run(o2, s2, 12, 30, resumed);
    assert.deepEqual(resumed, straight, config.kind);
  }
});

test('schedule options and state are validated', () => {
  const opt = twoGroupSgd();
  assert.throws(() => new StepLR(opt, { stepSize: 0 }), (e: unknown) => e instanceof ValueError && /stepSize/.test(e.message));
  assert.throws(() => new StepLR(opt, { stepSize: 2, gama: 0.5 } as never), (e: unknown) => e instanceof OptionError && /'gama'/.test(e.message));
  assert.throws(() => new CosineWithWarmup(opt, { warmupSteps: 10, totalSteps: 5 }), /totalSteps/);
  assert.throws(() => new ReduceLROnPlateau(opt, { factor: 1 }), (e: unknown) => e instanceof ValueError && /factor/.test(e.message));
  assert.throws(() => new ReduceLROnPlateau(opt, { mode: 'median' as never }), ValueError);
  assert.throws(() => new ReduceLROnPlateau(opt, { minLr: [0.1] }), /minLr of length 2/);
  assert.throws(() => new ReduceLROnPlateau(opt).step(), (e: unknown) => e instanceof ValueError && /metric/.test(e.message));
  assert.throws(() => makeSchedule(opt, { kind: 'onecycle' } as never), OptionError);
  const step = new StepLR(opt, { stepSize: 2 });
  assert.throws(() => step.loadStateDict({ ...step.stateDict(), kind: 'cosineWithWarmup' }), /kind 'step'/);
  assert.throws(() => step.loadStateDict({ ...step.stateDict(), baseLrs: [0.1] }), StateDictError);
  const plateau = new ReduceLROnPlateau(opt);
  assert.equal(plateau.stateDict().best, null);
  assert.throws(() => plateau.loadStateDict({ ...plateau.stateDict(), numBadEpochs: -1 }), /numBadEpochs/);
});
