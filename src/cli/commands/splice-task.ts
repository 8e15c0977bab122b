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
import { runSplice, type SpliceProgress, type SpliceResult } from '../../recipes/splice/index.js';
import {
  RUN_FILES, TrainProgress, abortRunDir, appendJsonl, commitRunDir, createRunDir, writeJson, writeReport, type ReportData,
} from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
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
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});

export const SPLICE_KEYS = Object.keys(spliceSchema.shape);

type SpliceConfig = z.output<typeof spliceSchema>;

function reportOf(c: SpliceConfig, r: SpliceResult): ReportData {
  const model = r.systems[0]!;
  const pct = (v: number): number => Number(v.toFixed(2));
  const history = r.history.at(-1) ?? [];
  return {
    title: `splice — ${model.label}`, kind: 'classification', created: new Date().toISOString(),
    facts: [
      ['protocol', r.protocol.description], ['parameters', String(r.parameters)],
      ['runtime', `${(r.timings.totalMs / 1000).toFixed(1)} s on the ${r.timings.backend} backend`],
    ],
    tables: [
      {
        title: 'Per-class error (%) against the baselines', columns: ['system', 'EI', 'IE', 'N', 'accuracy', 'macro F1', 'macro AUC'], emphasise: [0],
        rows: r.systems.map((s) => [s.label, pct(s.perClassError.EI), pct(s.perClassError.IE), pct(s.perClassError.N), s.metrics.accuracy, s.metrics.macroF1, s.metrics.macroAuc]),
      },
      {
        title: 'Published systems (10-fold CV on 1,000 examples)', columns: ['system', 'EI', 'IE', 'N'],
        rows: r.published.map((p) => [p.system, p.EI, p.IE, p.N]),
      },
    ],
    confusion: r.systems.map((s) => ({ title: `Confusion matrix — ${s.label} (pooled test folds)`, labels: r.classes, matrix: s.metrics.confusion })),
    loss: { epoch: history.map((h) => h.epoch + 1), train: history.map((h) => h.trainLoss), val: history.map((h) => h.valLoss), label: `fold ${r.history.length}` },
    charts: history.length ? [{
      title: `Validation error per epoch (fold ${r.history.length})`, kind: 'lines', integerX: true, xLabel: 'epoch', yLabel: 'error',
      x: history.map((h) => h.epoch + 1), series: [{ label: 'validation error', values: history.map((h) => h.valError) }],
    }] : [],
    config: c,
  };
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
      if (e.kind === 'start') {
        progress = new TrainProgress({ totalSteps: e.folds * (c.epochs ?? 20), epochs: c.epochs ?? 20, batchSize: 1, quiet: c.quiet, ...io.progress, unit: 'epochs/s' });
        progress.start();
      } else if (e.kind === 'epoch') progress?.epochEnd({ epoch: e.epoch, step: e.epoch, loss: e.trainLoss, trainLoss: e.trainLoss, valLoss: e.valLoss, label: `fold ${e.fold + 1}` });
      else if (e.kind === 'done') progress?.stop();
    };
    const { task: _t, name: _n, runsDir: _r, quiet: _q, ...options } = c;
    const r = runSplice({ ...options, onProgress, outDir: run.path });
    const { table: _table, ...metrics } = r;
    writeJson(join(run.path, RUN_FILES.metrics), { task: 'splice', backend: getBackend().name, ...metrics });
    const report = reportOf(c, r);
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
