/**
 * Gradient recycling in backward (autograd/engine.ts setGradRecycler, recordOp's consumesGrads): the
 * (T, B, H) gradient a Linear head sends into a recurrent layer goes back to the op layer's free list
 * once the layer's backward has read it, and the next step's head takes it again — so a training loop
 * reuses the same few buffers instead of leaving one per step to the GC (W7's peak memory) — and the
 * results are bit-identical to a run without recycling (also through a bidirectional layer, whose directions
 * read one (T, B, 2H) gradient, and the dropout between layers, which give their gradients back as well).
 * The dropout's output between two layers comes from the free list too and goes back after the layer above
 * has run its backward. Only buffers the free list made are taken
 * back, so it never grows with the number of steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, GRU, LSTM, Linear, Adam, Rng, Tensor, randn } from '../src/index.js';
import { setGradRecycler } from '../src/autograd/engine.js';
import { opBuffers, recycleBuf, releaseScratch, takeBuf } from '../src/ops/scratch.js';
import type { Buf } from '../src/kernels/backend.js';

const [T, B, I, H, O] = [6, 3, 4, 5, 2];

/** Losses and final parameters of `steps` Adam steps of GRU/LSTM + Linear head on fixed data. */
function train(cell: 'gru' | 'lstm' | 'bilstm', steps: number, each?: () => void): { losses: number[]; params: Float32Array[] } {
  const rng = new Rng(7);
  // bilstm: W6's structure (both directions in one (T, B, 2H) output, dropout between the layers: both give their gradients back too)
  const rnn = cell === 'gru' ? new GRU(I, H, { rng: new Rng(1) })
    : new LSTM(I, H, { rng: new Rng(1), numLayers: 2, ...(cell === 'bilstm' ? { bidirectional: true, dropout: 0.3 } : {}) });
  const head = new Linear(cell === 'bilstm' ? 2 * H : H, O, { rng: new Rng(2) });
  const params = [...rnn.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: 1e-2 });
  const x = randn([T, B, I], rng);
  const target = randn([T, B, O], rng);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const loss = F.mseLoss(head.forward(rnn.forward(x).output), target);
    loss.backward();
    opt.step();
    losses.push(loss.item());
    each?.();
  }
  return { losses, params: params.map((p: Tensor) => Float32Array.from(p.data)) };
}

/** Runs fn with a recycler that records what it is given (and still hands it to the free list). */
function recording<R>(fn: () => R): { result: R; given: Buf[] } {
  const given: Buf[] = [];
  setGradRecycler((b) => { given.push(b); recycleBuf(b); });
  try {
    return { result: fn(), given };
  } finally {
    setGradRecycler(recycleBuf);
  }
}

test('the head gradient of a recurrent layer is recycled and reused: a few buffers for many steps', () => {
  releaseScratch();
  const { given } = recording(() => train('gru', 6));
  assert.equal(given.length, 6, 'one recycled (T, B, H) gradient per step');
  for (const b of given) assert.equal(b.length, T * B * H);
  // Without reuse every step would hand back a new buffer; the free list (shared with the layer's
  // saved activations of the same size) keeps it to at most two.
  assert.ok(new Set(given).size <= 2, `${new Set(given).size} distinct buffers`);
});

test('recycling changes no number: same losses and parameters with and without it', () => {
  for (const cell of ['gru', 'lstm', 'bilstm'] as const) {
    releaseScratch();
    const a = train(cell, 4);
    setGradRecycler(null);
    let b: ReturnType<typeof train>;
    try {
      releaseScratch();
      b = train(cell, 4);
    } finally {
      setGradRecycler(recycleBuf);
    }
    assert.deepEqual(a.losses, b.losses, cell);
    a.params.forEach((p, k) => assert.deepEqual(p, b.params[k], `${cell} parameter ${k}`));
  }
});

test('the free list does not grow: a gradient allocated afresh each step (a lower layer\'s dx) is not kept', () => {
  releaseScratch();
  const pooled: number[] = [];
  const { given } = recording(() => train('lstm', 8, () => pooled.push(opBuffers.pooledBytes)));
  assert.equal(given.length, 16, 'per step the head gradient and layer 2\'s dx reach the recycler');
  assert.ok(pooled.every((p) => p === pooled[1]), `pooled bytes per step ${pooled.join(', ')}`);
});

test('only gradients consumed by an op that says so are recycled', () => {
  releaseScratch();
  const { given } = recording(() => {
    const rng = new Rng(3);
    const head = new Linear(H, O, { rng });
    const x = randn([T, B, H], rng);
    x.requiresGrad = true;
    // mul's backward does not declare consumesGrads: the Linear's gradient for it is left alone
    const y = F.mul(head.forward(F.mul(x, x)), head.forward(x));
    F.sum(y).backward();
    return x.grad;
  });
  assert.equal(given.length, 0);
});

test('a 2-layer bidirectional network with dropout gives back every (T, B, ·) gradient between its ops', () => {
  releaseScratch();
  const { given } = recording(() => train('bilstm', 3));
  const per = (n: number) => given.filter((b) => b.length === n).length / 3;
  // per step: the head's gradient (to the top layer), the layer-2 dx (to the dropout), the dropout's dx (to
  // the lower layer), all (T, B, 2H); no (T, B, H) halves (both directions read theirs from the (T, B, 2H) one)
  assert.equal(per(T * B * 2 * H), 3, `sizes ${given.map((b) => b.length).join(', ')}`);
  assert.equal(per(T * B * H), 0);
  assert.ok(new Set(given).size <= 10, `${new Set(given).size} distinct buffers over 3 steps`);
});

test('a layer inside a stack (inner) takes its output from the free list and gives it back after backward', () => {
  const [t, b, i, h] = [40, 4, 3, 16]; // (T, B, H) above SMALL_OUT: not carved from the slab
  const rng = new Rng(5);
  const param = (shape: number[]): Tensor => {
    const p = randn(shape, rng);
    p.requiresGrad = true;
    return p;
  };
  const w = { wIh: param([4 * h, i]), wHh: param([4 * h, h]), bIh: param([4 * h]), bHh: null };
  const x = randn([t, b, i], rng), h0 = randn([b, h], rng), c0 = randn([b, h], rng);
  const step = (inner: boolean): Float32Array => {
    const r = F.recurrentLayer('lstm', x, [{ h0, c0, w }], 'tanh', inner);
    const y = Float32Array.from(r.output.data);
    F.sum(r.output).backward();
    return y;
  };
  releaseScratch();
  const y0 = step(false);
  const pooledTop = opBuffers.pooledBytes;
  releaseScratch();
  const y1 = step(true);
  const pooledInner = opBuffers.pooledBytes;
  assert.equal(pooledInner - pooledTop, t * b * h * 4, 'the inner output is back in the free list, the top one is not');
  const y2 = step(true);
  assert.equal(opBuffers.pooledBytes, pooledInner, 'the next step took it again (nothing new kept)');
  assert.deepEqual(y1, y0);
  assert.deepEqual(y2, y0);
});

test('recycled inner-layer outputs change no number (stacked LSTM, and bidirectional with dropout)', () => {
  const [t, b, i, h] = [40, 4, 3, 16];
  const run = (bi: boolean, fresh: boolean): { losses: number[]; params: Float32Array[] } => {
    releaseScratch();
    const rng = new Rng(9);
    const rnn = new LSTM(i, h, { rng: new Rng(1), numLayers: 3, ...(bi ? { bidirectional: true, dropout: 0.3 } : {}) });
    const head = new Linear(bi ? 2 * h : h, O, { rng: new Rng(2) });
    const params = [...rnn.parameters(), ...head.parameters()];
    const opt = new Adam(params, { lr: 1e-2 });
    const x = randn([t, b, i], rng), target = randn([t, b, O], rng);
    const losses: number[] = [];
    for (let s = 0; s < 4; s++) {
      if (fresh) releaseScratch(); // nothing to take from: every buffer new
      opt.zeroGrad();
      const loss = F.mseLoss(head.forward(rnn.forward(x).output), target);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    return { losses, params: params.map((p: Tensor) => Float32Array.from(p.data)) };
  };
  for (const bi of [false, true]) {
    const reused = run(bi, false), fresh = run(bi, true);
    assert.deepEqual(reused.losses, fresh.losses, bi ? 'bidirectional' : 'stacked');
    reused.params.forEach((p, k) => assert.deepEqual(p, fresh.params[k], `parameter ${k}`));
  }
});

test('a 3-layer LSTM with recycled inner outputs = the same three layers run one by one, gradients bit for bit over steps', () => {
  const [t, b, i, h] = [40, 4, 3, 16];
  releaseScratch();
  const rng = new Rng(11);
  const stack = new LSTM(i, h, { rng: new Rng(1), numLayers: 3 });
  const layers = [0, 1, 2].map((k) => {
    const one = new LSTM(k === 0 ? i : h, h, { rng: new Rng(2) });
    one.loadStateDict(Object.fromEntries(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => [`${n}_l0`, stack.param(`${n}_l${k}`)])));
    return one;
  });
  for (let s = 0; s < 3; s++) { // steps 2 and 3 write into the buffers step 1 gave back
    const x = randn([t, b, i], rng), g = randn([t, b, h], rng);
    for (const p of [...stack.parameters(), ...layers.flatMap((l) => l.parameters())]) p.grad = null;
    F.sum(F.mul(stack.forward(x).output, g)).backward();
    let y = x;
    for (const l of layers) y = l.forward(y).output; // each the top of its own (outputs never recycled)
    F.sum(F.mul(y, g)).backward();
    layers.forEach((l, k) => {
      for (const n of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) {
        assert.deepEqual(l.param(`${n}_l0`).grad!.data, stack.param(`${n}_l${k}`).grad!.data, `step ${s} layer ${k} ${n}`);
      }
    });
  }
});

test('a layer that owns its input (the dropout output between layers) gives it back after its backward, not before', () => {
  const [t, b, i, h] = [40, 4, 8, 16];
  const rng = new Rng(6);
  const param = (shape: number[]): Tensor => {
    const p = randn(shape, rng);
    p.requiresGrad = true;
    return p;
  };
  const w = { wIh: param([4 * h, i]), wHh: param([4 * h, h]), bIh: param([4 * h]), bHh: null };
  const data = randn([t, b, i], rng).data, h0 = randn([b, h], rng), c0 = randn([b, h], rng), g = randn([t, b, h], rng);
  const grads = (owns: boolean): { taken: Buf[]; xBuf: Buf; dW: Buf[] } => {
    releaseScratch();
    const xBuf = takeBuf(data, data.length);
    xBuf.set(data);
    const x = new Tensor(xBuf, [t, b, i]);
    x.requiresGrad = true;
    w.wIh.grad = w.wHh.grad = null;
    const r = F.recurrentLayer('lstm', x, [{ h0, c0, w }], 'tanh', false, owns);
    const early = takeBuf(data, data.length); // must not be x's buffer: the backward still reads x
    early.fill(Number.NaN);
    F.sum(F.mul(r.output, g)).backward();
    return { taken: [early, takeBuf(data, data.length)], xBuf, dW: [w.wIh.grad!.data, w.wHh.grad!.data] };
  };
  const kept = grads(false), owned = grads(true);
  assert.notEqual(owned.taken[0], owned.xBuf, 'not given back before the backward');
  assert.equal(owned.taken[1], owned.xBuf, 'given back after it');
  assert.notEqual(kept.taken[1], kept.xBuf, 'a layer that does not own x keeps out of it');
  owned.dW.forEach((d, k) => assert.deepEqual(d, kept.dW[k]));
});
