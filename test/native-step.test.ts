/**
 * Prepared streamed steps (native stepPrepare / stepRun through src/kernels/native/recurrent-adapter.ts):
 * an inference call on T = 1, B <= 2 without lengths or masks goes through a handle made once per weight
 * set. Checked against the recorded forward of the same step (not inference: the general entry point,
 * which also saves gates and states), whose y, hN, cN must have the same bits (the same kernel runs),
 * for every cell and option a step can have; that in-place weight updates are seen and new weight
 * arrays get a new handle; that two models streaming in turn keep their own; and that bad handles and
 * buffers throw the typed errors. Skipped without a built addon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative } from '../src/kernels/native/index.js';
import { makeRecurrentMethods, type RecurrentMethods } from '../src/kernels/native/recurrent-adapter.js';
import { ShapeError, ValueError } from '../src/util/errors.js';
import { forward, setup, type Cfg } from './recurrent-kernel-cases.js';

const loaded = loadNative();
const addon = 'addon' in loaded ? (loaded.addon as unknown as Record<string, unknown>) : null;
const skip = addon === null ? `native addon not available: ${'error' in loaded ? loaded.error : ''}` : false;
const stepped = (): RecurrentMethods => makeRecurrentMethods(addon);
/** The general entry point on the same step: a recorded forward's y, hN (cN). */
function recorded(be: RecurrentMethods, kind: Cfg['kind'], inp: ReturnType<typeof setup>): Record<string, unknown> {
  const o = forward(be, kind, inp, false);
  return kind === 'lstm' ? { y: o['y'], hN: o['hN'], cN: o['cN'] } : { y: o['y'], hN: o['hN'] };
}

const cases: Cfg[] = [
  { kind: 'lstm', T: 1, B: 1, I: 32, H: 128 },
  { kind: 'lstm', T: 1, B: 2, I: 3, H: 33, P: 5 },
  { kind: 'lstm', T: 1, B: 1, I: 0, H: 7, noBias: true },
  { kind: 'lstm', T: 1, B: 2, I: 4, H: 9, reverse: true },
  { kind: 'gru', T: 1, B: 1, I: 5, H: 70 },
  { kind: 'gru', T: 1, B: 2, I: 17, H: 33, noBias: true },
  { kind: 'rnn', T: 1, B: 1, I: 3, H: 5, relu: true },
  { kind: 'rnn', T: 1, B: 2, I: 6, H: 16 },
];

test('a prepared step gives the bits of the general entry point', { skip }, () => {
  for (const cfg of cases) {
    const inp = setup(cfg);
    const got = forward(stepped(), cfg.kind, inp, true);
    delete got['h']; // RNN: the saved h, which an inference call need not fill (backend.ts `inference`)
    assert.deepEqual(got, recorded(stepped(), cfg.kind, inp), JSON.stringify(cfg));
  }
});

test('in-place weight updates are seen; new weight arrays get a new handle; models in turn keep theirs', { skip }, () => {
  const be = stepped();
  const a = setup({ kind: 'lstm', T: 1, B: 1, I: 4, H: 6, seed: 1 });
  const b = setup({ kind: 'gru', T: 1, B: 1, I: 4, H: 6, seed: 2 });
  const ya = forward(be, 'lstm', a, true);
  const yb = forward(be, 'gru', b, true);
  assert.deepEqual(forward(be, 'lstm', a, true), ya, 'same weights, same step');
  a.wHh[3] = a.wHh[3]! + 0.5; // an optimizer step writes the same arrays
  const a2 = forward(be, 'lstm', a, true);
  assert.notDeepEqual(a2.y, ya.y);
  assert.deepEqual(a2, recorded(be, 'lstm', a));
  const fresh = { ...a, wIh: Float32Array.from(a.wIh, (v) => -v) }; // a new array (loadStateDict, toDType)
  assert.deepEqual(forward(be, 'lstm', fresh, true), recorded(stepped(), 'lstm', fresh));
  assert.deepEqual(forward(be, 'gru', b, true), yb, 'the other model is unaffected');
});

test('bad handles, short buffers and non-step shapes throw typed errors', { skip }, () => {
  const run = addon!['stepRun'] as (...args: unknown[]) => void;
  const prepare = addon!['stepPrepare'] as (...args: unknown[]) => object;
  const f = (n: number): Float32Array => new Float32Array(n);
  const [I, H] = [3, 4];
  const ws = f(addon!['recurrentWorkspace'] ? (addon!['recurrentWorkspace'] as (...a: number[]) => number)(0, 1, 1, I, H, 0) : 0);
  const head = (T: number): unknown[] => [Int32Array.of(T, 1, I, H, 0, 0, 0, 0, H), f(T * I), f(H), f(H), f(4 * H * I), f(4 * H * H), null, null, null, null, null, null, ws];
  assert.throws(() => prepare(0, ...head(2)), ShapeError);
  const masked = head(1);
  masked[10] = f(I); // maskX
  assert.throws(() => prepare(0, ...masked), /maskX: expected null/);
  assert.throws(() => run({}, f(I), f(H), f(H), f(H), f(H), f(H)), ValueError);
  const h = prepare(0, ...head(1));
  assert.throws(() => run(h, f(I - 1), f(H), f(H), f(H), f(H), f(H)), ShapeError);
  assert.throws(() => run(h, f(I), f(H), null, f(H), f(H), f(H)), /c0/);
  run(h, f(I), f(H), f(H), f(H), f(H), f(H));
});

test('a step without y (a cell: y null) gives the hN, cN of a step with one', { skip }, () => {
  const run = addon!['stepRun'] as (...args: unknown[]) => void;
  const prepare = addon!['stepPrepare'] as (...args: unknown[]) => object;
  const ws = (I: number, H: number): Float32Array => new Float32Array((addon!['recurrentWorkspace'] as (...a: number[]) => number)(0, 1, 1, I, H, 0));
  for (const P of [0, 3]) {
    const inp = setup({ kind: 'lstm', T: 1, B: 1, I: 5, H: 6, P, seed: 4 });
    const Hout = P || 6;
    const h = prepare(0, Int32Array.of(1, 1, 5, 6, P, 0, 0, 0, Hout), inp.x, inp.h0, inp.c0, inp.wIh, inp.wHh, inp.bIh, inp.bHh, inp.wHr, null, null, null, ws(5, 6));
    const out = (withY: boolean): Float32Array[] => {
      const y = new Float32Array(Hout).fill(Number.NaN), hN = new Float32Array(Hout), cN = new Float32Array(6);
      run(h, inp.x, inp.h0, inp.c0, withY ? y : null, hN, cN);
      return [y, hN, cN];
    };
    const [y, hN, cN] = out(true);
    const [y0, hN0, cN0] = out(false);
    assert.deepEqual([hN0, cN0], [hN, cN], `P = ${P}`);
    assert.deepEqual(y, hN, 'y = hN on one step');
    assert.ok(y0.every(Number.isNaN), 'no y written');
  }
});
