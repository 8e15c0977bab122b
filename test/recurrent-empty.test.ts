// An empty sequence or batch is refused with a typed error on every backend (the native plans divided
// by the batch size and killed the process with SIGFPE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, LSTM, LSTMCell, RNN, ShapeError, Tensor, noGrad, setBackend, getBackend } from '../src/index.js';

const cases: [string, () => unknown][] = [
  ['LSTM, batch 0', () => new LSTM(3, 4).forward(new Tensor(new Float32Array(0), [1, 0, 3]))],
  ['LSTM, 0 steps', () => new LSTM(3, 4).forward(new Tensor(new Float32Array(0), [0, 2, 3]))],
  ['GRU, batch 0, recorded', () => new GRU(3, 4).forward(new Tensor(new Float32Array(0), [5, 0, 3]))],
  ['RNN bidirectional, batch 0', () => new RNN(3, 4, { bidirectional: true }).forward(new Tensor(new Float32Array(0), [2, 0, 3]))],
  ['LSTMCell, batch 0', () => noGrad(() => new LSTMCell(3, 4).forward(new Tensor(new Float32Array(0), [0, 3])))],
  ['LSTM streamed, batch 0', () => noGrad(() => new LSTM(3, 4).forward(new Tensor(new Float32Array(0), [1, 0, 3])))],
];

for (const be of ['native', 'ref'] as const) {
  test(`empty sequences and batches are refused with a ShapeError (${be})`, () => {
    const before = getBackend().name;
    setBackend(be);
    try {
      for (const [what, f] of cases) assert.throws(f, (e: unknown) => e instanceof ShapeError && /T >= 1, B >= 1/.test((e as Error).message), what);
    } finally {
      setBackend(before as 'native' | 'ref');
    }
  });
}
