/**
 * Flag definitions shared by the commands, and value parsers that fail with the flag's name.
 * Flags carry no commander defaults: a flag's value is present only when the user typed it,
 * so config files and presets can fill the rest and the schema supplies the defaults.
 */
import { InvalidArgumentError, Option } from 'commander';

export function parseIntArg(v: string): number {
  if (!/^[+-]?\d+$/.test(v.trim())) throw new InvalidArgumentError(`expected an integer, got "${v}"`);
  return Number(v);
}

export function parseNumberArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${v}"`);
  return n;
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

function parseSplit(v: string): number[] {
  const parts = v.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) throw new InvalidArgumentError(`expected three fractions "train,val,test" such as 0.7,0.15,0.15, got "${v}"`);
  return parts;
}

function parseList(v: string): string[] {
  const parts = v.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new InvalidArgumentError(`expected comma-separated column names, got "${v}"`);
  return parts;
}

function parseLambda(v: string): number | 'auto' {
  return v === 'auto' ? 'auto' : parseNumberArg(v);
}

/** The options every `recur train` task accepts. */
export function commonTrainOptions(): Option[] {
  return ([
    new Option('--task <task>', 'what to train (default: splice, the built-in classification recipe)').choices(['splice', 'forecast', 'decode', 'irregular', 'longrange']),
    new Option('--preset <name>', 'known data set settings: wind-t1 (forecast), bmi-chewie, bmi-mihi (decode), spike-history, physionet2012 (irregular), splice-longrange').choices(['wind-t1', 'bmi-chewie', 'bmi-mihi', 'spike-history', 'physionet2012', 'splice-longrange']),
    new Option('--config <file>', 'options from a YAML or JSON file (keys are the flag names in camelCase; flags override it)'),
    new Option('--name <name>', 'run folder name (default: a timestamp)'),
    new Option('--runs-dir <dir>', 'parent of run folders (default: runs)'),
    new Option('--data-dir <dir>', 'data directory for presets (default: $RECUR_DATA_DIR or ../shared/data beside the repository)'),
    new Option('--epochs <n>', 'training epochs').argParser(parseIntArg),
    new Option('--seed <n>', 'random seed (same seed, same backend: same run)').argParser(parseIntArg),
    new Option('--resume <run>', 'continue a stopped run folder (its config.json; only --epochs may change)'),
    new Option('--backend <name>', 'compute backend: auto (native, else wasm, else ref), native, wasm or ref (an explicit one that cannot load is an error)').choices(['auto', 'native', 'wasm', 'ref']),
    new Option('--quiet', 'no progress output'),
    new Option('--json', 'print metrics.json to stdout instead of the summary table'),
  ]).map((o) => o.helpGroup('Run options:'));
}

/** The forecasting task's options (config keys = these names in camelCase). */
export function forecastOptions(): Option[] {
  return ([
    new Option('--csv <file>', 'CSV file with a header line (with --preset: relative to --data-dir)'),
    new Option('--time-col <name>', 'time column; times must increase; a step longer than usual starts a new stretch that no window spans'),
    new Option('--time-cols <names>', 'time from several columns, comma-separated (e.g. Day,Tmstamp: a day number and a clock time, or a date and a time)').argParser(parseList),
    new Option('--time-format <fmt>', 'how to read the time (default auto: ISO 8601, "DD MM YYYY HH:MM", numbers, or day number + clock time)').choices(['auto', 'iso', 'dmy', 'number', 'day-clock']),
    new Option('--group-col <name>', 'series id column: several series in one file (e.g. TurbID); windows never cross series, metrics per series and pooled'),
    new Option('--series <id>', 'use only this series of --group-col'),
    new Option('--per-group', 'one model per series instead of one global model (a sweep over --series; with --redis, across workers)'),
    new Option('--workers <n>', 'with --per-group: local worker processes (default one per core)').argParser(parseIntArg),
    new Option('--redis <url>', 'with --per-group: run the series\' models as trials on this Redis queue (recur worker --redis URL)'),
    new Option('--farm-mean', 'inputs: the mean over all series at the same time of every target and covariate'),
    new Option('--neighbours <k>', 'inputs: the mean target of the k series most correlated with each series on the training rows').argParser(parseIntArg),
    new Option('--target <name>', 'column to forecast (repeat for several)').argParser(collect),
    new Option('--covariate <name>', 'extra input column (repeat for several)').argParser(collect),
    new Option('--angular <name>', 'a covariate in degrees, fed to the models as sin and cos (repeat)').argParser(collect),
    new Option('--reference-col <name>', 'a column that is itself a forecast of the target (e.g. a power curve): scored as a baseline'),
    new Option('--reference-input', 'also feed --reference-col to the models as an input (its values up to the forecast origin only)'),
    new Option('--no-reference-input', 'do not feed --reference-col to the models (the default unless a preset sets it)'),
    new Option('--time-of-day', 'feed the time of day (sin/cos) to the models; needs a --time-col of dates'),
    new Option('--no-time-of-day', 'no time-of-day inputs (the default unless a preset sets it)'),
    new Option('--delimiter <char>', 'field separator (default: guessed from the header among , ; tab |)'),
    new Option('--fill <policy>', 'empty/NaN cells: error (default), ffill, linear or drop (drop splits the series)').choices(['error', 'ffill', 'linear', 'drop']),
    new Option('--max-rows <n>', 'read only the first n data rows (quick runs)').argParser(parseIntArg),
    new Option('--lookback <n>', 'input window in rows (default 24)').argParser(parseIntArg),
    new Option('--horizon <n>', 'forecast 1..n rows ahead (default 6)').argParser(parseIntArg),
    new Option('--season <n>', 'season length in rows for the seasonal-naive baseline (e.g. 144 for a day of 10-minute rows)').argParser(parseIntArg),
    new Option('--split <fractions>', 'chronological train,val,test fractions (default 0.7,0.15,0.15)').argParser(parseSplit),
    new Option('--backtest <folds>', 'rolling-origin backtest: cut the test part into this many folds, retrain per fold (default 0: one split)').argParser(parseIntArg),
    new Option('--layers <n>', 'stacked layers (default 1)').argParser(parseIntArg),
    new Option('--loss <kind>', 'training loss on normalised values (default mse; mae favours MAE, huber is between)').choices(['mse', 'mae', 'huber']),
    new Option('--huber-delta <x>', 'threshold of --loss huber, in standard deviations of the target (default 1)').argParser(parseNumberArg),
    new Option('--schedule <kind>', 'learning rate: constant (default) or plateau (÷4 after each epoch without a better validation loss)').choices(['constant', 'plateau']),
    new Option('--clip-output', "clip the model's forecasts to each target's range on the training rows (e.g. 0 to rated power)"),
    new Option('--shrink', "blend the model with persistence per horizon step, weights chosen on the validation windows (for MAE where persistence is hard to beat)"),
    new Option('--no-clip-output', "leave the model's forecasts unclipped (the default unless a preset sets it)"),
    new Option('--clip <x>', 'gradient-norm clipping (default 1)').argParser(parseNumberArg),
    new Option('--train-stride <n>', 'use every n-th training window (quick runs; default 1)').argParser(parseIntArg),
    new Option('--ridge-lambda <x>', 'ridge AR penalty, or auto (chosen on validation; default)').argParser(parseLambda),
  ]).map((o) => o.helpGroup('Forecasting options (--task forecast):'));
}

/** Model and optimiser options shared by both tasks. */
export function sharedModelOptions(): Option[] {
  return ([
    new Option('--cell <kind>', 'recurrent cell (default gru; rnn: forecast only)').choices(['gru', 'lstm', 'rnn']),
    new Option('--hidden <n>', 'hidden size (default 32)').argParser(parseIntArg),
    new Option('--batch-size <n>', 'examples per step (forecast default 64, splice 32)').argParser(parseIntArg),
    new Option('--lr <x>', 'learning rate (default 0.003)').argParser(parseNumberArg),
    new Option('--patience <n>', 'early stopping: epochs without a better validation loss (forecast default 3, splice 4)').argParser(parseIntArg),
  ]).map((o) => o.helpGroup('Model options (both tasks):'));
}

/** The splice classification task's own options (see src/recipes/splice). */
export function spliceOptions(): Option[] {
  return ([
    new Option('--cv <folds>', 'stratified k-fold cross-validation (--cv 10 --limit 1000 = the published protocol; default: one 90/10 split)').argParser(parseIntArg),
    new Option('--pooling <kind>', 'pooling over time (default center)').choices(['max', 'mean', 'last', 'max+last', 'center', 'flatten']),
    new Option('--conv-channels <n>', 'Conv1d front-end channels, 0 = none').argParser(parseIntArg),
    new Option('--weight-decay <x>', 'AdamW weight decay (default 0.01)').argParser(parseNumberArg),
    new Option('--dropout <x>', 'dropout before the classifier (default 0.2)').argParser(parseNumberArg),
    new Option('--ema <x>', 'weight moving-average decay per step, 0 = off (default 0.99)').argParser(parseNumberArg),
    new Option('--val-fraction <x>', 'share of each training fold held out for early stopping (default 0.1)').argParser(parseNumberArg),
    new Option('--ensemble <n>', 'networks averaged per fold (default 3)').argParser(parseIntArg),
    new Option('--limit <n>', 'a stratified subset of this many examples (quick runs)').argParser(parseIntArg),
    new Option('--data-path <file>', 'splice.data to read (default: the copy in data/uci-splice/)'),
    new Option('--keep-duplicates', 'keep duplicate sequences and conflicting labels (the old, leaky protocol; default: deduplicated)'),
    new Option('--select', 'nested selection: choose pooling, hidden size and ensemble per fold on its inner validation split (about 2x the time)'),
  ]).map((o) => o.helpGroup('Splice options (default task):'));
}

/** camelCase key of an option. */
export function keyOf(o: Option): string {
  return o.attributeName();
}
