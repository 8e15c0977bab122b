/**
 * `recur eval`, `recur predict` and `recur report`: use a finished run folder; what each does depends on the run's task (tasks.ts).
 * A folder that is not a finished run (not a run, a stopped run, a killed run's staging folder)
 * is refused with what to do instead (exit 2); a finished run with a bad file gives exit 1.
 */
import { resolve, join } from 'node:path';
import { Command, Option } from 'commander';
import { FormatError, OptionError, setBackend } from '../../index.js';
import { RUN_FILES, openFinishedRun, readJson, writeJson, writeReport, type ReportData } from '../../recipes/common/index.js';
import { TASKS, taskOfRun } from './tasks.js';
import type { EvalOpts, PredictOpts } from './run-options.js';
import { parseIntArg } from '../options.js';
import type { Io } from './io.js';

/** Refuse a command the run's task does not have, naming the tasks that have it. */
function unsupported(command: string, task: string, has: string[]): OptionError {
  return new OptionError(`recur ${command}`, `a run of ${has.join(', ')} (a ${task} run's scores are in its table.txt and report.html)`, `a ${task} run`);
}

const backendOption = (): Option => new Option('--backend <name>', 'compute backend').choices(['auto', 'native', 'wasm', 'ref']);

const EXIT = `

Exit status: 0 done; 1 bad data (a malformed input file, a damaged run file); 2 bad usage (bad options,
or --run pointing at something that is not a finished run: not a run folder, a run stopped with Ctrl-C
or a killed one; the message says how to continue it).`;


export function evalCommand(io: Io): Command {
  return new Command('eval')
    .description("score a run's saved model(s) on its test data against the baselines (forecast: MAE, RMSE, nMAE, skill; splice: per-class error table; decode: velocity R² of each decoder; spike-history: bits/spike, refractory violations, adaptation)")
    .requiredOption('--run <dir>', 'run folder written by recur train')
    .option('--csv <file>', 'forecast runs: score every window of this CSV instead (same columns as the run); decode runs: a recording with the run\'s unit and velocity columns; spike-history runs: a spike-train CSV (stimulus,spike[,trial])')
    .addOption(new Option('--part <part>', "forecast runs: split of the run's own data (default test)").choices(['train', 'val', 'test']).conflicts('csv'))
    .option('--seed <n>', 'spike-history runs: simulate the held-out trials from this seed (default the run\'s own: its table again)', parseIntArg)
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
  $ recur eval --run runs/splice-cv10
  $ recur eval --run runs/bmi-chewie --csv session2.csv   # decode: R² of Wiener, Kalman, the networks, the blend
  $ recur eval --run runs/spikes --seed 7              # spike-history: fresh held-out trials
  $ recur eval --run runs/spikes --csv trains.csv      # spike-history: columns stimulus,spike[,trial]${EXIT}`)
    .action(async (o: EvalOpts) => {
      if (o.backend) setBackend(o.backend);
      const task = taskOfRun(o.run, 'eval');
      if (!task.evaluate) throw unsupported('eval', task.name, TASKS.filter((t) => t.evaluate).map((t) => t.name));
      if (task.name !== 'spike-history' && o.seed !== undefined) throw new OptionError('--seed', 'an option for a spike-history run', `an option given to a ${task.name} run`);
      const payload = await task.evaluate(o, io);
      if (o.out) writeJson(resolve(io.cwd, o.out), payload.json);
      io.out(o.json ? `${JSON.stringify(payload.json, null, 2)}\n` : `${payload.text}\n`);
      io.exitCode = 0;
    });
}

export function predictCommand(io: Io): Command {
  return new Command('predict')
    .description('forecast runs: forecast the next horizon steps from the latest window of a CSV (or every window); splice runs: label new sequences; decode runs: velocities bin by bin (causal, streamed); spike-history runs: λ per bin of each model')
    .requiredOption('--run <dir>', 'run folder written by recur train')
    .option('--csv <file>', "input CSV (forecast: the run's columns, default the run's own data; splice: with --seq-col; decode: a recording with the run's unit columns)")
    .option('--all', 'forecast runs: forecast from every window, not only the last')
    .option('--fasta <file>', 'splice and classify runs: sequences to label; stability runs: new protein sequences to map')
    .option('--seq-col <name>', 'splice runs: the --csv column holding the sequences')
    .option('--id-col <name>', 'splice runs: the --csv column naming each sequence (default: the row number)')
    .option('--protein <id>', 'stability runs: a protein of the run\'s data to map (in-silico saturation mutagenesis, L × 20 ΔΔG)')
    .addOption(new Option('--variant <name>', 'stability runs: the saved networks to use (default seq; rsa needs --protein)').choices(['seq', 'rsa']))
    .option('--calcium <file>', 'spikefinder runs: calcium CSV (header 0..N-1, 100 Hz rows); writes spike rates in its layout')
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
  $ recur predict --run runs/stability --protein 1div_A --out 1div.csv   # also writes 1div.html (heatmap)
  $ recur predict --run runs/bmi-chewie --csv session2.csv --out vel.csv # decode: one row per bin
  $ recur predict --run runs/spikes --csv trains.csv --out rates.csv     # spike-history: λ per 1 ms bin of each model${EXIT}`)
    .action((o: PredictOpts) => {
      if (o.backend) setBackend(o.backend);
      const task = taskOfRun(o.run, 'predict');
      if (!task.predict) throw unsupported('predict', task.name, TASKS.filter((t) => t.predict).map((t) => t.name));
      if (task.name !== 'stability' && (o.protein || o.variant)) throw new OptionError(o.protein ? '--protein' : '--variant', 'an option for a stability run', `an option given to a ${task.name} run`);
      const r = task.predict(o, io);
      if (o.out) io.err(`wrote ${r.rows} predictions to ${o.out}\n`);
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
