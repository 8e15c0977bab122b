/**
 * Behaviour of nn.RNN / nn.LSTM / nn.GRU and the cells through the public API: variable lengths
 * and masks vs running each sequence alone, streaming (cells, step-by-step module calls),
 * variational and inter-layer dropout, state dicts with PyTorch's key names and order,
 * initialisation and unbatched input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F, GRU, GRUCell, LSTM, LSTMCell, Linear, RNN, RNNCell, Rng, Tensor, noGrad, randn, tensor,
  type RecurrentModuleOptions, type RecurrentState,
} from '../src/index.js';

const rng = new Rng(99);
const rand = (shape: number[]): Tensor => randn(shape, rng);
type Net = RNN | LSTM | GRU;

function make(kind: 'lstm' | 'gru' | 'rnn', I: number, H: number, opts: RecurrentModuleOptions = {}): Net {
  const o = { rng: new Rng(5), ...opts };
  return kind === 'lstm' ? new LSTM(I, H, o) : kind === 'gru' ? new GRU(I, H, o) : new RNN(I, H, o);
}

function close(got: Tensor, want: Tensor, what: string, tol = 1e-5): void {
  assert.deepEqual([...got.shape], [...want.shape], `${what}: shape`);
  for (let i = 0; i < want.size; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    assert.ok(d <= tol * (1 + Math.abs(want.data[i]!)), `${what}: element ${i}: ${got.data[i]} vs ${want.data[i]}`);
  }
}

/** Rows [t0, t1) of axis 0 and column b of axis 1 of a (T, B, F) tensor → (t1 − t0, 1, F). */
const sub = (t: Tensor, t0: number, t1: number, b: number): Tensor => F.slice(F.slice(t, 0, t0, t1), 1, b, b + 1);

// ---------- (a) variable lengths and masks ----------

for (const kind of ['lstm', 'gru', 'rnn'] as const) {
  test(`${kind}: lengths equal running each sequence alone (2 layers, bidirectional, initial state)`, () => {
    const [T, B, I, H] = [5, 3, 3, 4];
    const m = make(kind, I, H, { numLayers: 2, bidirectional: true });
    const lengths = [3, 5, 1];
    const x = rand([T, B, I]);
    const state: RecurrentState = { h: rand([4, B, H]), ...(kind === 'lstm' ? { c: rand([4, B, H]) } : {}) };
    const all = m.forward(x, { state, lengths });
    for (let b = 0; b < B; b++) {
      const L = lengths[b]!;
      const sb = { h: F.slice(state.h, 1, b, b + 1), ...(state.c ? { c: F.slice(state.c, 1, b, b + 1) } : {}) };
      const one = m.forward(sub(x, 0, L, b), { state: sb });
      close(sub(all.output, 0, L, b), one.output, `${kind} output b=${b}`);
      close(F.slice(all.state.h, 1, b, b + 1), one.state.h, `${kind} h_n b=${b}`);
      if (kind === 'lstm') close(F.slice(all.state.c!, 1, b, b + 1), one.state.c!, `${kind} c_n b=${b}`);
      if (L < T) assert.ok(sub(all.output, L, T, b).toFlatArray().every((v) => v === 0), `${kind}: padded outputs of b=${b} are zero`);
    }
  });
}

test('a mask gives the same as the equivalent lengths (batchFirst and time-major); non-prefix masks throw', () => {
  for (const batchFirst of [true, false]) {
    const m = make('lstm', 2, 3, { numLayers: 2, bidirectional: true, batchFirst });
    const [T, B] = [4, 3];
    const lengths = [4, 2, 3];
    const x = rand(batchFirst ? [B, T, 2] : [T, B, 2]);
    const maskVals = batchFirst
      ? Array.from({ length: B * T }, (_, k) => (k % T < lengths[Math.floor(k / T)]! ? 1 : 0))
      : Array.from({ length: T * B }, (_, k) => (Math.floor(k / B) < lengths[k % B]! ? 1 : 0));
    const mask = tensor(maskVals, batchFirst ? [B, T] : [T, B]);
    const a = m.forward(x, { lengths });
    const b = m.forward(x, { mask });
    assert.deepEqual(b.output.toFlatArray(), a.output.toFlatArray());
    assert.deepEqual(b.state.h.toFlatArray(), a.state.h.toFlatArray());
    assert.deepEqual(b.state.c!.toFlatArray(), a.state.c!.toFlatArray());
  }
  const m = make('gru', 2, 3, { batchFirst: true });
  const x = rand([2, 3, 2]);
  assert.throws(() => m.forward(x, { mask: tensor([[1, 0, 1], [1, 1, 1]]) }), /mask.*1s followed by 0s/);
  assert.throws(() => m.forward(x, { mask: tensor([[0, 1, 1], [1, 1, 1]]) }), /mask/);
  assert.throws(() => m.forward(x, { mask: tensor([[0, 0, 0], [1, 1, 1]]) }), /mask.*empty row 0/);
});

// ---------- (b) streaming ----------

test('cells stepped with a carried state equal the 1-layer module (same weights)', () => {
  const [T, B, I, H] = [6, 2, 3, 4];
  const x = rand([T, B, I]);
  const pairs: [Net, LSTMCell | GRUCell | RNNCell][] = [
    [make('lstm', I, H), new LSTMCell(I, H)],
    [make('gru', I, H), new GRUCell(I, H)],
    [make('rnn', I, H), new RNNCell(I, H)],
    [make('rnn', I, H, { nonlinearity: 'relu' }), new RNNCell(I, H, { nonlinearity: 'relu' })],
  ];
  for (const [m, cell] of pairs) {
    const sd: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(m.stateDict())) sd[k.replace(/_l0$/, '')] = v;
    cell.loadStateDict(sd);
    const whole = m.forward(x);
    let h: Tensor | undefined;
    let c: Tensor | undefined;
    for (let t = 0; t < T; t++) {
      const xt = F.reshape(F.slice(x, 0, t, t + 1), [B, I]);
      if (cell instanceof LSTMCell) ({ h, c } = cell.forward(xt, h && c ? { h, c } : null));
      else ({ h } = cell.forward(xt, h));
      close(h!, F.reshape(F.slice(whole.output, 0, t, t + 1), [B, H]), `${cell.constructor.name} step ${t}`);
    }
    close(h!, F.reshape(whole.state.h, [B, H]), `${cell.constructor.name} final h`);
    if (c) close(c, F.reshape(whole.state.c!, [B, H]), 'LSTMCell final c');
  }
});

test('a streamed step under noGrad leaves every earlier returned h, c and head output intact (batched and unbatched)', () => {
  const [T, I, H, O] = [40, 3, 4, 2];
  const m = make('lstm', I, H);
  const cell = new LSTMCell(I, H);
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(m.stateDict())) sd[k.replace(/_l0$/, '')] = v;
  cell.loadStateDict(sd);
  const head = new Linear(H, O, { rng: new Rng(5) });
  const x = rand([T, 1, I]);
  const whole = noGrad(() => m.forward(x));
  for (const unbatched of [false, true]) {
    const kept: { h: Tensor; c: Tensor; y: Tensor }[] = [];
    noGrad(() => {
      let st: { h: Tensor; c: Tensor } | null = null;
      for (let t = 0; t < T; t++) {
        const xt = F.reshape(F.slice(x, 0, t, t + 1), unbatched ? [I] : [1, I]);
        st = cell.forward(xt, st);
        kept.push({ ...st, y: head.forward(st.h) });
      }
    });
    for (let t = 0; t < T; t++) {
      const ht = F.reshape(F.slice(whole.output, 0, t, t + 1), unbatched ? [H] : [1, H]);
      close(kept[t]!.h, ht, `h of step ${t}`);
      close(kept[t]!.y, head.forward(ht), `head output of step ${t}`);
    }
    close(kept[T - 1]!.c, F.reshape(whole.state.c!, unbatched ? [H] : [1, H]), 'final c');
  }
});

test('nn.LSTM / nn.GRU called one step at a time with the carried state equal one whole-sequence call (2 layers)', () => {
  const [T, B, I] = [5, 2, 3];
  for (const m of [make('lstm', I, 4, { numLayers: 2, projSize: 2 }), make('lstm', I, 4, { numLayers: 2, batchFirst: true }), make('gru', I, 4, { numLayers: 2 })]) {
    const x = rand(m.batchFirst ? [B, T, I] : [T, B, I]);
    const whole = m.forward(x);
    let state: RecurrentState | null = null;
    const outs: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const r = m.forward(F.slice(x, m.batchFirst ? 1 : 0, t, t + 1), { state });
      outs.push(r.output);
      state = r.state;
    }
    close(F.concat(outs, m.batchFirst ? 1 : 0), whole.output, 'stepped output');
    close(state!.h, whole.state.h, 'stepped h_n');
    if (whole.state.c) close(state!.c!, whole.state.c, 'stepped c_n');
  }
});

// ---------- (c) dropout ----------

/** An RNN whose weights are set by hand: W_ih = I, W_hh = wHh·I, zero biases. */
function identityRnn(H: number, opts: RecurrentModuleOptions, wHh: number, numLayers = 1): RNN {
  const m = new RNN(H, H, { numLayers, ...opts });
  for (const [k, p] of Object.entries(m.stateDict())) {
    p.data.fill(0);
    if (k.startsWith('weight_')) for (let j = 0; j < H; j++) p.data[j * H + j] = k.startsWith('weight_hh') ? wHh : 1;
  }
  return m;
}

/** Zero pattern of output step t of (T, B, F). */
const zerosAt = (y: Tensor, t: number): boolean[] => F.slice(y, 0, t, t + 1).toFlatArray().map((v) => v === 0);
const frac = (bs: boolean[]): number => bs.filter(Boolean).length / bs.length;

test('variational input and output masks are constant across time, scaled by 1/(1−p), with the expected rate', () => {
  const [T, B, H, p] = [6, 40, 25, 0.3];
  const x = F.add(F.abs(rand([T, B, H])), tensor([0.1])); // strictly positive
  for (const where of ['input', 'output'] as const) {
    const m = identityRnn(H, { rng: new Rng(3), variational: { [where]: p }, nonlinearity: 'relu' }, 0);
    const y = m.forward(x).output; // = relu(x ⊙ m) or relu(x) ⊙ m
    const z0 = zerosAt(y, 0);
    for (let t = 1; t < T; t++) assert.deepEqual(zerosAt(y, t), z0, `${where}: mask changed at step ${t}`);
    assert.ok(Math.abs(frac(z0) - p) < 0.05, `${where}: dropped fraction ${frac(z0)} vs ${p}`);
    for (let k = 0; k < y.size; k++) {
      if (y.data[k] !== 0) assert.ok(Math.abs(y.data[k]! - x.data[k]! / (1 - p)) < 1e-5, `${where}: kept values scaled by 1/(1-p)`);
    }
    // Eval mode: deterministic and mask-free.
    m.eval();
    const e1 = m.forward(x).output.toFlatArray();
    assert.deepEqual(m.forward(x).output.toFlatArray(), e1);
    assert.ok(e1.every((v, k) => Math.abs(v - x.data[k]!) < 1e-6), `${where}: eval is the identity network`);
  }
});

test('variational hidden mask is constant across time (applied to h_{t-1} entering W_hh)', () => {
  const [T, B, H, p] = [6, 30, 20, 0.4];
  const m = identityRnn(H, { rng: new Rng(4), variational: { hidden: p }, nonlinearity: 'relu' }, 1);
  const x = F.mul(F.reshape(tensor(Array.from({ length: T }, (_, t) => (t === 0 ? 1 : 0))), [T, 1, 1]), F.reshape(tensor(new Array(B * H).fill(1)), [1, B, H]));
  const y = m.forward(x).output; // h_0 = 1; h_t = (m_h ⊙ h_{t−1}) = m_h^t ⊙ 1 with a time-locked mask
  const s = 1 / (1 - p);
  const z1 = zerosAt(y, 1);
  for (let t = 1; t < T; t++) {
    assert.deepEqual(zerosAt(y, t), z1, `hidden mask changed at step ${t}`);
    for (const v of F.slice(y, 0, t, t + 1).toFlatArray()) assert.ok(v === 0 || Math.abs(v - s ** t) < 1e-4 * s ** t, `step ${t}: ${v}`);
  }
  assert.ok(Math.abs(frac(z1) - p) < 0.06, `dropped fraction ${frac(z1)}`);
  assert.ok(zerosAt(y, 0).every((z) => !z), 'the first step has no mask (h_{-1} = 0)');
});

test('variational dropout: same seed reproduces, another seed differs, eval ignores the masks', () => {
  const opts = { numLayers: 2, bidirectional: true, variational: { input: 0.2, hidden: 0.3, output: 0.2 }, dropout: 0.2 };
  const x = rand([4, 3, 3]);
  const a = new LSTM(3, 5, { ...opts, rng: new Rng(12) });
  const b = new LSTM(3, 5, { ...opts, rng: new Rng(12) });
  const c = new LSTM(3, 5, { ...opts, rng: new Rng(13) });
  c.loadStateDict(a.stateDict());
  const ya = a.forward(x).output.toFlatArray();
  assert.deepEqual(b.forward(x).output.toFlatArray(), ya);
  assert.notDeepEqual(c.forward(x).output.toFlatArray(), ya);
  const plain = new LSTM(3, 5, { numLayers: 2, bidirectional: true });
  plain.loadStateDict(a.stateDict());
  const want = plain.eval().forward(x).output.toFlatArray();
  assert.deepEqual(a.eval().forward(x).output.toFlatArray(), want);
  assert.deepEqual(c.eval().forward(x).output.toFlatArray(), want);
});

test('inter-layer dropout acts only in training and only between layers (once per element)', () => {
  const [T, B, H, p] = [5, 20, 20, 0.5];
  const x = F.add(F.abs(rand([T, B, H])), tensor([0.1]));
  // 1 layer: dropout has nothing to act on (PyTorch: only between layers).
  const one = identityRnn(H, { rng: new Rng(1), dropout: p, nonlinearity: 'relu' }, 0);
  assert.deepEqual(one.forward(x).output.toFlatArray(), one.eval().forward(x).output.toFlatArray());
  // 2 identity relu layers: output = dropout(x), each element scaled once by 1/(1−p).
  const two = identityRnn(H, { rng: new Rng(2), dropout: p, nonlinearity: 'relu' }, 0, 2);
  const y = two.forward(x).output;
  const zeros = y.toFlatArray().map((v) => v === 0);
  assert.ok(Math.abs(frac(zeros) - p) < 0.05, `dropped fraction ${frac(zeros)}`);
  assert.notDeepEqual(zerosAt(y, 0), zerosAt(y, 1), 'ordinary dropout draws a new mask per step');
  for (let k = 0; k < y.size; k++) if (!zeros[k]) assert.ok(Math.abs(y.data[k]! - x.data[k]! / (1 - p)) < 1e-5);
  const ev = two.eval().forward(x).output;
  close(ev, x, 'eval: no dropout');
});

// ---------- (d) state dicts, initialisation, unbatched ----------

test('stateDict keys, order and shapes match PyTorch for LSTM(3, 5, num_layers=2, bidirectional, proj_size=2)', () => {
  const m = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2 });
  const want: [string, number[]][] = [];
  for (const l of [0, 1]) {
    for (const s of ['', '_reverse']) {
      const I = l === 0 ? 3 : 4;
      want.push([`weight_ih_l${l}${s}`, [20, I]], [`weight_hh_l${l}${s}`, [20, 2]], [`bias_ih_l${l}${s}`, [20]],
        [`bias_hh_l${l}${s}`, [20]], [`weight_hr_l${l}${s}`, [2, 5]]);
    }
  }
  assert.deepEqual(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]), want);
  assert.deepEqual(m.namedParameters().map(([k]) => k), want.map(([k]) => k));
  const g = new GRU(4, 3, { bias: false });
  assert.deepEqual(Object.keys(g.stateDict()), ['weight_ih_l0', 'weight_hh_l0']);
  assert.deepEqual(Object.keys(new GRUCell(2, 3).stateDict()), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
});

test('stateDict / loadStateDict round-trip reproduces the outputs and copies the values', () => {
  const a = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2, rng: new Rng(1) });
  const b = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2, rng: new Rng(2) });
  const x = rand([4, 2, 3]);
  assert.notDeepEqual(b.forward(x).output.toFlatArray(), a.forward(x).output.toFlatArray());
  const snapshot = Object.fromEntries(Object.entries(a.stateDict()).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
  b.loadStateDict(snapshot);
  assert.deepEqual(b.forward(x).output.toFlatArray(), a.forward(x).output.toFlatArray());
  b.stateDict()['weight_ih_l0']!.data[0] = 123; // b's parameters are its own copies
  assert.notEqual(a.stateDict()['weight_ih_l0']!.data[0], 123);
});

test('initialisation is U(−1/√H, 1/√H) for every parameter, and a seed reproduces it', () => {
  for (const [m, H] of [[new LSTM(7, 9, { numLayers: 2, bidirectional: true, projSize: 4, rng: new Rng(3) }), 9],
    [new GRU(5, 16, { rng: new Rng(3) }), 16], [new RNN(3, 4, { rng: new Rng(3) }), 4], [new LSTMCell(3, 25, { rng: new Rng(3) }), 25]] as const) {
    const k = 1 / Math.sqrt(H);
    for (const [name, p] of m.namedParameters()) {
      const v = p.toFlatArray();
      assert.ok(v.every((u) => u >= -k && u <= k), `${name} within ±${k}`);
      if (v.length >= 20) {
        assert.ok(Math.max(...v) > 0.6 * k && Math.min(...v) < -0.6 * k, `${name} fills the range`);
      }
    }
  }
  const a = new GRU(4, 6, { numLayers: 2, rng: new Rng(77) });
  const b = new GRU(4, 6, { numLayers: 2, rng: new Rng(77) });
  const c = new GRU(4, 6, { numLayers: 2, rng: new Rng(78) });
  for (const [k, v] of Object.entries(a.stateDict())) {
    assert.deepEqual(b.stateDict()[k]!.toFlatArray(), v.toFlatArray(), k);
    assert.notDeepEqual(c.stateDict()[k]!.toFlatArray(), v.toFlatArray(), k);
  }
});

test('unbatched (T, I) input works as PyTorch: output (T, D·Hout), h (L·D, Hout), c (L·D, H)', () => {
  const m = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2, rng: new Rng(6) });
  const x = rand([4, 3]);
  const r = m.forward(x);
  assert.deepEqual([...r.output.shape], [4, 4]);
  assert.deepEqual([...r.state.h.shape], [4, 2]);
  assert.deepEqual([...r.state.c!.shape], [4, 5]);
  const batched = m.forward(F.reshape(x, [4, 1, 3]));
  close(r.output, F.reshape(batched.output, [4, 4]), 'unbatched output');
  close(r.state.h, F.reshape(batched.state.h, [4, 2]), 'unbatched h');
  // An unbatched initial state (L·D, Hout) / (L·D, H) is accepted and used.
  const state = { h: rand([4, 2]), c: rand([4, 5]) };
  const withState = m.forward(x, { state });
  const ref = m.forward(F.reshape(x, [4, 1, 3]), { state: { h: F.reshape(state.h, [4, 1, 2]), c: F.reshape(state.c, [4, 1, 5]) } });
  close(withState.state.c!, F.reshape(ref.state.c!, [4, 5]), 'unbatched c with state');
  const g = new GRU(3, 2, { batchFirst: true, rng: new Rng(1) }).forward(x, { lengths: [2] });
  assert.deepEqual([...g.output.shape], [4, 2]);
  assert.ok(F.slice(g.output, 0, 2, 4).toFlatArray().every((v) => v === 0), 'unbatched with lengths pads with zeros');
});
