/** RMSprop, optionally centered and with momentum. */
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, check, lerp, zerosBuf, type Buf, type OptimizerSpec, type ParamGroup, type ParamState } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Normalise by an estimate of the gradient's variance instead of its second moment (default false). */
  centered?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

export type RMSpropHyper = Required<RMSpropOptions>;

const SPEC: OptimizerSpec<RMSpropHyper> = {
  kind: 'rmsprop',
  name: 'RMSprop',
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
  validate(h, where) {
    check.nonNeg(where, 'lr', h.lr);
    check.nonNeg(where, 'alpha', h.alpha);
    check.nonNeg(where, 'eps', h.eps);
    check.nonNeg(where, 'weightDecay', h.weightDecay);
    check.nonNeg(where, 'momentum', h.momentum);
    check.bool(where, 'centered', h.centered);
    check.bool(where, 'maximize', h.maximize);
  },
  requiredBuffers: (h) => ['square_avg', ...(h.momentum > 0 ? ['momentum_buffer'] : []), ...(h.centered ? ['grad_avg'] : [])],
  bufferNames: ['square_avg', 'momentum_buffer', 'grad_avg'],
};

/**
 * RMSprop, exactly as `torch.optim.RMSprop` (single-tensor path):
 * `g = ±grad + wd·p`, `s = α·s + (1 − α)·g²`; centered: `ḡ = lerp(ḡ, g, 1 − α)`,
 * `d = √(s − ḡ²) + eps`, else `d = √s + eps`; with momentum `b = μ·b + g/d`, `p -= lr·b`,
 * else `p -= lr·g/d`. State buffers: `square_avg`, `momentum_buffer` (momentum > 0),
 * `grad_avg` (centered).
 * @example
 * const opt = new RMSprop(model.parameters(), { lr: 1e-3, centered: true, momentum: 0.9 });
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroup<RMSpropOptions>[], options: RMSpropOptions = {}) {
    super(SPEC, params, options);
  }

  protected update(h: RMSpropHyper, p: Buf, grad: Buf, st: ParamState): void {
    const { lr, alpha, eps, weightDecay: wd, momentum: mu, centered, maximize } = h;
    const sq = zerosBuf(st, 'square_avg', p);
    const buf = mu > 0 ? zerosBuf(st, 'momentum_buffer', p) : null;
    const ga = centered ? zerosBuf(st, 'grad_avg', p) : null;
    const w = 1 - alpha;
    for (let j = 0; j < p.length; j++) {
      let g = maximize ? -grad[j]! : grad[j]!;
      if (wd !== 0) g = g + wd * p[j]!;
      sq[j] = sq[j]! * alpha + w * g * g;
      let avg: number;
      if (ga) {
        ga[j] = lerp(ga[j]!, g, w);
        avg = Math.sqrt(sq[j]! + -1 * ga[j]! * ga[j]!);
      } else {
        avg = Math.sqrt(sq[j]!);
      }
      avg = avg + eps;
      if (buf) {
        buf[j] = buf[j]! * mu + g / avg;
        p[j] = p[j]! + -lr * buf[j]!;
      } else {
        p[j] = p[j]! + -lr * (g / avg);
      }
    }
  }
}
