/** Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay). */
import type { Tensor } from '../tensor/tensor.js';
import { ValueError } from '../util/errors.js';
import { Optimizer, check, zerosBuf, type Buf, type OptimizerSpec, type ParamGroup, type ParamState } from './optimizer.js';
import { adamStep } from '../ops/fused.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment averages, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
  /** AMSGrad: normalise by the running maximum of the second moment (default false). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

export type AdamHyper = Required<AdamOptions>;

function spec(kind: 'adam' | 'adamw'): OptimizerSpec<AdamHyper> {
  return {
    kind,
    name: kind === 'adam' ? 'Adam' : 'AdamW',
    defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: kind === 'adam' ? 0 : 1e-2, amsgrad: false, maximize: false },
    validate(h, where) {
      check.nonNeg(where, 'lr', h.lr);
      check.nonNeg(where, 'eps', h.eps);
      if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new ValueError(where, 'betas a pair [beta1, beta2]', String(h.betas));
      check.unit(where, 'betas[0]', h.betas[0]);
      check.unit(where, 'betas[1]', h.betas[1]);
      check.nonNeg(where, 'weightDecay', h.weightDecay);
      check.bool(where, 'amsgrad', h.amsgrad);
      check.bool(where, 'maximize', h.maximize);
    },
    requiredBuffers: (h) => (h.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq']),
    bufferNames: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
  };
}

/**
 * One Adam update of a flat parameter, as PyTorch's single-tensor `_single_tensor_adam`:
 * `m = lerp(m, g, 1 − β1)`, `v = β2·v + (1 − β2)·g²`, `v̂max = max(v̂max, v)` (AMSGrad),
 * `p -= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)` — one fused kernel per tensor on the
 * backend (float32 arithmetic op by op for float32 parameters, as PyTorch; double for float64).
 */
function adamUpdate(h: AdamHyper, decoupled: boolean, p: Buf, grad: Buf, st: ParamState, step: number): void {
  const [b1, b2] = h.betas;
  adamStep({
    p, g: grad, m: zerosBuf(st, 'exp_avg', p), v: zerosBuf(st, 'exp_avg_sq', p),
    vmax: h.amsgrad ? zerosBuf(st, 'max_exp_avg_sq', p) : null,
    lr: h.lr, beta1: b1, beta2: b2, eps: h.eps, weightDecay: h.weightDecay,
    stepSize: h.lr / (1 - b1 ** step), bc2Sqrt: (1 - b2 ** step) ** 0.5, decoupled, maximize: h.maximize,
  });
}

/**
 * Adam, exactly as `torch.optim.Adam`. Weight decay is L2: `g += weightDecay·p` before the
 * moments. State buffers: `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with AMSGrad.
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends Optimizer<AdamHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroup<AdamOptions>[], options: AdamOptions = {}) {
    super(spec('adam'), params, options);
  }
  protected update(h: AdamHyper, p: Buf, g: Buf, st: ParamState, step: number): void {
    adamUpdate(h, false, p, g, st, step);
  }
}

/**
 * AdamW, exactly as `torch.optim.AdamW`: decoupled weight decay `p *= 1 − lr·weightDecay`
 * before the Adam update (default weightDecay 0.01).
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
 */
export class AdamW extends Optimizer<AdamHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroup<AdamOptions>[], options: AdamOptions = {}) {
    super(spec('adamw'), params, options);
  }
  protected update(h: AdamHyper, p: Buf, g: Buf, st: ParamState, step: number): void {
    adamUpdate(h, true, p, g, st, step);
  }
}
