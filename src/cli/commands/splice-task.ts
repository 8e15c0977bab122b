/**
 * `recur train` with no task: the built-in splice-junction classification recipe
 * (`runSplice` from src/recipes/splice); `recur train --task classify`: the same recipe on the
 * user's own FASTA or CSV (any classes, lengths, DNA/RNA/protein). Options come from flags and --config like the
 * forecasting task's, validated by a strict schema; the run folder gets config.json,
 * events.jsonl (progress events), metrics.json (the recipe's result), result.json/table.txt
 * (written by the recipe) and report.html with the confusion matrices and the error table
 * beside the baselines and the published systems, and one checkpoint per trained network
 * (fold-<f>.member-<m>.safetensors) that --resume, eval and predict use.
 */
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { OptionError, getBackend } from '../../index.js';
import { classifyReport, runSplice, selectionLines, spliceReport, type SpliceProgress } from '../../recipes/splice/index.js';
import {
  RUN_FILES, TrainProgress, abortRunDir, appendJsonl, commitRunDir, onInterrupt, readJson, writeJson, writeReport,
  type ProgressOptions, type RunDir,
} from '../../recipes/common/index.js';
import { merge, resolvePath, validate, type Layered } from '../config.js';
import { startRun, stopRun } from './finish-run.js';
import type { Io } from './io.js';

const int = (min: number) => z.number().int().min(min);
const unit = z.number().min(0).lt(1);

/** The splice task's options (flag names in camelCase), with the ranges runSplice accepts. */
export const spliceSchema = z.strictObject({
  task: z.literal('splice'),
  cv: int(1).optional(),
  epochs: int(1).optional(),
  hidden: int(1).optional(),
  cell: z.enum(['gru', 'lstm']).optional(),
  pooling: z.enum(['max', 'mean', 'last', 'max+last', 'center', 'flatten']).optional(),
  convChannels: int(0).optional(),
  batchSize: int(1).optional(),
  lr: z.number().gt(0).lt(1).optional(),
  weightDecay: unit.optional(),
  dropout: unit.optional(),
  ema: unit.optional(),
  ensemble: int(1).optional(),
  patience: int(1).optional(),
  valFraction: z.number().gt(0).lt(0.5).optional(),
  limit: int(30).optional(),
  seed: int(0).optional(),
  dataPath: z.string().min(1).optional(),
  keepDuplicates: z.boolean().default(false),
  select: z.boolean().default(false),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});

export const SPLICE_KEYS = Object.keys(spliceSchema.shape);

const path = z.string().min(1);
/** The classify task's options: the splice task's, with the user's data instead of splice.data. */
export const classifySchema = spliceSchema.omit({ task: true, dataPath: true }).extend({
  task: z.literal('classify'),
  fasta: path.optional(), labels: path.optional(), labelFrom: path.optional(), csv: path.optional(),
  seqCol: path.optional(), labelCol: path.optional(), groupCol: path.optional(), idCol: path.optional(),
  alphabet: z.enum(['dna', 'rna', 'protein']).default('dna'),
});

export const CLASSIFY_KEYS = Object.keys(classifySchema.shape);

/** The classify task's own flags. */
export function classifyOptions(): Option[] {
  return ([
    new Option('--fasta <file>', 'classify task: FASTA of labelled sequences (labels from the header, or --labels)'),
    new Option('--label-from <key>', "classify task: the FASTA header word KEY=value holding the label (default label; else '>id|label')"),
    new Option('--seq-col <name>', 'classify task: the sequence column of --csv (with --label-col)'),
    new Option('--id-col <name>', 'classify task: the id column of --csv, or of --labels (default its first)'),
    new Option('--alphabet <name>', 'classify task: dna (default), rna or protein; IUPAC ambiguity codes are read as mixtures').choices(['dna', 'rna', 'protein']),
  ]).map((o) => o.helpGroup('Classification options (--task classify; also --csv, --labels, --label-col, --group-col, and the splice options):'));
}

type SpliceConfig = z.output<typeof spliceSchema> | z.output<typeof classifySchema>;

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
async function withProgress<T>(f: () => Promise<T>, progress: () => TrainProgress | null): Promise<T> {
  try {
    return await f();
  } finally {
    progress()?.stop();
  }
}

/**
 * Run the splice recipe in a new run folder. The networks are saved as they finish
 * (fold-<f>.member-<m>.safetensors); Ctrl-C stops after the current step, keeps the finished
 * networks, moves the folder to runs/<name> and exits 130; --resume reuses them.
 */
export async function runSpliceTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io, task: 'splice' | 'classify' = 'splice'): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json', 'dataDir'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task }, source: { kind: 'flag' } });
  const c = task === 'classify' ? classifyConfig(layered, io.cwd) : validate(spliceSchema, layered, SPLICE_KEYS, 'recur train (splice task)');
  if ('dataPath' in c && c.dataPath) c.dataPath = resolve(io.cwd, c.dataPath);
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, c, io);
  return trainSplice(c, run, io);
}

/** The classify task's config: validated, the data paths made absolute (a config file's relative to the file). */
function classifyConfig(layered: Layered, cwd: string): z.output<typeof classifySchema> {
  const c = validate(classifySchema, layered, CLASSIFY_KEYS, 'recur train --task classify');
  for (const k of ['fasta', 'labels', 'csv'] as const) if (c[k]) c[k] = resolvePath(c[k], layered.sources[k], cwd, '');
  return c;
}

/**
 * Continue a stopped or killed splice run (`run` opened by resumeRunDir): the saved networks are
 * reused, the rest trained, with the run's own config (only --quiet may change).
 */
export async function resumeSpliceTask(run: RunDir, opts: Record<string, unknown>, io: Io): Promise<number> {
  if (opts.epochs !== undefined) throw new OptionError('--epochs', 'no --epochs with --resume of a splice run (its saved networks were trained with the saved epochs)', String(opts.epochs));
  const overrides = opts.quiet === undefined ? {} : { quiet: !!opts.quiet };
  const path = join(run.path, RUN_FILES.config);
  const saved = readJson(path) as Record<string, unknown>;
  // A run from before deduplication has no keepDuplicates key: its networks saw the data as read.
  if (!('keepDuplicates' in saved)) saved.keepDuplicates = true;
  const layered = merge({ values: saved, source: { kind: 'file', path } }, { values: overrides, source: { kind: 'flag' } });
  const c = saved.task === 'classify' ? validate(classifySchema, layered, CLASSIFY_KEYS, 'recur train --resume') : validate(spliceSchema, layered, SPLICE_KEYS, 'recur train --resume');
  return trainSplice(c, run, io);
}

async function trainSplice(c: SpliceConfig, run: RunDir, io: Io): Promise<number> {
  let progress: TrainProgress | null = null;
  const stopping = 'stopping: the network in training is dropped, finished ones are kept (Ctrl-C again to quit at once)…';
  const stop = onInterrupt(() => (progress ? progress.log(stopping) : io.err(`${stopping}\n`)));
  try {
    const events = join(run.path, RUN_FILES.events);
    appendJsonl(events, { type: 'run_start', task: c.task, resume: !run.staged, time: Date.now() });
    const onProgress = (e: SpliceProgress): void => {
      appendJsonl(events, { ...e, type: e.kind, time: Date.now() });
      progress = showProgress(progress, e, { quiet: c.quiet, stream: io.progress.progressStream, tty: io.progress.tty });
    };
    const { task: _t, name: _n, runsDir: _r, quiet: _q, ...options } = c;
    const r = await withProgress(() => runSplice({ ...options, onProgress, outDir: run.path, stateDir: run.path, stop }), () => progress);
    if (!r) {
      return stopRun(run, events, io, 'the finished networks are saved');
    }
    const { table: _table, ...metrics } = r;
    writeJson(join(run.path, RUN_FILES.metrics), { task: c.task, backend: getBackend().name, ...metrics });
    const report = c.task === 'classify' ? classifyReport(c, r) : spliceReport(c, r);
    writeJson(join(run.path, RUN_FILES.reportData), report);
    writeReport(join(run.path, RUN_FILES.report), report);
    appendJsonl(events, { type: 'run_end', reason: 'completed', time: Date.now() });
    commitRunDir(run);
    const sel = selectionLines(r);
    io.out(io.json ? `${JSON.stringify(metrics, null, 2)}\n` : `${r.table}\n${sel.length ? `\n${sel.join('\n')}\n` : ''}\nrun:    ${run.final}\nreport: ${join(run.final, RUN_FILES.report)}\n`);
    return 0;
  } catch (e) {
    abortRunDir(run);
    throw e;
  } finally {
    stop.dispose();
  }
}
