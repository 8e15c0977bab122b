/**
 * Which streamed steps reach the native pool's workers (native/recurrent_common.c rc_unpacked_pre,
 * native/pool.c rc_pool_run_hot). A batch-1 step on weights under RC_STEP_SPLIT_FLOATS = 128K floats (W4's
 * I = 32, H = 128: 82K) is split over the pool only while a worker is still spinning after the previous
 * step: steps after a pause (here 2 ms, the spin window is 50 µs) reach no worker, steps back to back
 * do; a step on larger weights (I = 32, H = 192: 172K floats) is always split. Every stream gives the bits
 * of a pool of one thread, for each cell kind. Counted with the addon's poolJobs() (jobs that reached the
 * workers), with the pool set to 2 threads whatever the machine has; skipped without a built addon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRUCell, LSTM, LSTMCell, RNNCell, Rng, Tensor, noGrad, randn, setBackend, getBackend, type BackendName } from '../src/index.js';
import { loadNative } from '../src/kernels/native/index.js';

const loaded = loadNative();
const addon = 'addon' in loaded ? loaded.addon : null;
const skip = addon === null ? `native addon not available: ${'error' in loaded ? loaded.error : ''}` : false;

type Step = (x: Tensor) => Tensor; // one streamed step: input (1, I) -> h (1, Hout), state carried inside
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The h of every step of a stream of `steps` inputs (seed 5), pausing `pauseMs` before each step (0:
 * back to back), and the pool jobs the steps started. */
function stream(make: () => Step, I: number, steps: number, pauseMs: number): { hs: Float32Array[]; jobs: number } {
  const step = make();
  const xs = randn([steps, I], new Rng(5)).data as Float32Array;
  const hs: Float32Array[] = [];
  const jobs0 = addon!.poolJobs();
  noGrad(() => {
    for (let t = 0; t < steps; t++) {
      if (pauseMs > 0) Atomics.wait(sleeper, 0, 0, pauseMs);
      hs.push(Float32Array.from(step(new Tensor(xs.subarray(t * I, (t + 1) * I), [1, I])).data));
    }
  });
  return { hs, jobs: addon!.poolJobs() - jobs0 };
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

const lstm = (I: number, H: number) => (): Step => {
  const cell = new LSTMCell(I, H, { rng: new Rng(1) }).eval();
  let st: { h: Tensor; c: Tensor } | null = null;
  return (x) => (st = cell.forward(x, st)).h;
};
const gru = (I: number, H: number) => (): Step => {
  const cell = new GRUCell(I, H, { rng: new Rng(1) }).eval();
  let h: Tensor | null = null;
  return (x) => (h = cell.forward(x, h).h);
};
const rnn = (I: number, H: number) => (): Step => {
  const cell = new RNNCell(I, H, { rng: new Rng(1) }).eval();
  let h: Tensor | null = null;
  return (x) => (h = cell.forward(x, h).h);
};
/** LSTM with a projection, T = 1 per call (the cells have none). */
const lstmProj = (I: number, H: number, P: number) => (): Step => {
  const m = new LSTM(I, H, { projSize: P, rng: new Rng(1) }).eval();
  let state: ReturnType<LSTM['forward']>['state'] | null = null;
  return (x) => {
    const r = m.forward(new Tensor(x.data as Float32Array, [1, 1, I]), { state });
    state = r.state;
    return r.output;
  };
};

// Each splits into 2 column tasks at 2 threads (>= 128 gate columns), all under 128K floats of weights.
const small: [string, () => Step, number][] = [
  ['LSTM I = 32, H = 128 (W4, 81,920 floats)', lstm(32, 128), 32],
  ['GRU I = 32, H = 96', gru(32, 96), 32],
  ['RNN I = 32, H = 256', rnn(32, 256), 32],
  ['LSTM I = 32, H = 128, projection 64', lstmProj(32, 128, 64), 32],
];

test('a batch-1 step after a pause reaches no worker, with the bits of one thread', { skip }, () => {
  for (const [name, make, I] of small) {
    const paused = withPool(2, () => stream(make, I, 8, 2));
    assert.equal(paused.jobs, 0, name);
    assert.deepEqual(paused.hs, withPool(1, () => stream(make, I, 8, 0)).hs, name);
  }
});

test('batch-1 steps back to back are split over a spinning worker, with the bits of one thread', { skip }, () => {
  for (const [name, make, I] of small) {
    // The first steps find the worker asleep and wake it; how many of the rest are split depends on
    // whether the other core is free, so up to 20 streams are tried for one that split some steps.
    let two = withPool(2, () => stream(make, I, 1000, 0));
    for (let k = 0; k < 20 && two.jobs === 0; k++) two = withPool(2, () => stream(make, I, 1000, 0));
    assert.ok(two.jobs > 0, `${name}: no step split in 20 streams of 1,000`);
    const one = withPool(1, () => stream(make, I, 1000, 0));
    assert.equal(one.jobs, 0);
    assert.deepEqual(two.hs, one.hs, name);
  }
});

test('a batch-1 step on >= 128K floats of weights is always split over the pool, with the bits of one thread', { skip }, () => {
  // LSTM I = 32, H = 192: 4·192·(192 + 32) = 172,032 floats (672 KB)
  const two = withPool(2, () => stream(lstm(32, 192), 32, 5, 2));
  assert.equal(two.jobs, 5);
  const one = withPool(1, () => stream(lstm(32, 192), 32, 5, 0));
  assert.equal(one.jobs, 0);
  assert.deepEqual(two.hs, one.hs);
});
