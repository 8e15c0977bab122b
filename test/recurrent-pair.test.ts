/**
 * The two directions of a bidirectional layer in one call (Backend.recurrentPair; native: the pair form
 * of the entry points, recurrent.h, run at once on 2 threads): the same bits as the two calls one after
 * the other, forward (training and inference) and backward, on 1 and 2 threads; the checks of the pair
 * form; and, through the op layer, a 2-layer bidirectional network with dropout (whose directions write one
 * (T, B, 2H) output side by side) gives the same outputs and gradients as the same network built from
 * single-direction layers and concat (native, wasm and ref).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, RecurrentCall } from '../src/kernels/backend.js';
import { refBackend } from '../src/kernels/ref/index.js';
import { loadNative } from '../src/kernels/native/index.js';
import { getBackend, setBackend } from '../src/kernels/index.js';
import { runCall } from '../src/kernels/recurrent-call.js';
import { Tensor } from '../src/tensor/tensor.js';
import { backward as backprop, noGrad } from '../src/autograd/engine.js';
import { lstm, gru, rnn } from '../src/ops/recurrent.js';
import { concat } from '../src/ops/shape.js';
import { lstmLayer, gruLayer, rnnLayer, type LayerWeights } from '../src/ops/recurrent-layer.js';
import { dropout } from '../src/ops/dropout.js';
import { sum } from '../src/ops/reduce.js';
import { mul } from '../src/ops/elementwise.js';
import { OptionError, ValueError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { gradBuffers, setup, upstream, type Bufs, type Cfg, type Inputs, type Kind } from './recurrent-kernel-cases.js';
import { wasm, wasmSkip } from './wasm-helpers.js';

const loaded = loadNative();
const addon = 'addon' in loaded ? (loaded.addon as any) : null;
const native: Backend | null = 'backend' in loaded ? loaded.backend : null;
const skip = native === null ? `native addon not available: ${'error' in loaded ? loaded.error : ''}` : false;

function withThreads(n: number, fn: () => void): void {
  const before = addon.getThreads();
  addon.setThreads(n);
  try { fn(); } finally { addon.setThreads(before); }
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

/** A forward call of one direction on fresh buffers. */
function fwdCall(be: Backend, kind: Kind, inp: Inputs, inference: boolean): RecurrentCall {
  const { T, B, H, P } = inp, Hout = P > 0 ? P : H, G = { lstm: 4, gru: 3, rnn: 1 }[kind] * H;
  const f = (n: number) => new Float32Array(n);
  const saved = true; // an inference call still passes full-size saved buffers (backend.ts); native passes null for them
  const out = {
    y: f(T * B * Hout), hN: f(B * Hout), cN: kind === 'lstm' ? f(B * H) : null, gates: saved && kind !== 'rnn' ? f(T * B * G) : null,
    c: saved && kind === 'lstm' ? f(T * B * H) : null, h: saved ? f(T * B * Hout) : null, m: saved && P > 0 ? f(T * B * H) : null,
    q: saved && kind === 'gru' ? f(T * B * H) : null,
  };
  return { inp: { ...inp, inference }, out: out as any, g: null, ws: f(be.recurrentWorkspace(kind, inp, 'float32')) };
}

const bwdCall = (kind: Kind, inp: Inputs, fwd: RecurrentCall, seed: number): RecurrentCall =>
  ({ ...fwd, inp: { ...inp, inference: false }, g: { ...upstream(kind, inp, seed), ...gradBuffers(kind, inp) } as any, ws: fwd.ws.slice() });

const bufsOf = (c: RecurrentCall): Float32Array[] =>
  [...Object.values(c.out), ...Object.values(c.g ?? {})].filter((v): v is Float32Array => v instanceof Float32Array);

/** Forward then backward of both directions, as one pair call or as two calls; every buffer written. */
function both(be: Backend, kind: Kind, a: Inputs, b: Inputs, pair: boolean, inference: boolean): Float32Array[] {
  const fa = fwdCall(be, kind, a, inference), fb = fwdCall(be, kind, b, inference);
  if (pair) be.recurrentPair(kind, fa, fb);
  else { runCall(be, kind, fa); runCall(be, kind, fb); }
  if (inference) return [...bufsOf(fa), ...bufsOf(fb)];
  const ba = bwdCall(kind, a, fa, 5), bb = bwdCall(kind, b, fb, 6);
  if (pair) be.recurrentPair(kind, ba, bb);
  else { runCall(be, kind, ba); runCall(be, kind, bb); }
  return [...bufsOf(ba), ...bufsOf(bb)];
}

// T·B·G·(Hout + I) >= 2^20 runs the two at once on 2 threads; the first two cases are below that (in turn).
const CASES: Cfg[] = [
  { kind: 'lstm', T: 3, B: 3, I: 4, H: 9, P: 2, seed: 1 },
  { kind: 'rnn', T: 5, B: 4, I: 3, H: 17, relu: true, lengths: [5, 1, 3, 5], seed: 2 },
  { kind: 'lstm', T: 9, B: 12, I: 16, H: 64, lengths: [9, 1, 4, 9, 2, 9, 9, 3, 5, 9, 1, 9], maskX: true, maskH: true, seed: 3 },
  { kind: 'lstm', T: 6, B: 8, I: 24, H: 70, P: 20, seed: 4 },
  { kind: 'gru', T: 8, B: 10, I: 20, H: 80, maskH: true, seed: 5 },
  { kind: 'rnn', T: 16, B: 16, I: 40, H: 96, seed: 6 },
];

for (const cfg of CASES) {
  test(`recurrentPair = the two calls, bit for bit (forward, backward, inference; 1 and 2 threads): ${JSON.stringify(cfg)}`, { skip }, () => {
    const a = setup(cfg), b = { ...setup({ ...cfg, seed: cfg.seed! + 100 }), reverse: true };
    for (const inference of [false, true]) {
      const want = withThreads1(() => both(native!, cfg.kind, a, b, false, inference));
      for (const threads of [1, 2]) {
        withThreads(threads, () => {
          const jobs = addon.poolJobs();
          const got = both(native!, cfg.kind, a, b, true, inference);
          got.forEach((v, i) => assert.ok(same(v, want[i]!), `threads=${threads} inference=${inference}: buffer ${i} differs`));
          const big = cfg.T * cfg.B * { lstm: 4, gru: 3, rnn: 1 }[cfg.kind] * cfg.H * ((cfg.P || cfg.H) + cfg.I) >= 2 ** 20;
          if (threads === 2 && big) assert.ok(addon.poolJobs() > jobs, 'the pair reached the pool');
        });
      }
      const ref = both(refBackend, cfg.kind, a, b, false, inference);
      both(refBackend, cfg.kind, a, b, true, inference).forEach((v, i) => assert.ok(same(v, ref[i]!), `ref buffer ${i}`));
    }
  });
}

function withThreads1<T>(fn: () => T): T {
  let r!: T;
  withThreads(1, () => { r = fn(); });
  return r;
}

test('recurrentPair: overlapping writes and a forward paired with a backward are refused before anything runs', { skip }, () => {
  const cfg: Cfg = { kind: 'lstm', T: 4, B: 3, I: 5, H: 8, seed: 9 };
  const a = setup(cfg), b = { ...setup({ ...cfg, seed: 10 }), reverse: true };
  const fa = fwdCall(native!, 'lstm', a, false), fb = fwdCall(native!, 'lstm', b, false);
  assert.throws(() => native!.recurrentPair('lstm', fa, { ...fb, ws: fa.ws }), (e: unknown) => e instanceof ValueError && /pair/.test((e as Error).message));
  assert.throws(() => native!.recurrentPair('lstm', fa, { ...fb, out: { ...fb.out, hN: (fa.out as any).y.subarray(3) } }), ValueError);
  const yBefore = (fa.out as any).y.slice();
  assert.throws(() => native!.recurrentPair('lstm', fa, bwdCall('lstm', b, fb, 1)), OptionError);
  assert.ok(same((fa.out as any).y, yBefore), 'nothing written');
});

/** Weights of a 2-layer bidirectional network (layer·2 + direction). */
function weights(kind: 'lstm' | 'gru', I: number, H: number, rng: Rng): LayerWeights[] {
  const G = (kind === 'lstm' ? 4 : 3) * H;
  const t = (shape: number[]) => {
    const d = new Float32Array(shape.reduce((p, q) => p * q, 1));
    for (let k = 0; k < d.length; k++) d[k] = rng.uniform(-0.3, 0.3);
    const x = new Tensor(d, shape);
    x.requiresGrad = true;
    return x;
  };
  return [0, 1, 2, 3].map((k) => ({ wIh: t([G, k < 2 ? I : 2 * H]), wHh: t([G, H]), bIh: t([G]), bHh: t([G]) }));
}

/** Output, final states and every gradient of the network, either through recurrent() (one op per layer) or direction by direction. */
function net(kind: 'lstm' | 'gru', pair: boolean, x: Tensor, ws: LayerWeights[], lengths: number[] | null): Float32Array[] {
  for (const w of ws) for (const p of [w.wIh, w.wHh, w.bIh!, w.bHh!]) p.grad = null;
  x.grad = null;
  const rng = new Rng(7);
  let y: Tensor, h: Tensor[];
  if (pair) {
    const r = (kind === 'lstm' ? lstm : gru)(x, null, ws, { numLayers: 2, bidirectional: true, dropout: 0.2, training: true, rng, lengths });
    y = r.output;
    h = [r.state.h, ...(r.state.c ? [r.state.c] : [])];
  } else {
    const B = x.shape[1]!;
    const H = ws[0]!.wHh.shape[1]!;
    const zero = () => new Tensor(new Float32Array(B * H), [B, H]);
    const lens = lengths ? Int32Array.from(lengths) : null;
    let xt = x;
    const hs: Tensor[] = [], cs: Tensor[] = [];
    for (let l = 0; l < 2; l++) {
      const rs = [0, 1].map((d) => {
        const o = { lengths: lens, reverse: d === 1 };
        return kind === 'lstm' ? lstmLayer(xt, zero(), zero(), ws[l * 2 + d]!, o) : gruLayer(xt, zero(), ws[l * 2 + d]!, o);
      });
      hs.push(...rs.map((r) => r.h));
      cs.push(...rs.flatMap((r) => (r.c ? [r.c] : [])));
      xt = concat(rs.map((r) => r.output), 2);
      if (l === 0) xt = dropout(xt, 0.2, { training: true, rng });
    }
    y = xt;
    const flat = (ts: Tensor[]) => { const d = Float32Array.from(ts.flatMap((t) => [...t.data])); return new Tensor(d, [d.length]); };
    h = [flat(hs), ...(cs.length ? [flat(cs)] : [])];
  }
  const probe = new Tensor(Float32Array.from({ length: y.size }, (_, k) => Math.sin(k)), y.shape);
  backprop(sum(mul(y, probe)));
  return [y.data as Float32Array, ...h.map((t) => t.data as Float32Array), x.grad!.data as Float32Array,
    ...ws.flatMap((w) => [w.wIh, w.wHh, w.bIh!, w.bHh!].map((p) => p.grad!.data as Float32Array))];
}

for (const [name, be, why] of [['native', native, skip], ['wasm', wasm, wasmSkip], ['ref', refBackend, false]] as const) {
  test(`op layer on ${name}: a 2-layer bidirectional network (dropout, lengths) = the same from single-direction layers, bit for bit`, { skip: why }, () => {
    const before = getBackend();
    setBackend(be!);
    try {
      for (const kind of ['lstm', 'gru'] as const) {
        const rng = new Rng(3);
        const T = 12, B = 8, I = 16, H = 48;
        const x = new Tensor(Float32Array.from({ length: T * B * I }, () => rng.uniform(-1, 1)), [T, B, I]);
        x.requiresGrad = true;
        const ws = weights(kind, I, H, rng);
        for (const lengths of [null, [12, 3, 7, 12, 1, 12, 9, 12]]) {
          const want = net(kind, false, x, ws, lengths);
          const go = (): void => {
            const got = net(kind, true, x, ws, lengths);
            assert.equal(got.length, want.length);
            got.forEach((v, i) => assert.ok(same(v, want[i]!), `${kind} lengths=${lengths !== null}: tensor ${i} differs`));
          };
          if (name === 'native') { withThreads(1, go); withThreads(2, go); } else go();
        }
      }
    } finally {
      setBackend(before);
    }
  });
}

for (const [name, be, why] of [['native', native, skip], ['wasm', wasm, wasmSkip], ['ref', refBackend, false]] as const) {
  test(`op layer on ${name}, inference (no graph): a bidirectional layer = its two directions alone, every cell`, { skip: why }, () => {
    const before = getBackend();
    setBackend(be!);
    try {
      const rng = new Rng(5);
      const T = 16, B = 8, I = 32, H = 96; // T·B·G·(H + I) >= 2^20 for every cell: the two at once on 2 threads
      const x = new Tensor(Float32Array.from({ length: T * B * I }, () => rng.uniform(-1, 1)), [T, B, I]);
      for (const kind of ['lstm', 'gru', 'rnn'] as const) {
        const G = { lstm: 4, gru: 3, rnn: 1 }[kind] * H;
        const t = (shape: number[]) => new Tensor(Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rng.uniform(-0.2, 0.2)), shape);
        const ws: LayerWeights[] = [0, 1].map(() => ({ wIh: t([G, I]), wHh: t([G, H]), bIh: t([G]), bHh: t([G]) }));
        const zero = () => new Tensor(new Float32Array(B * H), [B, H]);
        const go = (): void => {
          const pair = noGrad(() => (kind === 'lstm' ? lstm : kind === 'gru' ? gru : rnn)(x, null, ws, { bidirectional: true }).output);
          const alone = noGrad(() => [0, 1].map((d) => {
            const o = { reverse: d === 1 };
            const w = ws[d]!;
            return (kind === 'lstm' ? lstmLayer(x, zero(), zero(), w, o) : kind === 'gru' ? gruLayer(x, zero(), w, o) : rnnLayer(x, zero(), w, o)).output;
          }));
          const want = noGrad(() => concat(alone, 2));
          assert.ok(same(pair.data as Float32Array, want.data as Float32Array), `${kind}: output differs`);
        };
        if (name === 'native') { withThreads(1, go); withThreads(2, go); } else go();
      }
    } finally {
      setBackend(before);
    }
  });
}
