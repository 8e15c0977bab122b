/** `recur eval`, `recur predict` and `recur report`: use a finished run folder. */
import { resolve, join } from 'node:path';
import { Command, Option } from 'commander';
import { ValueError, setBackend, type BackendName } from '../../index.js';
import { evalForecastRun, predictForecastRun } from '../../recipes/forecast/index.js';
import { RUN_FILES, openRunDir, readJson, writeJson, writeReport, type ReportData } from '../../recipes/common/index.js';
import type { Io } from './io.js';

function requireForecastRun(dir: string, command: string): void {
  const run = openRunDir(dir);
  const task = (readJson(join(run.path, RUN_FILES.config)) as { task?: unknown }).task;
  if (task !== 'forecast') throw new ValueError(`recur ${command} --run`, 'a forecasting run (task "forecast")', `task ${JSON.stringify(task)}`);
}

const backendOption = (): Option => new Option('--backend <name>', 'compute backend').choices(['auto', 'ref', 'native']);

export function evalCommand(io: Io): Command {
  return new Command('eval')
    .description("score a run's model against the baselines (MAE, RMSE, nMAE, skill vs persistence)")
    .requiredOption('--run <dir>', 'run folder written by recur train')
    .option('--csv <file>', 'score every window of this CSV instead (same columns as the run)')
    .addOption(new Option('--part <part>', "split of the run's own data (default test)").choices(['train', 'val', 'test']).conflicts('csv'))
    .option('--out <file>', 'also write the scores as JSON to this file')
    .option('--json', 'print the scores as JSON')
    .addOption(backendOption())
    .addHelpText('after', `
Examples:
  $ recur eval --run runs/wind-t1
  $ recur eval --run runs/wind-t1 --part val --json
  $ recur eval --run runs/wind-t1 --csv other-turbine.csv --out scores.json`)
    .action((o: { run: string; csv?: string; part?: 'train' | 'val' | 'test'; out?: string; json?: boolean; backend?: BackendName }) => {
      if (o.backend) setBackend(o.backend);
      requireForecastRun(o.run, 'eval');
      const r = evalForecastRun(o.run, { ...(o.csv ? { csvPath: resolve(io.cwd, o.csv) } : {}), ...(o.part ? { part: o.part } : {}) });
      const payload = { run: resolve(io.cwd, o.run), windows: r.windows, methods: r.methods, scores: r.scores };
      if (o.out) writeJson(resolve(io.cwd, o.out), payload);
      io.out(o.json ? `${JSON.stringify(payload, null, 2)}\n` : `${r.summary}\n`);
      io.exitCode = 0;
    });
}

export function predictCommand(io: Io): Command {
  return new Command('predict')
    .description('forecast the next horizon steps from the latest window of a CSV (or every window)')
    .requiredOption('--run <dir>', 'run folder written by recur train')
    .option('--csv <file>', "input CSV with the run's columns (default: the run's own data)")
    .option('--all', 'forecast from every window, not only the last')
    .option('--out <file>', 'write the forecasts as CSV to this file (default: stdout)')
    .addOption(backendOption())
    .addHelpText('after', `
Output columns: origin (time of the last input row), time (forecast time), horizon, one column per target.
Examples:
  $ recur predict --run runs/wind-t1
  $ recur predict --run runs/wind-t1 --csv latest.csv --all --out forecasts.csv`)
    .action((o: { run: string; csv?: string; all?: boolean; out?: string; backend?: BackendName }) => {
      if (o.backend) setBackend(o.backend);
      requireForecastRun(o.run, 'predict');
      const r = predictForecastRun(o.run, { ...(o.csv ? { csvPath: resolve(io.cwd, o.csv) } : {}), all: !!o.all, ...(o.out ? { out: resolve(io.cwd, o.out) } : {}) });
      if (o.out) io.err(`wrote ${r.rows} forecasts to ${o.out}\n`);
      else io.out(r.csv);
      io.exitCode = 0;
    });
}

export function reportCommand(io: Io): Command {
  return new Command('report')
    .description("(re)draw a run's self-contained HTML report from its report-data.json")
    .requiredOption('--run <dir>', 'run folder')
    .option('--out <file>', 'where to write the HTML (default: <run>/report.html)')
    .addHelpText('after', `
The report is one HTML file with the charting library inlined: it opens offline.
Examples:
  $ recur report --run runs/wind-t1
  $ recur report --run runs/wind-t1 --out /tmp/wind.html`)
    .action((o: { run: string; out?: string }) => {
      const run = openRunDir(o.run);
      const data = readJson(join(run.path, RUN_FILES.reportData)) as ReportData;
      if (typeof data?.title !== 'string' || typeof data.kind !== 'string') throw new ValueError(join(run.path, RUN_FILES.reportData), 'report data with a title and kind', 'something else');
      const out = o.out ? resolve(io.cwd, o.out) : join(run.path, RUN_FILES.report);
      writeReport(out, data);
      io.out(`${out}\n`);
      io.exitCode = 0;
    });
}
