/**
 * Common random numbers for evaluating policies in the simulator, and the paired estimate they
 * allow. Episode i draws its initial state from u(i, 0) and the transition of step t from
 * u(i, t + 1), by inversion, whatever the policy does; two policies played on the same table
 * therefore follow the same trajectory until their actions differ, and stay coupled afterwards
 * through the shared uniforms.
 *
 * With a reference policy whose exact value V_ref is known, V(agent) is estimated by
 * V_ref + mean(Y_agent − Y_ref) over the same episodes: unbiased (each term has the right
 * expectation under any coupling), with the variance of the difference instead of Y_agent's.
 */
import type { Rng } from '../../index.js';
import { HORIZON, initialAt, nextAt, type SepsisModel } from './simulator.js';
import type { Env } from './agent.js';

export interface Estimate { mean: number; se: number }

export const meanSe = (v: ArrayLike<number>): Estimate => {
  const n = v.length;
  let s = 0, q = 0;
  for (let i = 0; i < n; i++) { s += v[i]!; q += v[i]! ** 2; }
  const mean = s / n;
  return { mean, se: Math.sqrt(Math.max(q / n - mean * mean, 0) / (n - 1)) };
};

/** The uniforms of n episodes of at most H steps, drawn once from rng. */
export class Uniforms {
  readonly u: Float64Array;
  constructor(readonly n: number, rng: Rng, readonly H = HORIZON) {
    this.u = Float64Array.from({ length: n * (H + 1) }, () => rng.random());
  }
  at(episode: number, k: number): number { return this.u[episode * (this.H + 1) + k]!; }
}

/** The simulator driven by a table of uniforms (the rng argument is ignored). */
export const crnEnv = (m: SepsisModel, U: Uniforms): Env => ({
  initial: (_rng, i) => initialAt(m, U.at(i, 0)),
  next: (s, a, _rng, i, t) => nextAt(m, s, a, U.at(i, t + 1)),
  obs: (s) => m.obs[s]!,
  reward: (s) => m.reward[s]!,
});

export interface Paired {
  /** Plain Monte Carlo: mean return ± its standard error. */
  plain: Estimate;
  /** V_ref + mean(Y − Y_ref) ± the standard error of the paired differences. */
  paired: Estimate;
  /** Correlation of the two policies' returns over the shared episodes. */
  corr: number;
}

/** Both estimates from returns y and the reference's returns yRef on the same episodes, and V_ref. */
export function pairedEstimate(y: ArrayLike<number>, yRef: ArrayLike<number>, vRef: number): Paired {
  const n = y.length;
  const diff = Float64Array.from({ length: n }, (_, i) => y[i]! - yRef[i]!);
  const plain = meanSe(y), ref = meanSe(yRef), d = meanSe(diff);
  let cov = 0;
  for (let i = 0; i < n; i++) cov += (y[i]! - plain.mean) * (yRef[i]! - ref.mean);
  const sy = plain.se * Math.sqrt(n), sr = ref.se * Math.sqrt(n);
  return { plain, paired: { mean: vRef + d.mean, se: d.se }, corr: sy > 0 && sr > 0 ? cov / (n - 1) / (sy * sr) : 0 };
}
