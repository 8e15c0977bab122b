/**
 * `recur train --task longrange` (or `--preset splice-longrange`): the long-range splice-pairing
 * sweep (src/recipes/longrange). `--scale quick` (default) is a smoke run of seconds to a minute;
 * `--scale full` is the reported sweep (d = 100 … 10 000, 3 seeds; about half an hour on two
 * shared cores). Writes config.json, events.jsonl, metrics.json, table.txt, report-data.json and
 * report.html. Ctrl-C stops between updates (exit 130; the run folder keeps config and events).
 */
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { FormatError, OptionError } from '../../index.js';
import { MAX_D, MIN_D, MODEL_KINDS, MODES, formatLongRange, longRangeReport, mergeResults, runLongRange, type LongRangeResult, type LongRangeSettings, type ModelKind } from '../../recipes/longrange/index.js';
import { RUN_FILES, abortRunDir, appendJsonl, commitRunDir, onInterrupt, readJson } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { parseIntArg } from '../options.js';
import { finishRun, progressLog, startRun } from './finish-run.js';
import type { Io } from './io.js';

/** Flags of the longrange task only (--seeds, --seed, --lr and --batch-size are shared). */
export function longRangeOptions(): Option[] {
  return [
    new Option('--scale <size>', 'longrange task: quick (a smoke run) or full (the reported sweep)').choices(['quick', 'full']),
    new Option('--distances <list>', 'longrange task: donor–acceptor distances d, comma-separated (default quick 40,400; full 100,300,1000,3000,10000)'),
    new Option('--models <list>', `longrange task: models, comma-separated among ${MODEL_KINDS.join(',')} (default all)`),
    new Option('--warmup <n>', 'longrange task: updates at the shortest d (default quick 30, full 2000)').argParser(parseIntArg),
    new Option('--updates <n>', 'longrange task: updates at each longer d (default quick 10, full 60)').argParser(parseIntArg),
    new Option('--merge <runs>', 'longrange task: combine finished runs of disjoint --models (run apart, same settings otherwise) into one run and report, comma-separated folders'),
    new Option('--test-size <n>', 'longrange task: held-out sequences per d (default quick 64, full 100)').argParser(parseIntArg),
  ].map((o) => o.helpGroup('Long-range splice options (--task longrange):'));
}

const int = z.number().int();
const schema = z.strictObject({
  task: z.literal('longrange'),
  preset: z.literal('splice-longrange').optional(),
  scale: z.enum(['quick', 'full']).default('quick'),
  distances: z.string().min(1).optional(),
  models: z.string().min(1).optional(),
  warmup: int.optional(),
  updates: int.optional(),
  testSize: int.optional(),
  merge: z.string().min(1).optional(),
  seeds: int.optional(),
  seed: int.default(0),
  lr: z.number().optional(),
  batchSize: int.optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
export const LONGRANGE_KEYS = Object.keys(schema.shape);
type Config = z.output<typeof schema>;

function listOf(flag: string, v: string): string[] {
  const items = v.split(',').map((x) => x.trim());
  if (items.some((x) => !x)) throw new OptionError(flag, 'a comma-separated list without empty items', JSON.stringify(v));
  return items;
}

/** The recipe settings: the scale's defaults, then the flags. */
export function settingsOf(c: Config): LongRangeSettings {
  const base = MODES[c.scale];
  const distances = c.distances === undefined ? base.distances : listOf('--distances', c.distances).map((x) => {
    if (!/^\d+$/.test(x) || Number(x) < MIN_D || Number(x) > MAX_D) throw new OptionError('--distances', `integers in [${MIN_D}, ${MAX_D}] (nucleotides)`, JSON.stringify(x));
    return Number(x);
  });
  const models = c.models === undefined ? base.models : listOf('--models', c.models).map((x) => {
    if (!(MODEL_KINDS as readonly string[]).includes(x)) throw new OptionError('--models', `some of ${MODEL_KINDS.join(', ')}`, JSON.stringify(x));
    return x as ModelKind;
  });
  const flags = { '--warmup': c.warmup, '--updates': c.updates, '--test-size': c.testSize, '--seeds': c.seeds, '--batch-size': c.batchSize };
  for (const [flag, v] of Object.entries(flags)) if (v !== undefined && v < 1) throw new OptionError(flag, 'a positive integer', String(v));
  if (c.lr !== undefined && !(c.lr > 0 && c.lr < 1)) throw new OptionError('--lr', 'a learning rate in (0, 1)', String(c.lr));
  return {
    ...base, distances, models, seed: c.seed,
    ...(c.warmup === undefined ? {} : { warmup: c.warmup }), ...(c.updates === undefined ? {} : { updates: c.updates }),
    ...(c.testSize === undefined ? {} : { testSize: c.testSize }), ...(c.seeds === undefined ? {} : { seeds: c.seeds }),
    ...(c.lr === undefined ? {} : { lr: c.lr }), ...(c.batchSize === undefined ? {} : { batch: c.batchSize }),
  };
}

/** The results of finished longrange runs (their metrics.json), for --merge. */
function readParts(list: string, cwd: string): { results: LongRangeResult[]; dirs: string[] } {
  const dirs = listOf('--merge', list).map((d) => resolve(cwd, d));
  if (dirs.length < 2) throw new OptionError('--merge', 'two or more run folders', list);
  const results = dirs.map((d) => {
    const m = readJson(join(d, RUN_FILES.metrics)) as Partial<LongRangeResult> & { task?: unknown };
    if (m.task !== 'longrange' || !m.settings || !Array.isArray(m.cells)) throw new FormatError(join(d, RUN_FILES.metrics), 'the metrics of a longrange run', `task ${JSON.stringify(m.task)}`);
    return { complete: true, ...m } as LongRangeResult;
  });
  return { results, dirs };
}

export async function runLongRangeTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json', 'task'].includes(k)));
  const layered = merge({ values: { ...file, task: undefined }, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'longrange' }, source: { kind: 'flag' } });
  const c = validate(schema, layered, LONGRANGE_KEYS, 'recur train --task longrange');
  const settings = c.merge ? null : settingsOf(c);
  const parts = c.merge ? readParts(c.merge, io.cwd) : null;
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, c, io);
  const stop = onInterrupt(() => io.err('stopping after the current update…\n'));
  try {
    const events = join(run.path, RUN_FILES.events);
    appendJsonl(events, { type: 'run_start', task: 'longrange', time: Date.now() });
    const r = parts ? mergeResults(parts.results, parts.dirs) : await runLongRange(settings!, {
      stop: () => stop.requested,
      onProgress: progressLog(events, c.quiet, io),
    });
    if (!r.complete) {
      appendJsonl(events, { type: 'run_end', reason: 'stopped', time: Date.now() });
      commitRunDir(run);
      io.err(`stopped; the sweep is not resumable (run it again to finish). Folder: ${run.final}\n`);
      return 130;
    }
    const metrics = { task: 'longrange', ...r, cells: r.cells.map(({ lossCurve: _l, ...cell }) => cell) };
    return finishRun(run, events, io, { metrics, table: formatLongRange(r), report: longRangeReport(c, r), note: `wall time ${(r.timings.totalMs / 1000).toFixed(0)} s` });
  } catch (e) {
    abortRunDir(run);
    throw e;
  } finally {
    stop.dispose();
  }
}
