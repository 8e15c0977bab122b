/**
 * Float64 finite-difference gradient checks through the public recurrent MODULES and cells:
 * d/dx, d/dh0, d/dc0 and d/d(every parameter) of output, h_n and c_n together, over layers,
 * directions, layouts, lengths, projection, odd and degenerate sizes, and variational dropout
 * in training mode with a re-seeded (fixed) mask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F, GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, Rng, Tensor, gradcheck, randn,
  type RecurrentModuleOptions, type RecurrentState,
} from '../src/index.js';

const rng = new Rng(2024);
const r64 = (shape: number[], grad = true): Tensor => randn(shape, rng, { dtype: 'float64', requiresGrad: grad });
const flat = (t: Tensor): Tensor => F.reshape(t, [t.size]);

type Net = RNN | LSTM | GRU;
type Kind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'lstm_proj' | 'gru';

function build(kind: Kind, I: number, H: number, opts: RecurrentModuleOptions): Net {
  const o = { rng: new Rng(7), ...opts };
  if (kind === 'lstm') return new LSTM(I, H, o);
  if (kind === 'lstm_proj') return new LSTM(I, H, { ...o, projSize: Math.max(1, H - 2) });
  if (kind === 'gru') return new GRU(I, H, o);
  return new RNN(I, H, { ...o, nonlinearity: kind === 'rnn_relu' ? 'relu' : 'tanh' });
}

interface Case {
  T: number; B: number; I: number; H: number;
  opts?: RecurrentModuleOptions;
  lengths?: number[];
  init?: boolean;
  /** Re-seed this rng to this state before every evaluation (fixed dropout masks). */
  reseed?: { rng: Rng; state: number[] };
}

/** Gradcheck output ⊕ h_n ⊕ c_n w.r.t. x, h0, c0 and all parameters of a float64 module. */
function checkNet(name: string, m: Net, c: Case): void {
  m.toDType('float64');
  const bf = m.batchFirst;
  const x = r64(bf ? [c.B, c.T, c.I] : [c.T, c.B, c.I]);
  const D = m.bidirectional ? 2 : 1;
  const Hout = m.projSize || m.hiddenSize;
  let state: RecurrentState | null = null;
  if (c.init) {
    state = { h: r64([m.numLayers * D, c.B, Hout]) };
    if (m.mode === 'lstm') state.c = r64([m.numLayers * D, c.B, m.hiddenSize]);
  }
  const params = m.parameters();
  assert.ok(params.every((p) => p.dtype === 'float64' && p.requiresGrad), `${name}: float64 trainable params`);
  const inputs = [x, ...(state ? [state.h] : []), ...(state?.c ? [state.c] : []), ...params];
  const f = (): Tensor => {
    if (c.reseed) c.reseed.rng.setState(c.reseed.state);
    const { output, state: s } = m.forward(x, { state, lengths: c.lengths ?? null });
    return F.concat([flat(output), flat(s.h), ...(s.c ? [flat(s.c)] : [])], 0);
  };
  const res = gradcheck(f, inputs);
  assert.ok(res.ok, `${name}: ${res.worst} (max abs err ${res.maxAbsErr})`);
  // Every checked input got an analytic gradient (not a silent all-zero fallback).
  for (const [i, t] of inputs.entries()) assert.ok(t.grad, `${name}: input ${i} has no gradient`);
}

const KINDS: Kind[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'lstm_proj', 'gru'];

for (const kind of KINDS) {
  test(`gradcheck ${kind}: 2 layers, bidirectional, lengths, initial state`, () => {
    const c: Case = { T: 3, B: 3, I: 2, H: 3, lengths: [3, 1, 2], init: true };
    checkNet(kind, build(kind, c.I, c.H, { numLayers: 2, bidirectional: true }), c);
  });

  test(`gradcheck ${kind}: batchFirst, 1 layer, odd sizes, no lengths`, () => {
    const c: Case = { T: 5, B: 2, I: 5, H: 3, init: true };
    checkNet(kind, build(kind, c.I, c.H, { batchFirst: true }), c);
  });

  test(`gradcheck ${kind}: 2 layers unidirectional, batchFirst with lengths, zero initial state`, () => {
    const c: Case = { T: 3, B: 2, I: 2, H: 3, lengths: [2, 3] };
    checkNet(kind, build(kind, c.I, c.H, { numLayers: 2, batchFirst: true }), c);
  });
}

test('gradcheck degenerate sizes: T=1, B=1, H=1 (and H=2 with projSize 1)', () => {
  for (const kind of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as const) {
    checkNet(`${kind} T1B1H1`, build(kind, 1, 1, { bidirectional: true }), { T: 1, B: 1, I: 1, H: 1, init: true });
    checkNet(`${kind} T1B1H1 L2`, build(kind, 2, 1, { numLayers: 2 }), { T: 1, B: 1, I: 2, H: 1, lengths: [1] });
  }
  checkNet('lstm proj H2 P1', build('lstm_proj', 2, 2, { numLayers: 2, bidirectional: true }), { T: 3, B: 1, I: 2, H: 2, init: true });
});

test('gradcheck without bias', () => {
  for (const kind of KINDS) checkNet(`${kind} nobias`, build(kind, 2, 4, { bias: false, bidirectional: true }), { T: 3, B: 2, I: 2, H: 4, lengths: [3, 2], init: true });
});

test('gradcheck unbatched (T, I) input with unbatched initial state', () => {
  for (const kind of ['lstm_proj', 'gru', 'rnn_tanh'] as const) {
    const m = build(kind, 2, 3, { numLayers: 2, bidirectional: true }).toDType('float64');
    const Hout = m.projSize || m.hiddenSize;
    const x = r64([3, 2]);
    const state: RecurrentState = { h: r64([4, Hout]), ...(m.mode === 'lstm' ? { c: r64([4, 3]) } : {}) };
    const inputs = [x, state.h, ...(state.c ? [state.c] : []), ...m.parameters()];
    const res = gradcheck(() => {
      const { output, state: s } = m.forward(x, { state });
      return F.concat([flat(output), flat(s.h), ...(s.c ? [flat(s.c)] : [])], 0);
    }, inputs);
    assert.ok(res.ok, `${kind} unbatched: ${res.worst}`);
  }
});

test('gradcheck with variational dropout in training mode (masks fixed by re-seeding the module rng)', () => {
  for (const kind of ['lstm_proj', 'gru', 'rnn_tanh'] as const) {
    const mrng = new Rng(11);
    const m = build(kind, 2, 3, {
      numLayers: 2, bidirectional: true, dropout: 0.3, rng: mrng,
      variational: { input: 0.3, hidden: 0.4, output: 0.25 },
    });
    assert.equal(m.training, true);
    const reseed = { rng: mrng, state: mrng.getState() };
    checkNet(`${kind} variational`, m, { T: 3, B: 2, I: 2, H: 3, lengths: [3, 2], init: true, reseed });
    // The masks are really active: the training output differs from evaluation mode.
    const x = r64([3, 2, 2], false);
    mrng.setState(reseed.state);
    const yTrain = m.forward(x).output.toFlatArray();
    const yEval = m.eval().forward(x).output.toFlatArray();
    assert.notDeepEqual(yTrain, yEval, `${kind}: dropout had no effect in training`);
  }
});

// ---------- cells ----------

function checkCell(name: string, cell: RNNCell | LSTMCell | GRUCell, B: number | null, I: number, H: number): void {
  cell.toDType('float64');
  const lead = B === null ? [] : [B];
  const x = r64([...lead, I]);
  const h = r64([...lead, H]);
  const c = r64([...lead, H]);
  const isLstm = cell instanceof LSTMCell;
  const inputs = [x, h, ...(isLstm ? [c] : []), ...cell.parameters()];
  const res = gradcheck(() => {
    if (cell instanceof LSTMCell) {
      // Two steps with the carried state: the step's graph composes.
      const s1 = cell.forward(x, { h, c });
      const s2 = cell.forward(F.tanh(x), s1);
      return F.concat([flat(s2.h), flat(s2.c)], 0);
    }
    const h1 = cell.forward(x, h).h;
    return flat(cell.forward(F.tanh(x), h1).h);
  }, inputs);
  assert.ok(res.ok, `${name}: ${res.worst} (max abs err ${res.maxAbsErr})`);
  for (const [i, t] of inputs.entries()) assert.ok(t.grad, `${name}: input ${i} has no gradient`);
}

test('gradcheck cells: RNNCell (tanh, relu), LSTMCell, GRUCell, batched and unbatched', () => {
  for (const [B, I, H] of [[3, 5, 3], [1, 1, 1], [null, 3, 2]] as const) {
    checkCell(`RNNCell tanh ${B}`, new RNNCell(I, H, { rng: new Rng(1) }), B, I, H);
    checkCell(`RNNCell relu ${B}`, new RNNCell(I, H, { nonlinearity: 'relu', rng: new Rng(2) }), B, I, H);
    checkCell(`LSTMCell ${B}`, new LSTMCell(I, H, { rng: new Rng(3) }), B, I, H);
    checkCell(`GRUCell ${B}`, new GRUCell(I, H, { rng: new Rng(4) }), B, I, H);
  }
  checkCell('GRUCell nobias', new GRUCell(2, 3, { bias: false, rng: new Rng(5) }), 2, 2, 3);
});

test('gradcheck cells with zero (omitted) state', () => {
  for (const cell of [new LSTMCell(3, 2, { rng: new Rng(8) }), new GRUCell(3, 2, { rng: new Rng(9) }), new RNNCell(3, 2, { rng: new Rng(10) })]) {
    cell.toDType('float64');
    const x = r64([2, 3]);
    const res = gradcheck(() => flat(cell.forward(x).h), [x, ...cell.parameters()]);
    assert.ok(res.ok, `${cell.constructor.name}: ${res.worst}`);
  }
});
