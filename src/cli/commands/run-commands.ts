/**
 * `recur eval`, `recur predict` and `recur report`: use a finished run folder, of either task.
 * A folder that is not a finished run (not a run, a stopped run, a killed run's staging folder)
 * is refused with what to do instead (exit 2); a finished run with a bad file gives exit 1.
 */
import { resolve, join } from 'node:path';
import { Command, Option } from 'commander';
import { FormatError, OptionError, setBackend, type BackendName } from '../../index.js';
import { evalForecastRun, predictForecastRun } from '../../recipes/forecast/index.js';
import { csvSequences, evalSpliceRun, fastaSequences, predictSpliceRun } from '../../recipes/splice/index.js';
import { RUN_FILES, openFinishedRun, readJson, writeJson, writeReport, type ReportData } from '../../recipes/common/index.js';
import type { Io } from './io.js';
import { predictSpikefinder } from './spikefinder-task.js';
import { predictStability } from './protein-task.js';

/** The task of a finished run. */
function taskOf(dir: string, command: string): 'splice' | 'forecast' | 'spikefinder' | 'stability' {
  const run = openFinishedRun(dir, command);
  const path = join(run.path, RUN_FILES.config);
  const task = (readJson(path) as { task?: unknown }).task;
  if (task !== 'forecast' && task !== 'splice' && task !== 'spikefinder' && task !== 'stability') throw new FormatError(`${path}: "task"`, '"splice" or "forecast"', JSON.stringify(task));
  return task;
}

/** Refuse options of the other task (rather than ignoring them). */
function only(task: string, o: Record<string, unknown>, foreign: string[]): void {
  const k = foreign.find((f) => o[f] !== undefined);
  if (k) throw new OptionError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, `an option for this ${task} run`, `an option for ${task === 'splice' ? 'forecasting' : 'splice'} runs`);
}

const backendOption = (): Option => new Option('--backend <name>', 'compute backend').choices(['auto', 'native', 'wasm', 'ref']);

const EXIT = `

Exit status: 0 done; 1 bad data (a malformed input file, a damaged run file); 2 bad usage (bad options,
or --run pointing at something that is not a finished run: not a run folder, a run stopped with Ctrl-C
or a killed one; the message says how to continue it).`;

interface EvalOpts { run: string; csv?: string; part?: 'train' | 'val' | 'test'; out?: string; json?: boolean; backend?: BackendName }

export function evalCommand(io: Io): Command {
  return new Command('eval')
    .description("score a run's saved model(s) on its test data against the baselines (forecast: MAE, RMSE, nMAE, skill; splice: per-class error table)")
    .requiredOption('--run <dir>', 'run folder written by recur train')
    .option('--csv <file>', 'forecast runs: score every window of this CSV instead (same columns as the run)')
    .addOption(new Option('--part <part>', "forecast runs: split of the run's own data (default test)").choices(['train', 'val', 'test']).conflicts('csv'))
    .option('--out <file>', 'also write the scores as JSON to this file')
    .option('--json', 'print the scores as JSON')
    .addOption(backendOption())
    .addHelpText('after', `
A splice run is re-scored on its own test folds (rebuilt from its seed) with its saved networks: the
table printed by training, again.
Examples:
  $ recur eval --run runs/wind-t1
  $ recur eval --run runs/wind-t1 --part val --json
  $ recur eval --run runs/wind-t1 --csv other-turbine.csv --out scores.json
  $ recur eval --run runs/splice-cv10${EXIT}`)
    .action(async (o: EvalOpts) => {
      if (o.backend) setBackend(o.backend);
      const task = taskOf(o.run, 'eval');
      if (task === 'spikefinder' || task === 'stability') throw new OptionError('recur eval', `a forecast or splice run (a ${task} run's scores are in its table.txt and report.html)`, `a ${task} run`);
      const payload = task === 'forecast' ? evalForecast(o, io) : await evalSplice(o);
      if (o.out) writeJson(resolve(io.cwd, o.out), payload.json);
      io.out(o.json ? `${JSON.stringify(payload.json, null, 2)}\n` : `${payload.text}\n`);
      io.exitCode = 0;
    });
}

function evalForecast(o: EvalOpts, io: Io): { json: unknown; text: string } {
  const r = evalForecastRun(o.run, { ...(o.csv ? { csvPath: resolve(io.cwd, o.csv) } : {}), ...(o.part ? { part: o.part } : {}) });
  return { json: { run: resolve(io.cwd, o.run), windows: r.windows, methods: r.methods, scores: r.scores }, text: r.summary };
}

async function evalSplice(o: EvalOpts): Promise<{ json: unknown; text: string }> {
  only('splice', o as unknown as Record<string, unknown>, ['csv', 'part']);
  const r = await evalSpliceRun(o.run);
  return { json: { run: resolve(o.run), protocol: r.protocol, systems: r.systems, comparison: r.comparison }, text: r.table };
}

interface PredictOpts { run: string; protein?: string; variant?: string; calcium?: string; csv?: string; all?: boolean; out?: string; fasta?: string; seqCol?: string; idCol?: string; backend?: BackendName }

export function predictCommand(io: Io): Command {
  return new Command('predict')
    .description('forecast runs: forecast the next horizon steps from the latest window of a CSV (or every window); splice runs: label new sequences')
    .requiredOption('--run <dir>', 'run folder written by recur train')
    .option('--csv <file>', "input CSV (forecast: the run's columns, default the run's own data; splice: with --seq-col)")
    .option('--all', 'forecast runs: forecast from every window, not only the last')
    .option('--fasta <file>', 'splice runs: sequences to label (60 nt each)')
    .option('--seq-col <name>', 'splice runs: the --csv column holding the sequences')
    .option('--id-col <name>', 'splice runs: the --csv column naming each sequence (default: the row number)')
    .option('--calcium <file>', 'spikefinder runs: calcium CSV (header 0..N-1, 100 Hz rows); writes spike rates in its layout')
    .option('--protein <id>', 'stability runs: a protein of the run\'s data to map (in-silico saturation mutagenesis, L × 20 ΔΔG)')
    .addOption(new Option('--variant <name>', 'stability runs: the saved networks to use (default seq; rsa needs --protein)').choices(['seq', 'rsa']))
    .option('--out <file>', 'write the predictions as CSV to this file (default: stdout)')
    .addOption(backendOption())
    .addHelpText('after', `
Forecast output columns: origin (time of the last input row), time (forecast time), horizon, one column per target.
Splice output columns: id, label (the most probable class), p_EI, p_IE, p_N. The probabilities are the
average of every saved network of the run (each fold's ensemble members, all folds).
Examples:
  $ recur predict --run runs/wind-t1
  $ recur predict --run runs/wind-t1 --csv latest.csv --all --out forecasts.csv
  $ recur predict --run runs/splice-cv10 --fasta windows.fa --out labels.csv
  $ recur predict --run runs/splice-cv10 --csv windows.csv --seq-col sequence --id-col name
  $ recur predict --run runs/stability --protein 1div_A --out 1div.csv   # also writes 1div.html (heatmap)${EXIT}`)
    .action((o: PredictOpts) => {
      if (o.backend) setBackend(o.backend);
      const task = taskOf(o.run, 'predict');
      if (task !== 'stability' && (o.protein || o.variant)) throw new OptionError(o.protein ? '--protein' : '--variant', 'an option for a stability run', `an option given to a ${task} run`);
      const r = task === 'stability' ? predictStability(o, io) : task === 'spikefinder' ? predictSpikefinder(o, io) : task === 'forecast' ? predictForecast(o, io) : predictSplice(o, io);
      if (o.out) io.err(`wrote ${r.rows} predictions to ${o.out}\n`);
      else io.out(r.csv);
      io.exitCode = 0;
    });
}

function predictForecast(o: PredictOpts, io: Io): { csv: string; rows: number } {
  only('forecast', o as unknown as Record<string, unknown>, ['fasta', 'seqCol', 'idCol', 'calcium']);
  return predictForecastRun(o.run, { ...(o.csv ? { csvPath: resolve(io.cwd, o.csv) } : {}), all: !!o.all, ...(o.out ? { out: resolve(io.cwd, o.out) } : {}) });
}

function predictSplice(o: PredictOpts, io: Io): { csv: string; rows: number } {
  only('splice', o as unknown as Record<string, unknown>, ['all', 'calcium']);
  if (!o.fasta === !o.csv) throw new OptionError('recur predict', 'one input for a splice run: --fasta FILE, or --csv FILE --seq-col NAME', o.fasta ? 'both' : 'neither');
  if (o.csv && !o.seqCol) throw new OptionError('--seq-col', 'the column of --csv holding the sequences', 'none');
  if (o.fasta && (o.seqCol || o.idCol)) throw new OptionError(o.seqCol ? '--seq-col' : '--id-col', 'a column option together with --csv', 'it with --fasta');
  const seqs = o.fasta ? fastaSequences(resolve(io.cwd, o.fasta)) : csvSequences(resolve(io.cwd, o.csv!), o.seqCol!, o.idCol);
  const r = predictSpliceRun(o.run, seqs, o.out ? { out: resolve(io.cwd, o.out) } : {});
  return { csv: r.csv, rows: r.rows.length };
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
  $ recur report --run runs/wind-t1 --out /tmp/wind.html${EXIT}`)
    .action((o: { run: string; out?: string }) => {
      const run = openFinishedRun(o.run, 'report');
      const path = join(run.path, RUN_FILES.reportData);
      const data = readJson(path) as ReportData;
      if (typeof data?.title !== 'string' || typeof data.kind !== 'string') throw new FormatError(path, 'report data with a title and kind', 'something else');
      const out = o.out ? resolve(io.cwd, o.out) : join(run.path, RUN_FILES.report);
      writeReport(out, data);
      io.out(`${out}\n`);
      io.exitCode = 0;
    });
}
