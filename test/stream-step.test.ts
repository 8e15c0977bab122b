/**
 * Streamed inference steps (src/ops/recurrent-step.ts): under noGrad, the cells and the modules on
 * one step of one layer take the streamed path. Checked against the same call with a graph recorded
 * (the layer op and recurrent(), the general path) on every cell, batched and unbatched, with and
 * without a given state, batchFirst and a projection; that in-place weight writes (an optimizer step)
 * and replaced weights (toDType, loadStateDict) are seen; that a model streaming beside another keeps
 * its own weights; and that bad inputs still throw the typed errors. On the default backend, and the
 * reference and wasm backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, Rng, SGD, Tensor, getBackend, noGrad, randn, refBackend, setBackend, NonFiniteError,
  OptionError, ShapeError, ValueError, type Backend, type RecurrentModuleOptions, type RecurrentState,
} from '../src/index.js';
import { wasm, wasmSkip } from './wasm-helpers.js';

const rng = new Rng(7);
const rand = (shape: number[]): Tensor => randn(shape, rng);
const bits = (t: Tensor | undefined): number[] => (t ? Array.from(t.data) : []);
type Kind = 'lstm' | 'gru' | 'rnn';

function cell(kind: Kind, I: number, H: number, relu = false): LSTMCell | GRUCell | RNNCell {
  const o = { rng: new Rng(3) };
  return kind === 'lstm' ? new LSTMCell(I, H, o) : kind === 'gru' ? new GRUCell(I, H, o) : new RNNCell(I, H, { ...o, nonlinearity: relu ? 'relu' : 'tanh' });
}

/** A cell's step (h, c) with a state; the state is h (and c for the LSTM). */
function stepCell(m: LSTMCell | GRUCell | RNNCell, x: Tensor, h: Tensor | null, c: Tensor | null): { h: Tensor; c?: Tensor } {
  if (m instanceof LSTMCell) return m.forward(x, h && c ? { h, c } : null);
  return m.forward(x, h);
}

for (const kind of ['lstm', 'gru', 'rnn'] as const) {
  test(`${kind} cell: a streamed step gives the bits of the recorded step (batched, unbatched, with and without state)`, () => {
    const [I, H] = [5, 9];
    const m = cell(kind, I, H, kind === 'rnn');
    for (const B of [0, 1, 3]) {
      const shape = (n: number): number[] => (B === 0 ? [n] : [B, n]);
      const x = rand(shape(I)), h = rand(shape(H)), c = kind === 'lstm' ? rand(shape(H)) : null;
      for (const withState of [false, true]) {
        const want = stepCell(m, x, withState ? h : null, withState ? c : null); // parameters require grad: recorded
        assert.ok(want.h.node !== null, 'the reference ran the recorded op');
        const got = noGrad(() => stepCell(m, x, withState ? h : null, withState ? c : null));
        assert.equal(got.h.node, null);
        assert.deepEqual([...got.h.shape], [...want.h.shape]);
        assert.deepEqual(bits(got.h), bits(want.h), `${kind} B=${B} state=${withState}: h`);
        assert.deepEqual(bits(got.c), bits(want.c), `${kind} B=${B} state=${withState}: c`);
      }
    }
  });
}

function net(kind: Kind, I: number, H: number, opts: RecurrentModuleOptions = {}): LSTM | GRU | RNN {
  const o = { rng: new Rng(4), ...opts };
  return kind === 'lstm' ? new LSTM(I, H, o) : kind === 'gru' ? new GRU(I, H, o) : new RNN(I, H, o);
}

const cases: [Kind, RecurrentModuleOptions][] = [
  ['lstm', {}], ['lstm', { batchFirst: true }], ['lstm', { projSize: 3 }], ['gru', {}], ['gru', { batchFirst: true }], ['rnn', { nonlinearity: 'relu' }],
];
for (const [kind, opts] of cases) {
  test(`${kind} ${JSON.stringify(opts)}: forward on one step under noGrad gives the bits of the recorded forward`, () => {
    const [I, H] = [4, 6];
    const m = net(kind, I, H, opts);
    const Hout = opts.projSize ?? H;
    for (const B of [0, 2]) {
      const x = B === 0 ? rand([1, I]) : opts.batchFirst ? rand([B, 1, I]) : rand([1, B, I]);
      const st = (n: number): Tensor => rand(B === 0 ? [1, n] : [1, B, n]);
      const state: RecurrentState = kind === 'lstm' ? { h: st(Hout), c: st(H) } : { h: st(Hout) };
      for (const s of [null, state]) {
        const want = m.forward(x, { state: s });
        const got = noGrad(() => m.forward(x, { state: s }));
        for (const [g, w, what] of [[got.output, want.output, 'output'], [got.state.h, want.state.h, 'h'], [got.state.c, want.state.c, 'c']] as const) {
          assert.deepEqual([...(g?.shape ?? [])], [...(w?.shape ?? [])], `${what}: shape`);
          assert.deepEqual(bits(g), bits(w), `B=${B} state=${s !== null}: ${what}`);
        }
      }
    }
  });
}

for (const [name, be, skip] of [['ref', refBackend, false], ['wasm', wasm, wasmSkip]] as [string, Backend, string | false][]) {
  test(`${name} backend: streamed steps of the cells and the modules give the bits of the recorded ones`, { skip }, () => {
    const prev = getBackend();
    setBackend(be);
    try {
      for (const kind of ['lstm', 'gru', 'rnn'] as const) {
        const m = cell(kind, 3, 5), x = rand([2, 3]), h = rand([2, 5]), c = kind === 'lstm' ? rand([2, 5]) : null;
        const want = stepCell(m, x, h, c), got = noGrad(() => stepCell(m, x, h, c));
        assert.deepEqual(bits(got.h), bits(want.h), `${name} ${kind} cell h`);
        assert.deepEqual(bits(got.c), bits(want.c), `${name} ${kind} cell c`);
        const n = net(kind, 3, 5), xs = rand([1, 2, 3]);
        const a = n.forward(xs), b = noGrad(() => n.forward(xs));
        assert.deepEqual(bits(b.output), bits(a.output), `${name} ${kind} output`);
        assert.deepEqual(bits(b.state.c), bits(a.state.c), `${name} ${kind} c_n`);
      }
    } finally {
      setBackend(prev);
    }
  });
}

test('a streamed step sees in-place weight updates, replaced weights and loaded state dicts; two models keep their own', () => {
  const [I, H] = [3, 5];
  const a = new LSTMCell(I, H, { rng: new Rng(1) }), b = new LSTMCell(I, H, { rng: new Rng(2) });
  const x = rand([1, I]);
  const run = (m: LSTMCell): number[] => bits(noGrad(() => m.forward(x)).h);
  const recorded = (m: LSTMCell): number[] => bits(m.forward(x).h);
  const a0 = run(a), b0 = run(b);
  assert.notDeepEqual(a0, b0);
  assert.deepEqual(run(a), a0, 'same weights, same step');
  // an optimizer step writes the parameters' arrays in place (gradients of Σh on the recorded path)
  a.forward(x).h.backward(new Tensor(new Float32Array(H).fill(1), [1, H]));
  new SGD(a.parameters(), { lr: 0.5 }).step();
  const a1 = run(a);
  assert.notDeepEqual(a1, a0, 'the update is seen');
  assert.deepEqual(a1, recorded(a));
  assert.deepEqual(run(b), b0, 'the other model is unaffected');
  a.loadStateDict(b.stateDict());
  assert.deepEqual(run(a), b0, 'loaded weights are seen');
  a.toDType('float64'); // new parameter tensors
  const x64 = new Tensor(Float64Array.from(x.data), [1, I]);
  const h64 = noGrad(() => a.forward(x64).h);
  assert.ok(h64.data instanceof Float64Array);
  assert.deepEqual(bits(h64), bits(a.forward(x64).h));
});

test('bad input to a streamed step throws the typed errors of the general path', () => {
  const m = new LSTMCell(3, 4, { rng: new Rng(1) });
  const lstm = new LSTM(3, 4, { rng: new Rng(1) });
  const gru = new GRU(3, 4, { rng: new Rng(1) });
  noGrad(() => {
    assert.throws(() => m.forward(rand([1, 2])), ShapeError);
    assert.throws(() => m.forward(new Tensor(new Float64Array(3), [1, 3])), ValueError);
    assert.throws(() => m.forward(rand([1, 3]), { h: rand([1, 5]), c: rand([1, 4]) }), ShapeError);
    assert.throws(() => m.forward(rand([1, 3]), { h: rand([1, 4]), c: new Tensor(new Float64Array(4), [1, 4]) }), ValueError);
    assert.throws(() => m.forward(new Tensor(Float32Array.of(0, NaN, 1), [1, 3])), NonFiniteError);
    assert.throws(() => lstm.forward(rand([1, 1, 3]), { state: { h: rand([1, 2, 4]), c: rand([1, 1, 4]) } }), ShapeError);
    assert.throws(() => lstm.forward(rand([1, 1, 3]), { state: { h: new Tensor(new Float64Array(4), [1, 1, 4]) } }), ValueError);
    assert.throws(() => lstm.forward(new Tensor(Float32Array.of(Infinity, 0, 0), [1, 1, 3])), NonFiniteError);
    assert.throws(() => gru.forward(rand([1, 1, 3]), { state: { h: rand([1, 1, 4]), c: rand([1, 1, 4]) } }), OptionError);
  });
});
