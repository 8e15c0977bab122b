/**
 * `recur train` with no task: the built-in splice-junction classification recipe
 * (`runSplice` from src/recipes/splice). Options come from flags and --config like the
 * forecasting task's, validated by a strict schema; the run folder gets config.json,
 * events.jsonl (progress events), metrics.json (the recipe's result), result.json/table.txt
 * (written by the recipe) and report.html with the confusion matrices and the error table
 * beside the baselines and the published systems.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { getBackend } from '../../index.js';
import { runSplice, spliceReport, type SpliceProgress } from '../../recipes/splice/index.js';
import {
  RUN_FILES, TrainProgress, abortRunDir, type ProgressOptions, appendJsonl, commitRunDir, createRunDir, writeJson, writeReport,
} from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import type { Io } from './io.js';

const num = z.number();
const int = z.number().int();

/** The splice task's options (flag names in camelCase); the recipe checks the ranges. */
export const spliceSchema = z.strictObject({
  task: z.literal('splice'),
  cv: int.optional(),
  epochs: int.optional(),
  hidden: int.optional(),
  cell: z.enum(['gru', 'lstm']).optional(),
  pooling: z.enum(['max', 'mean', 'last', 'max+last', 'center', 'flatten']).optional(),
  convChannels: int.optional(),
  batchSize: int.optional(),
  lr: num.optional(),
  weightDecay: num.optional(),
  dropout: num.optional(),
  ema: num.optional(),
  ensemble: int.optional(),
  patience: int.optional(),
  valFraction: num.optional(),
  limit: int.optional(),
  seed: int.optional(),
  dataPath: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});

export const SPLICE_KEYS = Object.keys(spliceSchema.shape);

type SpliceConfig = z.output<typeof spliceSchema>;

/** The terminal display of the recipe's progress events (one display per run, made at 'start'). */
function showProgress(p: TrainProgress | null, e: SpliceProgress, o: ProgressOptions): TrainProgress | null {
  if (e.kind === 'start') return new TrainProgress({ folds: e.folds, members: e.members, epochs: e.epochs, batchSize: e.batchSize }, o);
  if (e.kind === 'member_start') p?.member({ fold: e.fold, member: e.member, stepsPerEpoch: e.steps });
  else if (e.kind === 'step') p?.step({ epoch: e.epoch, inEpoch: e.step, loss: e.loss });
  else if (e.kind === 'epoch') p?.epochEnd({ epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.valLoss, extra: `val error ${(100 * e.valError).toFixed(1)}%` });
  else if (e.kind === 'member_end') p?.memberEnd({ epochsRun: e.epochsRun, stoppedEarly: e.stoppedEarly, bestEpoch: e.bestEpoch, patience: e.patience });
  else if (e.kind === 'done') p?.stop();
  return p;
}

/** Run `f`; the bar is cleared (and the cursor shown) even when it throws, so an error prints on a clean line. */
function withProgress<T>(f: () => T, progress: () => TrainProgress | null): T {
  try {
    return f();
  } finally {
    progress()?.stop();
  }
}

/**
 * Run the splice recipe in a run folder.
 * @remarks runSplice is synchronous and keeps no resumable state, so Ctrl-C ends the process
 * (the staged folder is never renamed into place) and --resume is not available for this task.
 */
export async function runSpliceTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json', 'dataDir'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'splice' }, source: { kind: 'flag' } });
  const c = validate(spliceSchema, layered, SPLICE_KEYS, 'recur train (splice task)');
  const run = createRunDir(resolve(io.cwd, c.runsDir), c.name);
  try {
    writeJson(join(run.path, RUN_FILES.config), c);
    const events = join(run.path, RUN_FILES.events);
    let progress: TrainProgress | null = null;
    const onProgress = (e: SpliceProgress): void => {
      appendJsonl(events, { ...e, type: e.kind, time: Date.now() });
      progress = showProgress(progress, e, { quiet: c.quiet, stream: io.progress.progressStream, tty: io.progress.tty });
    };
    const { task: _t, name: _n, runsDir: _r, quiet: _q, ...options } = c;
    const r = withProgress(() => runSplice({ ...options, onProgress, outDir: run.path }), () => progress);
    const { table: _table, ...metrics } = r;
    writeJson(join(run.path, RUN_FILES.metrics), { task: 'splice', backend: getBackend().name, ...metrics });
    const report = spliceReport(c, r);
    writeJson(join(run.path, RUN_FILES.reportData), report);
    writeReport(join(run.path, RUN_FILES.report), report);
    commitRunDir(run);
    io.out(io.json ? `${JSON.stringify(metrics, null, 2)}\n` : `${r.table}\n\nrun:    ${run.final}\nreport: ${join(run.final, RUN_FILES.report)}\n`);
    return 0;
  } catch (e) {
    abortRunDir(run);
    throw e;
  }
}
