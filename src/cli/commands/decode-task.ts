/**
 * `recur train --preset bmi-chewie | bmi-mihi` and `recur train --task decode --csv FILE`: the BMI
 * decoding recipe (src/recipes/bmi). Wiener filter, Kalman filter and LSTM/GRU decoders on the
 * causal lag window under contiguous-block CV (or train on --csv, test on --test-csv). The run
 * folder gets config.json, events.jsonl, one fold-*.json per finished fold (reused by --resume),
 * metrics.json, table.txt, report-data.json and report.html; each fold's decoders are saved as
 * fold-*.safetensors for `recur eval` and `recur predict` (src/recipes/bmi/deploy.ts, inference.ts).
 */
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { OptionError, ValueError, checkSchema, writeFileAtomicSync } from '../../index.js';
import {
  BMI_PRESETS, bmiReport, evalDecodeFile, evalOwnFolds, formatSummary, loadRunDecoders, predictDecodeFile, runBmi, type BmiProgress, type SplitSpec,
} from '../../recipes/bmi/index.js';
import { RUN_FILES, abortRunDir, appendJsonl, onInterrupt, openFinishedRun, readJson, type RunDir } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { parseIntArg } from '../options.js';
import { dataDir } from '../paths.js';
import { finishRun, startRun, stopRun } from './finish-run.js';
import { onlyFor, type EvalOpts, type PredictOpts } from './run-options.js';
import type { Io } from './io.js';

/** Flags of the decode task only (the others are shared with the forecast and splice tasks). */
export function decodeOptions(): Option[] {
  return [
    new Option('--target-cols <cols>', 'decode task: target columns, comma-separated names or globs (default vel_x,vel_y)'),
    new Option('--input-cols <cols>', "decode task: neural input columns, names or globs such as 'unit*' (default unit*)"),
    new Option('--test-csv <file>', 'decode task: train on --csv, test on this file (same columns) instead of cross-validation'),
    new Option('--lags <n>', 'decode task: bins before the current one in the causal window (default 13)').argParser(parseIntArg),
    new Option('--seeds <n>', 'decode and spikefinder tasks: networks trained per fold and setting (default 3)').argParser(parseIntArg),
    new Option('--cells <list>', 'decode task: recurrent decoders to train, comma-separated among lstm,gru (default lstm,gru)'),
  ];
}

const int = z.number().int();
const decodeSchema = z.strictObject({
  task: z.literal('decode'),
  preset: z.enum(Object.keys(BMI_PRESETS) as [keyof typeof BMI_PRESETS]).optional(),
  csv: z.string().min(1).optional(),
  testCsv: z.string().min(1).optional(),
  targetCols: z.string().min(1).optional(),
  inputCols: z.string().min(1).optional(),
  lags: int.optional(),
  cv: int.optional(),
  cells: z.string().optional(),
  cell: z.enum(['gru', 'lstm']).optional(),
  hidden: int.optional(),
  dropout: z.number().optional(),
  seeds: int.optional(),
  epochs: int.optional(),
  batchSize: int.optional(),
  lr: z.number().optional(),
  patience: int.optional(),
  seed: int.optional(),
  dataDir: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
export const DECODE_KEYS = Object.keys(decodeSchema.shape);
type DecodeConfig = z.output<typeof decodeSchema>;

/** The splits a configuration asks for (paths made absolute). */
function splitsOf(c: DecodeConfig, cwd: string): { splits: SplitSpec[]; lags: number | undefined } {
  if (c.preset) {
    if (c.csv || c.testCsv) throw new OptionError('--csv', `no --csv/--test-csv with --preset ${c.preset} (it reads its own files from --data-dir)`, c.csv ?? c.testCsv ?? '');
    const dir = dataDir(c.dataDir);
    const p = BMI_PRESETS[c.preset];
    const abs = (f: string): string => join(dir, f);
    const splits = p.splits.map((s): SplitSpec => (s.kind === 'cv' ? { ...s, file: abs(s.file) } : { ...s, trainFile: abs(s.trainFile), testFile: abs(s.testFile) }));
    return { splits, lags: c.lags ?? p.lags };
  }
  if (!c.csv) throw new OptionError('--task decode', '--csv FILE (or --preset bmi-chewie / bmi-mihi)', 'no --csv');
  const csv = resolve(cwd, c.csv);
  const splits: SplitSpec[] = c.testCsv
    ? [{ name: 'train-to-test', kind: 'cross', trainFile: csv, testFile: resolve(cwd, c.testCsv) }]
    : [{ name: 'cv', kind: 'cv', file: csv }];
  return { splits, lags: c.lags };
}

function cellsOf(c: DecodeConfig): ('gru' | 'lstm')[] | undefined {
  if (c.cells && c.cell) throw new OptionError('--cells', '--cells or --cell, not both', `${c.cells} and ${c.cell}`);
  if (c.cell) return [c.cell];
  if (c.cells === undefined) return undefined;
  const list = c.cells.split(',').map((s) => s.trim());
  const bad = list.find((s) => s !== 'gru' && s !== 'lstm');
  if (bad !== undefined || !list.length) throw new ValueError('--cells', 'a comma-separated list among lstm,gru', JSON.stringify(c.cells));
  return list as ('gru' | 'lstm')[];
}

/** Run the decode task in a new run folder (flags over --config over the preset). */
export async function runDecodeTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'decode' }, source: { kind: 'flag' } });
  const c = validate(decodeSchema, layered, DECODE_KEYS, 'recur train (decode task)');
  splitsOf(c, io.cwd);
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, { ...c, cwd: io.cwd }, io);
  return trainDecode(c, io.cwd, run, io);
}

/** Continue a stopped or killed decode run: finished folds are reused, the rest computed. */
export async function resumeDecodeTask(run: RunDir, opts: Record<string, unknown>, io: Io): Promise<number> {
  if (opts.epochs !== undefined) throw new OptionError('--epochs', 'no --epochs with --resume of a decode run (its saved folds were trained with the saved epochs)', String(opts.epochs));
  const path = join(run.path, RUN_FILES.config);
  const { cwd, ...saved } = readJson(path) as Record<string, unknown>;
  const quiet = opts.quiet === undefined ? {} : { quiet: !!opts.quiet };
  const c = validate(decodeSchema, merge({ values: saved, source: { kind: 'file', path } }, { values: quiet, source: { kind: 'flag' } }), DECODE_KEYS, 'recur train --resume');
  return trainDecode(c, typeof cwd === 'string' ? cwd : io.cwd, run, io);
}

function progressLine(e: BmiProgress): string | null {
  if (e.kind === 'start') return `decoding: ${e.jobs} folds on the ${e.backend} backend`;
  if (e.kind !== 'fold_end') return null;
  const rnn = Object.entries(e.rnn).map(([k, v]) => `${k.toUpperCase()} ${v.toFixed(3)}`).join(', ');
  return `${e.split} fold ${e.fold + 1}/${e.folds}: Wiener ${e.wiener.toFixed(3)}, Kalman ${e.kalman.toFixed(3)}, ${rnn}${e.reused ? ' (saved)' : ` (${(e.ms / 1000).toFixed(1)} s)`}`;
}

async function trainDecode(c: DecodeConfig, cwd: string, run: RunDir, io: Io): Promise<number> {
  const { splits, lags } = splitsOf(c, cwd);
  const stop = onInterrupt(() => io.err('stopping: the fold in progress is dropped, finished folds are kept…\n'));
  try {
    const events = join(run.path, RUN_FILES.events);
    appendJsonl(events, { type: 'run_start', task: 'decode', resume: !run.staged, time: Date.now() });
    const cells = cellsOf(c);
    const r = await runBmi({
      splits, ...(lags === undefined ? {} : { lags }), ...(c.inputCols ? { inputs: c.inputCols } : {}), ...(c.targetCols ? { targets: c.targetCols } : {}),
      ...(c.cv === undefined ? {} : { folds: c.cv }), ...(cells ? { cells } : {}), ...(c.hidden === undefined ? {} : { hiddenGrid: [c.hidden] }),
      ...(c.dropout === undefined ? {} : { dropoutGrid: [c.dropout] }), seeds: c.seeds, epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, patience: c.patience, seed: c.seed,
      stateDir: run.path, stop,
      onProgress: (e) => {
        appendJsonl(events, { ...e, type: e.kind, time: Date.now() });
        const line = c.quiet ? null : progressLine(e);
        if (line) io.err(`${line}\n`);
      },
    });
    if (!r) {
      return stopRun(run, events, io, 'finished folds are saved');
    }
    const table = formatSummary(r.summary);
    const metrics = { task: 'decode', summary: r.summary.map((s) => ({ ...s, streaming: s.streaming })), settings: r.settings, timings: r.timings };
    return finishRun(run, events, io, { metrics, table, report: bmiReport(c, r) });
  } catch (e) {
    abortRunDir(run);
    throw e;
  } finally {
    stop.dispose();
  }
}

/** A finished decode run: its saved config, splits, fold decoders and the settings it was trained with. */
function openDecodeRun(dir: string, command: string, io: Io) {
  const run = openFinishedRun(resolve(io.cwd, dir), command);
  const path = join(run.path, RUN_FILES.config);
  const { cwd, ...saved } = readJson(path) as Record<string, unknown>;
  const c = validate(decodeSchema, merge({ values: saved, source: { kind: 'file', path } }), DECODE_KEYS, `recur ${command}`);
  const { splits } = splitsOf(c, typeof cwd === 'string' ? cwd : io.cwd);
  const metricsPath = join(run.path, RUN_FILES.metrics);
  const settings = checkSchema(z.object({ folds: int, lags: int, inputs: z.string(), targets: z.string() }), (readJson(metricsPath) as { settings?: unknown }).settings, `${metricsPath}: settings`);
  const files = splits.flatMap((s) => (s.kind === 'cv' ? [s.file] : [s.trainFile, s.testFile]));
  return { splits, settings, files, decoders: loadRunDecoders(run.path, splits) };
}

/** `recur eval --run DIR [--csv FILE]` for a decode run: R² of every decoder (see src/recipes/bmi/inference.ts). */
export async function evalDecode(o: EvalOpts, io: Io): Promise<{ json: unknown; text: string }> {
  onlyFor('decode', o, ['part']);
  const r = openDecodeRun(o.run, 'eval', io);
  const csv = o.csv ? resolve(io.cwd, o.csv) : null;
  const e = csv ? evalDecodeFile(r.decoders, csv, r.settings.inputs, r.files.includes(csv)) : evalOwnFolds(r.decoders, r.splits, r.settings);
  return { json: { run: resolve(io.cwd, o.run), file: e.file, bins: e.bins, decoded: e.decoded, foldDecoders: e.models, scores: e.scores }, text: e.text };
}

/** `recur predict --run DIR --csv FILE [--out PRED.csv]` for a decode run: one row per bin, decoded causally. */
export function predictDecode(o: PredictOpts, io: Io): { csv: string; rows: number } {
  onlyFor('decode', o, ['fasta', 'seqCol', 'idCol', 'calcium', 'all']);
  if (!o.csv) throw new OptionError('--csv', 'a recording to decode (the columns the run was trained on), for a decode run', 'no --csv');
  const r = openDecodeRun(o.run, 'predict', io);
  const out = predictDecodeFile(r.decoders, resolve(io.cwd, o.csv), r.settings.inputs);
  if (o.out) writeFileAtomicSync(resolve(io.cwd, o.out), out.csv);
  return out;
}
