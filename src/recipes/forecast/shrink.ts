/**
 * `--shrink`: blend the model's forecast with persistence, ŷ = y(t) + α·(model − y(t)), with one
 * weight α ∈ [0, 1] per horizon step and target chosen on the validation windows (never the test
 * ones) to minimise MAE/MAE(persistence) + RMSE/RMSE(persistence). α = 1 is the model, α = 0
 * persistence. Both inputs are in range, so the blend is too (clipping still holds).
 */
import { persistence, truthOf, type Forecast } from './baselines.js';
import type { Series } from './dataset.js';

/** Weights tried. */
const GRID = Array.from({ length: 21 }, (_, i) => i / 20);

/** The weight of every (horizon step, target), row-major (H, k), from validation forecasts. */
export function fitShrink(s: Series, origins: Int32Array, H: number, model: Forecast): number[] {
  const y = truthOf(s, origins, H);
  const p = persistence(s, origins, H);
  const W = origins.length;
  return Array.from({ length: H * s.k }, (_, c) => {
    const idx = Array.from({ length: W }, (_, w) => w * H * s.k + c);
    const err = (a: number): [number, number] => {
      let ae = 0;
      let se = 0;
      for (const i of idx) {
        const e = p[i]! + a * (model[i]! - p[i]!) - y[i]!;
        ae += Math.abs(e);
        se += e * e;
      }
      return [ae, Math.sqrt(se)];
    };
    const [ap, rp] = err(0);
    let best = 1;
    let bestScore = Infinity;
    for (const a of GRID) {
      const [ae, re] = err(a);
      const score = (ap > 0 ? ae / ap : 0) + (rp > 0 ? re / rp : 0);
      if (score < bestScore - 1e-12) [best, bestScore] = [a, score];
    }
    return best;
  });
}

/** Apply the weights to a model forecast for `origins` (a new array). */
export function applyShrink(s: Series, origins: Int32Array, H: number, model: Forecast, alpha: readonly number[]): Forecast {
  const p = persistence(s, origins, H);
  const m = H * s.k;
  return model.map((v, i) => p[i]! + alpha[i % m]! * (v - p[i]!));
}
