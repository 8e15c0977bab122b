/**
 * Scoring forecasts: MAE, RMSE, normalised MAE and skill versus persistence, per target, per
 * horizon step and over all steps, for the model and every baseline on the same windows.
 */
import { mae, regressionMetrics, rmse, skillScore, type RegressionMetrics } from '../../index.js';
import type { Forecast } from './baselines.js';

/** One method's forecast over the evaluated windows. */
export interface MethodForecast {
  /** Stable key: model, persistence, seasonal_naive, ridge_ar, reference_origin, reference_oracle. */
  key: string;
  /** Shown in tables. */
  label: string;
  forecast: Forecast;
  /** Uses information not available at forecast time (shown, but not a fair competitor). */
  oracle?: boolean;
}

/** Metrics of one method for one target at one horizon step. */
export interface HorizonMetrics {
  h: number;
  mae: number;
  rmse: number;
  skill: number;
}

/** `overall[target][method]`, `perHorizon[target][method][h-1]`. */
export interface ForecastScores {
  overall: Record<string, Record<string, RegressionMetrics>>;
  perHorizon: Record<string, Record<string, HorizonMetrics[]>>;
}

/** Values of target j at horizon step h (1-based; 0 = all steps) out of a (W, H, k) forecast. */
export function pick(f: Forecast, H: number, k: number, j: number, h: number): Float64Array {
  const W = f.length / (H * k);
  if (h === 0) return Float64Array.from({ length: W * H }, (_, i) => f[i * k + j]!);
  return Float64Array.from({ length: W }, (_, w) => f[(w * H + h - 1) * k + j]!);
}

/**
 * Score every method against the truth; skill is against the method keyed `persistence`.
 * `scales[j]` normalises target j's MAE (its range on the training rows).
 */
export function scoreForecasts(truth: Forecast, methods: readonly MethodForecast[], targets: readonly string[], H: number, scales: readonly number[]): ForecastScores {
  const k = targets.length;
  const ref = methods.find((m) => m.key === 'persistence')!;
  const out: ForecastScores = { overall: {}, perHorizon: {} };
  targets.forEach((name, j) => {
    out.overall[name] = {};
    out.perHorizon[name] = {};
    const yAll = pick(truth, H, k, j, 0);
    const pAll = pick(ref.forecast, H, k, j, 0);
    for (const m of methods) {
      out.overall[name]![m.key] = regressionMetrics(pick(m.forecast, H, k, j, 0), yAll, { scale: scales[j]!, reference: pAll });
      out.perHorizon[name]![m.key] = Array.from({ length: H }, (_, i) => {
        const y = pick(truth, H, k, j, i + 1);
        const p = pick(m.forecast, H, k, j, i + 1);
        return { h: i + 1, mae: mae(p, y), rmse: rmse(p, y), skill: skillScore(p, pick(ref.forecast, H, k, j, i + 1), y) };
      });
    }
  });
  return out;
}

/** Range of each target on rows [start, end) of a row-major (n, F) array (1 when constant). */
export function targetScales(raw: Float64Array, F: number, k: number, part: [number, number] | readonly [number, number][]): number[] {
  const ranges = (typeof part[0] === 'number' ? [part] : part) as [number, number][];
  return Array.from({ length: k }, (_, j) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const [start, end] of ranges) for (let i = start; i < end; i++) {
      const v = raw[i * F + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return hi > lo ? hi - lo : 1;
  });
}
