/**
 * Continual learning instruments: forgetting metrics, Elastic Weight Consolidation (Kirkpatrick
 * et al. 2017) and Orthogonal Gradient Descent / gradient projection (Farajtabar et al. 2020).
 * They work on any parameter list (`model.parameters()`) and leave the optimizer to the caller:
 *
 *   loss = add(taskLossB, ewc.penalty());  backward(loss);  opt.step();          // EWC
 *   backward(taskLossB);  projectGradients(params, basisA);  opt.step();         // OGD
 */
import { Tensor } from '../tensor/tensor.js';
import { backward } from '../autograd/engine.js';
import { add, mul, mulScalar, square, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { ShapeError, ValueError } from '../util/errors.js';

export interface ForgettingReport {
  /** Metric on the old task before and after training on the new one. */
  before: number;
  after: number;
  /** Loss of performance: after − before for losses, before − after when higherIsBetter. */
  forgetting: number;
}

/** Evaluate task A, run `train` (e.g. training on task B), evaluate A again. */
export function measureForgetting(evaluate: () => number, train: () => void, opts: { higherIsBetter?: boolean } = {}): ForgettingReport {
  const before = evaluate();
  train();
  const after = evaluate();
  return { before, after, forgetting: opts.higherIsBetter ? before - after : after - before };
}

/**
 * Forgetting over a task sequence from R[i][j] = metric on task j after training on task i
 * (n×n): per-task forgetting f_j = best R[i][j] over i < n−1 minus R[n−1][j] (sign-adjusted
 * for losses), their average over j < n−1 (Chaudhry et al. 2018), and backward transfer
 * BWT = mean_j (R[n−1][j] − R[j][j]) (Lopez-Paz & Ranzato 2017; negative = forgetting for accuracies).
 */
export function forgettingFromMatrix(R: readonly (readonly number[])[], opts: { higherIsBetter?: boolean } = {}): { perTask: number[]; average: number; backwardTransfer: number } {
  const n = R.length;
  if (n < 2 || R.some((r) => r.length !== n)) throw new ShapeError('forgettingFromMatrix', 'an n×n matrix, n ≥ 2', `${n} rows`);
  const sgn = opts.higherIsBetter ? 1 : -1;
  const perTask = Array.from({ length: n - 1 }, (_, j) => {
    let best = -Infinity;
    for (let i = j; i < n - 1; i++) best = Math.max(best, sgn * R[i]![j]!);
    return best - sgn * R[n - 1]![j]!;
  });
  const bwt = perTask.map((_, j) => R[n - 1]![j]! - R[j]![j]!);
  const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;
  return { perTask, average: mean(perTask), backwardTransfer: mean(bwt) };
}

function zeroGrads(params: readonly Tensor[]): void {
  for (const p of params) p.grad = null;
}

/**
 * Diagonal Fisher information F_i = (1/N) Σ_n (∂ℓ_n/∂θ_i)², ℓ_n = logLikelihood(item n), one
 * backward per item. Items are single samples (the Fisher proper) or mini-batches (cheaper; the
 * batch-mean gradient averages noise away, so scale λ up accordingly). For the true Fisher
 * draw the targets from the model's own predictive distribution inside `logLikelihood`; the
 * empirical Fisher uses the data's targets (it vanishes where a noiseless task is fit exactly).
 * Overwrites the parameters' `.grad` (left null). Returns one tensor per parameter.
 */
export function fisherDiagonal<T>(params: readonly Tensor[], items: Iterable<T>, logLikelihood: (item: T) => Tensor): Tensor[] {
  const acc = params.map((p) => new Tensor(new Float64Array(p.size), p.shape));
  let n = 0;
  for (const item of items) {
    zeroGrads(params);
    const ll = logLikelihood(item);
    if (ll.size !== 1) throw new ShapeError('fisherDiagonal', 'a scalar log-likelihood per item', `${ll.size} values`);
    backward(ll);
    params.forEach((p, k) => {
      const g = p.grad?.data;
      if (g) for (let i = 0; i < g.length; i++) acc[k]!.data[i] += g[i]! * g[i]!;
    });
    n++;
  }
  if (n === 0) throw new ValueError('fisherDiagonal', 'at least one item', 'none');
  zeroGrads(params);
  return acc.map((a, k) => {
    const out = new Tensor(params[k]!.dtype === 'float64' ? new Float64Array(a.size) : new Float32Array(a.size), a.shape);
    for (let i = 0; i < a.size; i++) out.data[i] = a.data[i]! / n;
    return out;
  });
}

/**
 * Elastic Weight Consolidation: after each task, `consolidate` stores θ* (a copy of the current
 * values) and its diagonal Fisher F; `penalty()` is the differentiable term
 * λ/2 Σ_tasks Σ_i F_i (θ_i − θ*_i)² to add to the new task's loss.
 * @example
 * const ewc = new EWC({ lambda: 100 }).consolidate(params, fisherDiagonal(params, samplesA, logLik));
 * const loss = F.add(lossB, ewc.penalty());
 */
export class EWC {
  readonly lambda: number;
  private readonly anchors: { params: readonly Tensor[]; star: Tensor[]; fisher: Tensor[] }[] = [];

  constructor(opts: { lambda: number }) {
    if (!(opts.lambda >= 0)) throw new ValueError('EWC: lambda', 'a non-negative number', String(opts.lambda));
    this.lambda = opts.lambda;
  }

  /** Anchor the (live) parameters at their current values with Fisher weights; returns this. */
  consolidate(params: readonly Tensor[], fisher: readonly Tensor[]): this {
    if (fisher.length !== params.length) throw new ShapeError('EWC.consolidate', `${params.length} Fisher tensors`, String(fisher.length));
    fisher.forEach((f, k) => {
      if (f.size !== params[k]!.size) throw new ShapeError('EWC.consolidate', `Fisher ${k} of ${params[k]!.size} values`, String(f.size));
    });
    const like = (p: Tensor, src: Tensor): Tensor => {
      const t = new Tensor(p.dtype === 'float64' ? new Float64Array(p.size) : new Float32Array(p.size), p.shape);
      t.data.set(src.data);
      return t;
    };
    this.anchors.push({ params: [...params], star: params.map((p) => like(p, p)), fisher: fisher.map((f, k) => like(params[k]!, f)) });
    return this;
  }

  /** Number of consolidated tasks. */
  get tasks(): number {
    return this.anchors.length;
  }

  /** λ/2 Σ F (θ − θ*)² as a scalar tensor (zero before any consolidate). */
  penalty(): Tensor {
    let total: Tensor | null = null;
    for (const a of this.anchors) {
      for (let k = 0; k < a.params.length; k++) {
        const term = sum(mul(a.fisher[k]!, square(sub(a.params[k]!, a.star[k]!))));
        total = total ? add(total, term) : term;
      }
    }
    if (!total) return new Tensor(new Float64Array(1), []);
    return mulScalar(total, this.lambda / 2);
  }
}

/** Concatenated gradients of the parameters (zeros where .grad is null), float64. */
export function flatGrad(params: readonly Tensor[]): Float64Array {
  const out = new Float64Array(params.reduce((s, p) => s + p.size, 0));
  let off = 0;
  for (const p of params) {
    if (p.grad) out.set(p.grad.data, off);
    off += p.size;
  }
  return out;
}

/** An orthonormal basis of stored gradient directions (Gram–Schmidt, applied twice for stability). */
export class GradientBasis {
  readonly dim: number;
  readonly vectors: Float64Array[] = [];

  constructor(dim: number) {
    this.dim = dim;
  }

  get size(): number {
    return this.vectors.length;
  }

  /** g minus its components along the basis. */
  residual(g: ArrayLike<number>): Float64Array {
    if (g.length !== this.dim) throw new ShapeError('GradientBasis', `a vector of ${this.dim} values`, String(g.length));
    const r = Float64Array.from(g);
    for (let pass = 0; pass < 2; pass++) {
      for (const v of this.vectors) {
        let d = 0;
        for (let i = 0; i < r.length; i++) d += r[i]! * v[i]!;
        for (let i = 0; i < r.length; i++) r[i] -= d * v[i]!;
      }
    }
    return r;
  }

  /** Add the normalised residual of g unless it is below tol·‖g‖ (already spanned); returns whether added. */
  add(g: ArrayLike<number>, tol = 1e-8): boolean {
    const r = this.residual(g);
    let gn = 0;
    for (let i = 0; i < g.length; i++) gn += g[i]! * g[i]!;
    gn = Math.sqrt(gn);
    const rn = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
    if (!(rn > tol * gn) || rn === 0) return false;
    for (let i = 0; i < r.length; i++) r[i] /= rn;
    this.vectors.push(r);
    return true;
  }
}

/**
 * OGD basis builder: for each item, the gradient of `objective(item)` with respect to params
 * (a scalar, e.g. the model output for the true class — OGD-GTL — or a loss; a tensor of several
 * outputs adds one direction per element — OGD-ALL) is added to the basis. Overwrites `.grad`.
 */
export function gradientBasis<T>(params: readonly Tensor[], items: Iterable<T>, objective: (item: T) => Tensor, opts: { basis?: GradientBasis; maxVectors?: number; tol?: number } = {}): GradientBasis {
  const basis = opts.basis ?? new GradientBasis(params.reduce((s, p) => s + p.size, 0));
  const max = opts.maxVectors ?? Infinity;
  for (const item of items) {
    const out = objective(item);
    for (let e = 0; e < out.size && basis.size < max; e++) {
      zeroGrads(params);
      const seed = new Tensor(out.dtype === 'float64' ? new Float64Array(out.size) : new Float32Array(out.size), out.shape);
      seed.data[e] = 1;
      backward(out, seed, { retainGraph: e < out.size - 1 });
      basis.add(flatGrad(params), opts.tol);
    }
    if (basis.size >= max) break;
  }
  zeroGrads(params);
  return basis;
}

/** In place: replace every parameter's gradient by its projection onto the basis' orthogonal complement. */
export function projectGradients(params: readonly Tensor[], basis: GradientBasis): void {
  const r = basis.residual(flatGrad(params));
  let off = 0;
  for (const p of params) {
    if (!p.grad) p.grad = new Tensor(p.dtype === 'float64' ? new Float64Array(p.size) : new Float32Array(p.size), p.shape);
    p.grad.data.set(r.subarray(off, off + p.size));
    off += p.size;
  }
}
