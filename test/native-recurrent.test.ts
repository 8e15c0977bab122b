/**
 * Native fused recurrent kernels (native/recurrent*.c through src/kernels/native/recurrent-adapter.ts)
 * against the reference backend (src/kernels/ref), on random float32 problems: every output, every
 * saved buffer (gates, c, h, m, q) and every gradient; odd sizes, variable lengths with length-1 rows,
 * reverse, maskX / maskH, null biases, relu / tanh, pools of 1 and 2 threads, 1, 2, 3 or automatic
 * batch slices (H = 33 and 70 make uneven 32-unit chunks), null gradient buffers,
 * null upstream grads, accumulation; and both mixes of backends (native forward + ref backward, ref
 * forward + native backward).
 *
 * Tolerance: per tensor, max|native − ref| / max(1, max|ref|) ≤ 2e-5. The reference sums GEMMs in
 * double and rounds once; the native GEMM accumulates in float32 with FMAs (up to 4H = 512 terms, and
 * T·B-long sums for the weight gradients), and the native sigmoid / tanh are vectorised approximations
 * within 3 ulp (recurrent_cells.h). The largest difference observed over this file is 4.3e-6 (inputs
 * up to ±2, weights ±0.8: larger than a trained model's); at PyTorch's init scale it is below 1e-6.
 *
 * The addon is loaded by the loader (src/kernels/native/index.ts: build/Release/recur_native.node, or
 * the file in RECUR_NATIVE_ADDON); without a built addon every test here is skipped with a message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Buf, RnnNonlinearity } from '../src/kernels/backend.js';
import { refBackend } from '../src/kernels/ref/index.js';
import { makeRecurrentMethods, RECURRENT_ARGS, type RecurrentMethods } from '../src/kernels/native/recurrent-adapter.js';
import { loadNative, nativeBackendOrNull } from '../src/kernels/native/index.js';
import { RecurError, ShapeError, ValueError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { backward, forward, gradBuffers, nan, setup, upstream, type Bufs, type Cfg, type Kind } from './recurrent-kernel-cases.js';

function loadAddon(): { addon: any; why: string } {
  const r = loadNative(); // the loader's own lookup (build/Release/recur_native.node or RECUR_NATIVE_ADDON)
  if ('error' in r) return { addon: null, why: `native addon not available: ${r.error}` };
  return { addon: r.addon, why: '' };
}

const { addon, why } = loadAddon();
const skip = addon === null ? why : false;
const native = (tasks: number): RecurrentMethods => makeRecurrentMethods(addon, { tasks });
const ref: RecurrentMethods = refBackend;

/** Run fn with the native pool at `threads` threads (the caller counts as one), then restore it. */
function withThreads(threads: number, fn: () => void): void {
  if (typeof addon?.setThreads !== 'function') return fn();
  const before = typeof addon.getThreads === 'function' ? addon.getThreads() : 0;
  addon.setThreads(threads);
  try { fn(); } finally { if (before > 0) addon.setThreads(before); }
}


const TOL = 2e-5;

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let d = 0;
  let scale = 1;
  for (let k = 0; k < want.length; k++) {
    if (Number.isNaN(got[k]!) !== Number.isNaN(want[k]!)) return Infinity;
    d = Math.max(d, Math.abs(got[k]! - want[k]!));
    scale = Math.max(scale, Math.abs(want[k]!));
  }
  return d / scale;
}

function assertClose(got: Bufs, want: Bufs, what: string): void {
  for (const k of Object.keys(want)) {
    const w = want[k]!;
    const g = got[k]!;
    if (w === null) { assert.equal(g, null, `${what} ${k}: expected null`); continue; }
    const e = relErr(g, w);
    assert.ok(e <= TOL, `${what} ${k}: relative max diff ${e.toExponential(2)} > ${TOL}`);
  }
}

const label = (c: Cfg) => JSON.stringify(c).replace(/"/g, '');

// Odd sizes: T ∈ {1, 3, 7}, B ∈ {1, 3, 5}, I ∈ {1, 3, 17}, H ∈ {1, 5, 33} (+ 70 for three uneven
// 32-unit tasks), P ∈ {0, 2}; lengths with length-1 rows; reverse; masks; no biases; relu. T = 1 with
// B <= 4 takes the path that reads W_hh unpacked.
const shapes: Omit<Cfg, 'kind'>[] = [
  { T: 1, B: 1, I: 1, H: 1 },
  { T: 3, B: 3, I: 3, H: 5 },
  { T: 3, B: 3, I: 3, H: 5, P: 2, reverse: true },
  { T: 7, B: 5, I: 17, H: 33, lengths: [7, 1, 4, 1, 6], maskX: true, maskH: true },
  { T: 7, B: 5, I: 17, H: 33, P: 2, reverse: true, lengths: [1, 7, 3, 1, 5], maskX: true, maskH: true, noBias: true },
  { T: 7, B: 3, I: 1, H: 33, reverse: true, lengths: [7, 1, 2], relu: true, seed: 3 },
  { T: 3, B: 5, I: 17, H: 1, P: 0, maskH: true, noBias: true, relu: true, seed: 4 },
  { T: 1, B: 5, I: 3, H: 5, P: 2, lengths: [1, 1, 1, 1, 1], maskX: true, seed: 5 },
  { T: 3, B: 1, I: 3, H: 70, P: 2, maskH: true, seed: 6 },
  { T: 7, B: 3, I: 3, H: 70, reverse: true, lengths: [3, 7, 1], maskX: true, maskH: true, relu: true, seed: 7 },
  { T: 7, B: 1, I: 17, H: 5, reverse: true, lengths: [4], seed: 8 },
  { T: 1, B: 3, I: 17, H: 70, P: 2, lengths: [1, 1, 1], maskH: true, seed: 9 }, // one step, small batch: W_hh unpacked
  { T: 1, B: 1, I: 3, H: 33, relu: true, seed: 10 },
  { T: 3, B: 8, I: 5, H: 128, P: 0, reverse: true, lengths: [3, 1, 2, 3, 3, 1, 2, 3], maskH: true, seed: 11 }, // big enough for the automatic split (tasks = 0)
];

for (const kind of ['lstm', 'gru', 'rnn'] as const) {
  for (const shape of shapes) {
    const cfg: Cfg = { kind, ...shape, P: kind === 'lstm' ? shape.P ?? 0 : 0 };
    test(`native = ref, forward, saved buffers and gradients: ${label(cfg)}`, { skip }, () => {
      const inp = setup(cfg);
      const want = forward(ref, kind, inp);
      const up = upstream(kind, inp, 11);
      const gWant = gradBuffers(kind, inp);
      backward(ref, kind, inp, want, up, gWant);
      for (const threads of [1, 2]) {
        withThreads(threads, () => {
          for (const tasks of [1, 2, 3, 0]) {
            const be = native(tasks);
            const got = forward(be, kind, inp);
            assertClose(got, want, `threads=${threads} tasks=${tasks} forward`);
            const g = gradBuffers(kind, inp);
            backward(be, kind, inp, want, up, g); // same saved buffers as the reference backward
            assertClose(g, gWant, `threads=${threads} tasks=${tasks} backward`);
          }
        });
      }
    });
  }
}

test('native results are bit-identical for any thread count and task split (forward, backward, inference)', { skip }, () => {
  const cases: Cfg[] = [
    { kind: 'lstm', T: 6, B: 19, I: 9, H: 70, lengths: [6, 1, 4, 6, 2, 6, 6, 3, 5, 6, 1, 6, 6, 2, 6, 4, 6, 6, 5], maskX: true, maskH: true, seed: 31 },
    { kind: 'lstm', T: 5, B: 12, I: 7, H: 40, P: 9, reverse: true, seed: 32 },
    { kind: 'gru', T: 6, B: 19, I: 9, H: 70, reverse: true, lengths: [6, 1, 4, 6, 2, 6, 6, 3, 5, 6, 1, 6, 6, 2, 6, 4, 6, 6, 5], maskH: true, seed: 33 },
    { kind: 'gru', T: 4, B: 33, I: 16, H: 128, seed: 34 },
    { kind: 'rnn', T: 5, B: 12, I: 7, H: 40, seed: 35 },
    { kind: 'lstm', T: 1, B: 2, I: 9, H: 40, P: 3, maskX: true, maskH: true, seed: 36 }, // streaming: unpacked weights
    { kind: 'gru', T: 1, B: 1, I: 33, H: 70, maskH: true, seed: 37 },
    { kind: 'lstm', T: 70, B: 17, I: 5, H: 128, reverse: true, maskH: true, seed: 38 }, // five backward chunks (Tc = 15)
  ];
  for (const cfg of cases) {
    const inp = setup(cfg);
    const up = upstream(cfg.kind, inp, 3);
    const runAll = (threads: number, tasks: number): Float32Array[] => {
      let res: Float32Array[] = [];
      withThreads(threads, () => {
        const be = native(tasks);
        const fwd = forward(be, cfg.kind, inp);
        const g = gradBuffers(cfg.kind, inp);
        backward(be, cfg.kind, inp, fwd, up, g);
        res = [...Object.values(fwd), ...Object.values(g)].filter((v): v is Float32Array => v !== null);
      });
      return res;
    };
    const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;
    const want = runAll(1, 1);
    for (const [threads, tasks] of [[1, 0], [2, 0], [2, 2], [2, 3], [1, 5], [2, 16]] as const) {
      const got = runAll(threads, tasks);
      got.forEach((v, i) => assert.ok(same(v, want[i]!), `${label(cfg)} threads=${threads} tasks=${tasks}: buffer ${i} differs`));
    }
    if (cfg.kind === 'rnn') continue;
    // Inference (gates = null: no saved buffer) gives the same outputs as a training forward.
    const train = forward(native(0), cfg.kind, inp);
    for (const threads of [1, 2]) {
      withThreads(threads, () => {
        const { T, B, H, P } = inp;
        const Hout = P > 0 ? P : H;
        const out: any = { y: nan(T * B * Hout), hN: nan(B * Hout), cN: nan(B * H), gates: null, c: null, h: null, m: null, q: null };
        const ws = nan(native(0).recurrentWorkspace(cfg.kind, inp, 'float32'));
        if (cfg.kind === 'lstm') native(0).lstmForward(inp, out, ws);
        else native(0).gruForward(inp, out, ws);
        for (const k of cfg.kind === 'lstm' ? ['y', 'hN', 'cN'] : ['y', 'hN'])
          assert.ok(same(out[k], train[k]!), `${label(cfg)} inference threads=${threads}: ${k} differs`);
      });
    }
  }
});

test('y may be the saved h itself without padded steps (the op layer does it): the same numbers as separate buffers', { skip }, () => {
  const cfgs: Cfg[] = [
    { kind: 'lstm', T: 5, B: 3, I: 4, H: 33 }, { kind: 'lstm', T: 4, B: 3, I: 4, H: 6, P: 3, reverse: true },
    { kind: 'gru', T: 5, B: 3, I: 4, H: 70, maskH: true }, { kind: 'rnn', T: 5, B: 2, I: 3, H: 9, relu: true },
    { kind: 'lstm', T: 1, B: 1, I: 4, H: 33 }, { kind: 'gru', T: 1, B: 2, I: 4, H: 9 }, // T = 1, B <= 2: the unpacked path
  ];
  const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;
  for (const cfg of cfgs) {
    const inp = setup(cfg);
    const up = upstream(cfg.kind, inp, 4);
    for (const [name, be] of [['native', native(0)], ['ref', ref]] as const) {
      const want = forward(be, cfg.kind, inp);
      const got = forward(be, cfg.kind, inp, false, true);
      assert.equal(got['y'], got['h']);
      for (const k of Object.keys(want)) if (want[k]) assert.ok(same(got[k]!, k === 'y' ? want['h']! : want[k]!), `${name} ${label(cfg)}: ${k} differs`);
      assert.ok(same(want['y']!, want['h']!), `${name} ${label(cfg)}: y differs from h without padding`);
      const gWant = gradBuffers(cfg.kind, inp), g = gradBuffers(cfg.kind, inp);
      backward(be, cfg.kind, inp, want, up, gWant);
      backward(be, cfg.kind, inp, got, up, g);
      for (const k of Object.keys(gWant)) if (gWant[k]) assert.ok(same(g[k]!, gWant[k]!), `${name} ${label(cfg)}: ${k} differs`);
    }
  }
});

test('native = ref on every CPU path (avx512, avx2, portable tiles and cell math)', { skip }, () => {
  if (typeof addon?.setCpuPath !== 'function') return;
  const before = addon.cpuFeatures().path;
  try {
    for (const path of ['avx2', 'portable', 'avx512'] as const) {
      addon.setCpuPath(path);
      for (const cfg of [
        { kind: 'lstm', T: 5, B: 7, I: 9, H: 37, P: 3, lengths: [5, 1, 3, 5, 2, 5, 4], maskX: true, maskH: true, seed: 41 },
        { kind: 'gru', T: 5, B: 7, I: 9, H: 37, reverse: true, lengths: [5, 1, 3, 5, 2, 5, 4], maskH: true, seed: 42 },
        { kind: 'lstm', T: 1, B: 2, I: 9, H: 37, seed: 43 },
        { kind: 'gru', T: 1, B: 1, I: 9, H: 37, maskX: true, seed: 44 },
      ] as Cfg[]) {
        const inp = setup(cfg);
        const want = forward(ref, cfg.kind, inp);
        const up = upstream(cfg.kind, inp, 7);
        const gWant = gradBuffers(cfg.kind, inp);
        backward(ref, cfg.kind, inp, want, up, gWant);
        for (const tasks of [0, 2]) {
          assertClose(forward(native(tasks), cfg.kind, inp), want, `${path} ${label(cfg)} forward`);
          const g = gradBuffers(cfg.kind, inp);
          backward(native(tasks), cfg.kind, inp, want, up, g);
          assertClose(g, gWant, `${path} ${label(cfg)} backward`);
        }
      }
    }
  } finally {
    addon.setCpuPath(before);
  }
});

test('native = ref when the backward runs in several time chunks (dW after each chunk)', { skip }, () => {
  // Tc = 512K / (B·4H) steps per chunk: B = 17, H = 128 gives 60, so T = 70 runs chunks of 60 and 10.
  const lengths = Array.from({ length: 17 }, (_, b) => (b % 5 === 0 ? 70 : 1 + ((b * 13) % 70)));
  for (const cfg of [
    { kind: 'lstm', T: 70, B: 17, I: 5, H: 128, reverse: true, lengths, maskX: true, maskH: true, seed: 51 },
    { kind: 'lstm', T: 70, B: 17, I: 5, H: 128, P: 3, seed: 52 },
    { kind: 'gru', T: 70, B: 17, I: 5, H: 128, lengths, maskH: true, seed: 53 },
    { kind: 'gru', T: 70, B: 17, I: 5, H: 128, reverse: true, maskX: true, seed: 54 },
  ] as Cfg[]) {
    const inp = setup(cfg);
    const want = forward(ref, cfg.kind, inp);
    const up = upstream(cfg.kind, inp, 9);
    const gWant = gradBuffers(cfg.kind, inp);
    backward(ref, cfg.kind, inp, want, up, gWant);
    for (const threads of [1, 2]) {
      withThreads(threads, () => {
        const g = gradBuffers(cfg.kind, inp);
        backward(native(0), cfg.kind, inp, want, up, g);
        assertClose(g, gWant, `threads=${threads} ${label(cfg)} backward`);
      });
    }
  }
});

test('native and ref interoperate: native forward + ref backward, ref forward + native backward', { skip }, () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    for (const extra of [{}, { reverse: true, lengths: [2, 5, 1], maskX: true, maskH: true }]) {
      const cfg: Cfg = { kind, T: 5, B: 3, I: 4, H: 33, P: kind === 'lstm' ? 3 : 0, seed: 21, ...extra };
      const inp = setup(cfg);
      const be = native(2);
      const up = upstream(kind, inp, 12);
      const refFwd = forward(ref, kind, inp);
      const natFwd = forward(be, kind, inp);
      const grads = (fwdSaved: Bufs, bwd: RecurrentMethods) => {
        const g = gradBuffers(kind, inp);
        backward(bwd, kind, inp, fwdSaved, up, g);
        return g;
      };
      const refRef = grads(refFwd, ref);
      assertClose(grads(natFwd, ref), refRef, `${label(cfg)} native fwd + ref bwd`);
      assertClose(grads(refFwd, be), refRef, `${label(cfg)} ref fwd + native bwd`);
      assertClose(grads(natFwd, be), grads(refFwd, be), `${label(cfg)} native bwd on either forward`);
    }
  }
});

test('native backward accumulates (+=), skips null gradients, treats null dy / dhN / dcN as zero', { skip }, () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    const cfg: Cfg = { kind, T: 4, B: 3, I: 3, H: 33, P: kind === 'lstm' ? 2 : 0, lengths: [4, 1, 3], maskX: true, maskH: true };
    const inp = setup(cfg);
    const be = native(2);
    const saved = forward(ref, kind, inp);
    const up = upstream(kind, inp, 5);
    // Accumulation: a gradient buffer holding v before the call holds v + grad after it.
    const once = gradBuffers(kind, inp);
    backward(be, kind, inp, saved, up, once);
    const pre = gradBuffers(kind, inp);
    const rng = new Rng(9);
    for (const k in pre) pre[k]?.forEach((_, i, a) => { a[i] = rng.uniform(-1, 1); });
    const acc: Bufs = Object.fromEntries(Object.entries(pre).map(([k, v]) => [k, v && v.slice()]));
    backward(be, kind, inp, saved, up, acc);
    for (const k in once) {
      const want = once[k]!.map((v, i) => v + pre[k]![i]!);
      assert.ok(relErr(acc[k]!, want) <= 1e-6, `${kind} ${k} accumulates`);
    }
    // Null upstream grads and a single requested gradient equal the reference.
    for (const upSel of [{ dy: up.dy, dhN: null, dcN: null }, { dy: null, dhN: up.dhN, dcN: up.dcN }, { dy: null, dhN: null, dcN: up.dcN }]) {
      for (const only of Object.keys(once)) {
        const gRef = gradBuffers(kind, inp);
        backward(ref, kind, inp, saved, upSel, gRef);
        const g: Bufs = Object.fromEntries(Object.keys(once).map((k) => [k, k === only ? new Float32Array(once[k]!.length) : null]));
        backward(be, kind, inp, saved, upSel, g);
        assert.ok(relErr(g[only]!, gRef[only]!) <= TOL, `${kind} only ${only} with ${JSON.stringify(Object.keys(upSel).filter((k) => (upSel as Bufs)[k]))}`);
      }
    }
  }
});

test('native recurrent kernels fail loudly: small workspace, bad lengths, float64, bad nonlinearity', { skip }, () => {
  const be = native(0);
  const inp = setup({ kind: 'gru', T: 2, B: 2, I: 2, H: 3 });
  const n = be.recurrentWorkspace('gru', inp, 'float32');
  const out = { y: nan(12), hN: nan(6), gates: nan(36), q: nan(12), h: nan(12) };
  assert.throws(() => be.gruForward(inp, out, new Float32Array(n - 1)), (e) => e instanceof ShapeError && /ws/.test(e.message));
  assert.throws(() => be.gruForward({ ...inp, lengths: Int32Array.from([2, 0]) }, out, new Float32Array(n)),
    (e) => e instanceof ValueError && /lengths\[1\]/.test(e.message));
  assert.throws(() => be.gruForward({ ...inp, x: new Float64Array(8) }, out, new Float32Array(n)),
    (e) => e instanceof ValueError && /Float32Array/.test(e.message));
  assert.throws(() => be.gruForward({ ...inp, x: new Float32Array(7) }, out, new Float32Array(n)), (e) => e instanceof ShapeError && /x/.test(e.message));
  assert.throws(() => be.gruForward(inp, { ...out, q: null as any }, new Float32Array(n)), (e) => e instanceof ShapeError && /q/.test(e.message));
  const rnn = { ...inp, nonlinearity: 'gelu' as RnnNonlinearity };
  assert.throws(() => be.rnnForward(rnn, { y: nan(12), hN: nan(6), h: nan(12) }, new Float32Array(be.recurrentWorkspace('rnn', inp, 'float32'))),
    (e) => e instanceof RecurError && e.code === 'E_OPTION');
  const lstm = { ...setup({ kind: 'lstm', T: 2, B: 2, I: 2, H: 3, P: 2 }), wHr: null };
  const lstmOut = { y: nan(8), hN: nan(4), cN: nan(6), gates: nan(48), c: nan(12), h: nan(8), m: nan(12) };
  assert.throws(() => be.lstmForward(lstm, lstmOut, new Float32Array(be.recurrentWorkspace('lstm', lstm, 'float32'))), /wHr/);
  assert.ok(out.y.every(Number.isNaN), 'nothing written by failing calls');
});

test('the argument tables of native/recurrent.h and recurrent-adapter.ts are the same', { skip }, () => {
  assert.deepEqual(addon.recurrentArgs(), RECURRENT_ARGS);
});

test('the native backend routes float32 recurrent calls to C and float64 calls to the reference', { skip }, () => {
  const be = nativeBackendOrNull()!;
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    const d = { T: 7, B: 5, I: 3, H: 33, P: kind === 'lstm' ? 2 : 0 };
    assert.equal(be.recurrentWorkspace(kind, d, 'float64'), ref.recurrentWorkspace(kind, d, 'float64'), `${kind} float64 workspace is the reference's`);
    assert.equal(be.recurrentWorkspace(kind, d, 'float32'), native(0).recurrentWorkspace(kind, d, 'float32'), `${kind} float32 workspace is the kernel's`);
  }
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    const inp = setup({ kind, T: 4, B: 3, I: 5, H: 33, P: kind === 'lstm' ? 2 : 0, lengths: [4, 1, 3], maskX: true });
    assertClose(forward(be, kind, inp), forward(ref, kind, inp), `${kind} float32 via the loader`);
    const to64 = (b: Buf | null) => (b === null ? null : Float64Array.from(b));
    const inp64 = { ...inp, x: to64(inp.x)!, h0: to64(inp.h0)!, c0: to64(inp.c0)!, wIh: to64(inp.wIh)!, wHh: to64(inp.wHh)!,
      bIh: to64(inp.bIh), bHh: to64(inp.bHh), wHr: to64(inp.wHr), maskX: to64(inp.maskX), maskH: null };
    const run = (b: RecurrentMethods) => {
      const n = (k: number) => new Float64Array(k);
      const { T, B, H, P } = inp64;
      const Hout = P > 0 ? P : H;
      const ws = n(b.recurrentWorkspace(kind, inp64, 'float64'));
      const o: any = { y: n(T * B * Hout), hN: n(B * Hout), h: n(T * B * Hout), cN: n(B * H), gates: n(T * B * 4 * H), c: n(T * B * H), m: P > 0 ? n(T * B * H) : null, q: n(T * B * H) };
      if (kind === 'lstm') b.lstmForward(inp64, o, ws);
      else if (kind === 'gru') b.gruForward(inp64, o, ws);
      else b.rnnForward(inp64, o, ws);
      return o.y as Float64Array;
    };
    assert.deepEqual(run(be), run(ref), `${kind} float64 goes to the reference, bit for bit`);
  }
});
