/**
 * `recur train --preset spikefinder` (task "spikefinder"): the calcium → spike-rate recipe of
 * src/recipes/spikefinder on the training cells of datasets 4, 5 and 6 read from --data-dir.
 * The run folder gets config.json, events.jsonl, one cv-<candidate>-<seed>-<fold>.json per finished
 * cross-validation fold, final-seed-<s>.safetensors per final network, metrics.json, table.txt and
 * report.html. `--resume` reuses the finished folds and networks. `recur predict --run DIR
 * --calcium FILE.csv` writes spike rates in the calcium file's layout.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { OptionError, getBackend } from '../../index.js';
import { predictSpikefinderRun, runSpikefinder, spikefinderReport, type NetSpec } from '../../recipes/spikefinder/index.js';
import { RUN_FILES, abortRunDir, appendJsonl, onInterrupt, readJson, type RunDir } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { parseIntArg } from '../options.js';
import { dataDir } from '../paths.js';
import { finishRun, startRun, stopRun } from './finish-run.js';
import type { Io } from './io.js';

const int = z.number().int();
const pos = int.min(1);

/** The spikefinder task's options (flag names in camelCase). */
export const spikefinderSchema = z.strictObject({
  task: z.literal('spikefinder'),
  preset: z.literal('spikefinder').optional(),
  datasets: z.array(z.string()).default(['4', '5', '6']),
  epochs: pos.default(30),
  window: pos.default(200),
  batchSize: pos.default(16),
  lr: z.number().positive().default(3e-3),
  loss: z.enum(['mse', 'corr']).default('corr'),
  cell: z.enum(['gru', 'lstm']).default('gru'),
  hidden: pos.default(32),
  layers: pos.default(1),
  convChannels: int.min(0).optional(),
  seeds: pos.default(3),
  folds: int.min(2).default(3),
  seed: int.default(1),
  maxNeurons: pos.optional(),
  gammaIters: pos.default(300),
  dataDir: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
export type SpikefinderConfig = z.output<typeof spikefinderSchema>;
export const SPIKEFINDER_KEYS = Object.keys(spikefinderSchema.shape);

/** Flags of this task only (the others are shared with the other tasks). */
export function spikefinderOptions(): Option[] {
  return ([
    // --seeds is shared with the decode task (its Option lives in decode-task.ts): networks per fold, default 3.
    new Option('--folds <k>', 'spikefinder: neuron groups per dataset for leave-neurons-out CV (default 3); irregular task: stratified CV folds (default 5)').argParser(parseIntArg),
    new Option('--max-neurons <n>', 'spikefinder: first n neurons of each dataset (quick runs)').argParser(parseIntArg),
    new Option('--window <bins>', 'spikefinder: training window in 25 Hz bins (default 200 = 8 s)').argParser(parseIntArg),
    new Option('--gamma-iters <n>', 'spikefinder: iterations of the linear-recurrence γ fit (default 300)').argParser(parseIntArg),
  ]).map((o) => o.helpGroup('Spikefinder options (--preset spikefinder):'));
}

/**
 * The candidates compared by LONO: with --conv-channels given, that one network; otherwise the
 * network without and with a 16-channel conv front end (kernel 5 bins = 200 ms).
 */
function candidates(c: SpikefinderConfig): NetSpec[] {
  const base = { cell: c.cell, hidden: c.hidden, layers: c.layers, convKernel: 5 };
  return c.convChannels !== undefined ? [{ ...base, convChannels: c.convChannels }] : [{ ...base, convChannels: 0 }, { ...base, convChannels: 16 }];
}

export async function runSpikefinderTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'spikefinder' }, source: { kind: 'flag' } });
  const c = validate(spikefinderSchema, layered, SPIKEFINDER_KEYS, 'recur train (spikefinder task)');
  // The data directory holds the CSVs directly or in a spikefinder/ folder (../shared/data/spikefinder).
  const dir = dataDir(c.dataDir ? resolve(io.cwd, c.dataDir) : undefined);
  c.dataDir = existsSync(join(dir, `${c.datasets[0]}.train.calcium.csv`)) || !existsSync(join(dir, 'spikefinder')) ? dir : join(dir, 'spikefinder');
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, c, io);
  return trainSpikefinder(c, run, io);
}

/** Continue a stopped or killed run with its own config: finished folds and networks are reused (only --quiet may change). */
export async function resumeSpikefinderTask(run: RunDir, opts: Record<string, unknown>, io: Io): Promise<number> {
  if (opts.epochs !== undefined) throw new OptionError('--epochs', 'no --epochs with --resume of a spikefinder run (its finished folds were trained with the saved epochs)', String(opts.epochs));
  const path = join(run.path, RUN_FILES.config);
  const quiet = opts.quiet === undefined ? {} : { quiet: !!opts.quiet };
  const c = validate(spikefinderSchema, merge({ values: readJson(path) as Record<string, unknown>, source: { kind: 'file', path } }, { values: quiet, source: { kind: 'flag' } }), SPIKEFINDER_KEYS, 'recur train --resume');
  return trainSpikefinder(c, run, io);
}

async function trainSpikefinder(c: SpikefinderConfig, run: RunDir, io: Io): Promise<number> {
  const stop = onInterrupt(() => io.err('stopping after the current step; finished folds and networks are kept…\n'));
  const events = join(run.path, RUN_FILES.events);
  try {
    appendJsonl(events, { type: 'run_start', task: 'spikefinder', resume: !run.staged, time: Date.now() });
    const log = (line: string): void => {
      appendJsonl(events, { type: 'log', line, time: Date.now() });
      if (!c.quiet) io.err(`${line}\n`);
    };
    const r = await runSpikefinder({ ...c, dataDir: c.dataDir!, candidates: candidates(c), stateDir: run.path, stop, log });
    if (!r) {
      return stopRun(run, events, io);
    }
    const { table, excerpts: _e, ...rest } = r;
    const metrics = { task: 'spikefinder', backend: getBackend().name, model: { spec: r.candidates[r.selected]!.spec, seeds: c.seeds }, ...rest };
    const report = spikefinderReport(c as unknown as Record<string, unknown>, r);
    return finishRun(run, events, io, { metrics, table, report, note: `wall time: ${(r.totalMs / 1000).toFixed(0)} s` });
  } catch (e) {
    abortRunDir(run);
    throw e;
  } finally {
    stop.dispose();
  }
}

/** `recur predict --run DIR --calcium FILE.csv [--out PRED.csv]` for a spikefinder run. */
export function predictSpikefinder(o: { run: string; calcium?: string; out?: string }, io: Io): { csv: string; rows: number } {
  if (!o.calcium) throw new OptionError('--calcium', 'a calcium CSV for a spikefinder run (header 0..N-1, one column per neuron, 100 Hz rows)', 'none');
  return predictSpikefinderRun(resolve(io.cwd, o.run), resolve(io.cwd, o.calcium), o.out ? resolve(io.cwd, o.out) : undefined);
}
