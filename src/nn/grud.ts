/**
 * GRU-D (Che et al. 2018, "Recurrent Neural Networks for Multivariate Time Series with
 * Missing Values", Sci Rep 8:6085), written as a user-defined cell on `RecurrentCell`:
 * it doubles as the worked example of a custom cell with side inputs.
 *
 * Per step, with x_t (B, I) the values (anything where unobserved), m_t (B, I) the 0/1 mask,
 * δ_t (B, I) the time since each variable was last observed and x_last (B, I) its last
 * observed value (x̄ where never observed):
 *   γ_x = exp(−max(0, w_γx ⊙ δ + b_γx))          input decay, diagonal (I)
 *   γ_h = exp(−max(0, δ·W_γhᵀ + b_γh))            hidden decay (H, I)
 *   x̂   = m ⊙ x + (1 − m) ⊙ (γ_x ⊙ x_last + (1 − γ_x) ⊙ x̄)
 *   h   ← γ_h ⊙ h
 *   r   = σ(W_r x̂ + U_r h + V_r m + b_r),  z = σ(W_z x̂ + U_z h + V_z m + b_z)
 *   h̃   = tanh(W x̂ + U (r ⊙ h) + V m + b),   h' = (1 − z) ⊙ h + z ⊙ h̃
 */
import { Tensor } from '../tensor/tensor.js';
import { allocBuf } from '../tensor/create.js';
import { add, exp, mul, neg, relu, sigmoid, sub, tanh } from '../ops/elementwise.js';
import { linear } from '../ops/matmul.js';
import { concat, reshape, slice } from '../ops/shape.js';
import { uniformParam } from './init.js';
import { RecurrentCell, type CellStepContext } from './custom-cell.js';
import { globalRng, type Rng } from '../util/rng.js';
import { ShapeError, ValueError } from '../util/errors.js';
import { fmtShape } from '../util/shape.js';

export interface GRUDCellOptions {
  /** x̄, the per-variable empirical mean the input decays towards (default zeros: standardised inputs). */
  xMean?: ArrayLike<number>;
  rng?: Rng;
}

/**
 * The GRU-D cell. Side inputs (give them to `scan`/`Recurrent` as `inputs`, each (T, B, I)):
 * `mask`, `delta` and `xLast`. Everything that does not depend on h (input decay, x̂, the input
 * projection, γ_h) runs once for all steps in `precompute`; the loop runs only the recurrence. Parameters: `weight_ih` (3H, 2I) acting on [x̂, m], `bias` (3H),
 * `weight_hh` (3H, H) (rows r, z, n), `decay_x_weight`/`decay_x_bias` (I), `decay_h_weight` (H, I),
 * `decay_h_bias` (H).
 * @remarks Gate order r, z, n as in nn.GRU, but with one bias and the reset gate applied to h
 * before U (the paper's form, not PyTorch's b_hn-inside-the-product form).
 * @example
 * const layer = new Recurrent(new GRUDCell(33, 49, { rng: new Rng(1) }));
 * const { state } = layer.forward(x, { inputs: { mask, delta, xLast } }); // state.h (B, 49)
 */
export class GRUDCell extends RecurrentCell {
  readonly xMean: Tensor;
  constructor(readonly inputSize: number, readonly hiddenSize: number, opts: GRUDCellOptions = {}) {
    super();
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError('GRUDCell', `${k} a positive integer`, String(v));
    }
    const rng = opts.rng ?? globalRng();
    const I = inputSize;
    const H = hiddenSize;
    const k = 1 / Math.sqrt(H);
    this.registerParameter('weight_ih', uniformParam([3 * H, 2 * I], k, rng));
    this.registerParameter('weight_hh', uniformParam([3 * H, H], k, rng));
    this.registerParameter('bias', uniformParam([3 * H], k, rng));
    this.registerParameter('decay_x_weight', uniformParam([I], k, rng));
    this.registerParameter('decay_x_bias', uniformParam([I], k, rng));
    this.registerParameter('decay_h_weight', uniformParam([H, I], k, rng));
    this.registerParameter('decay_h_bias', uniformParam([H], k, rng));
    const m = new Float32Array(I);
    if (opts.xMean) {
      if (opts.xMean.length !== I) throw new ShapeError('GRUDCell: xMean', `${I} values`, String(opts.xMean.length));
      m.set(Array.from(opts.xMean));
    }
    this.xMean = new Tensor(m, [I]);
  }

  /**
   * The state-independent part for all steps at once: the input decay, x̂, the input
   * projection W[x̂; m] + b (T, B, 3H) and the hidden decay γ_h (T, B, H).
   */
  override precompute(x: Tensor, inputs: Record<string, Tensor>): { x: Tensor; inputs: Record<string, Tensor> } {
    const { mask, delta, xLast } = inputs;
    if (!mask || !delta || !xLast) throw new ValueError('GRUDCell', 'side inputs mask, delta and xLast', Object.keys(inputs).join(', ') || 'none');
    for (const [k, t] of [['mask', mask], ['delta', delta], ['xLast', xLast]] as const) {
      if (t.ndim !== 3 || t.shape[0] !== x.shape[0] || t.shape[1] !== x.shape[1] || t.shape[2] !== this.inputSize) {
        throw new ShapeError(`GRUDCell: ${k}`, fmtShape([x.shape[0]!, x.shape[1]!, this.inputSize]), fmtShape(t.shape));
      }
    }
    const [T, B] = x.shape as [number, number];
    const I = this.inputSize;
    const H = this.hiddenSize;
    const gx = exp(neg(relu(add(mul(delta, this.param('decay_x_weight')), this.param('decay_x_bias')))));
    const filled = add(mul(gx, xLast), mul(sub(ones(gx), gx), this.xMeanAs(x)));
    const xhat = add(mul(mask, x), mul(sub(ones(mask), mask), filled));
    const flat = (t: Tensor): Tensor => reshape(t, [T * B, I]);
    const gi = linear(concat([flat(xhat), flat(mask)], 1), this.param('weight_ih'), this.param('bias'));
    const gh = exp(neg(relu(linear(flat(delta), this.param('decay_h_weight'), this.param('decay_h_bias')))));
    return { x: reshape(gi, [T, B, 3 * H]), inputs: { gammaH: reshape(gh, [T, B, H]) } };
  }

  /** One step on the precomputed input projection gi (B, 3H) and γ_h (B, H). */
  forward(gi: Tensor, state: { h: Tensor }, ctx: CellStepContext): { h: Tensor } {
    const H = this.hiddenSize;
    const h = mul(ctx.inputs['gammaH']!, state.h);
    const whh = this.param('weight_hh');
    const ghzr = linear(h, slice(whh, 0, 0, 2 * H));
    const r = sigmoid(add(slice(gi, 1, 0, H), slice(ghzr, 1, 0, H)));
    const z = sigmoid(add(slice(gi, 1, H, 2 * H), slice(ghzr, 1, H, 2 * H)));
    const n = tanh(add(slice(gi, 1, 2 * H, 3 * H), linear(mul(r, h), slice(whh, 0, 2 * H, 3 * H))));
    return { h: add(h, mul(z, sub(n, h))) };
  }

  private xMeanAs(x: Tensor): Tensor {
    if (x.dtype === this.xMean.dtype) return this.xMean;
    const b = allocBuf(x.dtype, this.inputSize);
    b.set(this.xMean.data);
    return new Tensor(b, [this.inputSize]);
  }
}

/** A constant tensor of ones shaped like t. */
function ones(t: Tensor): Tensor {
  const b = allocBuf(t.dtype, t.size);
  b.fill(1);
  return new Tensor(b, t.shape);
}
