/**
 * Where a subject comes from: a forecasting run (its test windows by default, recovered as
 * `recur eval` does, and the task's own loss), a splice run (one saved network and its held-out
 * fold, rebuilt from the run's seed as `recur eval` does), or a PyTorch state dict (weights.ts).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { F, FormatError, Tensor, analysis, oneHot, toDType, type Module } from '../../index.js';
import { RUN_FILES, openFinishedRun, readJson } from '../common/index.js';
import { loadForecastRun } from '../forecast/inference.js';
import { loadSeries, normalise, rollingOriginSplits, splitWindows, type Range, type Series } from '../forecast/dataset.js';
import { lossOf, seriesIds, targetBatch, windowBatch } from '../forecast/model.js';
import { windowSpec } from '../forecast/pipeline.js';
import { loadMember, memberFile } from '../splice/checkpoint.js';
import { fastaSequences, spliceRunOptions } from '../splice/inference.js';
import { spliceFolds } from '../splice/run.js';
import type { Subject } from './instruments.js';
import { spread, subjectOf } from './subject.js';

/** Which inputs: the run's held-out part, its training part, or a file (CSV for forecast runs, FASTA for splice runs). */
export type InputChoice = 'heldout' | 'train' | { file: string };

export interface RunSubjectOptions {
  layer?: number;
  direction?: 0 | 1;
  inputs?: InputChoice;
  /** Sequences in the held-out batch. */
  batch: number;
}

/** The task recorded in a finished run's config.json. */
export function runTask(dir: string): 'forecast' | 'splice' {
  const run = openFinishedRun(dir, 'analyze');
  const path = join(run.path, RUN_FILES.config);
  const task = (readJson(path) as { task?: unknown }).task;
  if (task !== 'forecast' && task !== 'splice') throw new FormatError(`${path}: "task"`, '"splice" or "forecast"', JSON.stringify(task));
  return task;
}

const child = <M>(m: Module, name: string): M => {
  const hit = m.namedModules().find(([n]) => n === name);
  if (!hit) throw new FormatError(`model: "${name}"`, 'the submodule the recipe builds', 'none');
  return hit[1] as M;
};

/** Rows a..b of normalised features as one (N, 1, F) sequence. */
function rowsSequence(z: Float32Array, s: Series, [a, b]: Range): Tensor {
  return new Tensor(Float64Array.from(z.subarray(a * s.F, b * s.F)), [b - a, 1, s.F]);
}

export function forecastSubject(dir: string, o: RunSubjectOptions): Subject {
  const run = loadForecastRun(dir, 'analyze');
  const c = run.config;
  const inputs = o.inputs ?? 'heldout';
  const file = typeof inputs === 'object' ? inputs.file : null;
  const s = loadSeries(file ?? c.csv, c);
  if (s.features.join('\n') !== run.features.join('\n')) throw new FormatError(s.file, `the features the model was trained on (${run.features.join(', ')})`, s.features.join(', '));
  const w = windowSpec(c);
  const whole: Range = [0, s.n];
  const split = file ? { train: whole, val: whole, test: whole } : rollingOriginSplits(s.n, Math.max(1, c.backtest), c.split).at(-1)!;
  const part = inputs === 'train' ? 'train' : 'test';
  const all = splitWindows(s, split, w, '')[part];
  const origins = Int32Array.from(spread(all.length, o.batch), (i) => all[i]!);
  const z = normalise(s, run.norm);
  run.model.toDType('float64');
  const rnn = child<analysis.RecurrentModule>(run.model, 'rnn');
  const head = child<Module & { forward(x: Tensor): Tensor }>(run.model, 'head');
  // A series embedding is part of the encoder's input: the instruments drive the rnn with it appended.
  const batch = run.model.encoderInput(toDType(windowBatch(z, s, w.L, origins), 'float64'), seriesIds(run.model, s, origins));
  const target = toDType(targetBatch(z, s, w.H, origins), 'float64');
  const lastY = F.reshape(F.slice(F.slice(toDType(batch, 'float64'), 0, w.L - 1, w.L), 2, 0, s.k), [origins.length, 1, s.k]);
  // The Forecaster's forward from the top layer's output: last state → head → + last observed value.
  const loss = (y: Tensor): Tensor => {
    const pred = F.add(F.reshape(head.forward(analysis.lastStep(y)), [origins.length, w.H, s.k]), lastY);
    return lossOf(c.loss, F.reshape(pred, [origins.length, w.H * s.k]), target, c.huberDelta);
  };
  const where = file ? basename(file) : `the run's ${part === 'test' ? 'test' : 'training'} part`;
  // A multi-series run's split holds one row range per series: the drive is the first series' stretch.
  const p = split[part];
  const rows: Range = typeof p[0] === 'number' ? (p as Range) : (p as readonly Range[])[0]!;
  return subjectOf(rnn, o.layer ?? 0, o.direction ?? 0, {
    batch, drive: run.model.encoderInput(rowsSequence(z, s, rows), seriesIds(run.model, s, [rows[0]])), loss, lossLabel: `the run's training loss (${c.loss}) of the ${w.H}-step forecast`,
    description: `forecast run ${basename(run.dir)}: ${c.cell.toUpperCase()} ${c.hidden}, ${c.layers} layer${c.layers > 1 ? 's' : ''}`,
    inputsLabel: `${origins.length} windows of ${w.L} steps from ${where}; drive: its ${rows[1] - rows[0]} consecutive rows`,
  });
}

/** The sequences of fold 0's test (or training) part, as `runSplice` drew them from the run's seed. */
function spliceFoldSequences(dir: string, part: 'test' | 'train'): string[] {
  const { d, folds } = spliceFolds(spliceRunOptions(dir));
  return folds[0]![part].map((i) => d.sequences[i]!);
}

/** One-hot sequences as a (T, B, 4) batch. */
function oneHotBatch(seqs: readonly string[], T: number): Tensor {
  const B = seqs.length;
  const x = new Float64Array(T * B * 4);
  seqs.forEach((q, b) => {
    const h = oneHot(q, 'dna');
    for (let t = 0; t < T; t++) for (let k = 0; k < 4; k++) x[(t * B + b) * 4 + k] = h[t * 4 + k]!;
  });
  return new Tensor(x, [T, B, 4]);
}

/** Sequences one after another as one (N·T, 1, 4) drive (the state carries over between them). */
function concatenated(x: Tensor): Tensor {
  const [T, B, I] = x.shape as [number, number, number];
  const out = new Float64Array(T * B * I);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(x.data.subarray((t * B + b) * I, (t * B + b + 1) * I), (b * T + t) * I);
  return new Tensor(out, [B * T, 1, I]);
}

export function spliceSubject(dir: string, o: RunSubjectOptions): Subject {
  const run = openFinishedRun(dir, 'analyze');
  const path = memberFile(run.path, 0, 0);
  if (!existsSync(path)) throw new FormatError(path, 'the first saved network of the run (fold 1, member 1)', 'no such file');
  const { net, meta } = loadMember(path);
  const inputs = o.inputs ?? 'heldout';
  const seqs = typeof inputs === 'object' ? fastaSequences(inputs.file).map((r) => r.sequence) : spliceFoldSequences(run.path, inputs === 'train' ? 'train' : 'test');
  const bad = seqs.findIndex((q) => q.length !== meta.steps);
  if (bad >= 0) throw new FormatError(typeof inputs === 'object' ? inputs.file : path, `sequences of ${meta.steps} nucleotides`, `${seqs[bad]!.length} (sequence ${bad + 1})`);
  const all = oneHotBatch(seqs, meta.steps);
  const pick = spread(seqs.length, o.batch);
  net.toDType('float64');
  const conv = meta.net.convChannels > 0 ? child<Module & { forward(x: Tensor): Tensor }>(net, 'conv') : null;
  // The recurrent layer reads the ReLU'd Conv1d features when the network has a front end (as SpliceNet.forward).
  const front = (x: Tensor): Tensor => (conv ? F.permute(F.relu(conv.forward(F.permute(x, [1, 2, 0]))), [2, 0, 1]) : x);
  const batch = front(oneHotBatch(pick.map((i) => seqs[i]!), meta.steps));
  const drive = concatenated(front(all));
  const where = typeof inputs === 'object' ? basename(inputs.file) : `fold 1's ${inputs === 'train' ? 'training' : 'test'} part`;
  return subjectOf(child<analysis.RecurrentModule>(net, 'rnn'), o.layer ?? 0, o.direction ?? 0, {
    batch, drive, description: `splice run ${basename(run.path)}, fold 1 member 1: bidirectional ${meta.net.cell.toUpperCase()} ${meta.net.hidden}`,
    inputsLabel: `${pick.length} sequences of ${meta.steps} nt from ${where}; drive: all ${seqs.length} of them one after another`,
  });
}

/** The subject of a finished run of either task. */
export function runSubject(dir: string, o: RunSubjectOptions): Subject {
  if (o.inputs && typeof o.inputs === 'object' && !existsSync(o.inputs.file)) throw new FormatError(o.inputs.file, 'an input file', 'no such file');
  return runTask(dir) === 'forecast' ? forecastSubject(dir, o) : spliceSubject(dir, o);
}
