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
import { seriesBounds, seriesSplits } from './groups.js';
import { loadSeries, normalise, splitWindows, type Normaliser, type Series, type WindowSpec } from './dataset.js';
import { scoreForecasts, type ForecastScores, type MethodForecast } from './evaluate.js';
import { Forecaster, modelForecast } from './model.js';
import { forecastAll, windowSpec } from './pipeline.js';
import { applyShrink } from './shrink.js';
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
  /** Series names the normaliser's `groups` belong to (series-level normalisation), or null. */
  series: string[] | null;
  /** Blend weights with persistence (--shrink), or null. */
  shrink: number[] | null;
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
  return { dir: run.path, config, model, norm: x.normaliser, ridge, scales: x.scales, bounds: x.bounds ?? null, features: x.features, series: x.series ?? null, shrink: x.shrink ?? null };
}

function seriesFor(run: LoadedRun, csvPath: string): Series {
  const s = loadSeries(csvPath, run.config);
  if (s.features.join('\n') !== run.features.join('\n')) {
    throw new FormatError(s.file, `the features the model was trained on (${run.features.join(', ')})`, s.features.join(', '));
  }
  return s;
}

/** The run's normaliser for the series of `s` (each series' own statistics, by name). */
function normFor(run: LoadedRun, s: Series): Normaliser {
  if (!run.norm.groups || !run.series) return run.norm;
  const trained = new Map(run.series.map((n, i) => [n, i]));
  const names = s.groups.length ? s.groups : [''];
  const unknown = names.find((n) => !trained.has(n));
  if (unknown !== undefined) throw new FormatError(s.file, `only series the model was trained on (${run.series.slice(0, 8).join(', ')}${run.series.length > 8 ? ', …' : ''}): their normalisation is per series`, `series ${JSON.stringify(unknown)}`);
  return { ...run.norm, groups: names.map((n) => run.norm.groups![trained.get(n)!]!) };
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
    const splits = seriesSplits(s, Math.max(1, c.backtest), c.split);
    origins = splitWindows(s, splits.at(-1)!, w, '')[opts.part ?? 'test'];
  }
  const norm = normFor(run, s);
  const z = normalise(s, norm);
  const fc = forecastAll(s, c, origins, run.model, run.ridge, z, norm, run.bounds, run.shrink);
  const scores = scoreForecasts(fc.truth, fc.methods, s.targets, w.H, run.scales);
  return { scores, methods: fc.methods.map((m: MethodForecast) => ({ key: m.key, label: m.label })), windows: origins.length, summary: summaryText(scores, fc.methods, w.H, stepLabeller(s)) };
}

function fmtTime(s: Series, v: number): string {
  if (s.dayClock) {
    const day = Math.floor(v / 86_400_000);
    return `${day} ${new Date(v - day * 86_400_000).toISOString().slice(11, 16)}`;
  }
  return s.times && s.timeFormat !== 'number' ? new Date(v).toISOString().replace('.000Z', 'Z') : String(v);
}

function quote(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Origins with a full lookback in their segment (no future needed): the last row of each series, or all. */
function inputOrigins(s: Series, w: WindowSpec, all: boolean): Int32Array {
  const ok = (t: number): boolean => t - w.L + 1 >= s.segStart[t]!;
  if (!all) {
    const last = seriesBounds(s.group, Math.max(1, s.groups.length)).map(([, b]) => b - 1);
    const bad = last.find((t) => !ok(t));
    if (bad !== undefined) {
      const name = s.groups.length ? ` of series ${JSON.stringify(s.groups[s.group[bad]!])}` : '';
      throw new FormatError(`${s.file}:${s.lines[bad]}:1`, `${w.L} gap-free rows (--lookback) ending at the last row${name}`, `${bad + 1 - s.segStart[bad]!}`);
    }
    return Int32Array.from(last);
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
  const norm = normFor(run, s);
  const z = normalise(s, norm);
  const m = modelForecast(run.model, z, s, w, origins, norm, c.clipOutput ? run.bounds : null);
  const f = run.shrink ? applyShrink(s, origins, w.H, m, run.shrink) : m;
  const multi = s.groups.length > 0;
  const lines = [[...(multi ? ['series'] : []), 'origin', 'time', 'horizon', ...s.targets].map(quote).join(',')];
  origins.forEach((t, i) => {
    for (let h = 1; h <= w.H; h++) {
      const at = s.times ? fmtTime(s, s.times[t]! + h * s.step) : String(t + h);
      const vals = s.targets.map((_, j) => String(Number(f[(i * w.H + h - 1) * s.k + j]!.toPrecision(7))));
      lines.push([...(multi ? [s.groups[s.group[t]!]!] : []), s.times ? fmtTime(s, s.times[t]!) : String(t), at, String(h), ...vals].map(quote).join(','));
    }
  });
  const csv = `${lines.join('\n')}\n`;
  if (opts.out) writeFileAtomicSync(opts.out, csv);
  return { csv, rows: lines.length - 1 };
}
