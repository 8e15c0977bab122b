/**
 * `recur analyze`: the dynamics instruments on a trained run (either task) or on a PyTorch
 * state dict; writes analysis.html and analysis.json and prints the readings.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { OptionError, Rng, setBackend, type BackendName } from '../../index.js';
import { analyzeSubject, budgetOf, modeName, runSubject, weightsSubject, writeAnalysis, type AnalysisDocument, type InputChoice } from '../../recipes/analyze/index.js';
import { openFinishedRun } from '../../recipes/common/index.js';
import { parseIntArg } from '../options.js';
import type { Io } from './io.js';

interface AnalyzeOpts {
  run?: string; weights?: string; layer?: number; direction?: 'forward' | 'reverse'; inputs?: string; budget?: string; out?: string; seed?: number; json?: boolean;
  cell?: 'lstm' | 'gru' | 'rnn'; nonlinearity?: 'tanh' | 'relu'; inputSize?: number; hidden?: number; layers?: number; prefix?: string; steps?: number; backend?: BackendName;
}

const WEIGHTS_ONLY = ['cell', 'nonlinearity', 'inputSize', 'hidden', 'layers', 'prefix', 'steps'] as const;
const flag = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 1)) throw new OptionError(name, 'a positive integer', String(v));
}

export function analyzeCommand(io: Io): Command {
  return new Command('analyze')
    .description('dynamics of a trained model: gradient flow through time, Lyapunov spectrum, fixed points, DMD — with an HTML report')
    .option('--run <dir>', 'run folder written by recur train (either task)')
    .option('--weights <file>', 'a PyTorch RNN/LSTM/GRU state dict saved as safetensors (names weight_ih_l0, …)')
    .option('--layer <k>', 'layer to analyse, from 0 (default 0)', parseIntArg)
    .addOption(new Option('--direction <dir>', 'bidirectional models: which direction (default forward)').choices(['forward', 'reverse']))
    .option('--inputs <what>', 'runs: heldout (default: the test windows/fold, as eval uses), train, or a file (forecast: CSV with the run\'s columns; splice: FASTA); --weights: random (default) or a CSV of numeric columns')
    .addOption(new Option('--budget <name>', 'work per instrument (default normal)').choices(['quick', 'normal', 'full']))
    .option('--out <dir>', 'where to write analysis.html and analysis.json (default: the run folder; with --weights the current folder)')
    .option('--seed <n>', 'seed of the random choices (fixed-point seeds, random inputs; default 0)', parseIntArg)
    .option('--json', 'print analysis.json instead of the readings')
    .addOption(new Option('--backend <name>', 'compute backend').choices(['auto', 'native', 'wasm', 'ref']))
    .addOption(new Option('--cell <kind>', 'with --weights: the expected cell (checked; inferred from the tensors otherwise)').choices(['lstm', 'gru', 'rnn']).helpGroup('PyTorch weights (--weights):'))
    .addOption(new Option('--nonlinearity <f>', 'with --weights, an RNN: tanh (PyTorch default) or relu; not stored in a state dict').choices(['tanh', 'relu']).helpGroup('PyTorch weights (--weights):'))
    .addOption(new Option('--input-size <n>', 'expected input size (checked against the tensors)').argParser(parseIntArg).helpGroup('PyTorch weights (--weights):'))
    .addOption(new Option('--hidden <n>', 'expected hidden size (checked)').argParser(parseIntArg).helpGroup('PyTorch weights (--weights):'))
    .addOption(new Option('--layers <n>', 'expected number of layers (checked)').argParser(parseIntArg).helpGroup('PyTorch weights (--weights):'))
    .addOption(new Option('--prefix <p>', 'key prefix of the recurrent module when the file holds several (e.g. "encoder.lstm.")').helpGroup('PyTorch weights (--weights):'))
    .addOption(new Option('--steps <n>', 'steps per input sequence (default 50)').argParser(parseIntArg).helpGroup('PyTorch weights (--weights):'))
    .addHelpText('after', `
What it measures, on one layer (state s = h, or [h, c] for an LSTM):
  gradient flow   ‖∂L/∂s_t‖ by lag and singular values of Jacobian products ∂s_T/∂s_T−k
  Lyapunov        the spectrum of the dynamics driven by the real inputs (QR method)
  fixed points    fixed and slow points at the mean input, with their stability
  DMD             a linear (Koopman) model of the state trajectory: its eigenvalues and fit
Each comes with readings computed from the numbers, e.g. "gradients reaching 10 steps back:
0.021 of the last step's" or "largest Lyapunov exponent -0.12 per step: contracting".
Budgets: quick (seconds), normal, full (minutes on a 64-unit LSTM).

Examples:
  $ recur analyze --run runs/wind-t1
  $ recur analyze --run runs/wind-t1 --layer 1 --budget quick --out /tmp/wind-analysis
  $ recur analyze --run runs/splice-cv10 --direction reverse --inputs train
  $ recur analyze --weights model.safetensors --cell lstm --inputs inputs.csv
  $ recur analyze --weights rnn.safetensors --cell rnn --nonlinearity relu --hidden 64 --steps 100

Exit status: 0 done; 1 bad data (a damaged run file, weights that are not a recurrent state dict,
an input file that does not fit); 2 bad usage (bad options, --run not a finished run).`)
    .action((o: AnalyzeOpts) => {
      if (!o.run === !o.weights) throw new OptionError('recur analyze', 'one model: --run DIR or --weights FILE', o.run ? 'both' : 'neither');
      if (o.layer !== undefined && o.layer < 0) throw new OptionError('--layer', 'a layer index >= 0', String(o.layer));
      for (const [k, v] of [['--steps', o.steps], ['--hidden', o.hidden], ['--layers', o.layers], ['--input-size', o.inputSize]] as const) positive(k, v);
      if (o.backend) setBackend(o.backend);
      const budget = budgetOf(o.budget ?? 'normal');
      const rng = new Rng(o.seed ?? 0);
      const direction = o.direction === 'reverse' ? 1 : 0;
      let doc: AnalysisDocument;
      let outDir: string;
      if (o.run) {
        const bad = WEIGHTS_ONLY.find((k) => o[k] !== undefined);
        if (bad) throw new OptionError(flag(bad), 'an option used with --weights', 'it with --run (a run records its model)');
        if (o.inputs === 'random') throw new OptionError('--inputs', 'heldout, train or a file for a run (random is for --weights)', 'random');
        const inputs: InputChoice = o.inputs === undefined || o.inputs === 'heldout' ? 'heldout' : o.inputs === 'train' ? 'train' : { file: resolve(io.cwd, o.inputs) };
        const dir = resolve(io.cwd, o.run);
        doc = analyzeSubject(runSubject(dir, { batch: budget.batch, direction, inputs, ...(o.layer !== undefined ? { layer: o.layer } : {}) }), budget, rng);
        outDir = o.out ? resolve(io.cwd, o.out) : openFinishedRun(dir, 'analyze').path;
      } else {
        if (o.inputs === 'heldout' || o.inputs === 'train') throw new OptionError('--inputs', 'random or a CSV file with --weights (a state dict has no data of its own)', o.inputs);
        const inputs = o.inputs === undefined || o.inputs === 'random' ? 'random' as const : { file: resolve(io.cwd, o.inputs) };
        const steps = o.steps ?? 50;
        const subject = weightsSubject(resolve(io.cwd, o.weights!), {
          ...(o.cell ? { cell: o.cell } : {}), ...(o.nonlinearity ? { nonlinearity: o.nonlinearity } : {}), ...(o.inputSize !== undefined ? { inputSize: o.inputSize } : {}),
          ...(o.hidden !== undefined ? { hidden: o.hidden } : {}), ...(o.layers !== undefined ? { layers: o.layers } : {}), ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
          ...(o.layer !== undefined ? { layer: o.layer } : {}), direction, inputs, steps, batch: budget.batch, driveSteps: budget.warmup + budget.lyapunovSteps, rng,
        });
        doc = analyzeSubject(subject, budget, rng);
        outDir = resolve(io.cwd, o.out ?? '.');
      }
      const paths = writeAnalysis(outDir, doc);
      io.out(o.json ? `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n` : readingsText(doc, paths));
      io.exitCode = 0;
    });
}

function readingsText(doc: AnalysisDocument, paths: { json: string; html: string }): string {
  const r = doc.readings;
  const block = (title: string, lines: string[]): string => `${title}\n${lines.map((l) => `  - ${l}`).join('\n')}\n`;
  return [
    `${doc.subject.description} — ${modeName(doc.subject.mode)} layer ${doc.subject.layer}; inputs: ${doc.subject.inputs}\n`,
    block('Gradient flow through time', r.gradientFlow), block('Lyapunov spectrum', r.lyapunov), block('Fixed and slow points', r.fixedPoints), block('DMD of the states', r.dmd),
    `wrote ${paths.html}\n      ${paths.json}\n`,
  ].join('\n');
}
