/** Runtime guards shared by ops: finite values, known option keys, integer index lists. */
import type { Tensor } from '../tensor/tensor.js';
import { NonFiniteError, OptionError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';
import { firstNonFinite } from './fused.js';

/**
 * Throw a NonFiniteError naming `where` (and `what`, e.g. `"input"`) and the flat index of the
 * first NaN or ±Inf in `x`.
 * @example assertFinite(logits, 'crossEntropy')  // "crossEntropy: expected finite values, got NaN at element 3 of [2, 4]"
 */
export function assertFinite(x: Tensor, where: string, what?: string): void {
  const i = firstNonFinite(x.data);
  if (i >= 0) {
    const label = what ? ` in ${what}` : '';
    throw new NonFiniteError(where, `${x.data[i]}${label} at element ${i} of ${fmtShape(x.shape)}`);
  }
}

/** Reject option keys outside `allowed` (typos must not be silently ignored). */
export function checkOptions(where: string, opts: object, allowed: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new OptionError(where, `options among ${allowed.join(', ')}`, `unknown option "${k}"`);
  }
}

/**
 * Copy integer indices into an Int32Array, checking each is an integer in [0, n) (or equal to
 * `allowed`, e.g. an ignore index). The ValueError names the op, the position and the range.
 */
export function checkIndices(where: string, indices: Int32Array | readonly number[], n: number, allowed?: number): Int32Array {
  const out = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const v = indices[k]!;
    if (!(Number.isInteger(v) && ((v >= 0 && v < n) || v === allowed))) {
      const extra = allowed === undefined ? '' : ` or ${allowed}`;
      throw new ValueError(where, `indices in [0, ${n})${extra}`, `${v} at position ${k}`);
    }
    out[k] = v;
  }
  return out;
}
