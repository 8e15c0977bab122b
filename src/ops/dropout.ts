/**
 * Dropout with inverted scaling: kept entries are multiplied by 1/(1−p), so no rescaling is
 * needed at evaluation time. Masks are sampled in the kernels by a counter-based generator
 * (Backend.dropoutMask, spec src/kernels/ref/dropout.ts): each mask takes a 64-bit key, two
 * `nextU32()` draws from the explicit `Rng`, and entry i is a function of (key, i) alone — a seed
 * reproduces the masks exactly, bit-identical on the ref, native and wasm backends. The backward
 * regenerates the mask from the key instead of keeping it.
 */
import type { Buf, DType } from '../kernels/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { allocBuf, allocLike, allocOverwritten } from '../tensor/create.js';
import { dropoutApply, dropoutMask } from './fused.js';
import { recordOp } from '../autograd/engine.js';
import { takeBuf } from './scratch.js';
import type { Rng } from '../util/rng.js';
import { OptionError, ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions } from './checks.js';

export interface DropoutOptions {
  /** Dropout is the identity unless training. */
  training: boolean;
  rng: Rng;
}

export interface TimeLockedDropoutOptions extends DropoutOptions {
  /** Input is (B, T, F) instead of (T, B, F). */
  batchFirst?: boolean;
}

function checkP(where: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(where, 'a dropout probability p in [0, 1]', String(p));
}

function checkRng(where: string, opts: DropoutOptions): void {
  if (opts.training && (!opts.rng || typeof opts.rng.nextU32 !== 'function')) {
    throw new OptionError(where, 'an rng when training', String(opts.rng));
  }
}

/** y = x ⊙ mask for a mask broadcast by `maskAt(k)`; backward dx = dy ⊙ mask. */
function applyMask(name: string, x: Tensor, mask: Buf, maskAt: (k: number) => number): Tensor {
  const out = allocLike(x.data);
  for (let k = 0; k < out.length; k++) out[k] = x.data[k]! * mask[maskAt(k)]!;
  const y = new Tensor(out, x.shape);
  recordOp(name, [x], [y], ([g]) => {
    const dx = allocLike(g!);
    for (let k = 0; k < dx.length; k++) dx[k] = g![k]! * mask[maskAt(k)]!;
    return [dx];
  });
  return y;
}

/**
 * Elementwise dropout (F.dropout): zero each entry with probability p, scale the rest by 1/(1−p).
 * Shapes: x (any) → same shape. Returns `x` itself when not training or p = 0; p = 1 gives zeros.
 * One kernel call forward and one backward; no mask is stored.
 * @example dropout(h, 0.2, { training: true, rng })
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions): Tensor {
  checkOptions('dropout', opts, ['training', 'rng']);
  checkP('dropout', p);
  checkRng('dropout', opts);
  if (!opts.training || p === 0) return x;
  return applyDropout(x, p, opts.rng, allocOverwritten(x.data, x.size)); // dropoutApply writes every element
}

/**
 * Training dropout whose output comes from the op free list (scratch.ts takeBuf): for the input of the
 * next layer of a stacked recurrent network, which only that layer's op reads and gives back after its
 * backward (recurrent-layer.ts `ownsX`). W6: one (T, B, 2H) buffer a step that the GC no longer collects.
 */
export function dropoutPooled(x: Tensor, p: number, rng: Rng): Tensor {
  return applyDropout(x, p, rng, takeBuf(x.data, x.size));
}

function applyDropout(x: Tensor, p: number, rng: Rng, out: Buf): Tensor {
  const k0 = rng.nextU32(), k1 = rng.nextU32();
  dropoutApply(k0, k1, p, x.data, out);
  const y = new Tensor(out, x.shape);
  recordOp('dropout', [x], [y], ([g]) => {
    const dx = takeBuf(g!, g!.length); // fully written; given back by an op that consumes it (the layer below, W6)
    dropoutApply(k0, k1, p, g!, dx);
    return [dx];
  }, { freshGrads: true, consumesGrads: true });
  return y;
}

/**
 * A variational (time-locked) dropout mask (Gal & Ghahramani 2016) for B sequences of `size`
 * features: entries 0 (probability p) or 1/(1−p), one mask per sequence, reused at every step.
 * Shape: (B, size) flattened row-major. Used by the recurrent layers for input / hidden masks.
 * @example variationalMask(4, 32, 0.25, rng, 'float32')  // Float32Array(128)
 */
export function variationalMask(B: number, size: number, p: number, rng: Rng, dtype: DType = 'float32'): Buf {
  checkP('variationalMask', p);
  if (!Number.isInteger(B) || B < 0 || !Number.isInteger(size) || size < 0) {
    throw new ShapeError('variationalMask', 'non-negative integer sizes B and size', `${B} and ${size}`);
  }
  const m = allocBuf(dtype, B * size);
  dropoutMask(rng.nextU32(), rng.nextU32(), p, m);
  return m;
}

/**
 * Time-locked dropout on a sequence: one (B, F) mask drawn per call and applied at every step.
 * Shapes: x (T, B, F), or (B, T, F) when batchFirst → same shape.
 * Returns `x` itself when not training or p = 0.
 * @remarks Not a PyTorch built-in; it is the "locked"/variational dropout of AWD-LSTM.
 * @example timeLockedDropout(emb, 0.3, { training: true, rng })
 */
export function timeLockedDropout(x: Tensor, p: number, opts: TimeLockedDropoutOptions): Tensor {
  checkOptions('timeLockedDropout', opts, ['training', 'rng', 'batchFirst']);
  checkP('timeLockedDropout', p);
  checkRng('timeLockedDropout', opts);
  if (x.ndim !== 3) throw new ShapeError('timeLockedDropout', opts.batchFirst ? 'input (B, T, F)' : 'input (T, B, F)', fmtShape(x.shape));
  if (!opts.training || p === 0) return x;
  const bf = opts.batchFirst ?? false;
  const [d0, d1, F] = x.shape as [number, number, number];
  const B = bf ? d0 : d1;
  const T = bf ? d1 : d0;
  const mask = variationalMask(B, F, p, opts.rng, x.dtype); // (B, F)
  // Flat k of (T, B, F) reads mask[k mod B·F]; of (B, T, F) reads mask[⌊k / (T·F)⌋·F + k mod F].
  const at = bf ? (k: number) => Math.floor(k / (T * F)) * F + (k % F) : (k: number) => k % (B * F);
  return applyMask('timeLockedDropout', x, mask, at);
}
