/**
 * `recur train --task forecast` (and its presets, e.g. wind-t1): the CSV forecasting recipe
 * (src/recipes/forecast). Flags over --config over the preset over the schema's defaults;
 * `--per-group` trains one model per series, spread over workers (sweep.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OptionError, ValueError } from '../../index.js';
import { FORECAST_KEYS, PRESETS, evalForecastRun, forecastSchema, predictForecastRun, trainForecast, type ForecastConfig } from '../../recipes/forecast/index.js';
import { RUN_FILES, readJson, staleRunsWarning, writeJson, type RunDir } from '../../recipes/common/index.js';
import { merge, resolvePath, validate } from '../config.js';
import { dataDir } from '../paths.js';
import { trainFleet } from './sweep.js';
import { onlyFor, type EvalOpts, type PredictOpts } from './run-options.js';
import type { Io } from './io.js';

/** The forecast schema's keys and the fleet's flags (--redis, --workers with --per-group). */
export const FORECAST_TASK_KEYS = [...FORECAST_KEYS, 'redis', 'workers'];

export async function runForecastTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const presetName = (opts.preset ?? file.preset) as keyof typeof PRESETS | undefined;
  const preset = presetName ? PRESETS[presetName] : undefined;
  const { config: _c, backend: _b, json: _j, redis, workers, ...flags } = opts;
  const layered = merge(
    { values: { task: 'forecast', ...(preset ?? {}) }, source: { kind: 'preset', name: presetName ?? '' } },
    { values: file, source: { kind: 'file', path: configPath } },
    { values: { ...flags, task: 'forecast' }, source: { kind: 'flag' } },
  );
  const config = validate(forecastSchema, layered, FORECAST_KEYS, 'recur train');
  config.csv = resolvePath(config.csv, layered.sources.csv, io.cwd, dataDir(config.dataDir));
  if (layered.sources.csv?.kind === 'preset' && !existsSync(config.csv)) {
    throw new ValueError(`--preset ${presetName}`, `the data file ${config.csv} (set --data-dir or RECUR_DATA_DIR to the folder holding ${preset!.csv})`, 'no such file');
  }
  if (config.perGroup && config.seriesEmbedding) throw new OptionError('--series-embedding', 'one global model over the series (not --per-group, where each model sees one series)', `--series-embedding ${config.seriesEmbedding} with --per-group`);
  if (config.perGroup) return trainFleet(config, { redis: redis as string | undefined, workers: workers as number | undefined }, io);
  if (redis || workers) throw new OptionError(redis ? '--redis' : '--workers', 'a --per-group run (one model per series, spread over workers)', 'a single model');
  return forecast(config, io);
}

/** Continue from the last checkpoint with the run's own config (--epochs may be raised). */
export async function resumeForecastTask(run: RunDir, opts: Record<string, unknown>, io: Io): Promise<number> {
  const path = join(run.path, RUN_FILES.config);
  const saved = readJson(path) as Record<string, unknown>;
  const layered = merge({ values: saved, source: { kind: 'file', path } }, { values: { epochs: opts.epochs, quiet: opts.quiet }, source: { kind: 'flag' } });
  const config = validate(forecastSchema, layered, FORECAST_KEYS, 'recur train --resume');
  if (opts.epochs !== undefined && opts.epochs !== saved.epochs) writeJson(path, config);
  return forecast(config, io, run.path);
}

async function forecast(config: ForecastConfig, io: Io, resumeDir?: string): Promise<number> {
  const runsDir = resolvePath(config.runsDir, { kind: 'flag' }, io.cwd, '');
  const stale = resumeDir ? null : staleRunsWarning(runsDir);
  if (stale) io.err(stale);
  const r = await trainForecast(config, { csvPath: config.csv, runsDir, ...(resumeDir ? { resumeDir } : {}), ...io.progress });
  if (r.reason === 'stopped') {
    io.err(`${r.summary}\n`);
    return 130;
  }
  io.out(io.json ? `${JSON.stringify(r.metrics, null, 2)}\n` : `${r.summary}\n\nrun:    ${r.runDir}\nreport: ${join(r.runDir, RUN_FILES.report)}\n`);
  return 0;
}

export async function evalForecast(o: EvalOpts, io: Io): Promise<{ json: unknown; text: string }> {
  const r = evalForecastRun(o.run, { ...(o.csv ? { csvPath: resolve(io.cwd, o.csv) } : {}), ...(o.part ? { part: o.part } : {}) });
  return { json: { run: resolve(io.cwd, o.run), windows: r.windows, methods: r.methods, scores: r.scores }, text: r.summary };
}

export function predictForecast(o: PredictOpts, io: Io): { csv: string; rows: number } {
  onlyFor('forecast', o, ['fasta', 'seqCol', 'idCol', 'calcium']);
  return predictForecastRun(o.run, { ...(o.csv ? { csvPath: resolve(io.cwd, o.csv) } : {}), all: !!o.all, ...(o.out ? { out: resolve(io.cwd, o.out) } : {}) });
}
