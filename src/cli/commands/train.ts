/** `recur train`: the task chosen by --task or --preset (tasks.ts); the splice recipe by default. */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { OptionError, setBackend, type BackendName } from '../../index.js';
import { RUN_FILES, releaseRunDir, resumeRunDir, runStatus } from '../../recipes/common/index.js';
import { readConfigFile } from '../config.js';
import { commonTrainOptions, forecastOptions, keyOf, sharedModelOptions, spliceOptions } from '../options.js';
import { decodeOptions } from './decode-task.js';
import { spikefinderOptions } from './spikefinder-task.js';
import { classifyOptions } from './splice-task.js';
import { proteinOptions } from './protein-task.js';
import { gaitOptions } from './gait-task.js';
import { sepsisOptions } from './sepsis-task.js';
import { longRangeOptions } from './longrange-task.js';
import { spikeHistoryOptions } from './spikehistory-task.js';
import { irregularOptions } from './irregular-task.js';
import { PRESET_NAMES, TASKS, TASK_NAMES, chooseTask, taskOfConfig } from './tasks.js';
import type { Io } from './io.js';
import { join } from 'node:path';

const EXAMPLES = `
Examples:
  $ recur train                                   # the built-in default: splice-junction classification
  $ recur train --cv 10 --epochs 30                # the published 10-fold protocol
  $ recur train --limit 400 --epochs 2             # a quick splice run
  $ recur train --task classify --fasta seqs.fa --alphabet protein --cv 5   # your own sequences (label=… in each header)
  $ recur train --task classify --csv seqs.csv --seq-col seq --label-col family --group-col cluster
  $ recur train --task forecast --preset wind-t1  # wind power 10–60 min ahead (T1.csv from --data-dir)
  $ recur train --task forecast --preset wind-t1 --max-rows 5000 --epochs 2   # a quick run
  $ recur train --task forecast --csv load.csv --time-col timestamp --target load \\
      --covariate temp --covariate wind_dir --angular wind_dir --lookback 48 --horizon 12 --season 144
  $ recur train --preset bmi-chewie --data-dir ../shared/data   # BMI decoding: Wiener, Kalman, LSTM/GRU
  $ recur train --task decode --csv rec.csv --target-cols vel_x,vel_y --input-cols 'unit*'
  $ recur train --preset spikefinder               # calcium → spike rates, spikefinder ds 4, 5, 6 (--data-dir)
  $ recur train --preset physionet2012            # ICU mortality: GRU-D & co. vs logistic, 5-fold CV (data from --data-dir)
  $ recur train --preset protein-stability --data-dir ../shared/data   # ΔΔG from sequence: ridge vs BiGRU, 4 splits
  $ recur train --preset gait                     # LSTM vs GRU footstep segmentation over window lengths vs a zero-velocity detector (--data-dir)
  $ recur train --preset sepsis-pomdp              # sepsis POMDP simulator: recurrent vs memoryless agents, belief probes, OPE
  $ recur train --task longrange --scale full     # long-range splice pairing: CNN vs BiGRU/BiLSTM/BiRNN vs attention, d = 100 … 10 000
  $ recur train --task irregular --csv stays.csv --labels outcome.csv --static Age   # long format id,time,variable,value
  $ recur train --config forecast.yaml --epochs 10   # flags override the file
  $ recur train --resume runs/20250131-120000        # continue a run stopped with Ctrl-C (or killed)

Run folders: a run is written in runs/.NAME.partial-PID/ and moved to runs/NAME/ when it finishes
(with metrics.json) or is stopped by Ctrl-C (state saved, no metrics.json). A second run with the same
--name is refused at start while the first one's process is alive (lock file runs/.NAME.lock).
A killed run (kill -9, a crash, a second Ctrl-C) stays in runs/.NAME.partial-PID/; new runs warn about
such folders, and --resume runs/NAME adopts it. --resume continues from what was saved: the forecast
task from its last checkpoint (saved every epoch and on Ctrl-C; --epochs may be raised), the splice task
per trained network (one checkpoint each, fold-F.member-M.safetensors: finished networks are reused,
the interrupted one is retrained, so the result equals an uninterrupted run's; --epochs may not change).

Config file keys are the flag names in camelCase (batchSize, timeCol, ...); unknown keys are errors.
Exit status: 0 done, 1 bad data, a run name taken or in use, or failure, 2 bad options (also --resume of
something that is not a stopped or killed run), 130 stopped by Ctrl-C (state saved).`;

export function trainCommand(io: Io): Command {
  const cmd = new Command('train').description('train a model and write a run folder (config, events, checkpoint, metrics, report)');
  for (const o of allOptions()) cmd.addOption(o);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (opts: Record<string, unknown>) => {
    io.exitCode = await runTrain(opts, io);
  });
  return cmd;
}

function allOptions(): Option[] {
  const choose = [
    new Option('--task <task>', 'what to train (default: splice, the built-in classification recipe)').choices(TASK_NAMES),
    new Option('--preset <name>', `known data set settings: ${TASKS.filter((t) => t.presets.length).map((t) => (t.presets.join() === t.name ? t.name : `${t.presets.join(', ')} (${t.name})`)).join('; ')}`).choices(PRESET_NAMES),
  ].map((o) => o.helpGroup('Run options:'));
  return [...choose, ...commonTrainOptions(), ...sharedModelOptions(), ...forecastOptions(), ...spliceOptions(), ...classifyOptions(), ...decodeOptions(), ...spikefinderOptions(), ...irregularOptions(), ...proteinOptions(), ...gaitOptions(), ...sepsisOptions(), ...longRangeOptions(), ...spikeHistoryOptions()];
}

async function runTrain(opts: Record<string, unknown>, io: Io): Promise<number> {
  io.json = !!opts.json;
  if (opts.backend) setBackend(opts.backend as BackendName);
  if (opts.resume) return resumeTrain(opts, io);
  const configPath = opts.config ? resolve(io.cwd, String(opts.config)) : '';
  const file = configPath ? readConfigFile(configPath) : {};
  return chooseTask(opts, file, configPath).train(opts, file, configPath, io);
}

/**
 * `--resume`: continue a stopped run (runs/NAME) or adopt a killed one (runs/.NAME.partial-PID),
 * holding the name's lock; a finished run has nothing to continue.
 */
async function resumeTrain(opts: Record<string, unknown>, io: Io): Promise<number> {
  const extra = Object.keys(opts).filter((k) => !['resume', 'epochs', 'quiet', 'json', 'backend'].includes(k));
  if (extra.length) throw new OptionError('--resume', "the run's own config.json (only --epochs, --quiet, --json and --backend may be given)", extra.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', '));
  const run = resumeRunDir(String(opts.resume));
  try {
    if (runStatus(run.path) === 'finished') throw new OptionError('--resume', 'a stopped or killed run', `${JSON.stringify(opts.resume)}: a finished run (nothing to continue; see recur eval --run ${String(opts.resume)})`);
    const task = taskOfConfig(join(run.path, RUN_FILES.config));
    if (!task.resume) throw new OptionError('--resume', `a run of a resumable task (${TASKS.filter((t) => t.resume).map((t) => t.name).join(', ')})`, `a ${task.name} run (start it again instead)`);
    return await task.resume(run, opts, io);
  } finally {
    releaseRunDir(run);
  }
}

/** For the help of `recur train`: every option key. */
export const TRAIN_OPTION_KEYS = allOptions().map(keyOf);
