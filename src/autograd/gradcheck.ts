/**
 * Finite-difference gradient checks (run in float64). For a function f of some input
 * tensors returning one tensor, compare the analytic gradient of L = Σ f(x) ⊙ w (w a fixed
 * random weighting) with central differences (L(x+ε) − L(x−ε)) / 2ε for every element.
 */
import { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { backward, noGrad } from './engine.js';

export interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  /** First failing entry, for the error message. */
  worst: string;
}

/**
 * @param f       function of the inputs (must be deterministic)
 * @param inputs  float64 leaves; those with requiresGrad are checked
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-7;
  const rng = new Rng(opts.seed ?? 1);
  for (const x of inputs) x.grad = null;
  const y0 = f(...inputs);
  const w = new Float64Array(y0.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
  const lossOf = (y: Tensor): number => {
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i]! * w[i]!;
    return s;
  };
  backward(y0, new Tensor(w, y0.shape));
  let maxAbs = 0;
  let maxRel = 0;
  let ok = true;
  let worst = '';
  inputs.forEach((x, xi) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad ? x.grad.data : new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i]!;
      x.data[i] = orig + eps;
      const lp = noGrad(() => lossOf(f(...inputs)));
      x.data[i] = orig - eps;
      const lm = noGrad(() => lossOf(f(...inputs)));
      x.data[i] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const a = analytic[i]!;
      const abs = Math.abs(a - numeric);
      const rel = abs / Math.max(Math.abs(a), Math.abs(numeric), 1e-12);
      maxAbs = Math.max(maxAbs, abs);
      if (abs > atol) maxRel = Math.max(maxRel, rel);
      if (abs > atol + rtol * Math.abs(numeric) && ok) {
        ok = false;
        worst = `input ${xi} element ${i}: analytic ${a}, numeric ${numeric}`;
      }
    }
  });
  return { ok, maxAbsErr: maxAbs, maxRelErr: maxRel, worst };
}
