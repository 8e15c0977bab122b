/**
 * `recur train --preset physionet2012` and `recur train --task irregular --csv FILE --labels FILE`:
 * mortality-style binary prediction from irregular long-format series (id, time, variable, value)
 * with the ICU recipe (src/recipes/icu): logistic baselines and GRU-D / GRU-Simple / GRU-Mean /
 * GRU-Forward under stratified k-fold CV. The run folder gets config.json, results.json (per-fold
 * scores and out-of-fold predictions), metrics.json, table.txt and report.html. No checkpoints:
 * a stopped run is rerun, not resumed.
 */
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { OptionError, getBackend, writeFileAtomicSync } from '../../index.js';
import {
  DEFAULT_CONFIG, METHOD_KINDS, loadIrregularCsv, loadPhysionet2012, runIcu, icuReport, saveResults, summaryText, type IcuConfig, type IrregularData,
} from '../../recipes/icu/index.js';
import { RUN_FILES, abortRunDir, commitRunDir, writeJson, writeReport } from '../../recipes/common/index.js';
import { merge, validate } from '../config.js';
import { parseIntArg } from '../options.js';
import { dataDir } from '../paths.js';
import { startRun } from './finish-run.js';
import type { Io } from './io.js';

const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** Options only the irregular task reads (it also takes --csv, --epochs, --hidden, --lr, ...). */
export function irregularOptions(): Option[] {
  return ([
    new Option('--labels <file>', 'irregular task: CSV id,label (0/1), one row per id of --csv'),
    new Option('--label-col <name>', 'irregular task: the label column of --labels (default: the second)'),
    new Option('--static <name>', 'irregular task: a variable read as a static descriptor (repeat or comma-list)').argParser(list),
    new Option('--hours <n>', 'irregular task: hours of history, binned hourly (default 48)').argParser(parseIntArg),
    new Option('--methods <list>', `irregular task: comma-list of ${METHOD_KINDS.join(', ')}`).argParser(list),
    // --folds is shared with the spikefinder task (its Option lives in spikefinder-task.ts): here stratified CV folds, default 5.
    new Option('--folds-to-run <n>', 'irregular task: run only the first n folds (quick looks)').argParser(parseIntArg),
  ]).map((o) => o.helpGroup('Irregular series options (--task irregular, --preset physionet2012):'));
}

const int = (min: number) => z.number().int().min(min);
const schema = z.strictObject({
  task: z.literal('irregular'),
  preset: z.literal('physionet2012').optional(),
  csv: z.string().min(1).optional(),
  labels: z.string().min(1).optional(),
  labelCol: z.string().min(1).optional(),
  static: z.array(z.string().min(1)).optional(),
  hours: int(1).optional(),
  methods: z.array(z.enum(METHOD_KINDS as unknown as [string, ...string[]])).min(1).optional(),
  folds: int(2).optional(),
  foldsToRun: int(1).optional(),
  epochs: int(1).optional(),
  patience: int(1).optional(),
  hidden: int(1).optional(),
  batchSize: int(1).optional(),
  lr: z.number().gt(0).lt(1).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  valFraction: z.number().gt(0).lt(0.5).optional(),
  seed: int(0).optional(),
  name: z.string().min(1).optional(),
  runsDir: z.string().min(1).default('runs'),
  quiet: z.boolean().default(false),
});
export const IRREGULAR_KEYS = Object.keys(schema.shape);
type IrregularCli = z.output<typeof schema>;

function loadData(c: IrregularCli, opts: Record<string, unknown>, io: Io): { data: IrregularData; source: string } {
  if (c.preset === 'physionet2012') {
    if (c.csv || c.labels) throw new OptionError('--preset physionet2012', 'no --csv/--labels (the preset reads set A from --data-dir)', 'both');
    const dir = join(dataDir(opts['dataDir'] as string | undefined), 'icu-physionet2012');
    return { data: loadPhysionet2012(dir), source: dir };
  }
  if (!c.csv || !c.labels) throw new OptionError('--task irregular', '--csv FILE (id,time,variable,value) and --labels FILE (id,label)', `${c.csv ? '' : 'no --csv '}${c.labels ? '' : 'no --labels'}`.trim());
  const csv = resolve(io.cwd, c.csv);
  const labels = resolve(io.cwd, c.labels);
  return { data: loadIrregularCsv(csv, labels, { hours: c.hours, staticNames: c.static, labelColumn: c.labelCol }), source: csv };
}

export async function runIrregularTask(opts: Record<string, unknown>, file: Record<string, unknown>, configPath: string, io: Io): Promise<number> {
  const flags = Object.fromEntries(Object.entries(opts).filter(([k]) => !['config', 'resume', 'backend', 'json', 'dataDir'].includes(k)));
  const layered = merge({ values: file, source: { kind: 'file', path: configPath } }, { values: { ...flags, task: 'irregular' }, source: { kind: 'flag' } });
  const c = validate(schema, layered, IRREGULAR_KEYS, 'recur train (irregular task)');
  const t0 = Date.now();
  const { data, source } = loadData(c, opts, io);
  const cfg: IcuConfig = {
    ...DEFAULT_CONFIG, methods: (c.methods as IcuConfig['methods'] | undefined) ?? DEFAULT_CONFIG.methods, folds: c.folds ?? DEFAULT_CONFIG.folds,
    foldsToRun: c.foldsToRun, epochs: c.epochs ?? DEFAULT_CONFIG.epochs, patience: c.patience ?? DEFAULT_CONFIG.patience,
    hidden: c.hidden ?? DEFAULT_CONFIG.hidden, batchSize: c.batchSize ?? DEFAULT_CONFIG.batchSize, lr: c.lr ?? DEFAULT_CONFIG.lr,
    dropout: c.dropout ?? DEFAULT_CONFIG.dropout, valFraction: c.valFraction ?? DEFAULT_CONFIG.valFraction, seed: c.seed ?? DEFAULT_CONFIG.seed,
  };
  const run = startRun(resolve(io.cwd, c.runsDir), c.name, { ...c, resolved: cfg }, io);
  try {
    const log = c.quiet ? () => {} : (m: string) => io.err(`${m}\n`);
    const r = runIcu(data, cfg, log);
    saveResults(join(run.path, 'results.json'), r);
    const seconds = (Date.now() - t0) / 1000;
    const text = summaryText(r);
    writeFileAtomicSync(join(run.path, 'table.txt'), `${text}\n`);
    writeJson(join(run.path, RUN_FILES.metrics), { task: 'irregular', backend: getBackend().name, seconds, folds: r.folds });
    const title = c.preset ? 'ICU mortality, PhysioNet/CinC 2012 set A' : `Irregular series: ${source}`;
    writeReport(join(run.path, RUN_FILES.report), icuReport(r, { title, facts: [['Data', source], ['Wall time', `${seconds.toFixed(0)} s`], ['Backend', getBackend().name]] }));
    commitRunDir(run);
    io.out(io.json ? `${JSON.stringify({ seconds, folds: r.folds }, null, 2)}\n` : `${text}\n\nrun:    ${run.final}\nreport: ${join(run.final, RUN_FILES.report)}\n`);
    return 0;
  } catch (e) {
    abortRunDir(run);
    throw e;
  }
}
