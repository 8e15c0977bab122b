/**
 * The op layer's buffer pool (src/ops/scratch.ts BufferPool) on its own, then its reuse and views
 * checked end to end through the public API on the current backend:
 *   - recurrent layers give bit-identical outputs and gradients whether their workspace and saved
 *     activations are fresh, recycled from an earlier step (recordOp's release after backward), or
 *     pieces of the discard buffer (no graph recorded); a retained graph keeps its buffers;
 *   - reshape / squeeze / unsqueeze and single-tensor concat / stack are views with working gradients;
 *   - the fused mseLoss ('mean' / 'sum', no mask or weight) has the composed ops' gradient bit for bit
 *     and their value to float32 rounding, and still names the non-finite element.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, GRU, LSTM, RNN, Linear, Tensor, Rng, randn, noGrad, NonFiniteError, getBackend, setBackend } from '../src/index.js';
import { allocOverwritten } from '../src/tensor/create.js';
import { BufferPool, releaseScratch } from '../src/ops/scratch.js';

type Net = LSTM | GRU | RNN;
const nets: [string, () => Net][] = [
  ['lstm', () => new LSTM(5, 7, { rng: new Rng(1), numLayers: 2 })],
  ['lstm proj bidirectional', () => new LSTM(5, 7, { rng: new Rng(2), projSize: 3, bidirectional: true })],
  ['gru', () => new GRU(5, 7, { rng: new Rng(3), bidirectional: true })],
  ['rnn', () => new RNN(5, 7, { rng: new Rng(4), nonlinearity: 'relu' })],
];

/** Output, final state and every parameter gradient of one forward + backward. */
function run(net: Net, x: Tensor, lengths: number[] | null): Float32Array[] {
  net.zeroGrad();
  const { output, state } = net.forward(x, { lengths });
  let loss = F.sum(F.mul(output, output));
  loss = F.add(loss, F.sum(state.h));
  if (state.c) loss = F.add(loss, F.sum(F.mul(state.c, state.c)));
  loss.backward();
  return [output.data, state.h.data, ...(state.c ? [state.c.data] : []), ...net.parameters().map((p) => p.grad!.data)] as Float32Array[];
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

for (const [name, make] of nets) {
  test(`${name}: fresh, recycled and discard buffers give identical results`, () => {
    const x = randn([6, 3, 5], new Rng(7));
    for (const lengths of [null, [6, 2, 4]]) {
      releaseScratch();
      const net = make();
      const fresh = run(net, x, lengths);
      const other = randn([6, 3, 5], new Rng(8)); // a step on other data leaves stale values in the pool
      run(net, other, lengths);
      const recycled = run(net, x, lengths);
      fresh.forEach((a, k) => same(recycled[k]!, a, `recycled ${k}`));
      const inf = noGrad(() => net.forward(x, { lengths }));
      same(inf.output.data, fresh[0]!, 'noGrad output');
      same(inf.state.h.data, fresh[1]!, 'noGrad h');
      // An eval forward with no parameter requiring grad records nothing and also uses the discard buffer.
      for (const p of net.parameters()) p.requireGrad(false);
      same(net.forward(x, { lengths }).output.data, fresh[0]!, 'no-grad output');
    }
  });
}

test('allocOverwritten: n elements of the dtype, float32 on its own buffer, float64 zero-filled', () => {
  const f = allocOverwritten(new Float32Array(1), 3000);
  assert.ok(f instanceof Float32Array);
  assert.equal(f.length, 3000);
  assert.equal(f.byteOffset, 0);
  assert.equal(f.buffer.byteLength, 4 * 3000); // keeping it keeps nothing else alive
  const d = allocOverwritten(new Float64Array(1), 5);
  assert.ok(d instanceof Float64Array);
  assert.deepEqual(Array.from(d), [0, 0, 0, 0, 0]);
});

test('a large layer output (y, hN, cN not zero-filled before the kernel) is written everywhere: y 0 at padded steps, as the reference', () => {
  const T = 9, B = 40, I = 5, H = 16; // T·B·H = 5,760 elements: above SMALL_OUT, so allocOverwritten
  const lengths = Array.from({ length: B }, (_, b) => 1 + ((b * 5) % T));
  const x = randn([T, B, I], new Rng(12));
  const makers: [string, () => Net][] = [
    ['lstm', () => new LSTM(I, H, { rng: new Rng(11), bidirectional: true })],
    ['gru', () => new GRU(I, H, { rng: new Rng(13), bidirectional: true })],
    ['rnn', () => new RNN(I, H, { rng: new Rng(14), bidirectional: true })],
  ];
  for (const [name, make] of makers) {
    // the final state too: hN and cN are not zero-filled either (kernels write every row, the carried state on padded ones)
    const run = () => noGrad(() => make().forward(x, { lengths }));
    const out = (): Float32Array => run().output.data as Float32Array;
    const state = (): number[] => { const r = run(); return [...r.state.h.data, ...(r.state.c ? r.state.c.data : [])]; };
    const be = getBackend();
    setBackend('ref');
    let want: Float32Array, wantState: number[];
    try { want = out(); wantState = state(); } finally { setBackend(be); }
    for (let k = 0; k < 3; k++) { // repeated: later outputs reuse memory the earlier ones left
      state().forEach((v, i) => assert.ok(Math.abs(v - wantState[i]!) <= 1e-5, `${name} final state [${i}]: ${v} vs reference ${wantState[i]}`));
      const y = out();
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++)
          for (let j = 0; j < 2 * H; j++) {
            const i = (t * B + b) * 2 * H + j;
            if (t >= lengths[b]!) assert.ok(Object.is(y[i], 0), `${name} y[${t}, ${b}, ${j}] = ${y[i]} at a padded step`);
            else assert.ok(Math.abs(y[i]! - want[i]!) <= 1e-5, `${name} y[${t}, ${b}, ${j}]: ${y[i]} vs reference ${want[i]}`);
          }
    }
  }
});

test('retainGraph keeps the saved activations: a second backward gives the same gradients', () => {
  const net = new LSTM(4, 6, { rng: new Rng(5) });
  const x = randn([5, 2, 4], new Rng(6));
  const { output } = net.forward(x);
  const loss = F.sum(F.mul(output, output));
  loss.backward(undefined, { retainGraph: true });
  const g1 = net.parameters().map((p) => p.grad!.data.slice());
  net.zeroGrad();
  run(net, randn([5, 2, 4], new Rng(9)), null); // another step that takes buffers from the pool
  net.zeroGrad();
  loss.backward();
  net.parameters().forEach((p, k) => same(p.grad!.data, g1[k]!, `param ${k}`));
  assert.throws(() => loss.backward(), /freed node/);
});

test('reshape, squeeze, unsqueeze, single concat / stack share the buffer; gradients flow', () => {
  const x = randn([2, 3], new Rng(1)).requireGrad();
  const r = F.reshape(x, [3, 2]);
  const u = F.unsqueeze(r, 0);
  const s = F.squeeze(u, 0);
  const c = F.concat([s], 1);
  const st = F.stack([c], 0);
  for (const t of [r, u, s, c, st]) assert.equal(t.data, x.data);
  F.sum(F.mul(st, st)).backward();
  x.data.forEach((v, i) => assert.equal(x.grad!.data[i], Math.fround(2 * v)));
});

test('fused mseLoss: gradient bit-identical to the composed ops, value to rounding, errors name the element', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const rng = new Rng(3);
    const a = randn([100, 7, 3], rng, { dtype }).requireGrad();
    const t = randn([100, 7, 3], rng, { dtype }).requireGrad();
    for (const reduction of ['mean', 'sum'] as const) {
      a.grad = null;
      t.grad = null;
      const fused = F.mseLoss(a, t, { reduction });
      fused.backward();
      const ga = a.grad!.data.slice();
      const gt = t.grad!.data.slice();
      a.grad = null;
      t.grad = null;
      const none = F.mseLoss(a, t, { reduction: 'none' });
      const composed = reduction === 'mean' ? F.mean(none) : F.sum(none);
      composed.backward();
      same(ga, a.grad!.data, `${dtype} ${reduction} grad input`);
      same(gt, t.grad!.data, `${dtype} ${reduction} grad target`);
      const rel = Math.abs(fused.item() - composed.item()) / composed.item();
      assert.ok(rel < (dtype === 'float32' ? 1e-4 : 1e-12), `${dtype} ${reduction} value ${fused.item()} vs ${composed.item()}`);
      let exact = 0;
      for (let i = 0; i < a.size; i++) exact += (a.data[i]! - t.data[i]!) ** 2;
      if (reduction === 'mean') exact /= a.size;
      assert.ok(Math.abs(fused.item() - exact) / exact < (dtype === 'float32' ? 2e-7 : 1e-14), 'the fused sum is accurate');
    }
  }
  const bad = new Tensor(Float32Array.from({ length: 600 }, (_, i) => (i === 401 ? Infinity : i)), [600]);
  const ok = new Tensor(new Float32Array(600), [600]);
  assert.throws(() => F.mseLoss(bad, ok), (e) => e instanceof NonFiniteError && /Infinity in input at element 401/.test(e.message));
  assert.throws(() => F.mseLoss(ok, bad), (e) => e instanceof NonFiniteError && /Infinity in target at element 401/.test(e.message));
  // A linear head's bias gradient is the column sum of the upstream gradient.
  const head = new Linear(4, 3, { rng: new Rng(2) });
  const y = head.forward(randn([50, 4], new Rng(4)));
  F.sum(F.mul(y, y)).backward();
  const b = head.param('bias').grad!.data;
  const want = new Float32Array(3);
  for (let r = 0; r < 50; r++) for (let j = 0; j < 3; j++) want[j] += Math.fround(2 * y.data[r * 3 + j]!);
  same(b, want, 'bias grad');
});

test('BufferPool: take returns a given-back buffer of the exact size and dtype, else a fresh zeroed one', () => {
  const pool = new BufferPool();
  const f32 = new Float32Array(1), f64 = new Float64Array(1);
  const a = pool.take(f32, 10);
  assert.ok(a instanceof Float32Array && a.length === 10 && a.every((v) => v === 0));
  a.fill(7);
  pool.give(a);
  assert.equal(pool.pooledBytes, 40);
  assert.notEqual(pool.take(f32, 11), a, 'another size is not served from the list of 10');
  const d = pool.take(f64, 10);
  assert.ok(d instanceof Float64Array && d !== (a as unknown), 'another dtype is not served from the float32 list');
  assert.equal(pool.take(f32, 10), a, 'the same buffer, stale contents and all');
  assert.equal(a[0], 7);
  assert.equal(pool.pooledBytes, 0);
  assert.notEqual(pool.take(f32, 10), a, 'taken once: the list is empty again');
});

test('BufferPool: give ignores null, views, duplicates, and buffers past the limits', () => {
  const pool = new BufferPool({ maxCached: 100, poolBytes: 400, perSize: 2 });
  const f32 = new Float32Array(1);
  pool.give(null);
  pool.give(new Float32Array(0));
  pool.give(new Float32Array(20).subarray(0, 10)); // a view: its memory belongs to a larger buffer
  pool.give(new Float32Array(101)); // larger than maxCached
  assert.equal(pool.pooledBytes, 0);
  const a = new Float32Array(10), b = new Float32Array(10), c = new Float32Array(10);
  pool.give(a);
  pool.give(a); // already free
  assert.equal(pool.pooledBytes, 40);
  pool.give(b);
  pool.give(c); // a third of one size: over perSize
  assert.equal(pool.pooledBytes, 80);
  pool.give(new Float32Array(81)); // 324 bytes: 80 + 324 would pass poolBytes (400)
  assert.equal(pool.pooledBytes, 80);
  const got = new Set([pool.take(f32, 10), pool.take(f32, 10), pool.take(f32, 10)]);
  assert.ok(got.has(a) && got.has(b) && !got.has(c));
});

test('BufferPool: workspace and discard grow per dtype and are reused; clear drops everything', () => {
  const pool = new BufferPool({ maxCached: 1000 });
  const f32 = new Float32Array(1), f64 = new Float64Array(1);
  const w1 = pool.workspace(f32, 50);
  assert.ok(w1 instanceof Float32Array && w1.length >= 50);
  assert.equal(pool.workspace(f32, 20), w1, 'a smaller request reuses the buffer');
  const w2 = pool.workspace(f32, 60);
  assert.ok(w2 !== w1 && w2.length >= 60, 'a larger one grows it');
  assert.equal(pool.workspace(f32, 10), w2);
  const w64 = pool.workspace(f64, 10);
  assert.ok(w64 instanceof Float64Array && pool.workspace(f32, 10) === w2, 'one buffer per dtype');
  assert.notEqual(pool.discard(f32, 10), w2, 'discard is its own buffer');
  const big = pool.workspace(f32, 1001);
  assert.ok(big.length === 1001 && pool.workspace(f32, 1001) !== big, 'past maxCached: fresh every time');
  pool.give(pool.take(f32, 10));
  pool.clear();
  assert.equal(pool.pooledBytes, 0);
  assert.notEqual(pool.workspace(f32, 10), w2, 'cleared');
});
