/**
 * Bad input to the recurrent modules, cells and F.recurrent: every error is typed and its
 * message names the op or key, what was expected and what was received.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F, GRU, GRUCell, LSTM, LSTMCell, NonFiniteError, OptionError, RNN, RNNCell, RecurError, Rng, ShapeError,
  StateDictError, Tensor, ValueError, randn, tensor, zeros, type RecurrentModuleOptions,
} from '../src/index.js';

const rng = new Rng(3);
const rand = (shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor => randn(shape, rng, { dtype });

/** fn throws an instance of `cls` whose message matches every pattern. */
function throwsTyped(fn: () => unknown, cls: new (...a: never[]) => RecurError, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.match(e.message, /expected .*got/);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

const lstm = (opts: RecurrentModuleOptions = {}): LSTM => new LSTM(3, 4, { numLayers: 2, rng: new Rng(1), ...opts });

test('wrong input rank and wrong input size', () => {
  const m = lstm();
  throwsTyped(() => m.forward(rand([2, 3, 4, 3])), ShapeError, /lstm/, /rank 3/, /\[2, 3, 4, 3\]/);
  throwsTyped(() => m.forward(rand([3])), ShapeError, /lstm/, /rank/, /\[3\]/);
  throwsTyped(() => m.forward(rand([5, 2, 7])), ShapeError, /LSTM\.forward/, /last size 3/, /\[5, 2, 7\]/);
  throwsTyped(() => new GRU(3, 4).forward(rand([5, 2])), ShapeError, /GRU\.forward/, /\[5, 2\]/);
  throwsTyped(() => new RNNCell(3, 4).forward(rand([2, 5])), ShapeError, /RNNCell/, /\(B, 3\) or \(3\)/, /\[2, 5\]/);
  throwsTyped(() => new GRUCell(3, 4).forward(rand([2, 2, 3])), ShapeError, /GRUCell/, /\(B, 3\)/, /\[2, 2, 3\]/);
});

test('wrong initial-state shapes', () => {
  const m = lstm({ bidirectional: true });
  const x = rand([5, 2, 3]);
  const good = { h: zeros([4, 2, 4]), c: zeros([4, 2, 4]) };
  throwsTyped(() => m.forward(x, { state: { ...good, h: zeros([2, 2, 4]) } }), ShapeError, /initial h/, /\[4, 2, 4\]/, /got \[2, 2, 4\]/);
  throwsTyped(() => m.forward(x, { state: { ...good, c: zeros([4, 3, 4]) } }), ShapeError, /initial c/, /\[4, 2, 4\]/, /got \[4, 3, 4\]/);
  throwsTyped(() => m.forward(x, { state: { ...good, h: zeros([4, 2]) } }), ShapeError, /initial h/);
  throwsTyped(() => m.forward(rand([5, 3]), { state: good }), ShapeError, /initial h/, /\[4, 4\]/);
  const p = new LSTM(3, 4, { projSize: 2 });
  throwsTyped(() => p.forward(x, { state: { h: zeros([1, 2, 4]), c: zeros([1, 2, 4]) } }), ShapeError, /initial h/, /\[1, 2, 2\]/);
  throwsTyped(() => p.forward(x, { state: { h: zeros([1, 2, 2]), c: zeros([1, 2, 2]) } }), ShapeError, /initial c/, /\[1, 2, 4\]/);
  throwsTyped(() => new LSTMCell(3, 4).forward(rand([2, 3]), { h: zeros([2, 4]), c: zeros([2, 5]) }), ShapeError, /LSTMCell: c/, /\[2, 4\]/, /\[2, 5\]/);
  throwsTyped(() => new GRUCell(3, 4).forward(rand([2, 3]), zeros([4])), ShapeError, /GRUCell: h/, /\[2, 4\]/, /got \[4\]/);
});

test('a cell state given to a GRU / RNN is rejected, not ignored', () => {
  const x = rand([5, 2, 3]);
  for (const m of [new GRU(3, 4), new RNN(3, 4)]) {
    throwsTyped(() => m.forward(x, { state: { h: zeros([1, 2, 4]), c: zeros([1, 2, 4]) } }), OptionError, /initial c/, /LSTM/);
  }
});

test('lengths: out of range, not integers, wrong count; mask: wrong shape, both lengths and mask', () => {
  const m = lstm({ batchFirst: true });
  const x = rand([3, 5, 3]); // (B, T, I)
  throwsTyped(() => m.forward(x, { lengths: [5, 0, 2] }), ValueError, /lengths/, /\[1, 5\]/, /0 at index 1/);
  throwsTyped(() => m.forward(x, { lengths: [5, 6, 2] }), ValueError, /lengths/, /6 at index 1/);
  throwsTyped(() => m.forward(x, { lengths: [5, 2.5, 2] }), ValueError, /lengths/, /2\.5/);
  throwsTyped(() => m.forward(x, { lengths: [5, 2] }), ShapeError, /lengths/, /3 lengths/, /got 2/);
  throwsTyped(() => m.forward(x, { lengths: [5, 2], mask: zeros([3, 5]) }), OptionError, /lengths or mask/);
  throwsTyped(() => m.forward(x, { mask: tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0]]) }), ShapeError, /mask/, /\[3, 5\]/, /\[3, 3\]/);
  throwsTyped(() => m.forward(x, { mask: tensor([1, 1, 1]) }), ShapeError, /mask/);
  throwsTyped(() => m.forward(x, { mask: tensor([[1, 0.5, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0]]) }), ValueError, /mask/, /0 or 1/, /0\.5/);
});

test('NaN or Inf in the input throws NonFiniteError naming the position', () => {
  const x = rand([4, 2, 3]);
  x.data[7] = NaN;
  throwsTyped(() => lstm().forward(x), NonFiniteError, /recurrent: input/, /NaN at flat index 7/);
  x.data[7] = -Infinity;
  throwsTyped(() => new GRU(3, 2).forward(x), NonFiniteError, /-Infinity at flat index 7/);
  throwsTyped(() => new RNNCell(3, 2).forward(tensor([1, Infinity, 0])), NonFiniteError, /Infinity/);
});

test('unknown module, cell, forward and variational options throw OptionError naming the key', () => {
  const o = (v: object): RecurrentModuleOptions => v as RecurrentModuleOptions;
  throwsTyped(() => new LSTM(3, 4, o({ num_layers: 2 })), OptionError, /LSTM/, /"num_layers"/, /numLayers/);
  throwsTyped(() => new GRU(3, 4, o({ projSize: 2 })), OptionError, /GRU/, /"projSize"/);
  throwsTyped(() => new LSTM(3, 4, o({ nonlinearity: 'relu' })), OptionError, /LSTM/, /"nonlinearity"/);
  throwsTyped(() => new RNN(3, 4, o({ batch_first: true })), OptionError, /RNN/, /"batch_first"/);
  throwsTyped(() => new LSTMCell(3, 4, o({ nonlinearity: 'tanh' })), OptionError, /LSTMCell/, /"nonlinearity"/);
  throwsTyped(() => lstm().forward(rand([2, 1, 3]), { lenghts: [2] } as object), OptionError, /LSTM\.forward/, /"lenghts"/);
  throwsTyped(() => lstm({ variational: { inptu: 0.5 } as object }).forward(rand([2, 1, 3])), OptionError, /variational/, /"inptu"/);
  throwsTyped(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' }), ValueError, /RNN/, /nonlinearity/, /sigmoid/);
  const w = lstm().layerWeights();
  throwsTyped(() => F.recurrent('lstm', rand([2, 1, 3]), null, w, { numLayers: 2, bidirectonal: true } as object), OptionError, /recurrent/, /"bidirectonal"/);
});

test('bad sizes and rates: projSize >= hiddenSize, non-positive sizes, dropout outside [0, 1)', () => {
  throwsTyped(() => new LSTM(3, 4, { projSize: 4 }), ValueError, /LSTM/, /projSize/, /4/);
  throwsTyped(() => new LSTM(3, 4, { projSize: 7 }), ValueError, /projSize/, /got 7/);
  throwsTyped(() => new LSTM(3, 4, { projSize: -1 }), ValueError, /projSize/);
  throwsTyped(() => new GRU(3, 0), ValueError, /GRU/, /hiddenSize/, /got 0/);
  throwsTyped(() => new RNN(3, 4, { numLayers: 1.5 }), ValueError, /numLayers/, /1\.5/);
  throwsTyped(() => new LSTMCell(0, 4), ValueError, /LSTMCell/, /inputSize/);
  throwsTyped(() => lstm({ dropout: 1.5 }), ValueError, /dropout/, /1\.5/);
  throwsTyped(() => lstm({ variational: { hidden: 1 } }), ValueError, /variational\.hidden/, /got 1/);
});

test('dropout without an rng: impossible through modules, an OptionError through F.recurrent', () => {
  const m = lstm({ dropout: 0.5, variational: { input: 0.2 } });
  assert.equal(m.training, true);
  assert.ok(m.forward(rand([3, 2, 3])).output); // the module carries an rng
  const w = m.layerWeights();
  const x = rand([3, 2, 3]);
  throwsTyped(() => F.recurrent('lstm', x, null, w, { numLayers: 2, training: true, dropout: 0.5 }), OptionError, /lstm/, /rng/, /no rng/);
  throwsTyped(() => F.lstm(x, null, w, { numLayers: 2, training: true, variational: { hidden: 0.1 } }), OptionError, /rng/);
  // Outside training the rng is not needed.
  assert.ok(F.lstm(x, null, w, { numLayers: 2, training: false, dropout: 0.5 }).output);
});

test('dtype mismatch between input, state and parameters', () => {
  const m = lstm();
  throwsTyped(() => m.forward(rand([3, 2, 3], 'float64')), ValueError, /LSTM\.forward/, /float32/, /float64/);
  const x = rand([3, 2, 3]);
  throwsTyped(() => m.forward(x, { state: { h: zeros([2, 2, 4], { dtype: 'float64' }), c: zeros([2, 2, 4]) } }), ValueError, /initial h/, /float32/, /float64/);
  throwsTyped(() => m.forward(x, { state: { h: zeros([2, 2, 4]), c: zeros([2, 2, 4], { dtype: 'float64' }) } }), ValueError, /initial c/, /float64/);
  const w = m.layerWeights();
  throwsTyped(() => F.lstm(rand([3, 2, 3], 'float64'), null, w, { numLayers: 2 }), ValueError, /lstm/, /float64/, /float32/);
  throwsTyped(() => new GRUCell(3, 2).toDType('float64').forward(rand([2, 3])), ValueError, /GRUCell/, /float64/, /float32/);
  throwsTyped(() => new LSTMCell(3, 4).forward(rand([2, 3]), { h: zeros([2, 4]), c: zeros([2, 4], { dtype: 'float64' }) }), ValueError, /LSTMCell: c/, /float32/, /float64/);
  throwsTyped(() => new RNNCell(3, 4).forward(rand([3]), zeros([4], { dtype: 'float64' })), ValueError, /RNNCell: h/, /float64/);
});

test('F.recurrent: wrong number or shape of layer weights', () => {
  const m = lstm({ bidirectional: true });
  const x = rand([3, 2, 3]);
  throwsTyped(() => F.lstm(x, null, m.layerWeights(), { numLayers: 2 }), ValueError, /lstm/, /2 layer weights/, /got 4/);
  const w = m.layerWeights();
  throwsTyped(() => F.gru(x, null, w.slice(0, 1)), ShapeError, /gru/, /weight_ih of shape \(3·H, I\)/, /\[16, 3\]/);
  const g = new GRU(3, 4).layerWeights();
  throwsTyped(() => F.gru(x, null, [{ ...g[0]!, wHh: zeros([12, 5]) }]), ShapeError, /gru/, /weight_hh of shape \[12, 4\]/, /\[12, 5\]/);
  throwsTyped(() => F.gru(x, null, [{ ...g[0]!, bIh: zeros([9]) }]), ShapeError, /gru/, /bias_ih of shape \[12\]/, /\[9\]/);
  throwsTyped(() => F.rnn(x, null, [], { numLayers: 0 }), ValueError, /numLayers/, /got 0/);
  throwsTyped(() => F.recurrent('lstm', x, null, w.slice(0, 1), { nonlinearity: 'relu' }), OptionError, /nonlinearity/, /relu/);
});

test('loadStateDict: missing, unexpected and mis-shaped keys are all listed; nothing is written', () => {
  const m = new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2, rng: new Rng(1) });
  const before = m.parameters().map((p) => p.toFlatArray());
  const src = new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2, rng: new Rng(2) }).stateDict();
  const sd: Record<string, Tensor> = { ...src };
  delete sd['bias_hh_l1_reverse'];
  delete sd['weight_hr_l0'];
  sd['weight_hr_l2'] = zeros([2, 4]);
  sd['weight_hh_l1'] = zeros([16, 4]);
  assert.throws(() => m.loadStateDict(sd), (e: unknown) => {
    assert.ok(e instanceof StateDictError);
    assert.deepEqual(e.missing, ['weight_hr_l0', 'bias_hh_l1_reverse']);
    assert.deepEqual(e.unexpected, ['weight_hr_l2']);
    assert.equal(e.misShaped.length, 1);
    assert.match(e.misShaped[0]!, /weight_hh_l1: expected \[16, 2\], got \[16, 4\]/);
    assert.match(e.message, /LSTM\.loadStateDict/);
    for (const k of ['weight_hr_l0', 'bias_hh_l1_reverse', 'weight_hr_l2', 'weight_hh_l1']) assert.ok(e.message.includes(k), k);
    return true;
  });
  assert.deepEqual(m.parameters().map((p) => p.toFlatArray()), before, 'parameters unchanged after a failed load');
  // Non-strict: missing / unexpected are allowed, mis-shaped still throws and writes nothing.
  assert.throws(() => m.loadStateDict(sd, { strict: false }), StateDictError);
  assert.deepEqual(m.parameters().map((p) => p.toFlatArray()), before);
  const transposed = { ...src, weight_ih_l0: zeros([3, 16]) };
  throwsTyped(() => m.loadStateDict(transposed), StateDictError, /weight_ih_l0: expected \[16, 3\], got \[3, 16\]/);
  throwsTyped(() => m.loadStateDict({ ...src, weight_ih_l0: { shape: [16, 3], data: new Float32Array(5) } }), StateDictError, /weight_ih_l0/);
  assert.deepEqual(m.parameters().map((p) => p.toFlatArray()), before);
  // A cell refuses a module's layer-suffixed keys.
  throwsTyped(() => new GRUCell(3, 4).loadStateDict(new GRU(3, 4).stateDict()), StateDictError, /missing keys \[weight_ih, /, /unexpected keys \[weight_ih_l0, /);
});
