/**
 * The wasm fused recurrent kernels (native/recurrent*.c compiled to wasm32, src/kernels/wasm/backend.ts)
 * against the reference backend on random float32 problems: every output, every saved buffer (gates,
 * c, h, m, q) and every gradient; odd sizes, variable lengths with length-1 rows, reverse, maskX / maskH,
 * null biases, relu / tanh, projections, the streaming path (T = 1, B ≤ 2: weights read unpacked), a
 * backward in several time chunks, inference (no saved buffer), null gradients and upstream gradients,
 * accumulation (+=), and both mixes with the reference (wasm forward + ref backward and the reverse).
 *
 * Tolerance (as test/native-recurrent.test.ts): per tensor, max|wasm − ref| / max(1, max|ref|) ≤ 2e-5.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refBackend } from '../src/kernels/ref/index.js';
import { ShapeError, ValueError } from '../src/util/errors.js';
import { backward, forward, gradBuffers, setup, upstream, type Bufs, type Cfg, type Kind } from './recurrent-kernel-cases.js';
import { needWasm, wasm, wasmSkip as skip } from './wasm-helpers.js';


function assertClose(got: Bufs, want: Bufs, what: string): void {
  for (const k of Object.keys(want)) {
    const w = want[k]!, g = got[k]!;
    if (w === null) { assert.equal(g, null, `${what} ${k}: expected null`); continue; }
    let d = 0, scale = 1;
    for (let i = 0; i < w.length; i++) {
      if (Number.isNaN(g[i]!) !== Number.isNaN(w[i]!)) assert.fail(`${what} ${k}[${i}]: ${g[i]} vs ref ${w[i]}`);
      d = Math.max(d, Math.abs(g[i]! - w[i]!));
      scale = Math.max(scale, Math.abs(w[i]!));
    }
    assert.ok(d / scale <= 2e-5, `${what} ${k}: relative max diff ${(d / scale).toExponential(2)} > 2e-5`);
  }
}

const label = (c: Cfg) => JSON.stringify(c).replace(/"/g, '');
const shapes: Omit<Cfg, 'kind'>[] = [
  { T: 1, B: 1, I: 1, H: 1 },
  { T: 3, B: 3, I: 3, H: 5, P: 2, reverse: true },
  { T: 7, B: 5, I: 17, H: 33, lengths: [7, 1, 4, 1, 6], maskX: true, maskH: true },
  { T: 7, B: 5, I: 17, H: 33, P: 2, reverse: true, lengths: [1, 7, 3, 1, 5], maskX: true, maskH: true, noBias: true },
  { T: 7, B: 3, I: 1, H: 33, reverse: true, lengths: [7, 1, 2], relu: true, seed: 3 },
  { T: 1, B: 2, I: 9, H: 40, P: 3, maskX: true, maskH: true, seed: 36 }, // streaming: weights unpacked
  { T: 1, B: 1, I: 33, H: 70, maskH: true, seed: 37 },
  { T: 7, B: 3, I: 3, H: 70, reverse: true, lengths: [3, 7, 1], maskX: true, maskH: true, relu: true, seed: 7 },
  { T: 3, B: 19, I: 5, H: 128, reverse: true, lengths: [3, 1, 2, 3, 3, 1, 2, 3, 3, 3, 1, 3, 2, 3, 3, 1, 3, 3, 2], maskH: true, seed: 11 },
];

for (const kind of ['lstm', 'gru', 'rnn'] as const) {
  for (const shape of shapes) {
    const cfg: Cfg = { kind, ...shape, P: kind === 'lstm' ? shape.P ?? 0 : 0 };
    test(`wasm = ref, forward, saved buffers and gradients: ${label(cfg)}`, { skip }, () => {
      needWasm();
      const inp = setup(cfg);
      const want = forward(refBackend, kind, inp);
      const up = upstream(kind, inp, 11);
      const gWant = gradBuffers(kind, inp);
      backward(refBackend, kind, inp, want, up, gWant);
      assertClose(forward(wasm, kind, inp), want, 'forward');
      const g = gradBuffers(kind, inp);
      backward(wasm, kind, inp, want, up, g);
      assertClose(g, gWant, 'backward');
      if (kind !== 'rnn') {
        const inf = forward(wasm, kind, inp, true), train = forward(wasm, kind, inp);
        for (const k of Object.keys(inf)) assert.deepEqual(inf[k], train[k], `inference ${k} = training forward`);
      }
    });
  }
}

test('wasm = ref when the backward runs in several time chunks (dW after each chunk)', { skip }, () => {
  // Backward only, on the reference's saved buffers: at T = 70 with weights of ±0.8 the forward is chaotic
  // (H = 128), so float32 rounding differences grow to ~1e-2 over the sequence on any backend.
  needWasm();
  const lengths = Array.from({ length: 17 }, (_, b) => (b % 5 === 0 ? 70 : 1 + ((b * 13) % 70)));
  for (const cfg of [
    { kind: 'lstm', T: 70, B: 17, I: 5, H: 128, reverse: true, lengths, maskX: true, maskH: true, seed: 51 },
    { kind: 'gru', T: 70, B: 17, I: 5, H: 128, lengths, maskH: true, seed: 53 },
  ] as Cfg[]) {
    const inp = setup(cfg);
    const saved = forward(refBackend, cfg.kind, inp), up = upstream(cfg.kind, inp, 9);
    const want = gradBuffers(cfg.kind, inp), got = gradBuffers(cfg.kind, inp);
    backward(refBackend, cfg.kind, inp, saved, up, want);
    backward(wasm, cfg.kind, inp, saved, up, got);
    assertClose(got, want, `${label(cfg)} backward`);
  }
});

test('wasm and ref interoperate: wasm forward + ref backward, ref forward + wasm backward', { skip }, () => {
  needWasm();
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    const cfg: Cfg = { kind, T: 5, B: 3, I: 4, H: 33, P: kind === 'lstm' ? 3 : 0, reverse: true, lengths: [2, 5, 1], maskX: true, maskH: true, seed: 21 };
    const inp = setup(cfg);
    const up = upstream(kind, inp, 12);
    const refFwd = forward(refBackend, kind, inp), wasmFwd = forward(wasm, kind, inp);
    const grads = (saved: Bufs, be: typeof wasm) => { const g = gradBuffers(kind, inp); backward(be, kind, inp, saved, up, g); return g; };
    const refRef = grads(refFwd, refBackend);
    assertClose(grads(wasmFwd, refBackend), refRef, `${label(cfg)} wasm fwd + ref bwd`);
    assertClose(grads(refFwd, wasm), refRef, `${label(cfg)} ref fwd + wasm bwd`);
  }
});

test('wasm backward accumulates (+=), skips null gradients, treats null dy / dhN / dcN as zero', { skip }, () => {
  needWasm();
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    const cfg: Cfg = { kind, T: 4, B: 3, I: 3, H: 33, P: kind === 'lstm' ? 2 : 0, lengths: [4, 1, 3], maskX: true, maskH: true };
    const inp = setup(cfg);
    const saved = forward(refBackend, kind, inp);
    for (const none of [false, true]) {
      const up = upstream(kind, inp, 5, none);
      const want = gradBuffers(kind, inp, 0.25), got = gradBuffers(kind, inp, 0.25);
      backward(refBackend, kind, inp, saved, up, want);
      backward(wasm, kind, inp, saved, up, got);
      assertClose(got, want, `${kind} none=${none} accumulate`);
      const partial = { ...gradBuffers(kind, inp), dx: null, dWHh: null };
      const wantP = { ...gradBuffers(kind, inp), dx: null, dWHh: null };
      backward(refBackend, kind, inp, saved, up, wantP);
      backward(wasm, kind, inp, saved, up, partial);
      assertClose(partial, wantP, `${kind} none=${none} null gradients`);
    }
  }
});

test('wasm recurrent kernels throw typed errors on bad calls', { skip }, () => {
  needWasm();
  const inp = setup({ kind: 'lstm', T: 3, B: 2, I: 2, H: 4 });
  const out = () => ({ y: new Float32Array(24), hN: new Float32Array(8), cN: new Float32Array(8), gates: new Float32Array(96), c: new Float32Array(24), h: new Float32Array(24), m: null });
  assert.throws(() => wasm.lstmForward({ ...inp, x: new Float32Array(5) }, out(), new Float32Array(0)), (e: unknown) => e instanceof ShapeError && /lstmForward\.x/.test(e.message));
  assert.throws(() => wasm.lstmForward({ ...inp, lengths: Int32Array.from([3, 4]) }, out(), new Float32Array(0)), ValueError);
  assert.throws(() => wasm.lstmForward({ ...inp, T: 0 }, out(), new Float32Array(0)), ShapeError);
  assert.throws(() => wasm.lstmForward(inp, { ...out(), gates: new Float32Array(3) }, new Float32Array(0)), /lstmForward\.gates/);
  assert.throws(() => wasm.gruForward({ ...inp, wHh: new Float64Array(48) as any }, out() as any, new Float32Array(0)), ValueError);
});
