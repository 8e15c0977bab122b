/**
 * Integer indexing: indexSelect, gather, embedding. Tensors hold floats only, so indices are
 * plain integer arrays (`Int32Array | number[]`); they are validated before use and receive no
 * gradient. Each backward scatter-adds the output gradient into the rows it was read from.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocLike } from '../tensor/create.js';
import { recordOp } from '../autograd/engine.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape, normAxis, numel, stridesOf, numelRange } from '../util/shape.js';
import { checkIndices, checkOptions } from './checks.js';

/** Integer indices (Tensors are float only). */
export type Indices = Int32Array | readonly number[];

/** An integer index array with a shape, e.g. for {@link gather}. */
export interface IndexArray {
  data: Indices;
  shape: readonly number[];
}

/**
 * Pick slices of `x` along `axis` (torch.index_select).
 * Shapes: x (…, n, …), indices (k) with values in [0, n) → (…, k, …).
 * @example indexSelect(x, 0, [2, 0])  // rows 2 and 0 of a matrix
 */
export function indexSelect(x: Tensor, axis: number, indices: Indices): Tensor {
  const a = normAxis('indexSelect', axis, x.ndim);
  const n = x.shape[a]!;
  const outer = numelRange(x.shape, 0, a);
  const inner = numelRange(x.shape, a + 1);
  const idx = checkIndices('indexSelect', indices, n);
  const k = idx.length;
  const out = allocLike(x.data, outer * k * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const src = (o * n + idx[j]!) * inner;
      out.set(x.data.subarray(src, src + inner), (o * k + j) * inner);
    }
  }
  const shape = [...x.shape];
  shape[a] = k;
  const y = new Tensor(out, shape);
  recordOp('indexSelect', [x], [y], ([g]) => {
    const dx = allocLike(g!, x.size);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const src = (o * n + idx[j]!) * inner;
        const dst = (o * k + j) * inner;
        for (let i = 0; i < inner; i++) dx[src + i] += g![dst + i]!;
      }
    }
    return [dx];
  });
  return y;
}

/**
 * torch.gather: `out[i][j][k] = x[i][index[i][j][k]][k]` for axis 1 (likewise for any axis).
 * Shapes: x (d0, …, dn), index of the same rank with index.shape[d] <= x.shape[d] for d ≠ axis
 * → output of index.shape. Values of index lie in [0, x.shape[axis]).
 * @example gather(x, 1, { data: [0, 0, 1, 0], shape: [2, 2] })
 */
export function gather(x: Tensor, axis: number, index: IndexArray): Tensor {
  const a = normAxis('gather', axis, x.ndim);
  const ishape = index.shape;
  if (ishape.length !== x.ndim) throw new ShapeError('gather', `an index of rank ${x.ndim}`, fmtShape(ishape));
  if (numel(ishape) !== index.data.length) {
    throw new ShapeError('gather', `${numel(ishape)} index values for shape ${fmtShape(ishape)}`, `${index.data.length}`);
  }
  if (ishape.some((d, i) => i !== a && d > x.shape[i]!)) {
    throw new ShapeError('gather', `index sizes <= ${fmtShape(x.shape)} except on axis ${a}`, fmtShape(ishape));
  }
  const idx = checkIndices('gather', index.data, x.shape[a]!);
  // src[k] = flat offset into x read by output element k.
  const xs = stridesOf(x.shape);
  const eff = xs.map((s, i) => (i === a ? 0 : s));
  const m = idx.length;
  const src = new Int32Array(m);
  const c = new Array<number>(ishape.length).fill(0);
  let base = 0;
  for (let k = 0; k < m; k++) {
    src[k] = base + idx[k]! * xs[a]!;
    for (let d = ishape.length - 1; d >= 0; d--) {
      c[d]!++;
      base += eff[d]!;
      if (c[d]! < ishape[d]!) break;
      base -= eff[d]! * ishape[d]!;
      c[d] = 0;
    }
  }
  const out = allocLike(x.data, m);
  for (let k = 0; k < m; k++) out[k] = x.data[src[k]!]!;
  const y = new Tensor(out, ishape);
  recordOp('gather', [x], [y], ([g]) => {
    const dx = allocLike(g!, x.size);
    for (let k = 0; k < m; k++) dx[src[k]!] += g![k]!;
    return [dx];
  });
  return y;
}

export interface EmbeddingOptions {
  /** Row whose lookups receive no gradient (negative counts from the end), as PyTorch. */
  paddingIdx?: number | null;
}

/**
 * Look up rows of an embedding table (F.embedding).
 * Shapes: weight (V, D), indices (n) in [0, V), shape with n elements (default [n]) → (…shape, D).
 * @remarks Like `F.embedding`, the padding row is returned as stored (nn.Embedding zeroes it at
 * init); only its gradient is withheld. `max_norm` and sparse gradients are not supported.
 * @example embedding(table, [3, 1, 0, 0], [2, 2], { paddingIdx: 0 })  // (2, 2, D)
 */
export function embedding(weight: Tensor, indices: Indices, shape?: readonly number[] | null, opts: EmbeddingOptions = {}): Tensor {
  checkOptions('embedding', opts, ['paddingIdx']);
  if (weight.ndim !== 2) throw new ShapeError('embedding', 'a weight of shape (V, D)', fmtShape(weight.shape));
  const [V, D] = weight.shape as [number, number];
  const outLead = shape ? [...shape] : [indices.length];
  if (numel(outLead) !== indices.length) {
    throw new ShapeError('embedding', `${indices.length} indices to fill shape ${fmtShape(outLead)}`, `${numel(outLead)} positions`);
  }
  let pad = -1;
  if (opts.paddingIdx != null) {
    const p = opts.paddingIdx;
    if (!Number.isInteger(p) || p < -V || p >= V) throw new ValueError('embedding', `paddingIdx in [${-V}, ${V})`, String(p));
    pad = p < 0 ? p + V : p;
  }
  const idx = checkIndices('embedding', indices, V);
  const n = idx.length;
  const out = allocLike(weight.data, n * D);
  for (let k = 0; k < n; k++) out.set(weight.data.subarray(idx[k]! * D, idx[k]! * D + D), k * D);
  const y = new Tensor(out, [...outLead, D]);
  recordOp('embedding', [weight], [y], ([g]) => {
    const dw = allocLike(g!, weight.size);
    for (let k = 0; k < n; k++) {
      const row = idx[k]!;
      if (row === pad) continue;
      for (let j = 0; j < D; j++) dw[row * D + j] += g![k * D + j]!;
    }
    return [dw];
  });
  return y;
}
