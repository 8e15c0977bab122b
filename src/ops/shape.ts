/**
 * Shape ops: reshape, permute/transpose, concat/stack, slice, squeeze/unsqueeze.
 * reshape / squeeze / unsqueeze (and concat or stack of a single tensor) return a view that shares
 * the input's buffer, as PyTorch's reshape of a contiguous tensor does — safe because ops never
 * write their inputs (only the optimizer writes parameters, in place, as in PyTorch). The others copy.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocLike, allocOverwritten } from '../tensor/create.js';
import { needsGrad, recordOp } from '../autograd/engine.js';
import { takeBuf } from './scratch.js';
import type { Buf } from '../kernels/backend.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape, normAxis, numel, shapesEqual, stridesOf, shapeSlice, numelRange } from '../util/shape.js';

/** Same data, new shape (one size may be -1): a view sharing x's buffer. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = shapeSlice(shape);
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    let rest = 1;
    for (let i = 0; i < s.length; i++) if (i !== neg) rest *= s[i]!;
    s[neg] = rest === 0 ? 0 : x.size / rest;
  }
  let n = 1;
  let ok = true;
  for (let i = 0; i < s.length; i++) {
    const d = s[i]!;
    if (!Number.isInteger(d) || d < 0) ok = false;
    n *= d;
  }
  if (n !== x.size || !ok) throw new ShapeError('reshape', `a shape with ${x.size} elements`, fmtShape(shape));
  const y = new Tensor(x.data, s);
  if (needsGrad([x])) recordOp('reshape', [x], [y], passThrough);
  return y;
}

/** Backward of a view: the gradient passes unchanged. */
const passThrough = ([g]: (Buf | null)[]): (Buf | null)[] => [g!];

/** Reorder axes: output axis i is input axis `axes[i]`. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const nd = x.ndim;
  const ax = axes.map((a) => normAxis('permute', a, nd));
  if (ax.length !== nd || new Set(ax).size !== nd) {
    throw new ShapeError('permute', `a permutation of ${nd} axes`, `[${axes.join(', ')}]`);
  }
  const outShape = ax.map((a) => x.shape[a]!);
  const inStr = stridesOf(x.shape);
  const src = ax.map((a) => inStr[a]!); // input stride of each output axis
  const n = x.size;
  const out = allocLike(x.data, n);
  permuteCopy(x.data, out, outShape, src, false);
  const y = new Tensor(out, outShape);
  if (!needsGrad([x])) return y;
  recordOp('permute', [x], [y], ([g]) => {
    const dx = allocLike(g!, n);
    permuteCopy(g!, dx, outShape, src, true);
    return [dx];
  });
  return y;
}

/**
 * Output element k (row-major over outShape) is input element Σ_d i_d·src_d. Walks the output row
 * by row (rows of the last axis; a counter over the other axes gives each row's input offset), so no
 * per-element index map is built. inverse: scatter a (output-shaped) gradient back, dx[in] = g[k].
 */
function permuteCopy(from: Buf, to: Buf, outShape: readonly number[], src: readonly number[], inverse: boolean): void {
  const nd = outShape.length;
  if (nd === 0 || from.length === 0) {
    if (from.length) to[0] = from[0]!;
    return;
  }
  const inner = outShape[nd - 1]!;
  const sl = src[nd - 1]!;
  const rows = from.length / inner;
  const c = new Array<number>(nd).fill(0);
  let off = 0;
  for (let r = 0, k = 0; r < rows; r++) {
    if (sl === 1 && !inverse) to.set(from.subarray(off, off + inner), k);
    else if (sl === 1) to.set(from.subarray(k, k + inner), off);
    else if (inverse) for (let j = 0, i = off; j < inner; j++, i += sl) to[i] = from[k + j]!;
    else for (let j = 0, i = off; j < inner; j++, i += sl) to[k + j] = from[i]!;
    k += inner;
    for (let d = nd - 2; d >= 0; d--) { // next row: advance the counter over the outer axes
      c[d]!++;
      off += src[d]!;
      if (c[d]! < outShape[d]!) break;
      off -= src[d]! * outShape[d]!;
      c[d] = 0;
    }
  }
}

/** Swap two axes. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const ax = x.shape.map((_, i) => i);
  const i = normAxis('transpose', a, x.ndim);
  const j = normAxis('transpose', b, x.ndim);
  ax[i] = j;
  ax[j] = i;
  return permute(x, ax);
}

/** Join tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat', 'at least one tensor', 'none');
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.ndim);
  for (const t of xs) {
    const ok = t.ndim === first.ndim && t.shape.every((d, i) => i === a || d === first.shape[i]) && t.dtype === first.dtype;
    if (!ok) throw new ShapeError('concat', `tensors like ${fmtShape(first.shape)} except on axis ${a}`, fmtShape(t.shape));
  }
  if (xs.length === 1) {
    const y = new Tensor(first.data, first.shape);
    recordOp('concat', xs, [y], passThrough);
    return y;
  }
  const outer = numelRange(first.shape, 0, a);
  const inner = numelRange(first.shape, a + 1);
  const sizes = xs.map((t) => t.shape[a]!);
  const total = sizes.reduce((p, q) => p + q, 0);
  const out = allocOverwritten(first.data, outer * total * inner); // every element is written below
  let pos = 0;
  xs.forEach((t, k) => {
    const w = sizes[k]! * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * w, (o + 1) * w), o * total * inner + pos * inner);
    pos += sizes[k]!;
  });
  const shape = [...first.shape];
  shape[a] = total;
  const y = new Tensor(out, shape);
  // The gradients are pool buffers (fully overwritten): an op that consumes them (a recurrent layer
  // under a bidirectional layer's output, W6) gives them back, and so does this op with its own
  // upstream gradient, instead of two fresh (T, B, H) allocations per direction and step.
  recordOp('concat', xs, [y], ([g]) => {
    let p = 0;
    return xs.map((t, k) => {
      const w = sizes[k]! * inner;
      const start = p;
      p += sizes[k]!;
      if (!t.requiresGrad) return null;
      const d = takeBuf(g!, t.size);
      for (let o = 0; o < outer; o++) d.set(g!.subarray(o * total * inner + start * inner, o * total * inner + start * inner + w), o * w);
      return d;
    });
  }, { freshGrads: true, consumesGrads: true });
  return y;
}

/** Insert a size-1 axis. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis < 0 ? axis + x.ndim + 1 : axis, x.ndim + 1);
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Remove a size-1 axis (or all of them). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normAxis('squeeze', axis, x.ndim);
  if (x.shape[a] !== 1) throw new ShapeError('squeeze', `size 1 on axis ${a}`, fmtShape(x.shape));
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** Join tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack', 'at least one tensor', 'none');
  for (const t of xs) {
    if (!shapesEqual(t.shape, xs[0]!.shape)) throw new ShapeError('stack', `tensors of shape ${fmtShape(xs[0]!.shape)}`, fmtShape(t.shape));
  }
  return concat(xs.map((t) => unsqueeze(t, axis)), axis);
}

/** Elements [start, end) along `axis` (PyTorch's narrow / x[..., start:end]). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis('slice', axis, x.ndim);
  const d = x.shape[a]!;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= d)) {
    throw new ShapeError('slice', `0 <= start <= end <= ${d} on axis ${a}`, `[${start}, ${end})`);
  }
  const outer = numelRange(x.shape, 0, a);
  const inner = numelRange(x.shape, a + 1);
  const w = (end - start) * inner;
  const out = allocLike(x.data, outer * w);
  for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * d * inner + start * inner, o * d * inner + start * inner + w), o * w);
  const shape = [...x.shape];
  shape[a] = end - start;
  const y = new Tensor(out, shape);
  recordOp('slice', [x], [y], ([g]) => {
    const dx = allocLike(g!, x.size);
    for (let o = 0; o < outer; o++) dx.set(g!.subarray(o * w, (o + 1) * w), o * d * inner + start * inner);
    return [dx];
  });
  return y;
}

/** Split along `axis` into pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.ndim);
  if (sizes.reduce((p, q) => p + q, 0) !== x.shape[a]) {
    throw new ShapeError('split', `sizes summing to ${x.shape[a]}`, `[${sizes.join(', ')}]`);
  }
  let p = 0;
  return sizes.map((s) => slice(x, a, p, (p += s)));
}
