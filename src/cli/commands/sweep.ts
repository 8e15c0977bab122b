/**
 * `recur sweep --config sweep.yaml`: grid/random search over forecasting options and seeds, each
 * trial an ordinary run folder under runs/<sweep>/, on a local pool of worker processes or (with
 * --redis) on `recur worker` processes anywhere; ends with a leaderboard (HTML and terminal).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { OptionError } from '../../index.js';
import { PRESETS, type ForecastConfig } from '../../recipes/forecast/index.js';
import { writeJson } from '../../recipes/common/index.js';
import { checkOptions, expandTrials, fleetTrials, leaderboardText, rankPoints, runLocalPool, runQueueSweep, sweepSchema, writeLeaderboard, type SweepOutcome, type Trial } from '../../sweep/index.js';
import { readConfigFile } from '../config.js';
import { parseIntArg } from '../options.js';
import { dataDir, packageRoot } from '../paths.js';
import type { Io } from './io.js';

/** The base configuration of a sweep file, with its csv made absolute. */
function baseConfig(base: string | Record<string, unknown>, sweepFile: string): Record<string, unknown> {
  const from = typeof base === 'string' ? resolve(dirname(sweepFile), base) : sweepFile;
  const b = typeof base === 'string' ? readConfigFile(from) : base;
  const preset = typeof b.preset === 'string' ? (PRESETS as Record<string, Record<string, unknown>>)[b.preset] : undefined;
  if (b.preset !== undefined && !preset) throw new OptionError(`${from}: "preset"`, `one of ${Object.keys(PRESETS).join(', ')}`, JSON.stringify(b.preset));
  const merged: Record<string, unknown> = { ...(preset ?? {}), ...b };
  if (typeof merged.csv === 'string') merged.csv = b.csv !== undefined ? resolve(dirname(from), merged.csv) : resolve(dataDir(b.dataDir as string | undefined), merged.csv);
  return merged;
}

/** Run trials locally or on the queue, write the leaderboard, print it; exit 1 when a trial failed. */
export async function runTrials(dir: string, name: string, trials: Trial[], o: { redis?: string; workers?: number; fleet?: boolean }, io: Io): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const log = (s: string): void => io.err(`${s}\n`);
  const out: SweepOutcome = o.redis
    ? await runQueueSweep(o.redis, dir, name, trials, { log })
    : await runLocalPool(dir, trials, { workers: o.workers, bin: join(packageRoot(), 'bin', 'recur.js'), log });
  const html = writeLeaderboard(dir, name, out.results, { facts: [['mode', o.redis ? `BullMQ queue on ${o.redis.replace(/\/\/[^@]*@/, '//***@')}` : `local pool`], ['wall time', `${out.seconds.toFixed(1)} s`]] });
  if (io.json) io.out(`${JSON.stringify({ sweep: name, dir, seconds: out.seconds, points: rankPoints(out.results), failed: out.failed }, null, 2)}\n`);
  else io.out(`${leaderboardText(rankPoints(out.results), out.results.length, o.fleet)}\n${out.failed.length ? `\n${out.failed.length} trial(s) FAILED: ${out.failed.map((f) => `${f.trial} (${f.error})`).join('; ')}\n` : ''}\nwall time ${out.seconds.toFixed(1)} s\nleaderboard: ${html}\n`);
  return out.failed.length ? 1 : 0;
}

export function sweepCommand(io: Io): Command {
  return new Command('sweep')
    .description('grid/random search over forecasting options and seeds: each trial a run folder, then a leaderboard (local worker pool, or BullMQ on Redis)')
    .requiredOption('--config <file>', 'the sweep file (YAML or JSON): name, base, grid, random, seeds')
    .addOption(new Option('--workers <n>', 'local mode: worker processes (default: one per core)').argParser(parseIntArg).conflicts('redis'))
    .option('--redis <url>', 'distributed mode: enqueue on this Redis (redis://[:password@]host:port[/db], rediss:// for TLS) and wait for `recur worker`s')
    .option('--runs-dir <dir>', 'parent of the sweep folder (default: the base config\'s runsDir, else runs)')
    .option('--json', 'print the ranked points as JSON')
    .addHelpText('after', `
Sweep file:
  name: lr-hidden                 # runs/<name>/<trial>/ for every trial
  base: forecast.yaml             # a recur train config file (relative to this one), or an inline mapping
  grid: { hidden: [16, 32], lr: [0.001, 0.003] }
  random: { trials: 4, space: { lr: { logUniform: [0.0001, 0.01] }, cell: { choice: [gru, lstm] } } }
  seeds: [0, 1, 2]
Trials are ranked by their mean best validation loss over seeds; test skill against persistence is
shown with its spread over seeds, never used to rank. Finished trials are not rerun.
Examples:
  $ recur sweep --config sweep.yaml --workers 2
  $ recur sweep --config sweep.yaml --redis redis://queue-host:6379      # then: recur worker --redis ... on each machine
Exit status: 0 done, 1 a trial failed or bad data, 2 bad options.`)
    .action(async (o: { config: string; workers?: number; redis?: string; runsDir?: string; json?: boolean }) => {
      io.json = !!o.json;
      const file = resolve(io.cwd, o.config);
      const spec = checkOptions(sweepSchema, readConfigFile(file), file, Object.keys(sweepSchema.shape));
      const base = baseConfig(spec.base, file);
      const runsDir = resolve(io.cwd, o.runsDir ?? (typeof base.runsDir === 'string' ? base.runsDir : 'runs'));
      const trials = expandTrials(spec, base, runsDir);
      const dir = join(runsDir, spec.name);
      mkdirSync(dir, { recursive: true });
      writeJson(join(dir, 'sweep.json'), { spec, trials: trials.map((t) => ({ id: t.id, point: t.point, seed: t.seed, overrides: t.overrides })) });
      io.err(`sweep ${spec.name}: ${trials.length} trial(s) (${new Set(trials.map((t) => t.point)).size} point(s) × ${spec.seeds.length} seed(s)) in ${dir}\n`);
      io.exitCode = await runTrials(dir, spec.name, trials, o, io);
    });
}

/** `recur train --per-group`: one model per series, as trials on the local pool or the queue. */
export async function trainFleet(config: ForecastConfig, o: { redis?: string; workers?: number }, io: Io): Promise<number> {
  const runsDir = resolve(io.cwd, config.runsDir);
  const { name, trials } = fleetTrials(config, runsDir);
  io.err(`fleet ${name}: one model per series, ${trials.length} series, in ${join(runsDir, name)}\n`);
  return runTrials(join(runsDir, name), name, trials, { ...o, fleet: true }, io);
}
