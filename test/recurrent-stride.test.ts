/**
 * Strided outputs (Backend RecurrentInputs.ldy): the two directions of a bidirectional layer write one
 * (T, B, Hout_a + Hout_b) output side by side and read their output gradients from one such buffer. On
 * native (1 and 2 threads), wasm and ref: the same bits as packed (T, B, Hout) buffers — the shared output
 * is the two packed outputs interleaved row by row (prefilled with NaN: every element written), every other
 * output, saved buffer and gradient equal — and the checks (ldy < Hout; y as the saved h when strided;
 * the two directions' columns meeting; a view too short for its stride).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../src/kernels/backend.js';
import { refBackend } from '../src/kernels/ref/index.js';
import { loadNative } from '../src/kernels/native/index.js';
import { ShapeError, ValueError } from '../src/util/errors.js';
import { backward, forward, gradBuffers, nan, setup, upstream, type Bufs, type Cfg, type Inputs, type Kind } from './recurrent-kernel-cases.js';
import { wasm, wasmSkip } from './wasm-helpers.js';

const loaded = loadNative();
const addon = 'addon' in loaded ? (loaded.addon as any) : null;
const native: Backend | null = 'backend' in loaded ? loaded.backend : null;
const skip = native === null ? `native addon not available: ${'error' in loaded ? loaded.error : ''}` : false;

const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const hout = (inp: Inputs): number => (inp.P > 0 ? inp.P : inp.H);

/** Rows of a (TB, Ha) and b (TB, Hb) side by side: (TB, Ha + Hb). */
function interleave(a: Float32Array, b: Float32Array, TB: number, Ha: number, Hb: number): Float32Array {
  const y = new Float32Array(TB * (Ha + Hb));
  for (let r = 0; r < TB; r++) {
    y.set(a.subarray(r * Ha, r * Ha + Ha), r * (Ha + Hb));
    y.set(b.subarray(r * Hb, r * Hb + Hb), r * (Ha + Hb) + Ha);
  }
  return y;
}

/** Forward outputs and saved buffers of one direction (NaN), y given. */
function outs(kind: Kind, inp: Inputs, y: Float32Array): Bufs {
  const { T, B, H, P } = inp, TB = T * B;
  const base = { y, hN: nan(B * hout(inp)), h: nan(TB * hout(inp)) };
  if (kind === 'lstm') return { ...base, cN: nan(B * H), gates: nan(TB * 4 * H), c: nan(TB * H), m: P > 0 ? nan(TB * H) : null };
  if (kind === 'gru') return { ...base, gates: nan(TB * 3 * H), q: nan(TB * H) };
  return base;
}

interface Run { y: Float32Array; rest: Float32Array[] }

/** Each direction alone on packed buffers: y side by side afterwards, then every other buffer. */
function packed(be: Backend, kind: Kind, a: Inputs, b: Inputs, inference: boolean): Run {
  const fa = forward(be, kind, a, inference), fb = forward(be, kind, b, inference);
  const y = interleave(fa['y']!, fb['y']!, a.T * a.B, hout(a), hout(b));
  const rest = [fa, fb].flatMap((f) => Object.entries(f).filter(([k, v]) => k !== 'y' && v !== null && (!inference || k === 'hN' || k === 'cN')).map(([, v]) => v!));
  if (inference) return { y, rest };
  const ga = gradBuffers(kind, a), gb = gradBuffers(kind, b);
  backward(be, kind, a, fa, upstream(kind, a, 5), ga);
  backward(be, kind, b, fb, upstream(kind, b, 6), gb);
  return { y, rest: [...rest, ...[ga, gb].flatMap((g) => Object.values(g).filter((v): v is Float32Array => v !== null))] };
}

/** Both directions as one pair call on one (T, B, Ha + Hb) output (NaN), the gradient read from one such buffer. */
function strided(be: Backend, kind: Kind, a: Inputs, b: Inputs, inference: boolean): Run {
  const TB = a.T * a.B, Ha = hout(a), Hb = hout(b), ldy = Ha + Hb;
  const y = nan(TB * ldy);
  const ia = { ...a, ldy, inference }, ib = { ...b, ldy, inference };
  const oa = outs(kind, a, y), ob = outs(kind, b, y.subarray(Ha));
  const ws = (inp: Inputs) => nan(be.recurrentWorkspace(kind, inp, 'float32'));
  be.recurrentPair(kind, { inp: ia, out: oa as any, g: null, ws: ws(a) }, { inp: ib, out: ob as any, g: null, ws: ws(b) });
  const fwd = (o: Bufs): Float32Array[] => Object.entries(o).filter(([k, v]) => k !== 'y' && v !== null && (!inference || k === 'hN' || k === 'cN')).map(([, v]) => v!);
  const rest = [...fwd(oa), ...fwd(ob)];
  if (inference) return { y, rest };
  const ua = upstream(kind, a, 5), ub = upstream(kind, b, 6);
  const dy = interleave(ua['dy']!, ub['dy']!, TB, Ha, Hb);
  const ga = gradBuffers(kind, a), gb = gradBuffers(kind, b);
  const g = (u: Bufs, gr: Bufs, d: Float32Array) => ({ dc0: null, dWHr: null, dcN: null, ...gr, ...u, dy: d }) as any;
  be.recurrentPair(kind, { inp: { ...ia, inference: false }, out: oa as any, g: g(ua, ga, dy), ws: ws(a) },
    { inp: { ...ib, inference: false }, out: ob as any, g: g(ub, gb, dy.subarray(Ha)), ws: ws(b) });
  return { y, rest: [...rest, ...[ga, gb].flatMap((gr) => Object.values(gr).filter((v): v is Float32Array => v !== null))] };
}

// The last three are above the size from which native runs the two directions at once on 2 threads.
const CASES: Cfg[] = [
  { kind: 'lstm', T: 3, B: 3, I: 4, H: 9, P: 2, seed: 1 },
  { kind: 'rnn', T: 5, B: 4, I: 3, H: 17, relu: true, lengths: [5, 1, 3, 5], seed: 2 },
  { kind: 'lstm', T: 1, B: 2, I: 5, H: 7, seed: 7 },
  { kind: 'lstm', T: 9, B: 12, I: 16, H: 64, lengths: [9, 1, 4, 9, 2, 9, 9, 3, 5, 9, 1, 9], maskX: true, maskH: true, seed: 3 },
  { kind: 'gru', T: 8, B: 10, I: 20, H: 80, maskH: true, lengths: [8, 2, 8, 8, 5, 8, 1, 8, 8, 3], seed: 5 },
  { kind: 'rnn', T: 16, B: 16, I: 40, H: 96, seed: 6 },
];

function withThreads(n: number, fn: () => void): void {
  if (addon === null) return fn();
  const before = addon.getThreads();
  addon.setThreads(n);
  try { fn(); } finally { addon.setThreads(before); }
}

const BACKENDS = [['native', native, skip, [1, 2]], ['wasm', wasm, wasmSkip, [1]], ['ref', refBackend, false, [1]]] as const;
for (const [name, be, why, threads] of BACKENDS) {
  test(`${name}: a pair writing one (T, B, 2·Hout) output and reading one gradient = each direction on packed buffers, bit for bit`, { skip: why }, () => {
    for (const cfg of CASES) {
      const a = setup(cfg), b = { ...setup({ ...cfg, seed: cfg.seed! + 100 }), reverse: true };
      for (const inference of [false, true]) {
        const want = packed(be!, cfg.kind, a, b, inference);
        for (const n of threads) {
          withThreads(n, () => {
            const got = strided(be!, cfg.kind, a, b, inference);
            const what = `${JSON.stringify(cfg)} inference=${inference} threads=${n}`;
            assert.ok(bits(got.y).equals(bits(want.y)), `${what}: output differs`);
            assert.equal(got.rest.length, want.rest.length, what);
            got.rest.forEach((v, i) => assert.ok(bits(v).equals(bits(want.rest[i]!)), `${what}: buffer ${i} differs`));
          });
        }
      }
    }
  });
}

for (const [name, be, why] of BACKENDS) {
  test(`${name}: ldy below Hout, a strided y that is the saved h, and short or overlapping strided outputs throw typed errors`, { skip: why }, () => {
    const cfg: Cfg = { kind: 'lstm', T: 4, B: 3, I: 5, H: 8, seed: 9 };
    const a = setup(cfg), b = { ...setup({ ...cfg, seed: 10 }), reverse: true };
    const ws = () => nan(be!.recurrentWorkspace('lstm', a, 'float32'));
    const TB = a.T * a.B, H = a.H;
    assert.throws(() => be!.lstmForward({ ...a, ldy: H - 1 }, outs('lstm', a, nan(TB * H)) as any, ws()), ShapeError);
    const o = outs('lstm', a, nan(TB * 2 * H));
    o['h'] = o['y']!;
    assert.throws(() => be!.lstmForward({ ...a, ldy: 2 * H }, o as any, ws()), ValueError);
    assert.throws(() => be!.lstmForward({ ...a, ldy: 2 * H }, outs('lstm', a, nan(TB * 2 * H - H - 1)) as any, ws()), ShapeError);
    if (name !== 'native') return; // the pair's overlap check: the backend that runs the two at once
    const y = nan(TB * 2 * H);
    const call = (inp: Inputs, yv: Float32Array) => ({ inp: { ...inp, ldy: 2 * H }, out: outs('lstm', inp, yv) as any, g: null, ws: ws() });
    assert.throws(() => be!.recurrentPair('lstm', call(a, y), call(b, y.subarray(H - 1))), (e: unknown) => e instanceof ValueError && /pair/.test((e as Error).message));
    assert.ok(y.every(Number.isNaN), 'nothing written');
    be!.recurrentPair('lstm', call(a, y), call(b, y.subarray(H)));
    assert.ok(!y.some(Number.isNaN), 'side by side: accepted, every element written');
  });
}
