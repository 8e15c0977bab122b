/** Gradient clipping over parameter lists, as `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`. */
import type { Tensor } from '../tensor/tensor.js';
import { NonFiniteError, OptionError, ValueError } from '../util/errors.js';

export interface GradNormOptions {
  /** p of the p-norm: any p > 0, or `Infinity` for the max-abs norm (default 2). */
  normType?: number;
  /** Throw NonFiniteError when the total norm is NaN or ±Infinity (default false). */
  errorIfNonfinite?: boolean;
}

const NORM_KEYS = ['normType', 'errorIfNonfinite'];

function readOptions(where: string, opts: GradNormOptions): Required<GradNormOptions> {
  for (const k of Object.keys(opts)) {
    if (!NORM_KEYS.includes(k)) throw new OptionError(where, `options among {${NORM_KEYS.join(', ')}}`, `unknown option '${k}'`);
  }
  const normType = opts.normType ?? 2;
  const errorIfNonfinite = opts.errorIfNonfinite ?? false;
  if (typeof normType !== 'number' || !(normType > 0)) throw new ValueError(where, 'normType > 0 or Infinity', String(normType));
  if (typeof errorIfNonfinite !== 'boolean') throw new ValueError(where, 'errorIfNonfinite a boolean', String(errorIfNonfinite));
  return { normType, errorIfNonfinite };
}

/** p-norm of a flat buffer. */
function bufNorm(d: ArrayLike<number>, p: number): number {
  let acc = 0;
  if (p === Infinity) {
    for (let i = 0; i < d.length; i++) {
      const a = Math.abs(d[i]!);
      if (a > acc || Number.isNaN(a)) acc = a;
    }
    return acc;
  }
  if (p === 2) {
    for (let i = 0; i < d.length; i++) acc += d[i]! * d[i]!;
    return Math.sqrt(acc);
  }
  if (p === 1) {
    for (let i = 0; i < d.length; i++) acc += Math.abs(d[i]!);
    return acc;
  }
  for (let i = 0; i < d.length; i++) acc += Math.abs(d[i]!) ** p;
  return acc ** (1 / p);
}

function totalNorm(where: string, params: readonly Tensor[], o: Required<GradNormOptions>): number {
  // As PyTorch: the norm of the per-tensor norms.
  const norms = params.filter((p) => p.grad !== null).map((p) => bufNorm(p.grad!.data, o.normType));
  const total = norms.length === 0 ? 0 : bufNorm(norms, o.normType);
  if (o.errorIfNonfinite && !Number.isFinite(total)) throw new NonFiniteError(where, `a total gradient norm of ${total}`);
  return total;
}

/**
 * The total p-norm of all gradients, as if concatenated into one vector (PyTorch's
 * `torch.nn.utils.get_total_norm`). Parameters without a gradient are ignored; none → 0.
 * @example
 * const n = gradNorm(model.parameters());  // 2-norm
 */
export function gradNorm(params: readonly Tensor[], opts: GradNormOptions = {}): number {
  return totalNorm('gradNorm', params, readOptions('gradNorm', opts));
}

/**
 * Scale all gradients in place by `min(maxNorm / (total + 1e-6), 1)`, exactly as PyTorch's
 * `clip_grad_norm_`, and return the total norm measured before clipping.
 * @remarks Computes in float64 and rounds once per element on float32 gradients (PyTorch rounds
 * the norm and coefficient to float32 too). A negative or NaN `maxNorm` throws (PyTorch accepts it).
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);            // 2-norm
 * clipGradNorm(model.parameters(), 0.5, { normType: Infinity });  // max-abs
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, opts: GradNormOptions = {}): number {
  const where = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new ValueError(where, 'maxNorm >= 0', String(maxNorm));
  const total = totalNorm(where, params, readOptions(where, opts));
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  // PyTorch multiplies even when coef is 1 (a no-op) or NaN (propagates NaN); so do we.
  for (const p of params) {
    if (p.grad === null) continue;
    const d = p.grad.data;
    for (let i = 0; i < d.length; i++) d[i] = d[i]! * coef;
  }
  return total;
}

/**
 * Clamp every gradient element to `[-clipValue, clipValue]` in place (PyTorch's `clip_grad_value_`).
 * @example
 * clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(params: readonly Tensor[], clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new ValueError('clipGradValue', 'clipValue >= 0', String(clipValue));
  for (const p of params) {
    if (p.grad === null) continue;
    const d = p.grad.data;
    for (let i = 0; i < d.length; i++) d[i] = Math.min(Math.max(d[i]!, -clipValue), clipValue);
  }
}
