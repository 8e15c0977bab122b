/**
 * `recur train --preset spike-history`: the spike-history recipe (src/recipes/spikehistory) on
 * its seeded simulator. Writes config.json, metrics.json, table.txt, report-data.json and
 * report.html (rasters, history curves). It runs in about a minute and is not resumable.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { formatSpikeHistory, runSpikeHistory, spikeHistoryReport } from '../../recipes/spikehistory/index.js';
import { RUN_FILES, abortRunDir, appendJsonl } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { finishRun, startRun } from './finish-run.js';
import type { Io } from './io.js';

const int = z.number().int();
const schema = z.strictObject({
  task: z.literal('spike-history'),
  preset: z.literal('spike-history'),
  seed: int.optional(),
  seeds: int.optional(),
  hidden: int.optional(),
  epochs: int.optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});

export const SPIKE_HISTORY_KEYS = Object.keys(schema.shape);

export async function runSpikeHistoryTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json', 'task'].includes(k)));
  const layered = merge({ values: { ...file, task: undefined }, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'spike-history' }, source: { kind: 'flag' } });
  const c = validate(schema, layered, SPIKE_HISTORY_KEYS, 'recur train --preset spike-history');
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, c, io);
  try {
    const events = join(run.path, RUN_FILES.events);
    appendJsonl(events, { type: 'run_start', task: 'spike-history', time: Date.now() });
    const r = runSpikeHistory({
      ...(c.seed === undefined ? {} : { seed: c.seed }), ...(c.seeds === undefined ? {} : { seeds: c.seeds }),
      ...(c.hidden === undefined ? {} : { hidden: c.hidden }), ...(c.epochs === undefined ? {} : { epochs: c.epochs }),
      onProgress: (line) => {
        appendJsonl(events, { type: 'progress', line, time: Date.now() });
        if (!c.quiet) io.err(`${line}\n`);
      },
    });
    const table = formatSpikeHistory(r);
    const { stimulus: _s, glmHistory: _g, ...rest } = r;
    const metrics = { task: 'spike-history', ...rest, models: r.models.map(({ raster: _r, ratio: _q, ...m }) => m), truth: { ...r.truth, raster: undefined, ratio: undefined } };
    return finishRun(run, events, io, { metrics, table, report: spikeHistoryReport(c, r) });
  } catch (e) {
    abortRunDir(run);
    throw e;
  }
}
