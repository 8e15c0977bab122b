/**
 * Shared by the fused recurrent kernel suites (native-recurrent.test.ts, wasm-recurrent.test.ts): random
 * float32 problems for one layer and direction, and forward / backward through any backend's
 * recurrent methods with every output and scratch buffer prefilled with NaN (each element the kernel
 * defines must be written; scratch must be written before it is read).
 *
 * Legend: T time, B batch, I input, H hidden, P projection (LSTM), Hout = P > 0 ? P : H, G = gates·H.
 */
import type { Backend, Buf, LstmInputs, RnnNonlinearity } from '../src/kernels/backend.js';
import { Rng } from '../src/util/rng.js';

export type Kind = 'lstm' | 'gru' | 'rnn';
export type Inputs = LstmInputs & { nonlinearity: RnnNonlinearity };
export interface Cfg {
  kind: Kind; T: number; B: number; I: number; H: number; P?: number; reverse?: boolean; lengths?: number[];
  maskX?: boolean; maskH?: boolean; noBias?: boolean; relu?: boolean; seed?: number;
}
export type Bufs = Record<string, Float32Array | null>;
type Methods = Pick<Backend, 'recurrentWorkspace' | 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward' | 'rnnForward' | 'rnnBackward'>;

export const GATES = { lstm: 4, gru: 3, rnn: 1 };

/** Inputs ±2, weights ±0.8 (larger than a trained model's), biases ±0.5, masks in [0, 2). */
export function setup(cfg: Cfg): Inputs {
  const { kind, T, B, I, H } = cfg;
  const P = kind === 'lstm' ? cfg.P ?? 0 : 0, Hout = P > 0 ? P : H, G = GATES[kind] * H;
  const rng = new Rng(cfg.seed ?? 1);
  const rand = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
  return {
    T, B, I, H, P, reverse: cfg.reverse ?? false, nonlinearity: cfg.relu ? 'relu' : 'tanh',
    x: rand(T * B * I, -2, 2), h0: rand(B * Hout), c0: rand(B * H, -2, 2), wIh: rand(G * I, -0.8, 0.8), wHh: rand(G * Hout, -0.8, 0.8),
    bIh: cfg.noBias ? null : rand(G, -0.5, 0.5), bHh: cfg.noBias ? null : rand(G, -0.5, 0.5), wHr: P > 0 ? rand(P * H, -0.8, 0.8) : null,
    lengths: cfg.lengths ? Int32Array.from(cfg.lengths) : null,
    maskX: cfg.maskX ? rand(B * I, 0, 2) : null, maskH: cfg.maskH ? rand(B * Hout, 0, 2) : null,
  };
}

export const nan = (n: number) => new Float32Array(n).fill(NaN);

/**
 * Forward with `be`; every output and saved buffer by contract name (inference: y, hN, cN only).
 * yIsH: y is the saved h buffer itself (allowed without padded steps; the op layer does it).
 */
export function forward(be: Methods, kind: Kind, inp: Inputs, inference = false, yIsH = false): Bufs {
  const { T, B, H, P } = inp, Hout = P > 0 ? P : H;
  const ws = nan(be.recurrentWorkspace(kind, inp, 'float32'));
  const h = nan(T * B * Hout);
  const base = { y: yIsH ? h : nan(T * B * Hout), hN: nan(B * Hout), h };
  const i = { ...inp, inference };
  if (kind === 'lstm') {
    const out = { ...base, cN: nan(B * H), gates: nan(T * B * 4 * H), c: nan(T * B * H), m: P > 0 ? nan(T * B * H) : null };
    be.lstmForward(i, out, ws);
    return inference ? { y: out.y, hN: out.hN, cN: out.cN } : out;
  }
  if (kind === 'gru') {
    const out = { ...base, gates: nan(T * B * 3 * H), q: nan(T * B * H) };
    be.gruForward(i, out, ws);
    return inference ? { y: out.y, hN: out.hN } : out;
  }
  be.rnnForward(i, base, ws);
  return base;
}

/** Upstream gradients dy, dhN (dcN) from `seed`, or all null. */
export function upstream(kind: Kind, inp: Inputs, seed: number, none = false): Bufs {
  const rng = new Rng(seed), Hout = inp.P > 0 ? inp.P : inp.H;
  const r = (n: number) => (none ? null : Float32Array.from({ length: n }, () => rng.uniform(-1, 1)));
  return { dy: r(inp.T * inp.B * Hout), dhN: r(inp.B * Hout), dcN: kind === 'lstm' ? r(inp.B * inp.H) : null };
}

/** Gradient buffers for every input of `kind` (null where the input is null), filled with `fill`. */
export function gradBuffers(kind: Kind, inp: Inputs, fill = 0): Bufs {
  const z = (b: Buf | null) => (b === null ? null : new Float32Array(b.length).fill(fill));
  const g: Bufs = { dx: z(inp.x), dh0: z(inp.h0), dWIh: z(inp.wIh), dWHh: z(inp.wHh), dBIh: z(inp.bIh), dBHh: z(inp.bHh) };
  if (kind === 'lstm') Object.assign(g, { dc0: z(inp.c0), dWHr: z(inp.wHr) });
  return g;
}

export function backward(be: Methods, kind: Kind, inp: Inputs, saved: Bufs, up: Bufs, g: Bufs): void {
  const ws = nan(be.recurrentWorkspace(kind, inp, 'float32'));
  const all = { ...g, ...up } as any;
  if (kind === 'lstm') be.lstmBackward(inp, saved as any, { dc0: null, dWHr: null, dcN: null, ...all }, ws);
  else if (kind === 'gru') be.gruBackward(inp, saved as any, all, ws);
  else be.rnnBackward(inp, saved as any, all, ws);
}
