/** Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay. */
import type { Tensor } from '../tensor/tensor.js';
import { ValueError } from '../util/errors.js';
import { Optimizer, check, type Buf, type OptimizerSpec, type ParamGroup, type ParamState } from './optimizer.js';
import { sgdStep } from '../ops/fused.js';

export interface SGDOptions {
  /** Learning rate (default 1e-3, PyTorch 2.x's default). */
  lr?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening for momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

export type SGDHyper = Required<SGDOptions>;

const SPEC: OptimizerSpec<SGDHyper> = {
  kind: 'sgd',
  name: 'SGD',
  defaults: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  validate(h, where) {
    check.nonNeg(where, 'lr', h.lr);
    check.nonNeg(where, 'momentum', h.momentum);
    check.finite(where, 'dampening', h.dampening);
    check.nonNeg(where, 'weightDecay', h.weightDecay);
    check.bool(where, 'nesterov', h.nesterov);
    check.bool(where, 'maximize', h.maximize);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new ValueError(where, 'nesterov with momentum > 0 and dampening 0', `momentum ${h.momentum}, dampening ${h.dampening}`);
    }
  },
  // The momentum buffer is optional: when absent it is re-initialised from the gradient.
  requiredBuffers: () => [],
  bufferNames: ['momentum_buffer'],
};

/**
 * SGD, exactly as `torch.optim.SGD` (single-tensor path):
 * `g = ±grad + wd·p`; with momentum `b = g` on the first step, else `b = μ·b + (1 − dampening)·g`;
 * `g = nesterov ? g + μ·b : b`; `p -= lr·g`.
 * State buffer: `momentum_buffer` (only when momentum ≠ 0).
 * @remarks Also keeps a per-parameter step count (PyTorch's SGD keeps none).
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroup<SGDOptions>[], options: SGDOptions = {}) {
    super(SPEC, params, options);
  }

  protected update(h: SGDHyper, p: Buf, grad: Buf, st: ParamState): void {
    const n = p.length;
    let buf = st['momentum_buffer'] ?? null;
    const init = h.momentum !== 0 && buf === null;
    if (init) buf = st['momentum_buffer'] = p instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
    // One fused kernel per tensor: float32 arithmetic op by op for float32 parameters (so
    // float32 buffers round exactly like PyTorch's), double for float64.
    sgdStep({
      p, g: grad, buf: h.momentum !== 0 ? buf : null, lr: h.lr, momentum: h.momentum, dampening: h.dampening,
      weightDecay: h.weightDecay, nesterov: h.nesterov, maximize: h.maximize, init,
    });
  }
}
