/**
 * One fold of the forecasting recipe as plain functions: prepare (normaliser, windows, ridge
 * fit) and forecast every method on the test windows. Shared by training, eval and predict.
 */
import { OptionError, Rng } from '../../index.js';
import {
  fitRidgeAR, persistence, referenceForecast, ridgeForecast, seasonalNaive, truthOf, type Forecast, type RidgeAR,
} from './baselines.js';
import type { ForecastConfig } from './config.js';
import { fitNormaliser, normalise, splitWindows, type Normaliser, type Range, type Series, type Split, type WindowSpec } from './dataset.js';
import { rangesOf } from './groups.js';
import { targetScales, type MethodForecast } from './evaluate.js';
import { Forecaster, modelForecast, type ForecasterSpec } from './model.js';
import { applyShrink } from './shrink.js';

/** The window geometry of a config. */
export function windowSpec(c: ForecastConfig): WindowSpec {
  return { L: c.lookback, H: c.horizon, season: c.season ?? null };
}

/** A fold ready to train: its split, windows, normaliser and normalised features. */
export interface PreparedFold {
  index: number;
  split: Split;
  windows: { train: Int32Array; val: Int32Array; test: Int32Array };
  norm: Normaliser;
  z: Float32Array;
  /** Each target's range on the training rows (for nMAE). */
  scales: number[];
  /** Each target's [min, max] on the training rows (the model's output range with `clipOutput`). */
  bounds: [number, number][];
}

/** Windows, normaliser (fitted on the fold's training rows only) and features of one fold. */
export function prepareFold(s: Series, c: ForecastConfig, split: Split, index: number, folds: number): PreparedFold {
  const w = windowSpec(c);
  const tag = folds > 1 ? `, fold ${index + 1}/${folds}` : '';
  const all = splitWindows(s, split, w, tag);
  const train = c.trainStride > 1 ? all.train.filter((_, i) => i % c.trainStride === 0) : all.train;
  const norm = fitNormaliser(s, split.train);
  return { index, split, windows: { ...all, train }, norm, z: normalise(s, norm), scales: targetScales(s.raw, s.F, s.k, split.train), bounds: targetBounds(s, split.train) };
}

/** Each target's [min, max] on rows [start, end). */
export function targetBounds(s: Series, part: Range | readonly Range[]): [number, number][] {
  return Array.from({ length: s.k }, (_, j) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const [start, end] of rangesOf(part)) for (let i = start; i < end; i++) {
      const v = s.raw[i * s.F + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return [lo, hi];
  });
}

/** The network for a config and series. */
export function modelSpec(s: Series, c: ForecastConfig): ForecasterSpec {
  const spec: ForecasterSpec = { cell: c.cell, features: s.F, hidden: c.hidden, layers: c.layers, horizon: c.horizon, targets: s.k };
  if (c.seriesEmbedding === 0) return spec;
  if (s.groups.length < 2) throw new OptionError('--series-embedding', 'a file of several series (--group-col, without --series or --per-group)', `${s.groups.length} series`);
  return { ...spec, series: { names: s.groups, dim: c.seriesEmbedding } };
}

export function buildModel(s: Series, c: ForecastConfig, fold: number): Forecaster {
  return new Forecaster(modelSpec(s, c), new Rng(c.seed * 7919 + fold + 1));
}

export function fitRidge(s: Series, c: ForecastConfig, f: PreparedFold): RidgeAR {
  return fitRidgeAR(f.z, s, windowSpec(c), f.windows.train, f.windows.val, c.ridgeLambda);
}

/** The model's name in tables: cell, size, layers. */
export function modelLabel(c: ForecastConfig): string {
  return `model (${c.cell.toUpperCase()} ${c.hidden}${c.layers > 1 ? ` × ${c.layers}` : ''})`;
}

/** The names shown for each method. */
export const METHOD_LABELS: Record<string, string> = {
  model: 'model',
  persistence: 'persistence',
  seasonal_naive: 'seasonal naive',
  ridge_ar: 'ridge AR',
  reference_origin: 'reference at origin',
  reference_oracle: 'reference at target time (oracle)',
};

/** Forecasts of the model and every baseline for `origins`, plus the truth. */
export function forecastAll(
  s: Series, c: ForecastConfig, origins: Int32Array, model: Forecaster, ridge: RidgeAR, z: Float32Array, norm: Normaliser, bounds: [number, number][] | null, shrink: number[] | null = null,
): { truth: Forecast; methods: MethodForecast[] } {
  const w = windowSpec(c);
  const refName = s.referenceName ? `"${s.referenceName}"` : '';
  const raw = modelForecast(model, z, s, w, origins, norm, c.clipOutput ? bounds : null);
  const methods: MethodForecast[] = [
    { key: 'model', label: modelLabel(c) + (shrink ? ', blended with persistence' : ''), forecast: shrink ? applyShrink(s, origins, w.H, raw, shrink) : raw },
    { key: 'persistence', label: METHOD_LABELS.persistence!, forecast: persistence(s, origins, w.H) },
  ];
  if (w.season !== null) methods.push({ key: 'seasonal_naive', label: `seasonal naive (${w.season} steps)`, forecast: seasonalNaive(s, origins, w.H, w.season) });
  methods.push({ key: 'ridge_ar', label: `ridge AR (λ=${ridge.lambda})`, forecast: ridgeForecast(ridge, z, s, w, origins, norm) });
  if (s.reference && s.k === 1) {
    methods.push({ key: 'reference_origin', label: `${refName} at origin`, forecast: referenceForecast(s, origins, w.H, 'origin') });
    methods.push({ key: 'reference_oracle', label: `${refName} at target time (oracle)`, forecast: referenceForecast(s, origins, w.H, 'target'), oracle: true });
  }
  return { truth: truthOf(s, origins, w.H), methods };
}
