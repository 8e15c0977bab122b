/** Reductions and softmax along axes. A tensor is viewed as (outer, n, inner) around one axis. */
import type { Buf } from '../kernels/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike } from '../tensor/create.js';
import { needsGrad, recordOp } from '../autograd/engine.js';
import { broadcastIndex, splitOf } from './broadcast.js';
import { normAxis, numel, numelRange } from '../util/shape.js';

export interface ReduceOptions {
  /** Axis or axes to reduce; all when omitted. */
  axis?: number | number[];
  keepDim?: boolean;
}

function split(shape: readonly number[], axis: number): [number, number, number] {
  return [numelRange(shape, 0, axis), shape[axis]!, numelRange(shape, axis + 1)];
}

function axesOf(op: string, x: Tensor, axis: number | number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => normAxis(op, a, x.ndim)))].sort((p, q) => p - q);
}

function outShape(shape: readonly number[], axes: number[], keepDim: boolean): number[] {
  const s: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) s.push(d);
    else if (keepDim) s.push(1);
  });
  return s;
}

/** Sum over axes (all by default). */
export function sum(x: Tensor, opts: ReduceOptions = {}): Tensor {
  const axes = axesOf('sum', x, opts.axis);
  const keep = x.shape.map((_, i) => (axes.includes(i) ? 1 : x.shape[i]!));
  const out = allocLike(x.data, numel(keep));
  const n = x.size;
  const xv = x.data;
  // Output element of input k: nested loops when the summed axes are a prefix or a suffix (or all);
  // else an index map. Either way the terms are added in input order, each partial sum stored.
  const sp = splitOf(x.shape, x.shape, keep);
  let idx: Int32Array | null = null;
  if (sp === null) {
    idx = broadcastIndex(x.shape, keep);
    for (let k = 0; k < n; k++) out[idx[k]!] += xv[k]!;
  } else if (out.length === 1) {
    out[0] = sumAll(xv);
  } else {
    for (let o = 0, k = 0; o < sp.outer; o++) {
      let j = o * sp.bO;
      for (let i = 0; i < sp.inner; i++, k++, j += sp.bI) out[j] += xv[k]!;
    }
  }
  const y = new Tensor(out, outShape(x.shape, axes, opts.keepDim ?? false));
  if (!needsGrad([x])) return y;
  recordOp('sum', [x], [y], ([g]) => {
    const dx = allocLike(g!, n);
    if (idx !== null) {
      for (let k = 0; k < n; k++) dx[k] = g![idx[k]!]!;
    } else {
      for (let o = 0, k = 0; o < sp!.outer; o++) {
        let j = o * sp!.bO;
        for (let i = 0; i < sp!.inner; i++, k++, j += sp!.bI) dx[k] = g![j]!;
      }
    }
    return [dx];
  });
  return y;
}

/** Σ x in input order, each partial sum rounded to x's precision (as a running sum stored in x's type). */
function sumAll(x: Buf): number {
  let acc = 0;
  if (x instanceof Float32Array) for (let k = 0; k < x.length; k++) acc = Math.fround(acc + x[k]!);
  else for (let k = 0; k < x.length; k++) acc += x[k]!;
  return acc;
}

/** Mean over axes (all by default). */
export function mean(x: Tensor, opts: ReduceOptions = {}): Tensor {
  const axes = axesOf('mean', x, opts.axis);
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const s = sum(x, opts);
  const out = allocLike(s.data);
  for (let i = 0; i < out.length; i++) out[i] = s.data[i]! / count;
  const y = new Tensor(out, s.shape);
  recordOp('mean', [s], [y], ([g]) => {
    const d = allocLike(g!);
    for (let i = 0; i < d.length; i++) d[i] = g![i]! / count;
    return [d];
  });
  return y;
}

/** Maximum along one axis; the gradient goes to the first maximal element. */
export function max(x: Tensor, axis: number, opts: { keepDim?: boolean } = {}): Tensor {
  const a = normAxis('max', axis, x.ndim);
  const [outer, n, inner] = split(x.shape, a);
  const out = allocLike(x.data, outer * inner);
  const arg = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = -Infinity;
      let bi = 0;
      for (let k = 0; k < n; k++) {
        const v = x.data[(o * n + k) * inner + i]!;
        if (v > best || Number.isNaN(v)) {
          best = v;
          bi = k;
          if (Number.isNaN(v)) break;
        }
      }
      out[o * inner + i] = best;
      arg[o * inner + i] = bi;
    }
  }
  const y = new Tensor(out, outShape(x.shape, [a], opts.keepDim ?? false));
  recordOp('max', [x], [y], ([g]) => {
    const dx = allocLike(g!, x.size);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) dx[(o * n + arg[o * inner + i]!) * inner + i] = g![o * inner + i]!;
    return [dx];
  });
  return y;
}

function softmaxCore(name: string, x: Tensor, axis: number, logMode: boolean): Tensor {
  const a = normAxis(name, axis, x.ndim);
  const [outer, n, inner] = split(x.shape, a);
  const xv = x.data;
  const out = allocLike(xv);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, xv[base + k * inner]!);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(xv[base + k * inner]! - m);
      const lse = m + Math.log(s);
      for (let k = 0; k < n; k++) {
        const l = xv[base + k * inner]! - lse;
        out[base + k * inner] = logMode ? l : Math.exp(l);
      }
    }
  }
  const y = new Tensor(out, x.shape);
  recordOp(name, [x], [y], ([g]) => {
    const dx: Buf = allocLike(g!);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let s = 0;
        for (let k = 0; k < n; k++) s += logMode ? g![base + k * inner]! : g![base + k * inner]! * out[base + k * inner]!;
        for (let k = 0; k < n; k++) {
          const j = base + k * inner;
          // log-softmax: dx = g − softmax·Σg;  softmax: dx = y ⊙ (g − Σ g⊙y)
          dx[j] = logMode ? g![j]! - Math.exp(out[j]!) * s : out[j]! * (g![j]! - s);
        }
      }
    }
    return [dx];
  });
  return y;
}

/** Softmax along `axis` (default last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxCore('softmax', x, axis, false);
}

/** Log-softmax along `axis` (default last), computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxCore('logSoftmax', x, axis, true);
}

/** log Σ exp(x) along `axis`, stable. */
export function logSumExp(x: Tensor, axis = -1, opts: { keepDim?: boolean } = {}): Tensor {
  const a = normAxis('logSumExp', axis, x.ndim);
  const [outer, n, inner] = split(x.shape, a);
  const out = allocLike(x.data, outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, x.data[base + k * inner]!);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(x.data[base + k * inner]! - m);
      out[o * inner + i] = m + Math.log(s);
    }
  }
  const y = new Tensor(out, outShape(x.shape, [a], opts.keepDim ?? false));
  recordOp('logSumExp', [x], [y], ([g]) => {
    const dx = allocLike(g!, x.size);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        for (let k = 0; k < n; k++) dx[base + k * inner] = g![o * inner + i]! * Math.exp(x.data[base + k * inner]! - out[o * inner + i]!);
      }
    }
    return [dx];
  });
  return y;
}
