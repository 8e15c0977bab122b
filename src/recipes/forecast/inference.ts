/**
 * Using a trained forecasting run: `recur eval` (score the model and the baselines on the run's
 * test split, another split, or a new CSV with the same columns) and `recur predict` (forecast
 * from the latest window, or every window, of a CSV).
 */
import { join } from 'node:path';
import { FormatError, Rng, ValueError, checkSchema, loadCheckpointSync, writeFileAtomicSync } from '../../index.js';
import { RUN_FILES, openFinishedRun, readJson } from '../common/run-dir.js';
import type { RidgeAR } from './baselines.js';
import { forecastSchema, type ForecastConfig } from './config.js';
import { checkModelExtra } from './model-meta.js';
import { loadSeries, normalise, rollingOriginSplits, splitWindows, type Normaliser, type Series, type WindowSpec } from './dataset.js';
import { scoreForecasts, type ForecastScores, type MethodForecast } from './evaluate.js';
import { Forecaster, modelForecast } from './model.js';
import { forecastAll, windowSpec } from './pipeline.js';
import { stepLabeller, summaryText } from './report.js';

/** A trained run loaded back. */
export interface LoadedRun {
  dir: string;
  config: ForecastConfig;
  model: Forecaster;
  norm: Normaliser;
  ridge: RidgeAR;
  scales: number[];
  /** Each target's training range (absent in runs from before output clipping). */
  bounds: [number, number][] | null;
  features: string[];
}

/**
 * Load a forecasting run's config and best weights.
 * @throws ValueError / FormatError when the folder is not a finished forecasting run.
 */
export function loadForecastRun(dir: string, command = 'eval'): LoadedRun {
  const run = openFinishedRun(dir, command);
  const configPath = join(run.path, RUN_FILES.config);
  const config = checkSchema(forecastSchema, readJson(configPath), `${configPath}: config`);
  const ckPath = join(run.path, RUN_FILES.checkpoint);
  const ck = loadCheckpointSync(ckPath);
  const x = checkModelExtra(ck.extra, ck.model, config, ckPath);
  const model = new Forecaster(x.spec, new Rng(0));
  model.loadStateDict(ck.model);
  const ridge: RidgeAR = { W: Float64Array.from(x.ridge.W), lambda: x.ridge.lambda, d: x.ridge.d, search: [] };
  return { dir: run.path, config, model, norm: x.normaliser, ridge, scales: x.scales, bounds: x.bounds ?? null, features: x.features };
}

function seriesFor(run: LoadedRun, csvPath: string): Series {
  const s = loadSeries(csvPath, run.config);
  if (s.features.join('\n') !== run.features.join('\n')) {
    throw new FormatError(s.file, `the features the model was trained on (${run.features.join(', ')})`, s.features.join(', '));
  }
  return s;
}

export type EvalPart = 'train' | 'val' | 'test';

export interface EvalResult {
  scores: ForecastScores;
  methods: { key: string; label: string }[];
  windows: number;
  summary: string;
}

/**
 * Score a run's model and baselines: on its own CSV's `part` (default test, using the last fold's
 * split), or on every window of another CSV with the same columns.
 */
export function evalForecastRun(dir: string, opts: { csvPath?: string; part?: EvalPart } = {}): EvalResult {
  const run = loadForecastRun(dir);
  const c = run.config;
  const s = seriesFor(run, opts.csvPath ?? c.csv);
  const w = windowSpec(c);
  let origins: Int32Array;
  if (opts.csvPath) {
    const whole: [number, number] = [0, s.n];
    origins = splitWindows(s, { train: whole, val: whole, test: whole }, w, '').test;
  } else {
    const splits = rollingOriginSplits(s.n, Math.max(1, c.backtest), c.split);
    origins = splitWindows(s, splits.at(-1)!, w, '')[opts.part ?? 'test'];
  }
  const z = normalise(s, run.norm);
  const fc = forecastAll(s, c, origins, run.model, run.ridge, z, run.norm, run.bounds);
  const scores = scoreForecasts(fc.truth, fc.methods, s.targets, w.H, run.scales);
  return { scores, methods: fc.methods.map((m: MethodForecast) => ({ key: m.key, label: m.label })), windows: origins.length, summary: summaryText(scores, fc.methods, w.H, stepLabeller(s)) };
}

function fmtTime(s: Series, v: number): string {
  return s.times && s.timeFormat !== 'number' ? new Date(v).toISOString().replace('.000Z', 'Z') : String(v);
}

function quote(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Origins with a full lookback in their segment (no future needed). */
function inputOrigins(s: Series, w: WindowSpec, all: boolean): Int32Array {
  const ok = (t: number): boolean => t - w.L + 1 >= s.segStart[t]!;
  if (!all) {
    if (!ok(s.n - 1)) throw new FormatError(`${s.file}:${s.lines[s.n - 1]}:1`, `${w.L} gap-free rows (--lookback) ending at the last row`, `${s.n - s.segStart[s.n - 1]!}`);
    return Int32Array.of(s.n - 1);
  }
  return Int32Array.from({ length: s.n }, (_, t) => t).filter(ok);
}

/**
 * Forecast the next H steps from the last window of a CSV (or from every window with `all`),
 * as CSV text `origin,time,horizon,<target>…`; written atomically to `out` when given.
 */
export function predictForecastRun(dir: string, opts: { csvPath?: string; all?: boolean; out?: string } = {}): { csv: string; rows: number } {
  const run = loadForecastRun(dir, 'predict');
  const c = run.config;
  const s = seriesFor(run, opts.csvPath ?? c.csv);
  const w = windowSpec(c);
  const origins = inputOrigins(s, w, opts.all ?? false);
  if (!origins.length) throw new ValueError('predict', `a window of ${w.L} gap-free rows`, 'none');
  const z = normalise(s, run.norm);
  const f = modelForecast(run.model, z, s, w, origins, run.norm, c.clipOutput ? run.bounds : null);
  const lines = [['origin', 'time', 'horizon', ...s.targets].map(quote).join(',')];
  origins.forEach((t, i) => {
    for (let h = 1; h <= w.H; h++) {
      const at = s.times ? fmtTime(s, s.times[t]! + h * s.step) : String(t + h);
      const vals = s.targets.map((_, j) => String(Number(f[(i * w.H + h - 1) * s.k + j]!.toPrecision(7))));
      lines.push([s.times ? fmtTime(s, s.times[t]!) : String(t), at, String(h), ...vals].map(quote).join(','));
    }
  });
  const csv = `${lines.join('\n')}\n`;
  if (opts.out) writeFileAtomicSync(opts.out, csv);
  return { csv, rows: lines.length - 1 };
}
