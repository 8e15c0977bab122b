/**
 * Regression and forecast metrics over flat arrays of equal length (`pred`, `truth`):
 * MAE, RMSE, normalised MAE and skill against a reference forecast (usually persistence).
 * Pure functions; NaN in either array is an error, never silently skipped.
 */
import { ShapeError, ValueError } from '../util/errors.js';

type Arr = ArrayLike<number>;

function check(where: string, pred: Arr, truth: Arr): void {
  if (pred.length !== truth.length) throw new ShapeError(where, `pred and truth of one length (${truth.length})`, `${pred.length}`);
  if (truth.length === 0) throw new ValueError(where, 'at least one value', 'none');
  for (let i = 0; i < truth.length; i++) {
    if (!Number.isFinite(pred[i]!) || !Number.isFinite(truth[i]!)) throw new ValueError(where, 'finite values', `${pred[i]} vs ${truth[i]} at index ${i}`);
  }
}

/**
 * Mean absolute error, (1/n) Σ |pred − truth|.
 * @example
 * mae([1, 2], [1, 4]); // 1
 */
export function mae(pred: Arr, truth: Arr): number {
  check('mae', pred, truth);
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += Math.abs(pred[i]! - truth[i]!);
  return s / truth.length;
}

/**
 * Root mean squared error, √((1/n) Σ (pred − truth)²).
 * @example
 * rmse([0, 0], [3, 4]); // √12.5
 */
export function rmse(pred: Arr, truth: Arr): number {
  check('rmse', pred, truth);
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (pred[i]! - truth[i]!) ** 2;
  return Math.sqrt(s / truth.length);
}

/**
 * MAE divided by a scale (e.g. the target's range on the training data, which for a wind
 * turbine is about its rated power).
 * @throws ValueError for a scale that is not positive and finite.
 */
export function nmae(pred: Arr, truth: Arr, scale: number): number {
  if (!(scale > 0 && Number.isFinite(scale))) throw new ValueError('nmae', 'a positive finite scale', String(scale));
  return mae(pred, truth) / scale;
}

/**
 * Skill score against a reference forecast: 1 − RMSE(pred) / RMSE(reference). 1 is perfect,
 * 0 is no better than the reference, negative is worse.
 * @returns NaN when the reference is perfect (RMSE 0).
 */
export function skillScore(pred: Arr, reference: Arr, truth: Arr): number {
  const r = rmse(reference, truth);
  return r === 0 ? NaN : 1 - rmse(pred, truth) / r;
}

/** The usual set of regression metrics for one forecast. */
export interface RegressionMetrics {
  mae: number;
  rmse: number;
  /** MAE / scale. */
  nmae: number;
  /** 1 − RMSE / RMSE(reference); present when a reference was given. */
  skill?: number;
  n: number;
}

/**
 * MAE, RMSE, nMAE and (with a reference) skill in one call.
 * @example
 * regressionMetrics(model, truth, { scale: 3600, reference: persistence });
 */
export function regressionMetrics(pred: Arr, truth: Arr, opts: { scale: number; reference?: Arr }): RegressionMetrics {
  const out: RegressionMetrics = { mae: mae(pred, truth), rmse: rmse(pred, truth), nmae: nmae(pred, truth, opts.scale), n: truth.length };
  if (opts.reference) out.skill = skillScore(pred, opts.reference, truth);
  return out;
}
