/** Elementwise ops with NumPy broadcasting, unary nonlinearities and scalar ops. */
import type { Buf, UnaryKind } from '../kernels/backend.js';
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike } from '../tensor/create.js';
import { needsGrad, recordOp } from '../autograd/engine.js';
import { broadcastShapes, numel, shapesEqual } from '../util/shape.js';
import { broadcastIndex, reduceStrided, reduceTo, splitOf, type Split } from './broadcast.js';
import { ValueError } from '../util/errors.js';

function checkDtypes(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new ValueError(op, `operands of one dtype`, `${a.dtype} and ${b.dtype}`);
}

const enum Op { Add, Sub, Mul, Div, Max }

/** out[o·inner + i] = a[o·aO + i·aI] ∘ b[o·bO + i·bI]. One loop per op: no call per element. */
function forwardLoop(op: Op, out: Buf, av: Buf, bv: Buf, s: Split): void {
  const { outer, inner, aO, aI, bO, bI } = s;
  for (let o = 0, k = 0; o < outer; o++) {
    let ia = o * aO, ib = o * bO;
    switch (op) {
      case Op.Add: for (let i = 0; i < inner; i++, k++, ia += aI, ib += bI) out[k] = av[ia]! + bv[ib]!; break;
      case Op.Sub: for (let i = 0; i < inner; i++, k++, ia += aI, ib += bI) out[k] = av[ia]! - bv[ib]!; break;
      case Op.Mul: for (let i = 0; i < inner; i++, k++, ia += aI, ib += bI) out[k] = av[ia]! * bv[ib]!; break;
      case Op.Div: for (let i = 0; i < inner; i++, k++, ia += aI, ib += bI) out[k] = av[ia]! / bv[ib]!; break;
      case Op.Max: for (let i = 0; i < inner; i++, k++, ia += aI, ib += bI) { const x = av[ia]!, y = bv[ib]!; out[k] = x >= y ? x : y; } break;
    }
  }
}

/** Full-size gradients ga, gb (either may be null) of out = a ∘ b, given the output gradient g. */
function backwardLoop(op: Op, ga: Buf | null, gb: Buf | null, g: Buf, av: Buf, bv: Buf, s: Split): void {
  const { outer, inner, aO, aI, bO, bI } = s;
  if (op === Op.Add || op === Op.Sub) {
    ga?.set(g);
    if (gb) for (let k = 0; k < g.length; k++) gb[k] = op === Op.Add ? g[k]! : -g[k]!;
    return;
  }
  for (let o = 0, k0 = 0; o < outer; o++, k0 += inner) {
    const a0 = o * aO, b0 = o * bO;
    if (op === Op.Mul) {
      if (ga) for (let i = 0, ib = b0; i < inner; i++, ib += bI) ga[k0 + i] = g[k0 + i]! * bv[ib]!;
      if (gb) for (let i = 0, ia = a0; i < inner; i++, ia += aI) gb[k0 + i] = g[k0 + i]! * av[ia]!;
    } else if (op === Op.Div) {
      if (ga) for (let i = 0, ib = b0; i < inner; i++, ib += bI) ga[k0 + i] = g[k0 + i]! / bv[ib]!;
      if (gb) {
        for (let i = 0, ia = a0, ib = b0; i < inner; i++, ia += aI, ib += bI) {
          const y = bv[ib]!;
          gb[k0 + i] = (-g[k0 + i]! * av[ia]!) / (y * y);
        }
      }
    } else {
      for (let i = 0, ia = a0, ib = b0; i < inner; i++, ia += aI, ib += bI) {
        const first = av[ia]! >= bv[ib]!;
        if (ga && first) ga[k0 + i] = g[k0 + i]!;
        if (gb && !first) gb[k0 + i] = g[k0 + i]!;
      }
    }
  }
}

/** x gathered to full size `n` through an index map (general broadcasting). */
function gather(x: Buf, idx: Int32Array): Buf {
  const r = allocLike(x, idx.length);
  for (let k = 0; k < idx.length; k++) r[k] = x[idx[k]!]!;
  return r;
}

function binary(name: string, op: Op, a: Tensor, b: Tensor): Tensor {
  checkDtypes(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const n = numel(shape);
  const out = allocLike(a.data, n);
  let s = splitOf(shape, a.shape, b.shape);
  let av = a.data;
  let bv = b.data;
  const general = s === null;
  if (s === null) {
    // Rare shapes: gather both operands to full size, then loop as for equal shapes.
    if (!shapesEqual(shape, a.shape)) av = gather(av, broadcastIndex(shape, a.shape));
    if (!shapesEqual(shape, b.shape)) bv = gather(bv, broadcastIndex(shape, b.shape));
    s = { outer: 1, inner: n, aO: 0, aI: 1, bO: 0, bI: 1 };
  }
  forwardLoop(op, out, av, bv, s);
  const y = new Tensor(out, shape);
  if (!needsGrad([a, b])) return y;
  const sp = s;
  recordOp(name, [a, b], [y], ([g]) => {
    const ga = a.requiresGrad ? allocLike(g!, n) : null;
    const gb = b.requiresGrad ? allocLike(g!, n) : null;
    backwardLoop(op, ga, gb, g!, av, bv, sp);
    if (general) return [ga && reduceTo(ga, shape, a.shape), gb && reduceTo(gb, shape, b.shape)];
    return [ga && reduceStrided(ga, sp, sp.aO, sp.aI, a.size), gb && reduceStrided(gb, sp, sp.bO, sp.bI, b.size)];
  });
  return y;
}

export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', Op.Add, a, b);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return binary('sub', Op.Sub, a, b);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('mul', Op.Mul, a, b);
}

export function div(a: Tensor, b: Tensor): Tensor {
  return binary('div', Op.Div, a, b);
}

/** Elementwise maximum (gradient to `a` where a >= b, else to `b`). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return binary('maximum', Op.Max, a, b);
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
