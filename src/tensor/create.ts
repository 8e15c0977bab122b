/** Tensor creation helpers. */
import type { Buf, DType } from '../kernels/backend.js';
import { paramStorage } from '../kernels/index.js';
import { Tensor } from './tensor.js';
import type { Rng } from '../util/rng.js';
import { fmtShape, numel } from '../util/shape.js';
import { ShapeError, ValueError } from '../util/errors.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export function allocBuf(dtype: DType, n: number): Buf {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** A buffer of the same element type as `like`. */
export function allocLike(like: Buf, n: number = like.length): Buf {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/**
 * A buffer like allocLike's for an output the caller then writes completely: in Node a float32 one is
 * not zero-filled (Buffer.allocUnsafeSlow), elsewhere and for float64 it is allocLike's. W5's LSTM
 * output (6.5 MB a call) allocated so: 1.04–1.07× wall, 1.06–1.08× CPU time on 2 threads (paired,
 * docs/benchmarks.md): no memset of the whole array on the calling thread, recycled pages.
 */
export function allocOverwritten(like: Buf, n: number): Buf {
  if (like instanceof Float64Array || typeof Buffer === 'undefined') return allocLike(like, n);
  return new Float32Array(Buffer.allocUnsafeSlow(4 * n).buffer, 0, n);
}

type Nested = number | readonly Nested[];

function inferShape(v: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = (cur as readonly Nested[])[0] as Nested;
    if (cur === undefined) break;
  }
  return shape;
}

/**
 * A tensor from nested arrays or a flat typed/plain array with a shape.
 * @example tensor([[1, 2], [3, 4]])  // shape [2, 2]
 */
export function tensor(values: Nested | ArrayLike<number>, shape?: readonly number[], opts: CreateOptions = {}): Tensor {
  const dtype = opts.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
  let flat: ArrayLike<number>;
  let shp: number[];
  if (typeof values === 'number') {
    flat = [values];
    shp = [];
  } else if (Array.isArray(values) && shape === undefined) {
    shp = inferShape(values as Nested);
    flat = (values as unknown[]).flat(Infinity) as number[];
    if (flat.length !== numel(shp)) throw new ShapeError('tensor', `a rectangular nested array of shape ${fmtShape(shp)}`, `${flat.length} values`);
  } else {
    flat = values as ArrayLike<number>;
    shp = shape ? [...shape] : [flat.length];
  }
  const buf = allocBuf(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new ValueError('tensor', 'numbers', `${typeof v} at flat index ${i}`);
    buf[i] = v;
  }
  return new Tensor(buf, shp, opts);
}

export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return new Tensor(allocBuf(opts.dtype ?? 'float32', numel(shape)), shape, opts);
}

export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  const t = zeros(shape, opts);
  t.data.fill(value);
  return t;
}

export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** Zeros (float32) for a trainable parameter, on the backend's parameter storage (kernels/index.ts paramStorage). */
export function paramZeros(shape: readonly number[]): Tensor {
  return new Tensor(paramStorage(numel(shape)), shape, { requiresGrad: true });
}

/** Standard normal entries drawn from `rng`. */
export function randn(shape: readonly number[], rng: Rng, opts: CreateOptions = {}): Tensor {
  const t = zeros(shape, opts);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

/** Uniform entries in [lo, hi) drawn from `rng`. */
export function uniform(shape: readonly number[], lo: number, hi: number, rng: Rng, opts: CreateOptions = {}): Tensor {
  const t = zeros(shape, opts);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
}

/** [start, stop) with a step, as a 1-D tensor. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const t = zeros([n], opts);
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return t;
}

/** Same data, converted to another dtype (a new leaf). */
export function toDType(t: Tensor, dtype: DType): Tensor {
  const buf = allocBuf(dtype, t.size);
  buf.set(t.data);
  return new Tensor(buf, t.shape);
}
