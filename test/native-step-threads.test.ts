/**
 * Which streamed steps wake the native pool's workers (native/recurrent_common.c rc_unpacked_pre,
 * RC_STEP_SPLIT_FLOATS = 128K floats): a batch-1 step on smaller weights (LSTM I = 16, H = 64; W4's I = 32,
 * H = 128, 82K floats) runs on the calling thread alone, one on larger weights (I = 32, H = 192, 172K floats)
 * is split over the pool; both give the same bits as a pool of one thread. Counted with the addon's poolJobs() (jobs that reached the workers), with
 * the pool set to 2 threads whatever the machine has; skipped without a built addon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTMCell, GRUCell, Rng, Tensor, noGrad, randn, setBackend, getBackend, type BackendName } from '../src/index.js';
import { loadNative } from '../src/kernels/native/index.js';

const loaded = loadNative();
const addon = 'addon' in loaded ? loaded.addon : null;
const skip = addon === null ? `native addon not available: ${'error' in loaded ? loaded.error : ''}` : false;

/** Final h of `steps` streamed steps of a cell (I, H) under noGrad, and the pool jobs they started. */
function stream(make: (I: number, H: number) => LSTMCell | GRUCell, I: number, H: number, steps: number): { h: Float32Array; jobs: number } {
  const cell = make(I, H).eval();
  const xs = randn([steps, I], new Rng(5)).data as Float32Array;
  const jobs0 = addon!.poolJobs();
  let h: Tensor | null = null;
  let c: Tensor | null = null;
  noGrad(() => {
    for (let t = 0; t < steps; t++) {
      const x = new Tensor(xs.subarray(t * I, (t + 1) * I), [1, I]);
      if (cell instanceof LSTMCell) ({ h, c } = cell.forward(x, h && c ? { h, c } : null));
      else ({ h } = cell.forward(x, h));
    }
  });
  return { h: Float32Array.from(h!.data), jobs: addon!.poolJobs() - jobs0 };
}

function withPool<R>(threads: number, fn: () => R): R {
  const prevThreads = addon!.getThreads();
  const prevBackend = getBackend().name as BackendName;
  setBackend('native');
  addon!.setThreads(threads);
  try {
    return fn();
  } finally {
    addon!.setThreads(prevThreads);
    setBackend(prevBackend);
  }
}

const lstm = (I: number, H: number): LSTMCell => new LSTMCell(I, H, { rng: new Rng(1) });
const gru = (I: number, H: number): GRUCell => new GRUCell(I, H, { rng: new Rng(1) });

test('a batch-1 step on weights under 128K floats (LSTM I = 16, H = 64; W4) never wakes a worker', { skip }, () => {
  const two = withPool(2, () => stream(lstm, 16, 64, 50));
  assert.equal(two.jobs, 0);
  assert.equal(withPool(2, () => stream(lstm, 32, 128, 5)).jobs, 0, 'W4: 4·128·(128 + 32) = 81,920 floats');
  const g = withPool(2, () => stream(gru, 16, 64, 20));
  assert.equal(g.jobs, 0, 'GRU step');
});

test('a batch-1 step on >= 128K floats of weights is split over the pool, with the bits of one thread', { skip }, () => {
  // LSTM I = 32, H = 192: 4·192·(192 + 32) = 172,032 floats (672 KB)
  const two = withPool(2, () => stream(lstm, 32, 192, 5));
  assert.ok(two.jobs >= 5, `${two.jobs} jobs for 5 steps`);
  const one = withPool(1, () => stream(lstm, 32, 192, 5));
  assert.equal(one.jobs, 0);
  assert.deepEqual(two.h, one.h);
});
