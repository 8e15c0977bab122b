/**
 * Loss functions. Each is a fused elementwise primitive (values and exact partial derivatives
 * computed together, backward next to them) followed by one shared reduction built from
 * primitive ops, which applies `mask` (0/1: removes elements entirely) and `weight` (scales):
 *   none: m·w·l      sum: Σ m·w·l      mean: Σ m·w·l / Σ m·w·d
 * with d = 1, except in crossEntropy where d is the target's class weight (0 if ignored), so
 * the mean equals PyTorch's whenever mask and weight are absent.
 */
import type { Buf } from '../kernels/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { allocLike, toDType, zeros } from '../tensor/create.js';
import { needsGrad, recordOp } from '../autograd/engine.js';
import { OptionError, ShapeError, ValueError } from '../util/errors.js';
import { broadcastShapes, fmtShape, numel, shapesEqual, shapeSlice, numelRange } from '../util/shape.js';
import { add, div, mul, mulScalar } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { assertFinite, checkIndices, checkOptions } from './checks.js';
import { scaledDiff, sumSquaredDiff } from './fused.js';
import type { Indices } from './indexing.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
  /** 0/1, broadcastable to the elementwise loss; 0 removes an element from numerator and denominator. */
  mask?: Tensor | null;
  /**
   * Broadcastable to the elementwise loss; scales elements and the 'mean' denominator (a
   * weighted mean). Receives a gradient. @remarks PyTorch's BCE `weight` 'mean' divides by the
   * element count instead; 'sum' and 'none' agree with it.
   */
  weight?: Tensor | null;
}

const BASE = ['reduction', 'mask', 'weight'];

function begin(name: string, opts: LossOptions, extra: readonly string[] = []): void {
  checkOptions(name, opts, [...BASE, ...extra]);
  const r = opts.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new OptionError(name, "reduction 'mean', 'sum' or 'none'", String(r));
}

function checkPair(name: string, input: Tensor, target: Tensor, what = 'target'): void {
  if (!shapesEqual(input.shape, target.shape)) throw new ShapeError(name, `${what} of the input's shape ${fmtShape(input.shape)}`, fmtShape(target.shape));
  if (input.dtype !== target.dtype) throw new ValueError(name, `${what} of dtype ${input.dtype}`, target.dtype);
  assertFinite(input, name, 'input');
  assertFinite(target, name, what);
}

function fits(name: string, what: string, t: Tensor, shape: readonly number[]): void {
  let ok = false;
  try {
    ok = shapesEqual(broadcastShapes(name, t.shape, shape), shape);
  } catch {
    ok = false;
  }
  if (!ok) throw new ShapeError(name, `${what} broadcastable to ${fmtShape(shape)}`, fmtShape(t.shape));
}

/** `t` broadcast to `shape` (gradients summed back by `add`). */
function expand(t: Tensor, shape: readonly number[]): Tensor {
  return shapesEqual(t.shape, shape) ? t : add(zeros(shape, { dtype: t.dtype }), t);
}

/** Logistic function without overflow for large |v|. */
const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

/** A gradient buffer for `t` when it needs one. */
const want = (t: Tensor, like: Buf): Buf | null => (needsGrad([t]) ? allocLike(like) : null);

/** Elementwise loss values with saved partials: backward d(input j) = dy ⊙ partials[j]. */
function pointwise(name: string, inputs: readonly Tensor[], shape: readonly number[], value: Buf, partials: readonly (Buf | null)[]): Tensor {
  const y = new Tensor(value, shape);
  recordOp(name, inputs, [y], ([g]) => partials.map((p) => {
    if (!p) return null;
    const d = allocLike(g!);
    for (let i = 0; i < d.length; i++) d[i] = g![i]! * p[i]!;
    return d;
  }));
  return y;
}

/** mask·weight as one tensor broadcastable to the loss (null when both absent). */
function elementWeights(name: string, l: Tensor, opts: LossOptions): Tensor | null {
  let mask = opts.mask ?? null;
  const weight = opts.weight ?? null;
  if (mask) {
    fits(name, 'a mask', mask, l.shape);
    const m = mask.data;
    for (let i = 0; i < m.length; i++) if (m[i] !== 0 && m[i] !== 1) throw new ValueError(name, 'a mask of 0s and 1s', `${m[i]} at element ${i}`);
    mask = mask.dtype === l.dtype ? mask.detach() : toDType(mask, l.dtype);
  }
  if (weight) {
    fits(name, 'a weight', weight, l.shape);
    if (weight.dtype !== l.dtype) throw new ValueError(name, `a weight of dtype ${l.dtype}`, weight.dtype);
    assertFinite(weight, name, 'weight');
  }
  return mask && weight ? mul(mask, weight) : (mask ?? weight);
}

/** Apply mask, weight and the reduction to the elementwise loss `l`; `den` is d above (null = 1). */
function reduceLoss(name: string, l: Tensor, den: Buf | null, opts: LossOptions): Tensor {
  const w = elementWeights(name, l, opts);
  const wl = w ? mul(l, w) : l;
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return wl;
  const total = sum(wl);
  if (reduction === 'sum') return total;
  if (!w) {
    let d = l.size;
    if (den) {
      d = 0;
      for (let i = 0; i < den.length; i++) d += den[i]!;
    }
    return mulScalar(total, 1 / d);
  }
  const dT = den ? new Tensor(den, l.shape) : new Tensor(allocLike(l.data).fill(1), l.shape);
  return div(total, sum(mul(w, dT)));
}

/** A loss of z = input − target: l = f(z), dl/dinput = f'(z) = −dl/dtarget. */
function differenceLoss(name: string, input: Tensor, target: Tensor, opts: LossOptions, f: (z: number) => number, df: (z: number) => number, square = false): Tensor {
  const reduction = opts.reduction ?? 'mean';
  if (!opts.mask && !opts.weight && reduction !== 'none') return reducedDifference(name, input, target, reduction, f, df, square);
  checkPair(name, input, target);
  const x = input.data;
  const t = target.data;
  const v = allocLike(x);
  const px = want(input, x);
  const pt = want(target, x);
  for (let i = 0; i < x.length; i++) {
    const z = x[i]! - t[i]!;
    v[i] = f(z);
    if (px || pt) {
      const d = df(z);
      if (px) px[i] = d;
      if (pt) pt[i] = -d;
    }
  }
  return reduceLoss(name, pointwise(name, [input, target], input.shape, v, [px, pt]), null, opts);
}

/**
 * differenceLoss with 'mean' or 'sum' and no mask or weight, fused into one pass and one graph
 * node (instead of pointwise → sum → mulScalar(1/n)). The sum of l = f(z) accumulates in double
 * (four interleaved partial sums, a fixed order) and is rounded once, which is closer to PyTorch's
 * cascade sum than a float32 running sum and 4× faster in JS; the gradient is bit-identical to the
 * composition's: fround(fround(g/n) · fround(f'(z))) in float32. The finiteness checks ride along:
 * the sum of l ≥ 0 is non-finite when some z is (then checkPair's errors are thrown).
 * `square`: f = z², f' = 2z inlined (mseLoss).
 */
function reducedDifference(
  name: string, input: Tensor, target: Tensor, reduction: 'mean' | 'sum', f: (z: number) => number, df: (z: number) => number, square: boolean,
): Tensor {
  if (!shapesEqual(input.shape, target.shape)) throw new ShapeError(name, `target of the input's shape ${fmtShape(input.shape)}`, fmtShape(target.shape));
  if (input.dtype !== target.dtype) throw new ValueError(name, `target of dtype ${input.dtype}`, target.dtype);
  const x = input.data;
  const t = target.data;
  const n = x.length;
  const r = x instanceof Float32Array ? Math.fround : (v: number): number => v;
  const acc = square ? sumSquaredDiff(x, t) : sumOf(x, t, f);
  if (!Number.isFinite(acc)) {
    assertFinite(input, name, 'input');
    assertFinite(target, name, 'target');
  }
  const c = 1 / n;
  const out = allocLike(x, 1);
  out[0] = reduction === 'mean' ? r(acc) * c : acc;
  const y = new Tensor(out, []);
  const gi = needsGrad([input]);
  const gt = needsGrad([target]);
  recordOp(name, [input, target], [y], ([g]) => {
    const gs = reduction === 'mean' ? r(g![0]! * c) : g![0]!;
    const dx = gi ? allocLike(x) : null;
    const dt = gt ? allocLike(x) : null;
    if (square && dx && !dt) {
      scaledDiff(x, t, 2, gs, dx); // the common case, fused (native for float32)
      return [dx, null];
    }
    for (let i = 0; i < n; i++) {
      const z = x[i]! - t[i]!;
      const d = square ? 2 * z : df(z);
      if (dx) dx[i] = gs * r(d);
      if (dt) dt[i] = gs * r(-d);
    }
    return [dx, dt];
  });
  return y;
}

/** Σ f(x − t) in double (sequential). */
function sumOf(x: Buf, t: Buf, f: (z: number) => number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += f(x[i]! - t[i]!);
  return s;
}

/**
 * Mean squared error (F.mse_loss): l = (input − target)².
 * Shapes: input and target of one shape (no broadcasting) → scalar, or that shape for 'none'.
 * @remarks PyTorch broadcasts mismatched shapes with a warning; here they are a ShapeError.
 * @example mseLoss(pred, y, { mask })  // mean over unmasked elements
 */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  begin('mseLoss', opts);
  return differenceLoss('mseLoss', input, target, opts, (z) => z * z, (z) => 2 * z, true);
}

/** Mean absolute error (F.l1_loss): l = |input − target| (gradient sign(z), 0 at z = 0). Shapes as {@link mseLoss}. */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  begin('l1Loss', opts);
  return differenceLoss('l1Loss', input, target, opts, Math.abs, Math.sign);
}

export interface HuberOptions extends LossOptions {
  /** Default 1; must be > 0. */
  delta?: number;
}

/**
 * Huber loss (F.huber_loss): l = ½z² if |z| < δ, else δ(|z| − ½δ), z = input − target.
 * Shapes as {@link mseLoss}.
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberOptions = {}): Tensor {
  begin('huberLoss', opts, ['delta']);
  const delta = opts.delta ?? 1;
  if (!(delta > 0 && Number.isFinite(delta))) throw new ValueError('huberLoss', 'delta > 0', String(delta));
  return differenceLoss('huberLoss', input, target, opts,
    (z) => (Math.abs(z) < delta ? 0.5 * z * z : delta * (Math.abs(z) - 0.5 * delta)),
    (z) => (Math.abs(z) < delta ? z : delta * Math.sign(z)));
}

export interface CrossEntropyOptions extends LossOptions {
  /** Per-class weights (C); no gradient flows to them. */
  classWeight?: Tensor | null;
  /** Targets equal to this contribute nothing (default -100). */
  ignoreIndex?: number;
  /** ε in [0, 1]: mix the one-hot target with the uniform distribution (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross entropy from logits with class-index targets (F.cross_entropy).
 * Shapes: logits (N, C) or (N, C, d1, …) or (C); target N·d1·… class ids (row-major over
 * (N, d1, …)) in [0, C) or = ignoreIndex → scalar, or (N, d1, …) for 'none'.
 * Per element, with w = classWeight (1 if absent) and y the target:
 *   l = (1−ε)·w_y·(−log p_y) + (ε/C)·Σ_c w_c·(−log p_c),   0 where y = ignoreIndex;
 *   'mean' divides by Σ w_y over non-ignored elements, exactly as PyTorch.
 * @remarks Probability (soft) targets are not supported.
 * @example crossEntropy(logits, [2, 0, -100], { classWeight, labelSmoothing: 0.1 })
 */
export function crossEntropy(logits: Tensor, target: Indices, opts: CrossEntropyOptions = {}): Tensor {
  const name = 'crossEntropy';
  begin(name, opts, ['classWeight', 'ignoreIndex', 'labelSmoothing']);
  if (logits.ndim < 1) throw new ShapeError(name, 'logits (N, C), (N, C, d1, …) or (C)', fmtShape(logits.shape));
  const flat = logits.ndim === 1;
  const C = logits.shape[flat ? 0 : 1]!;
  const N = flat ? 1 : logits.shape[0]!;
  const inner = flat ? 1 : numelRange(logits.shape, 2);
  const lossShape = flat ? [] : [N, ...shapeSlice(logits.shape, 2)];
  if (target.length !== N * inner) throw new ShapeError(name, `${N * inner} target class ids for ${fmtShape(lossShape)}`, `${target.length}`);
  assertFinite(logits, name, 'input');
  const ii = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ii)) throw new ValueError(name, 'an integer ignoreIndex', String(ii));
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ValueError(name, 'labelSmoothing in [0, 1]', String(eps));
  const cw = opts.classWeight ?? null;
  if (cw) {
    if (cw.ndim !== 1 || cw.shape[0] !== C) throw new ShapeError(name, `classWeight (${C})`, fmtShape(cw.shape));
    assertFinite(cw, name, 'classWeight');
  }
  const y = checkIndices(name, target, C, ii);
  const wOf = (c: number): number => (cw ? cw.data[c]! : 1);
  let W = 0;
  for (let c = 0; c < C; c++) W += wOf(c);
  const z = logits.data;
  const logp = allocLike(z);
  const v = allocLike(z, N * inner);
  const den = allocLike(z, N * inner);
  for (let o = 0; o < N; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * C * inner + i;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, z[base + c * inner]!);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(z[base + c * inner]! - m);
      const lse = m + Math.log(s);
      let smooth = 0;
      for (let c = 0; c < C; c++) {
        const lp = z[base + c * inner]! - lse;
        logp[base + c * inner] = lp;
        smooth -= wOf(c) * lp;
      }
      const k = o * inner + i;
      const t = y[k]!;
      if (t === ii) continue;
      v[k] = (1 - eps) * wOf(t) * -logp[base + t * inner]! + (eps / C) * smooth;
      den[k] = wOf(t);
    }
  }
  const l = new Tensor(v, lossShape);
  // dl/dz_c = p_c·((1−ε)w_y + (ε/C)W) − (1−ε)w_y·[c = y] − (ε/C)w_c
  recordOp(name, [logits], [l], ([g]) => {
    const dz = allocLike(g!, logits.size);
    for (let o = 0; o < N; o++) {
      for (let i = 0; i < inner; i++) {
        const k = o * inner + i;
        const t = y[k]!;
        if (t === ii) continue;
        const base = o * C * inner + i;
        const a = (1 - eps) * wOf(t);
        const scale = a + (eps / C) * W;
        for (let c = 0; c < C; c++) {
          const j = base + c * inner;
          dz[j] = g![k]! * (Math.exp(logp[j]!) * scale - (c === t ? a : 0) - (eps / C) * wOf(c));
        }
      }
    }
    return [dz];
  });
  return reduceLoss(name, l, den, opts);
}

export interface BceWithLogitsOptions extends LossOptions {
  /** Weight of positive examples, broadcastable to the input (usually (C)). */
  posWeight?: Tensor | null;
}

/**
 * Binary cross entropy on logits (F.binary_cross_entropy_with_logits), computed stably:
 *   l = (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x).
 * Shapes: logits and target of one shape → scalar, or that shape for 'none'.
 * @remarks posWeight receives a gradient; `weight` follows the common mean rule (see module doc).
 */
export function bceWithLogits(logits: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const name = 'bceWithLogits';
  begin(name, opts, ['posWeight']);
  checkPair(name, logits, target);
  const pw0 = opts.posWeight ?? null;
  if (pw0) {
    fits(name, 'a posWeight', pw0, logits.shape);
    if (pw0.dtype !== logits.dtype) throw new ValueError(name, `a posWeight of dtype ${logits.dtype}`, pw0.dtype);
    assertFinite(pw0, name, 'posWeight');
  }
  const pw = pw0 ? expand(pw0, logits.shape) : null;
  const x = logits.data;
  const t = target.data;
  const v = allocLike(x);
  const px = want(logits, x);
  const pt = want(target, x);
  const pp = pw ? want(pw, x) : null;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const ti = t[i]!;
    const p1 = pw ? pw.data[i]! - 1 : 0;
    const spn = Math.max(-xi, 0) + Math.log1p(Math.exp(-Math.abs(xi))); // softplus(−x)
    const lw = 1 + p1 * ti;
    v[i] = (1 - ti) * xi + lw * spn;
    if (px) px[i] = 1 - ti - lw * sigmoid(-xi);
    if (pt) pt[i] = -xi + p1 * spn;
    if (pp) pp[i] = ti * spn;
  }
  return reduceLoss(name, pointwise(name, pw ? [logits, target, pw] : [logits, target], logits.shape, v, pw ? [px, pt, pp] : [px, pt]), null, opts);
}

/**
 * Binary cross entropy on probabilities (F.binary_cross_entropy):
 *   l = −(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)).
 * Shapes as {@link mseLoss}; p and t must lie in [0, 1] (ValueError otherwise).
 * @remarks The input gradient is PyTorch's (p − t)/max(p(1 − p), 1e-12).
 */
export function bce(prob: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const name = 'bce';
  begin(name, opts);
  checkPair(name, prob, target);
  const p = prob.data;
  const t = target.data;
  const v = allocLike(p);
  const px = want(prob, p);
  const pt = want(target, p);
  for (let i = 0; i < p.length; i++) {
    if (!(p[i]! >= 0 && p[i]! <= 1)) throw new ValueError(name, 'input probabilities in [0, 1]', `${p[i]} at element ${i}`);
    if (!(t[i]! >= 0 && t[i]! <= 1)) throw new ValueError(name, 'targets in [0, 1]', `${t[i]} at element ${i}`);
    const lp = Math.max(Math.log(p[i]!), -100);
    const lq = Math.max(Math.log1p(-p[i]!), -100);
    v[i] = -(t[i]! * lp + (1 - t[i]!) * lq);
    if (px) px[i] = (p[i]! - t[i]!) / Math.max(p[i]! * (1 - p[i]!), 1e-12);
    if (pt) pt[i] = lq - lp;
  }
  return reduceLoss(name, pointwise(name, [prob, target], prob.shape, v, [px, pt]), null, opts);
}

export interface PoissonNllOptions extends LossOptions {
  /** Input is log λ (default true); else λ itself. */
  logInput?: boolean;
  /** Add the Stirling term t·log t − t + ½log(2πt) where t > 1 (default false). */
  full?: boolean;
  /** Added to λ inside the log when logInput is false (default 1e-8). */
  eps?: number;
}

/**
 * Poisson negative log likelihood (F.poisson_nll_loss):
 *   logInput: l = exp(x) − t·x;   else: l = x − t·log(x + eps)   (+ Stirling term when full).
 * Shapes as {@link mseLoss}.
 */
export function poissonNllLoss(input: Tensor, target: Tensor, opts: PoissonNllOptions = {}): Tensor {
  const name = 'poissonNllLoss';
  begin(name, opts, ['logInput', 'full', 'eps']);
  const logInput = opts.logInput ?? true;
  const eps = opts.eps ?? 1e-8;
  if (!(eps >= 0 && Number.isFinite(eps))) throw new ValueError(name, 'eps >= 0', String(eps));
  checkPair(name, input, target);
  const x = input.data;
  const t = target.data;
  const v = allocLike(x);
  const px = want(input, x);
  const pt = want(target, x);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const ti = t[i]!;
    if (logInput) {
      const e = Math.exp(xi);
      v[i] = e - ti * xi;
      if (px) px[i] = e - ti;
      if (pt) pt[i] = -xi;
    } else {
      v[i] = xi - ti * Math.log(xi + eps);
      if (px) px[i] = 1 - ti / (xi + eps);
      if (pt) pt[i] = -Math.log(xi + eps);
    }
    if (opts.full && ti > 1) {
      v[i] += ti * Math.log(ti) - ti + 0.5 * Math.log(2 * Math.PI * ti);
      if (pt) pt[i] += Math.log(ti) + 0.5 / ti;
    }
  }
  return reduceLoss(name, pointwise(name, [input, target], input.shape, v, [px, pt]), null, opts);
}

export interface GaussianNllOptions extends LossOptions {
  /** Add ½log(2π) (default false). */
  full?: boolean;
  /** Variance floor (default 1e-6); the clamp passes gradients straight through, as PyTorch. */
  eps?: number;
}

/** var as a tensor of the input's shape, per PyTorch's shape rules. */
function varianceOf(name: string, input: Tensor, variance: Tensor | number): Tensor {
  if (typeof variance === 'number') {
    if (!(variance >= 0) || !Number.isFinite(variance)) throw new ValueError(name, 'a variance >= 0', String(variance));
    return new Tensor(allocLike(input.data).fill(variance), input.shape);
  }
  if (variance.dtype !== input.dtype) throw new ValueError(name, `a variance of dtype ${input.dtype}`, variance.dtype);
  assertFinite(variance, name, 'var');
  const vd = variance.data;
  for (let i = 0; i < vd.length; i++) if (vd[i]! < 0) throw new ValueError(name, 'a variance >= 0', `${vd[i]} at element ${i}`);
  const s = input.shape;
  const vs = variance.shape;
  if (shapesEqual(vs, s)) return variance;
  if (shapesEqual(vs, s.slice(0, -1))) return expand(reshape(variance, [...vs, 1]), s);
  const diff = vs.length === s.length ? s.filter((d, i) => d !== vs[i]).length : -1;
  if (diff === 1 && vs.every((d, i) => d === s[i] || d === 1)) return expand(variance, s);
  throw new ShapeError(name, `var of shape ${fmtShape(s)}, ${fmtShape(s.slice(0, -1))} or with one size-1 axis`, fmtShape(vs));
}

/**
 * Gaussian negative log likelihood (F.gaussian_nll_loss):
 *   l = ½(log v + (x − t)²/v) (+ ½log 2π when full),  v = max(var, eps).
 * Shapes: mean and target of one shape; var of that shape, of that shape without the last
 * axis, or with exactly one axis of size 1 (homoscedastic); a number is a constant variance.
 */
export function gaussianNllLoss(mean: Tensor, target: Tensor, variance: Tensor | number, opts: GaussianNllOptions = {}): Tensor {
  const name = 'gaussianNllLoss';
  begin(name, opts, ['full', 'eps']);
  const eps = opts.eps ?? 1e-6;
  if (!(eps >= 0 && Number.isFinite(eps))) throw new ValueError(name, 'eps >= 0', String(eps));
  checkPair(name, mean, target);
  const varT = varianceOf(name, mean, variance);
  const x = mean.data;
  const t = target.data;
  const s = varT.data;
  const c = opts.full ? 0.5 * Math.log(2 * Math.PI) : 0;
  const v = allocLike(x);
  const px = want(mean, x);
  const pt = want(target, x);
  const pv = want(varT, x);
  for (let i = 0; i < x.length; i++) {
    const vc = Math.max(s[i]!, eps);
    const z = x[i]! - t[i]!;
    v[i] = 0.5 * (Math.log(vc) + (z * z) / vc) + c;
    if (px) px[i] = z / vc;
    if (pt) pt[i] = -z / vc;
    if (pv) pv[i] = 0.5 * (1 / vc - (z * z) / (vc * vc));
  }
  return reduceLoss(name, pointwise(name, [mean, target, varT], mean.shape, v, [px, pt, pv]), null, opts);
}
