/**
 * Sequence batches: padding variable-length sequences into one tensor with lengths and a
 * 0/1 mask, collating examples into a {@link SequenceBatch}, and cutting a batch along time
 * (for truncated BPTT).
 *
 * Legend: B batch, T time (longest sequence), F features per step.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocBuf } from '../tensor/create.js';
import type { DType } from '../tensor/tensor.js';
import { OptionError, ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';

/** One time step: F feature values. */
export type Step = ArrayLike<number>;
/** One sequence: T steps of F features (`number[][]` or `Float32Array[]`). */
export type Seq = readonly Step[];

/**
 * A batch of sequences.
 * - `x`: (T, B, F), or (B, T, F) when `batchFirst`.
 * - `y`: targets; per-step targets share x's layout (T, B, O) / (B, T, O).
 * - `lengths`: (B) real steps per sequence; `mask`: (T, B) / (B, T) of 0/1 (1 = real step).
 */
export interface SequenceBatch {
  x: Tensor;
  y: Tensor;
  lengths?: Int32Array;
  mask?: Tensor;
  /** Per-sequence integer ids (B), e.g. the series each window comes from, for models that embed them. */
  ids?: Int32Array;
  /** Layout of x, y and mask (default false: time first, as PyTorch). */
  batchFirst?: boolean;
}

/** One training example: an input sequence and a per-step target sequence of equal length. */
export interface SequenceExample {
  x: Seq;
  y: Seq;
}

export interface PadOptions {
  /** (B, T, F) instead of (T, B, F) (default false). */
  batchFirst?: boolean;
  /** Value of padded entries of x (default 0). */
  padValue?: number;
  /** Element type (default float32). */
  dtype?: DType;
}

/** The result of {@link padSequences}. */
export interface Padded {
  /** (T, B, F), or (B, T, F) when batchFirst. */
  x: Tensor;
  /** (B) sequence lengths. */
  lengths: Int32Array;
  /** (T, B), or (B, T) when batchFirst: 1 for real steps, 0 for padding. */
  mask: Tensor;
}

function checkKeys(where: string, opts: object, allowed: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new OptionError(where, `options among {${allowed.join(', ')}}`, `unknown option '${k}'`);
  }
}

/**
 * Pad B sequences of lengths T_b (each step F values) to the longest length T
 * (PyTorch's `pad_sequence`, plus lengths and a mask).
 * @throws ValueError for no sequences or an empty one; ShapeError for steps of differing F.
 * @example
 * const { x, lengths, mask } = padSequences([[[1], [2], [3]], [[4]]], { batchFirst: true }); // x (2, 3, 1)
 */
export function padSequences(seqs: readonly Seq[], opts: PadOptions = {}): Padded {
  const where = 'padSequences';
  checkKeys(where, opts, ['batchFirst', 'padValue', 'dtype']);
  const batchFirst = opts.batchFirst ?? false;
  if (seqs.length === 0) throw new ValueError(where, 'at least one sequence', 'none');
  const B = seqs.length;
  const lengths = new Int32Array(B);
  let F = -1;
  seqs.forEach((s, b) => {
    if (s.length === 0) throw new ValueError(where, 'sequences of at least one step', `an empty sequence at index ${b}`);
    lengths[b] = s.length;
    for (let t = 0; t < s.length; t++) {
      if (F < 0) F = s[t]!.length;
      else if (s[t]!.length !== F) throw new ShapeError(where, `${F} features per step`, `${s[t]!.length} at sequence ${b}, step ${t}`);
    }
  });
  const T = Math.max(...lengths);
  const dtype = opts.dtype ?? 'float32';
  const x = allocBuf(dtype, T * B * F).fill(opts.padValue ?? 0);
  const m = allocBuf(dtype, T * B);
  const at = (t: number, b: number): number => (batchFirst ? b * T + t : t * B + b);
  seqs.forEach((s, b) => {
    for (let t = 0; t < s.length; t++) {
      x.set(s[t]!, at(t, b) * F);
      m[at(t, b)] = 1;
    }
  });
  const dims = batchFirst ? [B, T] : [T, B];
  return { x: new Tensor(x, [...dims, F]), lengths, mask: new Tensor(m, dims) };
}

/**
 * Collate examples into a padded {@link SequenceBatch}: x and y are padded alike, with
 * lengths and mask from x.
 * @throws ShapeError when an example's x and y differ in length.
 * @example
 * const batch = collateSequences(examples.slice(0, 16), { batchFirst: true });
 */
export function collateSequences(examples: readonly SequenceExample[], opts: PadOptions = {}): SequenceBatch {
  examples.forEach((e, i) => {
    if (e.x.length !== e.y.length) throw new ShapeError('collateSequences', `y of ${e.x.length} steps (as x) in example ${i}`, `${e.y.length}`);
  });
  const px = padSequences(examples.map((e) => e.x), opts);
  const py = padSequences(examples.map((e) => e.y), { ...opts, padValue: 0 });
  return { x: px.x, y: py.x, lengths: px.lengths, mask: px.mask, batchFirst: opts.batchFirst ?? false };
}

/** The number of sequences in a batch (B). */
export function batchSizeOf(batch: SequenceBatch): number {
  return batch.x.shape[batch.batchFirst ? 0 : 1]!;
}

/** The number of time steps of a batch (T). */
export function timeStepsOf(batch: SequenceBatch): number {
  return batch.x.shape[batch.batchFirst ? 1 : 0]!;
}

/** Copy of elements [start, end) along `axis` (a data copy, no autograd). */
function narrow(t: Tensor, axis: number, start: number, end: number): Tensor {
  const d = t.shape[axis]!;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= t.shape[i]!;
  let inner = 1;
  for (let i = axis + 1; i < t.ndim; i++) inner *= t.shape[i]!;
  const w = (end - start) * inner;
  const out = allocBuf(t.dtype, outer * w);
  for (let o = 0; o < outer; o++) out.set(t.data.subarray((o * d + start) * inner, (o * d + start) * inner + w), o * w);
  const shape = [...t.shape];
  shape[axis] = end - start;
  return new Tensor(out, shape);
}

/**
 * Steps [start, end) of every sequence in the batch: x, y and mask are cut along the time
 * axis and lengths become `clamp(length − start, 0, end − start)` (0: the sequence ended
 * before this window).
 * @throws ShapeError when y has no time axis of x's length; ValueError for a bad window.
 * @example
 * const first = sliceTime(batch, 0, 20); // the first 20 steps
 */
export function sliceTime(batch: SequenceBatch, start: number, end: number): SequenceBatch {
  const where = 'sliceTime';
  const ax = batch.batchFirst ? 1 : 0;
  const T = timeStepsOf(batch);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= T)) {
    throw new ValueError(where, `a window 0 <= start < end <= ${T}`, `[${start}, ${end})`);
  }
  const { y } = batch;
  if (y.ndim < 2 || y.shape[ax] !== T) {
    throw new ShapeError(where, `per-step targets y with ${T} steps on axis ${ax} (as x)`, fmtShape(y.shape));
  }
  const out: SequenceBatch = { x: narrow(batch.x, ax, start, end), y: narrow(y, ax, start, end), batchFirst: batch.batchFirst ?? false };
  if (batch.mask) out.mask = narrow(batch.mask, ax, start, end);
  if (batch.lengths) out.lengths = batch.lengths.map((L) => Math.min(Math.max(L - start, 0), end - start));
  if (batch.ids) out.ids = batch.ids;
  return out;
}
