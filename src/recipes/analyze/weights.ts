/**
 * A PyTorch recurrent module's state dict (safetensors, PyTorch names `weight_ih_l0`,
 * `bias_hh_l1_reverse`, … possibly under a prefix such as `encoder.lstm.`) as a subject.
 * Sizes, depth and direction come from the tensors; the cell from the gate count (4 LSTM,
 * 3 GRU, 1 RNN) — the RNN's nonlinearity is not in the tensors, so it is an option (PyTorch's
 * default tanh). Inputs: seeded Gaussian noise, or the numeric columns of a CSV file.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { FormatError, GRU, LSTM, OptionError, RNN, Tensor, loadStateDictFileSync, readCsvFile, type Rng, type analysis } from '../../index.js';
import type { Subject } from './instruments.js';
import { modeName, subjectOf } from './subject.js';

export type CellName = 'lstm' | 'gru' | 'rnn';

export interface WeightsOptions {
  /** Expected cell (checked against the gate count); inferred when absent. */
  cell?: CellName;
  nonlinearity?: 'tanh' | 'relu';
  /** Expected sizes (checked against the tensors). */
  inputSize?: number;
  hidden?: number;
  layers?: number;
  /** Key prefix of the recurrent module (needed only when the file holds several). */
  prefix?: string;
  layer?: number;
  direction?: 0 | 1;
  /** 'random' (default) or a CSV file whose numeric columns are the inputs, one row per step. */
  inputs?: 'random' | { file: string };
  /** Steps per sequence of the held-out batch. */
  steps: number;
  batch: number;
  /** Length of the long drive for random inputs. */
  driveSteps: number;
  rng: Rng;
}

const GATES: Record<number, CellName> = { 4: 'lstm', 3: 'gru', 1: 'rnn' };

/** The prefix of the recurrent module's keys in `keys`. */
function prefixOf(path: string, keys: string[], want?: string): string {
  const prefixes = keys.filter((k) => k.endsWith('weight_ih_l0')).map((k) => k.slice(0, -'weight_ih_l0'.length));
  if (want !== undefined) {
    if (!prefixes.includes(want)) throw new FormatError(`${path}: --prefix ${JSON.stringify(want)}`, `one of the recurrent modules in the file (${prefixes.map((p) => JSON.stringify(p)).join(', ') || 'none'})`, 'no such keys');
    return want;
  }
  if (!prefixes.length) throw new FormatError(path, 'a PyTorch RNN/LSTM/GRU state dict (keys weight_ih_l0, weight_hh_l0, …)', `keys ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}`);
  if (prefixes.length > 1) throw new OptionError('--prefix', `one of ${prefixes.map((p) => JSON.stringify(p)).join(', ')} (the file holds several recurrent modules)`, 'none');
  return prefixes[0]!;
}

/** The module the state dict describes, with its weights loaded. */
export function moduleFromStateDict(path: string, o: Pick<WeightsOptions, 'cell' | 'nonlinearity' | 'inputSize' | 'hidden' | 'layers' | 'prefix'>): analysis.RecurrentModule {
  if (!existsSync(path)) throw new FormatError(path, 'a safetensors file', 'no such file');
  const all = loadStateDictFileSync(path);
  const p = prefixOf(path, Object.keys(all), o.prefix);
  const sd = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(p) && /^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/.test(k.slice(p.length))).map(([k, v]) => [k.slice(p.length), v]));
  const wih = sd.weight_ih_l0!;
  const whh = sd.weight_hh_l0;
  if (wih.ndim !== 2 || !whh || whh.ndim !== 2) throw new FormatError(`${path}: ${p}weight_hh_l0`, 'a 2-D weight_hh_l0 beside weight_ih_l0', whh ? `shape (${whh.shape.join(', ')})` : 'none');
  if (sd.weight_hr_l0) throw new FormatError(`${path}: ${p}weight_hr_l0`, 'an LSTM without projection (the analysis needs the state to be [h, c])', `proj_size ${sd.weight_hr_l0.shape[0]}`);
  const H = whh.shape[1]!;
  const I = wih.shape[1]!;
  const cell = GATES[wih.shape[0]! / H];
  if (!cell || wih.shape[0]! % H) throw new FormatError(`${path}: ${p}weight_ih_l0`, `shape (G·${H}, I) with G = 4 (LSTM), 3 (GRU) or 1 (RNN)`, `(${wih.shape.join(', ')})`);
  const L = 1 + Math.max(...Object.keys(sd).map((k) => Number(/_l(\d+)/.exec(k)![1])));
  const bidirectional = 'weight_ih_l0_reverse' in sd;
  const check = (what: string, want: number | string | undefined, got: number | string): void => {
    if (want !== undefined && want !== got) throw new FormatError(`${path}: ${p}weight_ih_l0`, `the ${what} given (${want})`, `${got} in the file`);
  };
  check('--cell', o.cell, cell);
  check('--input-size', o.inputSize, I);
  check('--hidden', o.hidden, H);
  check('--layers', o.layers, L);
  if (o.nonlinearity && cell !== 'rnn') throw new OptionError('--nonlinearity', 'an RNN state dict (the option is for --cell rnn)', cell);
  const opts = { numLayers: L, bidirectional, bias: 'bias_ih_l0' in sd };
  const m = cell === 'lstm' ? new LSTM(I, H, opts) : cell === 'gru' ? new GRU(I, H, opts) : new RNN(I, H, { ...opts, nonlinearity: o.nonlinearity ?? 'tanh' });
  try {
    m.loadStateDict(sd);
  } catch (e) {
    throw new FormatError(path, `a consistent ${cell.toUpperCase()} state dict (${L} layer(s), input ${I}, hidden ${H})`, (e as Error).message);
  }
  return m;
}

/** Numeric CSV columns as one (N, 1, I) sequence. */
function csvSequence(file: string, I: number): Tensor {
  const t = readCsvFile(file);
  const cols = t.header.map((_, j) => j).filter((j) => t.rows.every((r) => r[j]!.trim() !== '' && Number.isFinite(Number(r[j]))));
  if (cols.length !== I) throw new FormatError(file, `${I} numeric columns (the model's input size)`, `${cols.length} (${cols.map((j) => t.header[j]).join(', ') || 'none'})`);
  const x = new Float64Array(t.rows.length * I);
  t.rows.forEach((r, i) => cols.forEach((j, k) => (x[i * I + k] = Number(r[j]))));
  return new Tensor(x, [t.rows.length, 1, I]);
}

/** Consecutive chunks of `T` steps of a (N, 1, I) sequence as a (T, B, I) batch. */
function chunks(seq: Tensor, T: number, maxB: number): Tensor {
  const [N, , I] = seq.shape as [number, number, number];
  const B = Math.min(maxB, Math.floor(N / T));
  const x = new Float64Array(T * B * I);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) x.set(seq.data.subarray((b * T + t) * I, (b * T + t + 1) * I), (t * B + b) * I);
  return new Tensor(x, [T, B, I]);
}

export function weightsSubject(path: string, o: WeightsOptions): Subject {
  const model = moduleFromStateDict(path, o);
  const I = model.inputSize;
  let drive: Tensor;
  let label: string;
  if (o.inputs && o.inputs !== 'random') {
    if (!existsSync(o.inputs.file)) throw new FormatError(o.inputs.file, 'a CSV file of inputs', 'no such file');
    drive = csvSequence(o.inputs.file, I);
    if (drive.shape[0]! < 2 * o.steps) throw new FormatError(o.inputs.file, `at least ${2 * o.steps} rows (two sequences of --steps ${o.steps})`, String(drive.shape[0]));
    label = `${basename(o.inputs.file)}: chunks of ${o.steps} rows; drive: all ${drive.shape[0]} rows`;
  } else {
    const N = Math.max(o.driveSteps, o.steps * o.batch);
    drive = new Tensor(Float64Array.from({ length: N * I }, () => o.rng.normal()), [N, 1, I]);
    label = `Gaussian noise N(0, 1) (no data given): ${o.batch} sequences of ${o.steps} steps; drive: ${N} steps`;
  }
  const batch = chunks(drive, o.steps, o.batch);
  const desc = `${basename(path)}: ${model.bidirectional ? 'bidirectional ' : ''}${modeName(model.mode)} ${model.hiddenSize}, ${model.numLayers} layer${model.numLayers > 1 ? 's' : ''}`;
  return subjectOf(model, o.layer ?? 0, o.direction ?? 0, { batch, drive, description: desc, inputsLabel: `${label}` });
}
