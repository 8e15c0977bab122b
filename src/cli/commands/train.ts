/** `recur train`: the splice recipe by default, `--task forecast` for CSV forecasting. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { FormatError, OptionError, ValueError, setBackend, type BackendName } from '../../index.js';
import { FORECAST_KEYS, PRESETS, forecastSchema, trainForecast, type ForecastConfig } from '../../recipes/forecast/index.js';
import { RUN_FILES, readJson, releaseRunDir, resumeRunDir, runStatus, staleRunsWarning, writeJson } from '../../recipes/common/index.js';
import { flagName, merge, readConfigFile, resolvePath, validate, type Layered } from '../config.js';
import { commonTrainOptions, forecastOptions, keyOf, sharedModelOptions, spliceOptions } from '../options.js';
import { dataDir } from '../paths.js';
import { resumeSpliceTask, runSpliceTask } from './splice-task.js';
import { decodeOptions, isDecodeTask, resumeDecodeTask, runDecodeTask } from './decode-task.js';
import { trainFleet } from './sweep.js';
import { isSpikefinder, resumeSpikefinderTask, runSpikefinderTask, spikefinderOptions, withSpikefinderChoices } from './spikefinder-task.js';
import { IRREGULAR_ONLY, irregularOptions, runIrregularTask } from './irregular-task.js';
import { isLongRangeTask, longRangeOptions, runLongRangeTask } from './longrange-task.js';
import type { Io } from './io.js';

/** Keys that steer the command itself and are not recipe options. */
const CLI_ONLY = ['config', 'resume', 'backend', 'json', 'redis', 'workers'];

const EXAMPLES = `
Examples:
  $ recur train                                   # the built-in default: splice-junction classification
  $ recur train --cv 10 --epochs 30                # the published 10-fold protocol
  $ recur train --limit 400 --epochs 2             # a quick splice run
  $ recur train --task forecast --preset wind-t1  # wind power 10–60 min ahead (T1.csv from --data-dir)
  $ recur train --task forecast --preset wind-t1 --max-rows 5000 --epochs 2   # a quick run
  $ recur train --task forecast --csv load.csv --time-col timestamp --target load \\
      --covariate temp --covariate wind_dir --angular wind_dir --lookback 48 --horizon 12 --season 144
  $ recur train --preset bmi-chewie --data-dir ../shared/data   # BMI decoding: Wiener, Kalman, LSTM/GRU
  $ recur train --task decode --csv rec.csv --target-cols vel_x,vel_y --input-cols 'unit*'
  $ recur train --preset spikefinder               # calcium → spike rates, spikefinder ds 4, 5, 6 (--data-dir)
  $ recur train --preset physionet2012            # ICU mortality: GRU-D & co. vs logistic, 5-fold CV (data from --data-dir)
  $ recur train --task longrange --scale full     # long-range splice pairing: CNN vs BiGRU/BiLSTM/BiRNN vs attention, d = 100 … 10 000
  $ recur train --task irregular --csv stays.csv --labels outcome.csv --static Age   # long format id,time,variable,value
  $ recur train --config forecast.yaml --epochs 10   # flags override the file
  $ recur train --resume runs/20250131-120000        # continue a run stopped with Ctrl-C (or killed)

Run folders: a run is written in runs/.NAME.partial-PID/ and moved to runs/NAME/ when it finishes
(with metrics.json) or is stopped by Ctrl-C (state saved, no metrics.json). A second run with the same
--name is refused at start while the first one's process is alive (lock file runs/.NAME.lock).
A killed run (kill -9, a crash, a second Ctrl-C) stays in runs/.NAME.partial-PID/; new runs warn about
such folders, and --resume runs/NAME adopts it. --resume continues from what was saved: the forecast
task from its last checkpoint (saved every epoch and on Ctrl-C; --epochs may be raised), the splice task
per trained network (one checkpoint each, fold-F.member-M.safetensors: finished networks are reused,
the interrupted one is retrained, so the result equals an uninterrupted run's; --epochs may not change).

Config file keys are the flag names in camelCase (batchSize, timeCol, ...); unknown keys are errors.
Exit status: 0 done, 1 bad data, a run name taken or in use, or failure, 2 bad options (also --resume of
something that is not a stopped or killed run), 130 stopped by Ctrl-C (state saved).`;

export function trainCommand(io: Io): Command {
  const cmd = new Command('train').description('train a model and write a run folder (config, events, checkpoint, metrics, report)');
  for (const o of allOptions()) cmd.addOption(o);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (opts: Record<string, unknown>) => {
    io.exitCode = await runTrain(opts, io);
  });
  return cmd;
}

function allOptions() {
  return withSpikefinderChoices([...commonTrainOptions(), ...sharedModelOptions(), ...forecastOptions(), ...spliceOptions(), ...decodeOptions(), ...spikefinderOptions(), ...irregularOptions(), ...longRangeOptions()]);
}

const FORECAST_ONLY = forecastOptions().map(keyOf).concat(['preset']);
const SPLICE_ONLY = spliceOptions().map(keyOf).concat(IRREGULAR_ONLY);

/** Refuse a flag that belongs to the other task (rather than ignoring it). */
function checkTaskFlags(opts: Record<string, unknown>, task: string): void {
  const foreign = task === 'splice' ? FORECAST_ONLY : SPLICE_ONLY;
  const k = Object.keys(opts).find((key) => foreign.includes(key));
  const owner = k && IRREGULAR_ONLY.includes(k) ? 'irregular' : task === 'splice' ? 'forecast' : 'splice';
  if (k) throw new OptionError(flagName(k), `an option of the ${task} task`, `an option of the ${owner} task (add --task ${owner}?)`);
}

function flagLayer(opts: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(opts).filter(([k]) => !CLI_ONLY.includes(k)));
}

async function runTrain(opts: Record<string, unknown>, io: Io): Promise<number> {
  io.json = !!opts.json;
  if (opts.backend) setBackend(opts.backend as BackendName);
  if (opts.resume) return resumeTrain(opts, io);
  const configPath = opts.config ? resolve(io.cwd, String(opts.config)) : '';
  const file = configPath ? readConfigFile(configPath) : {};
  if (isDecodeTask(opts, file)) return runDecodeTask(opts, file, configPath, io);
  if (isSpikefinder(opts, file)) return runSpikefinderTask(opts, file, configPath, io);
  if (isLongRangeTask(opts, file)) return runLongRangeTask(opts, file, configPath, io);
  const task = (opts.task ?? file.task ?? ((opts.preset ?? file.preset) === 'physionet2012' ? 'irregular' : opts.preset ?? file.preset ? 'forecast' : 'splice')) as string;
  if (task === 'splice' || task === 'forecast') checkTaskFlags(opts, task);
  if (task === 'irregular') return runIrregularTask(opts, file, configPath, io);
  if (task === 'splice') return runSpliceTask(opts, file, configPath, io);
  if (task !== 'forecast') throw new OptionError(configPath ? `${configPath}: "task"` : '--task', '"splice" or "forecast"', JSON.stringify(task));
  const presetName = (opts.preset ?? file.preset) as keyof typeof PRESETS | undefined;
  const preset = presetName ? PRESETS[presetName] : undefined;
  if (presetName && !preset) throw new OptionError('--preset', `one of ${Object.keys(PRESETS).join(', ')}`, JSON.stringify(presetName));
  const layered = merge(
    { values: { task: 'forecast', ...(preset ?? {}) }, source: { kind: 'preset', name: presetName ?? '' } },
    { values: file, source: { kind: 'file', path: configPath } },
    { values: { ...flagLayer(opts), task: 'forecast' }, source: { kind: 'flag' } },
  );
  const config = validate(forecastSchema, layered, FORECAST_KEYS, 'recur train');
  const dir = dataDir(config.dataDir);
  config.csv = resolvePath(config.csv, layered.sources.csv, io.cwd, dir);
  if (layered.sources.csv?.kind === 'preset' && !existsSync(config.csv)) {
    throw new ValueError(`--preset ${presetName}`, `the data file ${config.csv} (set --data-dir or RECUR_DATA_DIR to the folder holding ${preset!.csv})`, 'no such file');
  }
  if (config.perGroup) return trainFleet(config, { redis: opts.redis as string | undefined, workers: opts.workers as number | undefined }, io);
  if (opts.redis || opts.workers) throw new OptionError(opts.redis ? '--redis' : '--workers', 'a --per-group run (one model per series, spread over workers)', 'a single model');
  return forecast(config, layered, io);
}

async function forecast(config: ForecastConfig, _layered: Layered | null, io: Io, resumeDir?: string): Promise<number> {
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

/**
 * `--resume`: continue a stopped run (runs/NAME) or adopt a killed one (runs/.NAME.partial-PID),
 * holding the name's lock; a finished run has nothing to continue.
 */
async function resumeTrain(opts: Record<string, unknown>, io: Io): Promise<number> {
  const extra = Object.keys(opts).filter((k) => !['resume', 'epochs', 'quiet', 'json', 'backend'].includes(k));
  if (extra.length) throw new OptionError('--resume', "the run's own config.json (only --epochs, --quiet, --json and --backend may be given)", extra.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', '));
  const run = resumeRunDir(String(opts.resume));
  try {
    if (runStatus(run.path) === 'finished') throw new OptionError('--resume', 'a stopped or killed run', `${JSON.stringify(opts.resume)}: a finished run (nothing to continue; see recur eval --run ${String(opts.resume)})`);
    const path = join(run.path, RUN_FILES.config);
    const saved = readJson(path) as Record<string, unknown>;
    if (saved.task === 'splice') {
      if (opts.epochs !== undefined) throw new OptionError('--epochs', 'no --epochs with --resume of a splice run (its saved networks were trained with the saved epochs)', String(opts.epochs));
      return await resumeSpliceTask(run, opts.quiet === undefined ? {} : { quiet: !!opts.quiet }, io);
    }
    if (saved.task === 'decode') return await resumeDecodeTask(run, opts, io);
    if (saved.task === 'spikefinder') return await resumeSpikefinderTask(run, opts, io);
    if (saved.task !== 'forecast') throw new FormatError(`${path}: "task"`, '"splice" or "forecast"', JSON.stringify(saved.task));
    const layered = merge({ values: saved, source: { kind: 'file', path } }, { values: { epochs: opts.epochs, quiet: opts.quiet }, source: { kind: 'flag' } });
    const config = validate(forecastSchema, layered, FORECAST_KEYS, 'recur train --resume');
    if (opts.epochs !== undefined && opts.epochs !== saved.epochs) writeJson(path, config);
    return await forecast(config, layered, io, run.path);
  } finally {
    releaseRunDir(run);
  }
}

/** For the help of `recur train`: every option key. */
export const TRAIN_OPTION_KEYS = allOptions().map(keyOf);
