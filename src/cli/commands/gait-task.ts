/**
 * `recur train --preset gait` (or `--task gait`): the gait recipe (src/recipes/gait). LSTM vs GRU
 * footstep segmenters at equal parameter count over window lengths, against a tuned
 * zero-velocity detector, leave-subjects-out on gait-imu from --data-dir. The run folder gets
 * config.json, events.jsonl, one fold-F.json per finished fold (reused by --resume),
 * metrics.json, table.txt, report-data.json and report.html.
 */
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { OptionError } from '../../index.js';
import { DATA_FILES, GAIT_DEFAULT_FOLDS, formatGait, gaitReport, runGait, summarise } from '../../recipes/gait/index.js';
import { RUN_FILES, abortRunDir, appendJsonl, onInterrupt, readJson, type RunDir } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { parseIntArg } from '../options.js';
import { dataDir } from '../paths.js';
import { finishRun, progressLog, startRun, stopRun } from './finish-run.js';
import type { Io } from './io.js';

function parseIntList(v: string): number[] {
  const parts = v.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) throw new InvalidArgumentError(`expected comma-separated non-negative integers such as 25,50,100, got "${v}"`);
  return parts.map(Number);
}

/** Flags of the gait task only (--seeds, --folds, --epochs, --hidden, --lr, --patience are shared). */
export function gaitOptions(): Option[] {
  return ([
    new Option('--windows <list>', 'gait: window lengths in samples at 100 Hz, comma-separated (default 25,50,100,200,400)').argParser(parseIntList),
    new Option('--only-folds <list>', 'gait: run only these subject folds, 1-based, comma-separated (a shorter run)').argParser(parseIntList),
    new Option('--steps-per-epoch <n>', 'gait: training samples per epoch, windows × W (default 25000)').argParser(parseIntArg),
  ]).map((o) => o.helpGroup('Gait options (--preset gait):'));
}

const int = z.number().int();
const schema = z.strictObject({
  task: z.literal('gait'),
  preset: z.literal('gait').optional(),
  windows: z.array(int).optional(),
  onlyFolds: z.array(int).optional(),
  stepsPerEpoch: int.optional(),
  folds: int.optional(),
  seeds: int.optional(),
  hidden: int.optional(),
  lr: z.number().optional(),
  epochs: int.optional(),
  patience: int.optional(),
  seed: int.optional(),
  dataDir: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
export const GAIT_KEYS = Object.keys(schema.shape);
type GaitConfig = z.output<typeof schema>;

export async function runGaitTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'gait' }, source: { kind: 'flag' } });
  const c = validate(schema, layered, GAIT_KEYS, 'recur train --preset gait');
  const k = c.folds ?? GAIT_DEFAULT_FOLDS;
  if (c.onlyFolds?.some((f) => f < 1 || f > k)) throw new OptionError('--only-folds', `fold numbers from 1 to ${k}`, c.onlyFolds.join(','));
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, { ...c, dataDir: dataDir(c.dataDir) }, io);
  return trainGait({ ...c, dataDir: dataDir(c.dataDir) }, run, io);
}

/** Continue a stopped or killed gait run: finished folds are reused, the rest computed. */
export async function resumeGaitTask(run: RunDir, opts: Record<string, unknown>, io: Io): Promise<number> {
  if (opts.epochs !== undefined) throw new OptionError('--epochs', 'no --epochs with --resume of a gait run (its saved folds were trained with the saved epochs)', String(opts.epochs));
  const path = join(run.path, RUN_FILES.config);
  const quiet = opts.quiet === undefined ? {} : { quiet: !!opts.quiet };
  const c = validate(schema, merge({ values: readJson(path) as Record<string, unknown>, source: { kind: 'file', path } }, { values: quiet, source: { kind: 'flag' } }), Object.keys(schema.shape), 'recur train --resume');
  return trainGait(c, run, io);
}

async function trainGait(c: GaitConfig, run: RunDir, io: Io): Promise<number> {
  const dir = c.dataDir!;
  const stop = onInterrupt(() => io.err('stopping: the fold in progress is dropped, finished folds are kept…\n'));
  const events = join(run.path, RUN_FILES.events);
  try {
    appendJsonl(events, { type: 'run_start', task: 'gait', resume: !run.staged, time: Date.now() });
    const r = await runGait({
      csv: join(dir, DATA_FILES.csv), meta: join(dir, DATA_FILES.meta),
      ...(c.windows ? { windows: c.windows } : {}), ...(c.onlyFolds ? { onlyFolds: c.onlyFolds.map((f) => f - 1) } : {}),
      ...(c.stepsPerEpoch === undefined ? {} : { stepsPerEpoch: c.stepsPerEpoch }), ...(c.folds === undefined ? {} : { folds: c.folds }),
      ...(c.seeds === undefined ? {} : { seeds: c.seeds }), ...(c.hidden === undefined ? {} : { hidden: c.hidden }), ...(c.lr === undefined ? {} : { lrGrid: [c.lr] }),
      ...(c.epochs === undefined ? {} : { epochs: c.epochs }), ...(c.patience === undefined ? {} : { patience: c.patience }), ...(c.seed === undefined ? {} : { seed: c.seed }),
      stateDir: run.path, stop,
      onProgress: progressLog(events, c.quiet, io),
    });
    if (!r) return stopRun(run, events, io, 'finished folds are saved');
    const metrics = {
      task: 'gait', settings: r.settings, data: r.data, summary: r.settings.tols.map((tol, j) => ({ tol, windows: summarise(r, j) })),
      folds: r.folds.map((f) => ({ ...f, rnn: f.rnn.map(({ flow, ...x }) => ({ ...x, reach1: flow?.reach1 ?? null, reach10: flow?.reach10 ?? null })) })), timings: r.timings,
    };
    return finishRun(run, events, io, { metrics, table: formatGait(r), report: gaitReport(c, r) });
  } catch (e) {
    abortRunDir(run);
    throw e;
  } finally {
    stop.dispose();
  }
}
