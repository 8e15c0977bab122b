/**
 * Tensor: a contiguous row-major float buffer with a shape, plus the autograd links
 * (`node`, `requiresGrad`, `grad`). Every op returns a contiguous tensor; there are no
 * strided views, so kernels always see flat buffers with explicit dimensions.
 *
 * `data` may share memory: reshape-like ops return views of their input's buffer, and `data` may
 * be a window of a larger ArrayBuffer holding other tensors (small recurrent outputs are carved from
 * a shared slab, as Node carves small Buffers). Use `data.byteOffset` / `byteLength` with
 * `data.buffer`, and copy (`clone()`) before transferring a buffer to another thread. Ops never
 * write their inputs. Shapes are frozen arrays, shared between tensors of one shape.
 */
import type { Buf, DType } from '../kernels/backend.js';
import { fmtShape, frozenShape, numel, numelRange } from '../util/shape.js';
import { GradError, ShapeError, ValueError } from '../util/errors.js';

/** The record of one differentiable op application, made by `recordOp` (autograd). */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Gradients w.r.t. each input (null = none), given gradients w.r.t. each output (null = zero). */
  backward: ((gradOutputs: (Buf | null)[]) => (Buf | null)[]) | null;
  /**
   * Called once when the graph frees this node after its backward ran (not with retainGraph):
   * the op may recycle the buffers it saved for backward (they are unreachable from then on).
   */
  release?: (() => void) | null;
  /**
   * Every gradient buffer `backward` returns is freshly allocated and referenced nowhere else, so a
   * leaf without a gradient may adopt it as its `.grad` instead of copying it.
   */
  freshGrads?: boolean;
  /**
   * `backward` reads its output gradients only while it runs and returns neither them nor views of
   * them, so the engine may recycle the ones it owns (fresh from another op) once it returns.
   */
  consumesGrads?: boolean;
}

type BackwardImpl = (t: Tensor, grad?: Tensor, opts?: { retainGraph?: boolean }) => void;
let backwardImpl: BackwardImpl | null = null;

/** Installed by autograd at import time (tensor must not import autograd). */
export function registerBackward(fn: BackwardImpl): void {
  backwardImpl = fn;
}

export class Tensor {
  readonly data: Buf;
  readonly shape: readonly number[];
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** The op that produced this tensor (null for leaves). */
  node: GradNode | null = null;
  /** Keep the gradient of this non-leaf tensor in `.grad` during backward. */
  retainsGrad = false;

  constructor(data: Buf, shape: readonly number[], opts?: { requiresGrad?: boolean }) {
    let n = 1;
    let ok = true;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i]!;
      if (!Number.isInteger(d) || d < 0) ok = false;
      n *= d;
    }
    if (n !== data.length) throw new ShapeError('Tensor', `${numel(shape)} elements for shape ${fmtShape(shape)}`, `${data.length}`);
    if (!ok) throw new ShapeError('Tensor', 'non-negative integer sizes', fmtShape(shape));
    this.data = data;
    // A frozen shape (e.g. another tensor's) cannot change under us: share it instead of copying.
    this.shape = Object.isFrozen(shape) ? shape : frozenShape(shape);
    this.requiresGrad = opts?.requiresGrad ?? false;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.data.length;
  }
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new ShapeError('Tensor.item', 'a tensor with one element', fmtShape(this.shape));
    return this.data[0]!;
  }

  /** Element at a multi-index (negative indices count from the end). */
  at(...index: number[]): number {
    if (index.length !== this.shape.length) {
      throw new ShapeError('Tensor.at', `${this.shape.length} indices`, `${index.length}`);
    }
    let off = 0;
    for (let i = 0; i < index.length; i++) {
      const d = this.shape[i]!;
      const k = index[i]! < 0 ? index[i]! + d : index[i]!;
      if (k < 0 || k >= d) throw new ValueError('Tensor.at', `index ${i} in [0, ${d})`, String(index[i]));
      off = off * d + k;
    }
    return this.data[off]!;
  }

  /** Nested JS arrays (a number for a scalar). */
  toArray(): unknown {
    const rec = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return this.data[off];
      const stride = numelRange(this.shape, dim + 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => rec(dim + 1, off + i * stride));
    };
    return rec(0, 0);
  }

  /** A copy of the data as a plain array. */
  toFlatArray(): number[] {
    return Array.from(this.data);
  }

  /** A new leaf tensor sharing no memory and no graph with this one. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A leaf that shares the data but not the graph (like torch's detach). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Mark this leaf as a parameter/input whose gradient is wanted; returns this. */
  requireGrad(flag = true): this {
    if (!this.isLeaf) throw new GradError('Tensor.requireGrad', 'a leaf tensor', `the output of ${this.node!.name}`);
    this.requiresGrad = flag;
    return this;
  }

  /** Keep this intermediate's gradient in `.grad` during backward; returns this. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** Reverse-mode autodiff from this tensor (scalar, or give `grad` of the same shape). */
  backward(grad?: Tensor, opts?: { retainGraph?: boolean }): void {
    if (!backwardImpl) throw new GradError('Tensor.backward', 'autograd to be loaded', 'no backward engine');
    backwardImpl(this, grad, opts);
  }

  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export type { Buf, DType } from '../kernels/backend.js';
