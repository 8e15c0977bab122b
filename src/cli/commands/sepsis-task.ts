/**
 * `recur train --preset sepsis-pomdp`: the sepsis-POMDP recipe (src/recipes/sepsis) on its
 * simulator: exact reference values, a recurrent actor-critic and its memoryless control (per
 * seed), belief probes and off-policy evaluation. Writes config.json, metrics.json, table.txt,
 * report-data.json and report.html. Not resumable.
 */
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { OptionError } from '../../index.js';
import { formatSepsis, runSepsis, sepsisReport } from '../../recipes/sepsis/index.js';
import { RUN_FILES, abortRunDir, appendJsonl } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { parseIntArg, parseNumberArg } from '../options.js';
import { finishRun, progressLog, startRun } from './finish-run.js';
import type { Io } from './io.js';

/** The sepsis preset's own flags (it also reads --seed, --seeds, --hidden, --lr, --batch-size). */
export function sepsisOptions(): Option[] {
  return ([
    new Option('--rules <rules>', "sepsis-pomdp: simulator rules, master (the published code's glucose quirk) or v2 (corrected)").choices(['master', 'v2']),
    new Option('--learner <learner>', 'sepsis-pomdp: how both agents are trained: dagger (imitate the PBVI belief policy, default) or ppo').choices(['dagger', 'ppo']),
    new Option('--dagger-iterations <n>', 'sepsis-pomdp: DAgger iterations per agent (default 80)').argParser(parseIntArg),
    new Option('--ppo-iterations <n>', 'sepsis-pomdp: PPO iterations per agent (default 500)').argParser(parseIntArg),
    new Option('--eval-episodes <n>', 'sepsis-pomdp: fresh episodes scoring each agent (default 10000)').argParser(parseIntArg),
    new Option('--teacher-episodes <n>', 'sepsis-pomdp: episodes per belief-point collection for the PBVI teacher (default 2000)').argParser(parseIntArg),
    new Option('--bound-trials <n>', 'sepsis-pomdp: HSVI trials tightening the bounds on the best policy on the observation history (default 500; 0 keeps the point-based upper bound)').argParser(parseIntArg),
    new Option('--search-sweeps <n>', 'sepsis-pomdp: coordinate-ascent sweeps searching the best memoryless policy (default 10)').argParser(parseIntArg),
    new Option('--entropy <x>', 'sepsis-pomdp: PPO initial entropy bonus, decayed linearly to 0 (default 0.05)').argParser(parseNumberArg),
  ]).map((o) => o.helpGroup('Sepsis POMDP options (--preset sepsis-pomdp):'));
}

const int = z.number().int().positive();
const schema = z.strictObject({
  task: z.literal('sepsis-pomdp'),
  preset: z.literal('sepsis-pomdp').optional(),
  rules: z.enum(['master', 'v2']).optional(),
  learner: z.enum(['dagger', 'ppo']).default('dagger'),
  daggerIterations: int.optional(),
  seed: z.number().int().optional(),
  seeds: int.optional(),
  hidden: int.optional(),
  lr: z.number().positive().optional(),
  batchSize: int.optional(),
  ppoIterations: int.optional(),
  evalEpisodes: z.number().int().min(2).optional(),
  entropy: z.number().min(0).optional(),
  searchSweeps: int.optional(),
  teacherEpisodes: int.optional(),
  boundTrials: z.number().int().min(0).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
export const SEPSIS_KEYS = Object.keys(schema.shape);

export async function runSepsisTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'sepsis-pomdp' }, source: { kind: 'flag' } });
  const c = validate(schema, layered, SEPSIS_KEYS, 'recur train --preset sepsis-pomdp');
  const other = c.learner === 'ppo' ? c.daggerIterations !== undefined && '--dagger-iterations' : (c.ppoIterations ?? c.entropy) !== undefined && (c.ppoIterations !== undefined ? '--ppo-iterations' : '--entropy');
  if (other) throw new OptionError('recur train --preset sepsis-pomdp', `options of the chosen learner (--learner ${c.learner})`, other);
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, c, io);
  try {
    const events = join(run.path, RUN_FILES.events);
    appendJsonl(events, { type: 'run_start', task: 'sepsis-pomdp', time: Date.now() });
    const pick = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
    const r = runSepsis({
      ...pick('rules', c.rules), ...pick('seed', c.seed), ...pick('seeds', c.seeds), ...pick('hidden', c.hidden), ...pick('lr', c.lr),
      ...pick('batch', c.batchSize), ...pick('learner', c.learner), ...pick('iterations', c.learner === 'ppo' ? c.ppoIterations : c.daggerIterations), ...pick('evalEpisodes', c.evalEpisodes), ...pick('entropy', c.entropy), ...pick('sweeps', c.searchSweeps), ...pick('teacherEpisodes', c.teacherEpisodes), ...pick('boundTrials', c.boundTrials),
      onProgress: progressLog(events, c.quiet, io),
    });
    const metrics = { task: 'sepsis-pomdp', ...r, agents: r.agents.map(({ curve: _c, ...a }) => a), curves: r.agents.map((a) => ({ kind: a.kind, seed: a.seed, curve: a.curve })) };
    return finishRun(run, events, io, { metrics, table: formatSepsis(r), report: sepsisReport(c, r) });
  } catch (e) {
    abortRunDir(run);
    throw e;
  }
}
