/**
 * Reference recurrent kernels (lstm.ts, gru.ts, rnn.ts): forward against a naive per-row, per-step
 * implementation written here; BPTT against central finite differences in float64; padding and
 * variable-length semantics; accumulation, null buffers, float32, workspace size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Buf, LstmInputs, RnnNonlinearity } from '../backend.js';
import { Rng } from '../../util/rng.js';
import { lstmBackward, lstmForward } from './lstm.js';
import { gruBackward, gruForward } from './gru.js';
import { rnnBackward, rnnForward } from './rnn.js';
import { recurrentWorkspace } from './workspace.js';

type Kind = 'lstm' | 'gru' | 'rnn';
type Inputs = LstmInputs & { nonlinearity: RnnNonlinearity };
interface Cfg {
  kind: Kind; T: number; B: number; I: number; H: number; P?: number; reverse?: boolean; lengths?: number[];
  maskX?: boolean; maskH?: boolean; noBias?: boolean; relu?: boolean; seed?: number; f32?: boolean;
}
interface Run { y: Buf; hN: Buf; cN: Buf | null; saved: any }
type Grads = Record<string, Buf | null>;

const gateCount = { lstm: 4, gru: 3, rnn: 1 };
const houtOf = (inp: { H: number; P: number }) => (inp.P > 0 ? inp.P : inp.H);
const sig = (v: number) => 1 / (1 + Math.exp(-v));

function setup(cfg: Cfg): Inputs {
  const { kind, T, B, I, H } = cfg;
  const P = kind === 'lstm' ? cfg.P ?? 0 : 0;
  const Hout = P > 0 ? P : H;
  const G = gateCount[kind] * H;
  const rng = new Rng(cfg.seed ?? 1);
  const rand = (n: number, lo = -1, hi = 1): Buf => {
    const a = cfg.f32 ? new Float32Array(n) : new Float64Array(n);
    for (let k = 0; k < n; k++) a[k] = rng.uniform(lo, hi);
    return a;
  };
  return {
    T, B, I, H, P, reverse: cfg.reverse ?? false, nonlinearity: cfg.relu ? 'relu' : 'tanh',
    x: rand(T * B * I), h0: rand(B * Hout), c0: rand(B * H),
    wIh: rand(G * I, -0.7, 0.7), wHh: rand(G * Hout, -0.7, 0.7),
    bIh: cfg.noBias ? null : rand(G, -0.5, 0.5), bHh: cfg.noBias ? null : rand(G, -0.5, 0.5),
    wHr: P > 0 ? rand(P * H, -0.7, 0.7) : null,
    lengths: cfg.lengths ? Int32Array.from(cfg.lengths) : null,
    maskX: cfg.maskX ? rand(B * I, 0, 2) : null, maskH: cfg.maskH ? rand(B * Hout, 0, 2) : null,
  };
}

function zeros(like: Buf, n: number): Buf {
  return like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

function forward(kind: Kind, inp: Inputs): Run {
  const { T, B, H } = inp;
  const Hout = houtOf(inp);
  const z = (n: number) => zeros(inp.x, n).fill(NaN); // every output element must be written
  const ws = z(recurrentWorkspace(kind, inp));
  const base = { y: z(T * B * Hout), hN: z(B * Hout), h: z(T * B * Hout) };
  if (kind === 'lstm') {
    const out = { ...base, cN: z(B * H), gates: z(T * B * 4 * H), c: z(T * B * H), m: inp.P > 0 ? z(T * B * H) : null };
    lstmForward(inp, out, ws);
    return { y: out.y, hN: out.hN, cN: out.cN, saved: out };
  }
  if (kind === 'gru') {
    const out = { ...base, gates: z(T * B * 3 * H), q: z(T * B * H) };
    gruForward(inp, out, ws);
    return { y: out.y, hN: out.hN, cN: null, saved: out };
  }
  rnnForward(inp, base, ws);
  return { y: base.y, hN: base.hN, cN: null, saved: base };
}

/** Zero-filled gradient buffers for every input of `kind` (names as in LstmGrads). */
function gradBuffers(kind: Kind, inp: Inputs): Grads {
  const z = (b: Buf | null) => (b === null ? null : zeros(b, b.length));
  const g: Grads = { dx: z(inp.x), dh0: z(inp.h0), dWIh: z(inp.wIh), dWHh: z(inp.wHh), dBIh: z(inp.bIh), dBHh: z(inp.bHh) };
  if (kind === 'lstm') Object.assign(g, { dc0: z(inp.c0), dWHr: z(inp.wHr) });
  return g;
}

function backward(kind: Kind, inp: Inputs, saved: any, up: Grads, g: Grads): void {
  const ws = zeros(inp.x, recurrentWorkspace(kind, inp)).fill(NaN); // scratch must be written before read
  const all = { ...g, ...up } as any;
  if (kind === 'lstm') lstmBackward(inp, saved, { dc0: null, dWHr: null, dcN: null, ...all }, ws);
  else if (kind === 'gru') gruBackward(inp, saved, all, ws);
  else rnnBackward(inp, saved, all, ws);
}

// ---------------------------------------------------------------------------------------------
// Naive per-row implementation: plain arrays, one matrix-vector product per weight, PyTorch packed
// semantics spelled out directly (row b reads t = 0 … L-1, or L-1 … 0 when reversed).

function naive(kind: Kind, inp: Inputs): { y: number[]; hN: number[]; cN: number[] } {
  const { T, B, I, H, P } = inp;
  const Hout = houtOf(inp);
  const row = (buf: Buf | null, off: number, n: number) =>
    buf === null ? new Array<number>(n).fill(1) : Array.from(buf.subarray(off, off + n));
  const mv = (W: Buf, v: number[], bias: Buf | null) => {
    const out: number[] = [];
    for (let r = 0; r < W.length / v.length; r++) {
      let s = bias === null ? 0 : bias[r]!;
      for (let k = 0; k < v.length; k++) s += W[r * v.length + k]! * v[k]!;
      out.push(s);
    }
    return out;
  };
  const y = new Array<number>(T * B * Hout).fill(0);
  const hN: number[] = [];
  const cN: number[] = [];
  for (let b = 0; b < B; b++) {
    const L = inp.lengths ? inp.lengths[b]! : T;
    let h = row(inp.h0, b * Hout, Hout);
    let c = row(inp.c0, b * H, H);
    const mx = row(inp.maskX, b * I, I);
    const mh = row(inp.maskH, b * Hout, Hout);
    for (let s = 0; s < L; s++) {
      const t = inp.reverse ? L - 1 - s : s;
      const gx = mv(inp.wIh, row(inp.x, (t * B + b) * I, I).map((v, k) => v * mx[k]!), inp.bIh);
      const gh = mv(inp.wHh, h.map((v, k) => v * mh[k]!), inp.bHh);
      const a = gx.map((v, k) => v + gh[k]!);
      const part = (n: number) => a.slice(n * H, (n + 1) * H);
      if (kind === 'lstm') {
        const [i, f, o] = [part(0).map(sig), part(1).map(sig), part(3).map(sig)];
        const gg = part(2).map(Math.tanh);
        c = c.map((cv, j) => f[j]! * cv + i[j]! * gg[j]!);
        const m = c.map((cv, j) => o[j]! * Math.tanh(cv));
        h = P > 0 ? mv(inp.wHr!, m, null) : m;
      } else if (kind === 'gru') {
        const r = part(0).map(sig);
        const z = part(1).map(sig);
        const n = gx.slice(2 * H).map((v, j) => Math.tanh(v + r[j]! * gh[2 * H + j]!));
        h = h.map((hv, j) => (1 - z[j]!) * n[j]! + z[j]! * hv);
      } else {
        h = a.map((v) => (inp.nonlinearity === 'relu' ? Math.max(v, 0) : Math.tanh(v)));
      }
      for (let j = 0; j < Hout; j++) y[(t * B + b) * Hout + j] = h[j]!;
    }
    hN.push(...h);
    cN.push(...c);
  }
  return { y, hN, cN };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k]! - b[k]!));
  return d;
}

const label = (c: Cfg) => JSON.stringify(c).replace(/"/g, '');

const forwardCases: Cfg[] = [
  { kind: 'lstm', T: 4, B: 3, I: 3, H: 5 },
  { kind: 'lstm', T: 4, B: 3, I: 3, H: 5, P: 2 },
  { kind: 'lstm', T: 5, B: 3, I: 2, H: 4, reverse: true, lengths: [5, 2, 1], maskX: true, maskH: true, noBias: true },
  { kind: 'lstm', T: 5, B: 3, I: 2, H: 4, P: 3, reverse: true, lengths: [3, 5, 1], maskX: true, maskH: true },
  { kind: 'lstm', T: 4, B: 2, I: 3, H: 3, P: 1, lengths: [2, 4], maskH: true, noBias: true },
  { kind: 'gru', T: 4, B: 3, I: 3, H: 5 },
  { kind: 'gru', T: 5, B: 3, I: 2, H: 4, reverse: true, lengths: [1, 5, 3], maskX: true, maskH: true, noBias: true },
  { kind: 'gru', T: 5, B: 2, I: 2, H: 3, lengths: [4, 2], maskH: true },
  { kind: 'rnn', T: 4, B: 3, I: 3, H: 5 },
  { kind: 'rnn', T: 4, B: 3, I: 3, H: 5, relu: true, noBias: true },
  { kind: 'rnn', T: 5, B: 3, I: 2, H: 4, relu: true, reverse: true, lengths: [2, 5, 1], maskX: true, maskH: true },
  { kind: 'rnn', T: 5, B: 2, I: 2, H: 4, lengths: [5, 3], maskX: true },
];

for (const cfg of forwardCases) {
  test(`forward matches naive per-step loops: ${label(cfg)}`, () => {
    const inp = setup(cfg);
    const got = forward(cfg.kind, inp);
    const want = naive(cfg.kind, inp);
    assert.ok(maxDiff(got.y, want.y) < 1e-12, 'y');
    assert.ok(maxDiff(got.hN, want.hN) < 1e-12, 'hN');
    if (got.cN) assert.ok(maxDiff(got.cN, want.cN) < 1e-12, 'cN');
  });
}

// ---------------------------------------------------------------------------------------------
// Finite differences: L = Σ y·Gy + Σ hN·GhN (+ Σ cN·GcN), central differences with eps 1e-6.

const PARAMS: [keyof Inputs, string][] = [
  ['x', 'dx'], ['h0', 'dh0'], ['c0', 'dc0'], ['wIh', 'dWIh'], ['wHh', 'dWHh'], ['bIh', 'dBIh'], ['bHh', 'dBHh'], ['wHr', 'dWHr'],
];

function upstream(run: Run, seed: number): Grads {
  const rng = new Rng(seed);
  const r = (b: Buf | null) => (b === null ? null : Float64Array.from(b, () => rng.uniform(-1, 1)));
  return { dy: r(run.y), dhN: r(run.hN), dcN: r(run.cN) };
}

function loss(kind: Kind, inp: Inputs, up: Grads): number {
  const run = forward(kind, inp);
  const dot = (a: Buf | null, b: Buf | null) => {
    let s = 0;
    if (a && b) for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
    return s;
  };
  return dot(run.y, up.dy!) + dot(run.hN, up.dhN!) + dot(run.cN, up.dcN!);
}

const gradCases: Cfg[] = [
  { kind: 'lstm', T: 3, B: 2, I: 3, H: 5, P: 2 },
  { kind: 'lstm', T: 3, B: 2, I: 3, H: 5, P: 2, reverse: true, lengths: [3, 1], maskX: true, maskH: true, noBias: true },
  { kind: 'lstm', T: 4, B: 3, I: 2, H: 3, lengths: [2, 4, 1], maskX: true, maskH: true },
  { kind: 'lstm', T: 4, B: 3, I: 2, H: 3, reverse: true, lengths: [1, 3, 4] },
  { kind: 'lstm', T: 1, B: 1, I: 2, H: 1 },
  { kind: 'lstm', T: 2, B: 1, I: 1, H: 1, P: 1, maskH: true },
  { kind: 'gru', T: 3, B: 2, I: 3, H: 5 },
  { kind: 'gru', T: 4, B: 3, I: 2, H: 3, reverse: true, lengths: [4, 1, 2], maskX: true, maskH: true },
  { kind: 'gru', T: 4, B: 2, I: 3, H: 2, lengths: [1, 4], maskH: true, noBias: true },
  { kind: 'gru', T: 1, B: 1, I: 1, H: 1, noBias: true },
  { kind: 'rnn', T: 3, B: 2, I: 3, H: 5 },
  { kind: 'rnn', T: 4, B: 3, I: 2, H: 3, lengths: [1, 4, 3], maskX: true, maskH: true, noBias: true },
  { kind: 'rnn', T: 4, B: 3, I: 3, H: 4, relu: true, reverse: true, lengths: [4, 2, 1], maskX: true, maskH: true },
  { kind: 'rnn', T: 3, B: 2, I: 2, H: 3, relu: true, seed: 7 },
  { kind: 'rnn', T: 1, B: 1, I: 1, H: 1 },
];

for (const cfg of gradCases) {
  test(`backward matches finite differences: ${label(cfg)}`, () => {
    const inp = setup(cfg);
    const run = forward(cfg.kind, inp);
    const up = upstream(run, 99);
    const g = gradBuffers(cfg.kind, inp);
    backward(cfg.kind, inp, run.saved, up, g);
    const eps = 1e-6;
    for (const [name, gname] of PARAMS) {
      const p = inp[name] as Buf | null;
      const an = g[gname];
      if (p === null || an === undefined || an === null) continue;
      for (let k = 0; k < p.length; k++) {
        const v = p[k]!;
        p[k] = v + eps;
        const lp = loss(cfg.kind, inp, up);
        p[k] = v - eps;
        const lm = loss(cfg.kind, inp, up);
        p[k] = v;
        const num = (lp - lm) / (2 * eps);
        const tol = 1e-6 * Math.max(1, Math.abs(num), Math.abs(an[k]!));
        assert.ok(Math.abs(num - an[k]!) <= tol, `${gname}[${k}]: analytic ${an[k]} vs numeric ${num}`);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Variable lengths: padded outputs are 0, and each row equals a run of that row alone with T = L_b.

function rowAlone(inp: Inputs, b: number, L: number): Inputs {
  const { B, I, H } = inp;
  const Hout = houtOf(inp);
  const slice = (buf: Buf | null, n: number) => (buf === null ? null : buf.slice(b * n, (b + 1) * n));
  const x = new Float64Array(L * I);
  for (let t = 0; t < L; t++) for (let i = 0; i < I; i++) x[t * I + i] = inp.x[(t * B + b) * I + i]!;
  return {
    ...inp, T: L, B: 1, x, lengths: null, h0: slice(inp.h0, Hout)!, c0: slice(inp.c0, H)!,
    maskX: slice(inp.maskX, I), maskH: slice(inp.maskH, Hout),
  };
}

for (const kind of ['lstm', 'gru', 'rnn'] as const) {
  for (const reverse of [false, true]) {
    test(`lengths: padded y = 0 and rows equal single-row runs (${kind}, reverse ${reverse})`, () => {
      const lengths = [4, 1, 3];
      const inp = setup({ kind, T: 4, B: 3, I: 2, H: 3, P: kind === 'lstm' ? 2 : 0, reverse, lengths, maskX: true, maskH: true, relu: true });
      const Hout = houtOf(inp);
      const run = forward(kind, inp);
      lengths.forEach((L, b) => {
        for (let t = L; t < 4; t++) for (let j = 0; j < Hout; j++) assert.equal(run.y[(t * 3 + b) * Hout + j], 0);
        const one = forward(kind, rowAlone(inp, b, L));
        for (let t = 0; t < L; t++) {
          for (let j = 0; j < Hout; j++) assert.ok(Math.abs(one.y[t * Hout + j]! - run.y[(t * 3 + b) * Hout + j]!) < 1e-14);
        }
        assert.ok(maxDiff(one.hN, run.hN.subarray(b * Hout, (b + 1) * Hout)) < 1e-14, 'hN');
        if (one.cN) assert.ok(maxDiff(one.cN, run.cN!.subarray(b * inp.H, (b + 1) * inp.H)) < 1e-14, 'cN');
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Contract details.

test('backward accumulates (+=), skips null gradient buffers, and treats null dy/dhN/dcN as zero', () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    const inp = setup({ kind, T: 3, B: 2, I: 2, H: 3, P: kind === 'lstm' ? 2 : 0, lengths: [3, 2], maskX: true, maskH: true });
    const run = forward(kind, inp);
    const up = upstream(run, 5);
    const once = gradBuffers(kind, inp);
    backward(kind, inp, run.saved, up, once);
    const twice = gradBuffers(kind, inp);
    backward(kind, inp, run.saved, up, twice);
    backward(kind, inp, run.saved, up, twice);
    for (const k in once) assert.ok(maxDiff(twice[k]!, once[k]!.map((v) => 2 * v)) < 1e-12, `${kind} ${k}`);
    // Only dWHh requested, only dy given: equals the dy-only part of a full run.
    const onlyDy = gradBuffers(kind, inp);
    backward(kind, inp, run.saved, { dy: up.dy!, dhN: null, dcN: null }, onlyDy);
    const sparse: Grads = { dx: null, dh0: null, dWIh: null, dWHh: zeros(inp.wHh, inp.wHh.length), dBIh: null, dBHh: null };
    backward(kind, inp, run.saved, { dy: up.dy!, dhN: null, dcN: null }, sparse);
    assert.ok(maxDiff(sparse.dWHh!, onlyDy.dWHh!) === 0, `${kind} sparse dWHh`);
  }
});

test('float32 buffers agree with float64', () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    const cfg: Cfg = { kind, T: 4, B: 2, I: 3, H: 4, P: kind === 'lstm' ? 2 : 0, reverse: true, lengths: [4, 2], maskX: true, maskH: true };
    const [i32, i64] = [setup({ ...cfg, f32: true }), setup(cfg)];
    const [r32, r64] = [forward(kind, i32), forward(kind, i64)];
    assert.ok(r32.y instanceof Float32Array);
    assert.ok(maxDiff(r32.y, r64.y) < 1e-5 && maxDiff(r32.hN, r64.hN) < 1e-5, `${kind} forward`);
    const up = upstream(r64, 3);
    const up32: Grads = Object.fromEntries(Object.entries(up).map(([k, v]) => [k, v && Float32Array.from(v)]));
    const [g32, g64] = [gradBuffers(kind, i32), gradBuffers(kind, i64)];
    backward(kind, i32, r32.saved, up32, g32);
    backward(kind, i64, r64.saved, up, g64);
    for (const k in g64) if (g64[k]) assert.ok(maxDiff(g32[k]!, g64[k]!) < 1e-4, `${kind} ${k}`);
  }
});

test('workspace: a too small workspace throws, bad lengths throw', () => {
  const inp = setup({ kind: 'gru', T: 2, B: 2, I: 2, H: 2 });
  const n = recurrentWorkspace('gru', inp);
  const run = forward('gru', inp);
  const g = gradBuffers('gru', inp);
  const up: Grads = { dy: null, dhN: null };
  assert.throws(() => gruBackward(inp, run.saved, { ...up, ...g } as any, new Float64Array(n - 1)), /workspace/);
  assert.throws(() => gruForward({ ...inp, lengths: Int32Array.from([2, 0]) }, run.saved, new Float64Array(n)), /lengths\[1\]/);
});
