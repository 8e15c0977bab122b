/**
 * `recur train --task forecast`: read the CSV, validate every fold's windows (before anything is
 * written), then per fold fit the normaliser on its training rows, fit the ridge AR baseline,
 * train the network, and forecast the test windows with the model and every baseline. Writes
 * the run folder (config.json, events.jsonl, checkpoint.safetensors, metrics.json,
 * report-data.json, report.html) and returns the metrics and a printable summary.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend, saveCheckpoint, type JsonValue } from '../../index.js';
import { onInterrupt } from '../common/interrupt.js';
import { TrainProgress } from '../common/progress.js';
import { historyCharts, writeReport, type ReportData } from '../common/report.js';
import { signedPct, wrapText } from '../common/table.js';
import { runEnvironment } from '../common/environment.js';
import { RUN_FILES, abortRunDir, appendJsonl, commitRunDir, createRunDir, readJson, resumeRunDir, writeJson, type RunDir } from '../common/run-dir.js';
import type { Forecast, RidgeAR } from './baselines.js';
import type { ForecastConfig } from './config.js';
import { loadSeries, type Series } from './dataset.js';
import { rangesOf, seriesSplits } from './groups.js';
import { scoreForecasts, type ForecastScores, type MethodForecast } from './evaluate.js';
import { fitForecaster, type EpochRecord } from './fit.js';
import { buildModel, fitRidge, forecastAll, modelLabel, modelSpec, prepareFold, windowSpec, type PreparedFold } from './pipeline.js';
import { perSeriesScores, seriesTable, seriesVerdict, type SeriesScore } from './series-metrics.js';
import { fitShrink } from './shrink.js';
import { modelForecast } from './model.js';
import { forecastCharts, horizonChart, horizonTable, lossCurve, metricsTable, stepLabeller, summaryText } from './report.js';

/** Where the recipe reads and writes, and how it talks. */
export interface ForecastEnv {
  /** The CSV, resolved. */
  csvPath: string;
  /** Parent of new run folders. */
  runsDir: string;
  /** Continue this run folder instead of starting one. */
  resumeDir?: string;
  /** Progress display (default stderr; bar on a TTY). */
  progressStream?: NodeJS.WriteStream;
  tty?: boolean;
  /** Plain-line progress interval (ms). */
  progressIntervalMs?: number;
}

export interface ForecastTrainResult {
  runDir: string;
  reason: 'completed' | 'early_stop' | 'stopped';
  metrics: ForecastMetrics | null;
  summary: string;
}

/** metrics.json of a forecasting run. */
export interface ForecastMetrics {
  task: 'forecast';
  csv: string;
  rows: number;
  features: string[];
  targets: string[];
  horizon: number;
  lookback: number;
  season: number | null;
  stepMs: number | null;
  methods: { key: string; label: string; oracle: boolean }[];
  windows: { train: number; val: number; test: number }[];
  folds: { fold: number; split: unknown; bestEpoch: number | null; epochs: number; ridgeLambda: number; scores: ForecastScores }[];
  scores: ForecastScores;
  /** Per series (with --group-col and several series): model and persistence on each series' test windows. */
  series?: SeriesScore[];
  /**
   * Per fold: the best validation loss (normalised units; what sweeps rank trials by) and the
   * per-horizon MAE/RMSE skill over persistence of the model and the ridge AR on the validation
   * windows, so settings can be chosen without the test windows (with --shrink the blend weights
   * were fitted on these windows, so the model's figures are in-sample).
   */
  validation: { loss: number | null; skill: ValidationSkill }[];
  seconds: number;
  backend: string;
}

/** Skill over persistence per horizon step on the validation windows (first target), by method and metric. */
export type ValidationSkill = Record<'model' | 'ridge_ar', { mae: number[]; rmse: number[] }>;

/** A fold's outcome, kept on disk between folds so a resumed backtest skips finished ones. */
interface FoldResult {
  fold: number;
  origins: number[];
  truth: number[];
  forecasts: { key: string; label: string; oracle: boolean; values: number[] }[];
  history: EpochRecord[];
  bestEpoch: number | null;
  ridge: { lambda: number; search: [number, number][] };
  split: unknown;
  valSkill: ValidationSkill;
}

const foldFile = (run: RunDir, i: number, folds: number, name: string): string =>
  join(run.path, folds > 1 ? `fold-${i + 1}.${name}` : name);

/** The JSON stored beside the best weights: what eval/predict need to rebuild inputs. */
function modelExtra(s: Series, c: ForecastConfig, f: PreparedFold, ridge: RidgeAR, shrink: number[] | null): unknown {
  return {
    ...(shrink ? { shrink } : {}),
    kind: 'forecast', features: s.features, targets: s.targets, normaliser: f.norm, ...(f.norm.groups ? { series: s.groups } : {}), scales: f.scales, bounds: f.bounds, spec: modelSpec(s, c), window: windowSpec(c),
    ridge: { lambda: ridge.lambda, d: ridge.d, W: Array.from(ridge.W) }, fold: f.index,
  };
}

async function runFold(s: Series, c: ForecastConfig, f: PreparedFold, run: RunDir, progress: TrainProgress, folds: number, emit: (e: object) => void, stop: ReturnType<typeof onInterrupt>): Promise<FoldResult | null> {
  const model = buildModel(s, c, f.index);
  const ridge = fitRidge(s, c, f);
  emit({ type: 'fold_start', fold: f.index, split: f.split, windows: { train: f.windows.train.length, val: f.windows.val.length, test: f.windows.test.length }, ridgeLambda: ridge.lambda });
  const fit = await fitForecaster({
    model, z: f.z, series: s, spec: windowSpec(c), train: f.windows.train, val: f.windows.val,
    settings: { epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, clip: c.clip, loss: c.loss, huberDelta: c.huberDelta, schedule: c.schedule, patience: c.patience, seed: c.seed + f.index },
    stateDir: foldFile(run, f.index, folds, RUN_FILES.trainState), emit, progress, fold: f.index, stop, resume: !run.staged,
  });
  if (fit.reason === 'stopped') return null;
  // The model to use: the best weights (or the last, without validation), with what eval/predict need.
  const shrink = c.shrink ? fitShrink(s, f.windows.val, c.horizon, modelForecast(model, f.z, s, windowSpec(c), f.windows.val, f.norm, c.clipOutput ? f.bounds : null)) : null;
  if (shrink) emit({ type: 'shrink', fold: f.index, alpha: shrink });
  const valSkill = validationSkill(s, c, f, forecastAll(s, c, f.windows.val, model, ridge, f.z, f.norm, f.bounds, shrink));
  await saveCheckpoint(foldFile(run, f.index, folds, RUN_FILES.checkpoint), { model: model.stateDict(), extra: modelExtra(s, c, f, ridge, shrink) as JsonValue });
  const fc = forecastAll(s, c, f.windows.test, model, ridge, f.z, f.norm, f.bounds, shrink);
  emit({ type: 'fold_end', fold: f.index, reason: fit.reason, bestEpoch: fit.bestEpoch });
  return {
    fold: f.index, origins: Array.from(f.windows.test), truth: Array.from(fc.truth),
    forecasts: fc.methods.map((m) => ({ key: m.key, label: m.label, oracle: !!m.oracle, values: Array.from(m.forecast) })),
    history: fit.history, bestEpoch: fit.bestEpoch, ridge: { lambda: ridge.lambda, search: ridge.search }, split: f.split, valSkill,
  };
}

function validationSkill(s: Series, c: ForecastConfig, f: PreparedFold, fc: { truth: Forecast; methods: MethodForecast[] }): ValidationSkill {
  const ph = scoreForecasts(fc.truth, fc.methods, s.targets, c.horizon, f.scales).perHorizon[s.targets[0]!]!;
  const skill = (key: 'model' | 'ridge_ar') => ({
    mae: ph[key]!.map((x, i) => 1 - x.mae / ph.persistence![i]!.mae),
    rmse: ph[key]!.map((x, i) => 1 - x.rmse / ph.persistence![i]!.rmse),
  });
  return { model: skill('model'), ridge_ar: skill('ridge_ar') };
}

/** Concatenate the folds' test windows (consecutive blocks, so the result is chronological). */
function pool(results: FoldResult[]): { origins: Int32Array; truth: Forecast; methods: MethodForecast[] } {
  const first = results[0]!;
  return {
    origins: Int32Array.from(results.flatMap((r) => r.origins)),
    truth: Float64Array.from(results.flatMap((r) => r.truth)),
    methods: first.forecasts.map((m, i) => ({ key: m.key, label: m.label, oracle: m.oracle, forecast: Float64Array.from(results.flatMap((r) => r.forecasts[i]!.values)) })),
  };
}

/**
 * Train and evaluate a forecaster; see the module comment.
 * @throws FormatError / ValueError for bad data or options — before any file is written.
 */
export async function trainForecast(c: ForecastConfig, env: ForecastEnv): Promise<ForecastTrainResult> {
  const t0 = performance.now();
  const s = loadSeries(env.csvPath, c);
  const folds = Math.max(1, c.backtest);
  const prepared = seriesSplits(s, folds, c.split).map((sp, i) => prepareFold(s, c, sp, i, folds));
  const run = env.resumeDir ? resumeRunDir(env.resumeDir) : createRunDir(env.runsDir, c.name);
  const progress = new TrainProgress({ folds, members: 1, epochs: c.epochs, batchSize: c.batchSize }, {
    quiet: c.quiet, stream: env.progressStream, tty: env.tty, ...(env.progressIntervalMs !== undefined ? { intervalMs: env.progressIntervalMs } : {}),
  });
  const stop = onInterrupt(() => progress.log('stopping after this step (Ctrl-C again to quit at once)…'));
  try {
    if (run.staged) writeJson(join(run.path, RUN_FILES.config), c);
    const events = join(run.path, RUN_FILES.events);
    const emit = (e: object): void => appendJsonl(events, { time: Date.now(), ...e });
    emit({ type: 'run_start', task: 'forecast', resume: !run.staged, rows: s.n, features: s.features, folds, backend: getBackend().name });
    const results: FoldResult[] = [];
    for (const f of prepared) {
      const saved = foldFile(run, f.index, folds, 'result.json');
      if (folds > 1 && !run.staged && existsSync(saved)) {
        results.push(readJson(saved) as FoldResult);
        continue;
      }
      const r = await runFold(s, c, f, run, progress, folds, emit, stop);
      if (!r) {
        emit({ type: 'run_end', reason: 'stopped' });
        commitRunDir(run);
        return { runDir: run.final, reason: 'stopped', metrics: null, summary: `stopped; the training state is saved. Continue with: recur train --resume ${run.final}` };
      }
      if (folds > 1) writeJson(saved, r);
      results.push(r);
    }
    if (folds > 1) copyFileSync(foldFile(run, folds - 1, folds, RUN_FILES.checkpoint), join(run.path, RUN_FILES.checkpoint));
    const out = finish(s, c, prepared, results, run, (performance.now() - t0) / 1000);
    emit({ type: 'run_end', reason: 'completed', seconds: out.metrics.seconds });
    commitRunDir(run);
    return { runDir: run.final, reason: 'completed', metrics: out.metrics, summary: out.summary };
  } catch (e) {
    abortRunDir(run);
    throw e;
  } finally {
    progress.stop();
    stop.dispose();
  }
}

function finish(s: Series, c: ForecastConfig, prepared: PreparedFold[], results: FoldResult[], run: RunDir, seconds: number): { metrics: ForecastMetrics; summary: string } {
  const H = c.horizon;
  const last = prepared.at(-1)!;
  const p = pool(results);
  const scores = scoreForecasts(p.truth, p.methods, s.targets, H, last.scales);
  const foldScores = results.map((r) => {
    const q = pool([r]);
    return { fold: r.fold, split: r.split, bestEpoch: r.bestEpoch, epochs: r.history.length, ridgeLambda: r.ridge.lambda, scores: scoreForecasts(q.truth, q.methods, s.targets, H, prepared[r.fold]!.scales) };
  });
  const metrics: ForecastMetrics = {
    task: 'forecast', csv: s.file, rows: s.n, features: s.features, targets: s.targets, horizon: H, lookback: c.lookback, season: c.season ?? null,
    stepMs: s.times && s.timeFormat !== 'number' ? s.step : null, methods: p.methods.map((m) => ({ key: m.key, label: m.label, oracle: !!m.oracle })),
    windows: prepared.map((f) => ({ train: f.windows.train.length, val: f.windows.val.length, test: f.windows.test.length })),
    folds: foldScores, scores, seconds, backend: getBackend().name,
    validation: results.map((r) => ({ loss: r.history.find((h) => h.epoch === r.bestEpoch)?.valLoss ?? null, skill: r.valSkill })),
    ...(s.groups.length > 1 ? { series: perSeriesScores(s, p.origins, p.truth, p.methods, H) } : {}),
  };
  writeJson(join(run.path, RUN_FILES.metrics), metrics);
  const label = stepLabeller(s);
  const report = reportData(s, c, metrics, results, p, label);
  writeJson(join(run.path, RUN_FILES.reportData), report);
  writeReport(join(run.path, RUN_FILES.report), report);
  let summary = summaryText(scores, p.methods, H, label);
  if (metrics.series) summary += `\n${seriesVerdict(metrics.series)}`;
  summary += `\n${validationLines(metrics.validation, label)}`;
  if (s.notes.length) summary = `${s.notes.map((n) => `note: ${n}`).join('\n')}\n\n${summary}`;
  return { metrics, summary };
}

/** The validation windows' skill (what settings are chosen on), one line per metric, folds averaged. */
function validationLines(v: ForecastMetrics['validation'], label: (h: number) => string): string {
  const avg = (key: 'model' | 'ridge_ar', m: 'mae' | 'rmse', i: number): string => signedPct(v.reduce((a, f) => a + f.skill[key][m][i]!, 0) / v.length).replace(' %', '');
  return (['mae', 'rmse'] as const).map((m) => wrapText(`validation ${m.toUpperCase()} skill % (model/ridge AR): ${v[0]!.skill.model[m].map((_, i) => `${label(i + 1)} ${avg('model', m, i)}/${avg('ridge_ar', m, i)}`).join(', ')}`, 100, '  ')).join('\n');
}

function reportData(s: Series, c: ForecastConfig, m: ForecastMetrics, results: FoldResult[], p: ReturnType<typeof pool>, label: (h: number) => string): ReportData {
  const H = c.horizon;
  const tables = s.targets.flatMap((t) => [metricsTable(m.scores, p.methods, t, `Test metrics — ${t}`, label), horizonTable(m.scores, p.methods, t, H, label)]);
  if (m.series) tables.push(seriesTable(m.series, s.targets[0]!));
  tables.push({
    title: `Validation skill over persistence (the windows settings are chosen on) — ${s.targets[0]}`,
    columns: ['method', ...(['MAE', 'RMSE'] as const).flatMap((x) => Array.from({ length: H }, (_, i) => `${x} ${label(i + 1)}`))],
    rows: (['model', 'ridge_ar'] as const).map((key) => [key === 'model' ? modelLabel(c) : 'ridge AR', ...(['mae', 'rmse'] as const).flatMap((x) => Array.from({ length: H }, (_, i) => m.validation.reduce((a, f) => a + f.skill[key][x][i]!, 0) / m.validation.length))]),
    caption: `Skill = 1 − error / error of persistence on the validation windows${results.length > 1 ? ', averaged over folds' : ''}${c.shrink ? '; the blend weights were fitted on these windows' : ''}.`,
  });
  if (results.length > 1) {
    tables.push({
      title: 'Rolling-origin backtest: MAE per fold', columns: ['fold', 'test rows', ...p.methods.map((x) => x.label)],
      rows: m.folds.map((f) => {
        const sp = rangesOf((f.split as { test: [number, number] }).test);
        return [`${f.fold + 1}`, sp.length > 1 ? `${sp.length} series` : `${sp[0]![0] + 1}–${sp[0]![1]}`, ...p.methods.map((x) => f.scores.overall[s.targets[0]!]![x.key]!.mae)];
      }),
    });
  }
  const facts: [string, string][] = [
    ['data', `${s.file} (${s.n} rows${s.groups.length > 1 ? ` in ${s.groups.length} series` : ''}${s.times ? `, step ${label(1)}` : ''})`],
    ['targets', s.targets.join(', ')], ['features', s.features.join(', ')],
    ['windows', `lookback ${c.lookback}, horizon ${H}${c.season ? `, season ${c.season}` : ''}; ${m.windows.map((w) => `train ${w.train} / val ${w.val} / test ${w.test}`).join('; ')}`],
    ['model', `${c.cell.toUpperCase()} hidden ${c.hidden} × ${c.layers} layer(s); ${results.map((r) => `${results.length > 1 ? `fold ${r.fold + 1}: ` : ''}${r.history.length} epochs run, best epoch ${(r.bestEpoch ?? -1) + 1}`).join('; ')}`],
    ['training', `${c.loss === 'huber' ? `Huber (δ = ${c.huberDelta} sd)` : c.loss.toUpperCase()} loss on the change from the last observed value, lr ${c.lr}${c.schedule === 'plateau' ? ' ÷4 on each validation plateau' : ''}, early stopping after ${c.patience} epoch(s) without a better validation loss${c.clipOutput ? '; forecasts clipped to the training range' : ''}`],
    ['ridge AR', `λ = ${results.map((r) => r.ridge.lambda).join(', ')} (${c.ridgeLambda === 'auto' ? 'chosen on validation' : 'given'})`],
    ['runtime', `${m.seconds.toFixed(1)} s on the ${m.backend} backend`],
  ];
  return {
    title: `${c.name ?? 'forecast'} — ${s.targets.join(', ')}`, kind: 'forecast', created: new Date().toISOString(), facts, tables,
    ...(results.length === 1 ? { loss: lossCurve(results[0]!.history, `${c.loss.toUpperCase()} on normalised values`) } : {}),
    charts: [
      ...(results.length > 1 ? historyCharts(results.map((r) => ({ label: `fold ${r.fold + 1}`, epochs: r.history.map((h) => h.epoch + 1), train: r.history.map((h) => h.trainLoss), val: r.history.map((h) => h.valLoss) })), `${c.loss.toUpperCase()} loss`) : []),
      ...forecastCharts({ s, H, origins: p.origins, truth: p.truth, methods: p.methods }, label), horizonChart(m.scores, p.methods, s.targets[0]!, H),
    ],
    config: c, environment: runEnvironment(c.seed), notes: [...s.notes, 'Normalisation statistics are fitted on the training rows of each fold only.'],
  };
}
