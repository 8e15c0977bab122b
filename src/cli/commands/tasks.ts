/**
 * The tasks of `recur train` in one list: how a task is chosen (--task, or a --preset it owns,
 * or the default splice task), which config keys it reads (so a flag of another task is refused
 * with that task's name), and what `--resume`, `recur eval` and `recur predict` do with its runs.
 */
import { join } from 'node:path';
import { FormatError, OptionError } from '../../index.js';
import { PRESETS } from '../../recipes/forecast/index.js';
import { BMI_PRESETS } from '../../recipes/bmi/index.js';
import { RUN_FILES, openFinishedRun, readJson, type RunDir } from '../../recipes/common/index.js';
import { flagName } from '../config.js';
import { FORECAST_TASK_KEYS, evalForecast, predictForecast, resumeForecastTask, runForecastTask } from './forecast-task.js';
import { CLASSIFY_KEYS, SPLICE_KEYS, resumeSpliceTask, runSpliceTask } from './splice-task.js';
import { evalSplice, predictSplice } from './splice-run.js';
import { DECODE_KEYS, evalDecode, predictDecode, resumeDecodeTask, runDecodeTask } from './decode-task.js';
import { SPIKEFINDER_KEYS, predictSpikefinder, resumeSpikefinderTask, runSpikefinderTask } from './spikefinder-task.js';
import { IRREGULAR_KEYS, runIrregularTask } from './irregular-task.js';
import { LONGRANGE_KEYS, runLongRangeTask } from './longrange-task.js';
import { SEPSIS_KEYS, runSepsisTask } from './sepsis-task.js';
import { GAIT_KEYS, resumeGaitTask, runGaitTask } from './gait-task.js';
import { STABILITY_KEYS, predictStability, runStabilityTask } from './protein-task.js';
import { SPIKE_HISTORY_KEYS, evalSpikeHistory, predictSpikeHistory, resumeSpikeHistoryTask, runSpikeHistoryTask } from './spikehistory-task.js';
import type { EvalOpts, PredictOpts } from './run-options.js';
import type { Io } from './io.js';

type Flags = Record<string, unknown>;

export interface Task {
  /** The --task value, and the "task" of the run's config.json. */
  name: string;
  /** The --preset values that choose this task. */
  presets: readonly string[];
  /** The config keys (flag names in camelCase) the task reads. */
  keys: readonly string[];
  train(opts: Flags, file: Flags, configPath: string, io: Io): Promise<number>;
  /** Continue a stopped or killed run; absent: such runs are rerun, not resumed. */
  resume?(run: RunDir, opts: Flags, io: Io): Promise<number>;
  evaluate?(o: EvalOpts, io: Io): Promise<{ json: unknown; text: string }>;
  predict?(o: PredictOpts, io: Io): { csv: string; rows: number };
}

export const TASKS: readonly Task[] = [
  { name: 'splice', presets: [], keys: SPLICE_KEYS, train: runSpliceTask, resume: resumeSpliceTask, evaluate: evalSplice, predict: predictSplice },
  {
    name: 'classify', presets: [], keys: CLASSIFY_KEYS, train: (opts, file, configPath, io) => runSpliceTask(opts, file, configPath, io, 'classify'),
    resume: resumeSpliceTask, evaluate: evalSplice, predict: predictSplice,
  },
  { name: 'forecast', presets: Object.keys(PRESETS), keys: FORECAST_TASK_KEYS, train: runForecastTask, resume: resumeForecastTask, evaluate: evalForecast, predict: predictForecast },
  { name: 'decode', presets: Object.keys(BMI_PRESETS), keys: DECODE_KEYS, train: runDecodeTask, resume: resumeDecodeTask, evaluate: evalDecode, predict: predictDecode },
  {
    name: 'spike-history', presets: ['spike-history'], keys: SPIKE_HISTORY_KEYS, train: runSpikeHistoryTask,
    resume: resumeSpikeHistoryTask, evaluate: evalSpikeHistory, predict: predictSpikeHistory,
  },
  { name: 'spikefinder', presets: ['spikefinder'], keys: SPIKEFINDER_KEYS, train: runSpikefinderTask, resume: resumeSpikefinderTask, predict: predictSpikefinder },
  { name: 'irregular', presets: ['physionet2012'], keys: IRREGULAR_KEYS, train: runIrregularTask },
  { name: 'gait', presets: ['gait'], keys: GAIT_KEYS, train: runGaitTask, resume: resumeGaitTask },
  { name: 'longrange', presets: ['splice-longrange'], keys: LONGRANGE_KEYS, train: runLongRangeTask },
  { name: 'sepsis-pomdp', presets: ['sepsis-pomdp'], keys: SEPSIS_KEYS, train: runSepsisTask },
  { name: 'stability', presets: ['protein-stability'], keys: STABILITY_KEYS, train: runStabilityTask, predict: predictStability },
];

export const TASK_NAMES = TASKS.map((t) => t.name);
export const PRESET_NAMES = TASKS.flatMap((t) => t.presets);

/** Keys every task takes: they steer the command itself (--data-dir is read by the tasks with data files). */
export const CLI_ONLY = ['config', 'resume', 'backend', 'json', 'dataDir'];

/** The task the flags and config file ask for: --task, else the owner of --preset, else splice. */
export function chooseTask(opts: Flags, file: Flags, configPath: string): Task {
  const name = (opts.task ?? file.task) as string | undefined;
  const preset = (opts.preset ?? file.preset) as string | undefined;
  const where = (k: string): string => (opts[k] === undefined && configPath ? `${configPath}: "${k}"` : `--${k}`);
  const byPreset = preset === undefined ? undefined : TASKS.find((t) => t.presets.includes(preset));
  if (preset !== undefined && !byPreset) throw new OptionError(where('preset'), `one of ${PRESET_NAMES.join(', ')}`, JSON.stringify(preset));
  const task = name === undefined ? byPreset ?? TASKS[0]! : TASKS.find((t) => t.name === name);
  if (!task) throw new OptionError(where('task'), `one of ${TASK_NAMES.join(', ')}`, JSON.stringify(name));
  if (byPreset && byPreset !== task) throw new OptionError(where('task'), `"${byPreset.name}" or none with --preset ${preset}`, JSON.stringify(name));
  checkFlags(task, opts);
  return task;
}

/** Refuse a typed flag the task does not read, naming the task(s) that do. */
export function checkFlags(task: Task, opts: Flags): void {
  const k = Object.keys(opts).find((key) => !CLI_ONLY.includes(key) && !task.keys.includes(key));
  if (!k) return;
  const owners = TASKS.filter((t) => t.keys.includes(k)).map((t) => t.name);
  const hint = owners.length ? ` (add --task ${owners[0]}?)` : '';
  throw new OptionError(flagName(k), `an option of the ${task.name} task`, owners.length ? `an option of the ${owners.join(', ')} task${owners.length > 1 ? 's' : ''}${hint}` : 'an option no task reads');
}

/** The task of a finished run folder (its config.json "task"). */
export function taskOfRun(dir: string, command: string): Task {
  const run = openFinishedRun(dir, command);
  return taskOfConfig(join(run.path, RUN_FILES.config));
}

export function taskOfConfig(path: string): Task {
  const name = (readJson(path) as { task?: unknown }).task;
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new FormatError(`${path}: "task"`, `one of ${TASK_NAMES.join(', ')}`, JSON.stringify(name));
  return task;
}
