/** Elementwise ops with NumPy broadcasting, unary nonlinearities and scalar ops. */
import type { Buf, UnaryKind } from '../kernels/backend.js';
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike } from '../tensor/create.js';
import { recordOp } from '../autograd/engine.js';
import { broadcastShapes, numel, shapesEqual, stridesOf } from '../util/shape.js';
import { ValueError } from '../util/errors.js';

/** For each flat index of `outShape`, the flat index into a tensor of `inShape` broadcast to it. */
function broadcastIndex(outShape: readonly number[], inShape: readonly number[]): Int32Array {
  const n = numel(outShape);
  const idx = new Int32Array(n);
  const nd = outShape.length;
  const inStr = stridesOf(inShape);
  const eff = outShape.map((_, i) => {
    const j = i - (nd - inShape.length);
    return j < 0 || inShape[j] === 1 ? 0 : inStr[j]!;
  });
  const counter = new Array<number>(nd).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let d = nd - 1; d >= 0; d--) {
      counter[d]!++;
      off += eff[d]!;
      if (counter[d]! < outShape[d]!) break;
      off -= eff[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

/** Sum a gradient of `outShape` down to `inShape` (undoing broadcasting). */
function reduceTo(g: Buf, outShape: readonly number[], inShape: readonly number[]): Buf {
  if (shapesEqual(outShape, inShape)) return g;
  const r = allocLike(g, numel(inShape));
  const idx = broadcastIndex(outShape, inShape);
  for (let k = 0; k < g.length; k++) r[idx[k]!] += g[k]!;
  return r;
}

function checkDtypes(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new ValueError(op, `operands of one dtype`, `${a.dtype} and ${b.dtype}`);
}

type BinFn = (x: number, y: number) => number;

function binary(
  name: string,
  a: Tensor,
  b: Tensor,
  f: BinFn,
  grads: (ga: Buf | null, gb: Buf | null, g: Buf, av: Buf, bv: Buf, ai: Int32Array | null, bi: Int32Array | null) => void,
): Tensor {
  checkDtypes(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const n = numel(shape);
  const out = allocLike(a.data, n);
  const ai = shapesEqual(shape, a.shape) ? null : broadcastIndex(shape, a.shape);
  const bi = shapesEqual(shape, b.shape) ? null : broadcastIndex(shape, b.shape);
  const av = a.data;
  const bv = b.data;
  for (let k = 0; k < n; k++) out[k] = f(av[ai ? ai[k]! : k]!, bv[bi ? bi[k]! : k]!);
  const y = new Tensor(out, shape);
  recordOp(name, [a, b], [y], ([g]) => {
    const ga = a.requiresGrad ? allocLike(g!, n) : null;
    const gb = b.requiresGrad ? allocLike(g!, n) : null;
    grads(ga, gb, g!, av, bv, ai, bi);
    return [ga && reduceTo(ga, shape, a.shape), gb && reduceTo(gb, shape, b.shape)];
  });
  return y;
}

const at = (v: Buf, idx: Int32Array | null, k: number): number => v[idx ? idx[k]! : k]!;

export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b, (x, y) => x + y, (ga, gb, g) => {
    ga?.set(g);
    gb?.set(g);
  });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return binary('sub', a, b, (x, y) => x - y, (ga, gb, g) => {
    ga?.set(g);
    if (gb) for (let k = 0; k < g.length; k++) gb[k] = -g[k]!;
  });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('mul', a, b, (x, y) => x * y, (ga, gb, g, av, bv, ai, bi) => {
    if (ga) for (let k = 0; k < g.length; k++) ga[k] = g[k]! * at(bv, bi, k);
    if (gb) for (let k = 0; k < g.length; k++) gb[k] = g[k]! * at(av, ai, k);
  });
}

export function div(a: Tensor, b: Tensor): Tensor {
  return binary('div', a, b, (x, y) => x / y, (ga, gb, g, av, bv, ai, bi) => {
    if (ga) for (let k = 0; k < g.length; k++) ga[k] = g[k]! / at(bv, bi, k);
    if (gb) for (let k = 0; k < g.length; k++) {
      const y = at(bv, bi, k);
      gb[k] = (-g[k]! * at(av, ai, k)) / (y * y);
    }
  });
}

/** Elementwise maximum (gradient to `a` where a >= b, else to `b`). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return binary('maximum', a, b, (x, y) => (x >= y ? x : y), (ga, gb, g, av, bv, ai, bi) => {
    for (let k = 0; k < g.length; k++) {
      const first = at(av, ai, k) >= at(bv, bi, k);
      if (ga && first) ga[k] = g[k]!;
      if (gb && !first) gb[k] = g[k]!;
    }
  });
}

function unaryOp(kind: UnaryKind, x: Tensor): Tensor {
  const be = getBackend();
  const out = allocLike(x.data);
  be.unary(kind, x.data, out);
  const y = new Tensor(out, x.shape);
  recordOp(kind, [x], [y], ([g]) => {
    const dx = allocLike(g!);
    be.unaryBackward(kind, x.data, out, g!, dx);
    return [dx];
  });
  return y;
}

export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
/** log(1 + eˣ), linear above 20 (PyTorch's threshold). */
export const softplus = (x: Tensor): Tensor => unaryOp('softplus', x);
export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);

/** Apply y = f(x) with derivative df(x, y) elementwise (scalar ops). */
function mapOp(name: string, x: Tensor, f: (v: number) => number, df: (v: number, y: number) => number): Tensor {
  const out = allocLike(x.data);
  const xv = x.data;
  for (let i = 0; i < out.length; i++) out[i] = f(xv[i]!);
  const y = new Tensor(out, x.shape);
  recordOp(name, [x], [y], ([g]) => {
    const dx = allocLike(g!);
    for (let i = 0; i < dx.length; i++) dx[i] = g![i]! * df(xv[i]!, out[i]!);
    return [dx];
  });
  return y;
}

export const addScalar = (x: Tensor, c: number): Tensor => mapOp('addScalar', x, (v) => v + c, () => 1);
export const mulScalar = (x: Tensor, c: number): Tensor => mapOp('mulScalar', x, (v) => v * c, () => c);
export const powScalar = (x: Tensor, p: number): Tensor =>
  mapOp('powScalar', x, (v) => v ** p, (v) => (p === 0 ? 0 : p * v ** (p - 1)));
export const square = (x: Tensor): Tensor => mapOp('square', x, (v) => v * v, (v) => 2 * v);

/** Clamp to [lo, hi]; the gradient passes where lo <= x <= hi (PyTorch's convention). */
export function clamp(x: Tensor, lo = -Infinity, hi = Infinity): Tensor {
  return mapOp('clamp', x, (v) => (v < lo ? lo : v > hi ? hi : v), (v) => (v >= lo && v <= hi ? 1 : 0));
}

/** Leaky ReLU with slope `alpha` below zero. */
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  return mapOp('leakyRelu', x, (v) => (v > 0 ? v : alpha * v), (v) => (v > 0 ? 1 : alpha));
}
