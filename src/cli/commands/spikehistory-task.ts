/**
 * `recur train --preset spike-history`: the spike-history recipe (src/recipes/spikehistory) on
 * its seeded simulator. The run folder gets config.json, events.jsonl, the fitted models
 * (models.json: PSTH and GLM; gru-K.safetensors: GRU seed K, written as each finishes, reused by
 * --resume), metrics.json, table.txt, report-data.json and report.html (rasters, history curves).
 * `recur eval` re-scores the saved models on test trials simulated from --seed (the run's own seed
 * gives its table again) or on a spike-train CSV; `recur predict` writes each model's per-bin λ.
 */
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { FormatError, OptionError, writeFileAtomicSync } from '../../index.js';
import {
  formatSpikeHistory, runStimulus, loadAllGrus, loadBaselines, predictSpikeCsv, readSpikeCsv, runSpikeHistory, scoreSpikeCsv, scoreSpikeHistory, spikeHistoryReport, spikeSettings,
  type Fitted, type SpikeHistoryOptions, type SpikeHistoryResult,
} from '../../recipes/spikehistory/index.js';
import { RUN_FILES, abortRunDir, appendJsonl, onInterrupt, openFinishedRun, readJson, textTable, type RunDir } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { finishRun, progressLog, startRun, stopRun } from './finish-run.js';
import { onlyFor, type EvalOpts, type PredictOpts } from './run-options.js';
import type { Io } from './io.js';

/** Flags of this task only (--seed, --seeds, --hidden and --epochs are shared). */
export function spikeHistoryOptions(): Option[] {
  return [
    new Option('--adaptation <kind>', "spike-history task: how the simulated neuron adapts, 'additive' (log-rate, the GLM's own form) or 'gain' (also divides the stimulus drive; default additive)").choices(['additive', 'gain']),
  ];
}

const int = z.number().int();
const schema = z.strictObject({
  task: z.literal('spike-history'),
  preset: z.literal('spike-history'),
  seed: int.optional(),
  seeds: int.min(1).optional(),
  hidden: int.min(1).optional(),
  epochs: int.min(1).optional(),
  adaptation: z.enum(['additive', 'gain']).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
type SpikeConfig = z.output<typeof schema>;

export const SPIKE_HISTORY_KEYS = Object.keys(schema.shape);

function optionsOf(c: SpikeConfig): SpikeHistoryOptions {
  return {
    ...(c.seed === undefined ? {} : { seed: c.seed }), ...(c.seeds === undefined ? {} : { seeds: c.seeds }),
    ...(c.hidden === undefined ? {} : { hiddenGrid: [c.hidden] }), ...(c.epochs === undefined ? {} : { epochs: c.epochs }),
    ...(c.adaptation === undefined ? {} : { neuron: { adaptation: c.adaptation } }),
  };
}

export async function runSpikeHistoryTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json', 'task'].includes(k)));
  const layered = merge({ values: { ...file, task: undefined }, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'spike-history' }, source: { kind: 'flag' } });
  const c = validate(schema, layered, SPIKE_HISTORY_KEYS, 'recur train --preset spike-history');
  spikeSettings(optionsOf(c));
  return train(c, startRun(resolve(io.cwd, c.runsDir), c.name, c, io), io);
}

/** Continue a stopped or killed run: the saved PSTH/GLM and finished GRU seeds are reused. */
export async function resumeSpikeHistoryTask(run: RunDir, opts: Record<string, unknown>, io: Io): Promise<number> {
  if (opts.epochs !== undefined) throw new OptionError('--epochs', 'no --epochs with --resume of a spike-history run (its saved GRUs were trained with the saved epochs)', String(opts.epochs));
  const path = join(run.path, RUN_FILES.config);
  const quiet = opts.quiet === undefined ? {} : { quiet: !!opts.quiet };
  const c = validate(schema, merge({ values: readJson(path) as Record<string, unknown>, source: { kind: 'file', path } }, { values: quiet, source: { kind: 'flag' } }), SPIKE_HISTORY_KEYS, 'recur train --resume');
  return train(c, run, io);
}

async function train(c: SpikeConfig, run: RunDir, io: Io): Promise<number> {
  const stop = onInterrupt(() => io.err('stopping after the GRU seed in progress; finished fits are kept…\n'));
  try {
    const events = join(run.path, RUN_FILES.events);
    appendJsonl(events, { type: 'run_start', task: 'spike-history', resume: !run.staged, time: Date.now() });
    const r = runSpikeHistory({
      ...optionsOf(c), stateDir: run.path, stop,
      onProgress: progressLog(events, c.quiet, io),
    });
    if (!r) {
      return stopRun(run, events, io, 'finished fits are saved');
    }
    return finishRun(run, events, io, { metrics: metricsOf(r), table: formatSpikeHistory(r), report: spikeHistoryReport(c, r) });
  } catch (e) {
    abortRunDir(run);
    throw e;
  } finally {
    stop.dispose();
  }
}

function metricsOf(r: SpikeHistoryResult): unknown {
  const { stimulus: _s, glmHistory: _g, ...rest } = r;
  return { task: 'spike-history', ...rest, models: r.models.map(({ raster: _r, ratio: _q, ...m }) => m), truth: { ...r.truth, raster: undefined, ratio: undefined } };
}

/** A finished run's config and fitted models. */
function openRun(dir: string, command: string, cwd: string): { f: Fitted; stim: Float64Array; st: ReturnType<typeof spikeSettings> } {
  const run = openFinishedRun(resolve(cwd, dir), command);
  const path = join(run.path, RUN_FILES.config);
  const c = validate(schema, merge({ values: readJson(path) as Record<string, unknown>, source: { kind: 'file', path } }), SPIKE_HISTORY_KEYS, `recur ${command}`);
  const st = spikeSettings(optionsOf(c));
  const base = loadBaselines(run.path);
  const grus = loadAllGrus(run.path);
  if (!base || grus.length !== st.seeds) throw new FormatError(run.path, `models.json and gru-1 … gru-${st.seeds}.safetensors (the run's fitted models)`, `${base ? '' : 'no models.json, '}${grus.length} GRU checkpoint(s)`);
  return { f: { ...base, grus }, stim: runStimulus(st), st };
}

/** `recur eval --run`: the run's table on test trials from --seed (default the run's), or bits/spike on --csv. */
export async function evalSpikeHistory(o: EvalOpts, io: Io): Promise<{ json: unknown; text: string }> {
  onlyFor('spike-history', o, ['part']);
  const { f, stim, st } = openRun(o.run, 'eval', io.cwd);
  if (o.csv) {
    if (o.seed !== undefined) throw new OptionError('--seed', 'no --seed with --csv (the CSV is scored as it is)', String(o.seed));
    const sc = scoreSpikeCsv(f, stim, readSpikeCsv(resolve(io.cwd, o.csv), o.csv));
    const fmt = (v: number[] | null): string => (v ? v.map((x) => x.toFixed(3)).join(', ') : 'n/a (not the run\'s stimulus)');
    const text = [`${sc.file}: ${sc.trials} trial(s), ${sc.bins} bins, ${sc.spikes} spikes; bits/spike against the run's homogeneous training rate`, textTable(['model', 'bits/spike (GRU: per seed)'], sc.models.map((m) => [m.name, fmt(m.bitsPerSpike)]))].join('\n');
    return { json: sc, text };
  }
  const r = scoreSpikeHistory(st, f, o.seed ?? st.seed);
  return { json: metricsOf(r), text: formatSpikeHistory(r) };
}

/** `recur predict --run --csv`: per-bin λ of every saved model. */
export function predictSpikeHistory(o: PredictOpts, io: Io): { csv: string; rows: number } {
  onlyFor('spike-history', o, ['all', 'fasta', 'seqCol', 'idCol', 'calcium']);
  if (!o.csv) throw new OptionError('--csv', 'a spike-train CSV (columns stimulus,spike; optional trial) for a spike-history run', 'none');
  const { f, stim } = openRun(o.run, 'predict', io.cwd);
  const r = predictSpikeCsv(f, stim, readSpikeCsv(resolve(io.cwd, o.csv), o.csv));
  if (o.out) writeFileAtomicSync(resolve(io.cwd, o.out), r.csv);
  return r;
}
