/**
 * spikefinder data: the challenge's CSV layout, per-neuron normalisation and the challenge's scorer.
 *
 * Layout (SOURCE.md): header `0,1,…,N-1`, one column per neuron, one row per 100 Hz sample; a
 * neuron recorded for less time than the longest one is padded with empty cells at the end.
 * Score (`spikefinder_eval.py`): per neuron drop the NaNs, sum non-overlapping blocks of 4 samples
 * (`convolve(x, ones(4), 'valid')[::4]`, i.e. 25 Hz / 40 ms bins), Pearson r; mean over neurons.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, ValueError, csvWhere, readCsvFile } from '../../index.js';

/** Sampling rate of every trace (the challenge resampled all datasets to 100 Hz). */
export const RATE_HZ = 100;
/** Samples per scoring bin (4 → 25 Hz). */
export const BLOCK = 4;

/** One calcium (or spike) file: one trace per neuron, padding dropped; `rows` = the file's row count. */
export interface TraceFile {
  path: string;
  traces: Float64Array[];
  rows: number;
}

/**
 * Read a spikefinder CSV: numeric cells, empty cells only as trailing padding of a column.
 * @throws FormatError (file:line:col) for a non-number, or a gap in the middle of a trace.
 */
export function readTraces(path: string): TraceFile {
  const t = readCsvFile(path);
  const n = t.header.length;
  const cols: number[][] = Array.from({ length: n }, () => []);
  const ended = new Array<boolean>(n).fill(false);
  t.rows.forEach((row, i) => {
    for (let j = 0; j < n; j++) {
      const cell = (row[j] ?? '').trim();
      const where = (): string => csvWhere(path, t.lines[i]!, t.cols[i * n + j]!);
      if (cell === '' || cell.toLowerCase() === 'nan') {
        ended[j] = true;
        continue;
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) throw new FormatError(where(), 'a number or an empty cell (padding)', JSON.stringify(cell));
      if (ended[j]) throw new FormatError(where(), 'padding only at the end of a column (empty cells after the last sample)', `a value after an empty cell in column "${t.header[j]}"`);
      cols[j]!.push(v);
    }
  });
  cols.forEach((c, j) => {
    if (c.length < 2 * BLOCK) throw new FormatError(`${path}: column "${t.header[j]}"`, `at least ${2 * BLOCK} samples`, String(c.length));
  });
  return { path, traces: cols.map((c) => Float64Array.from(c)), rows: t.rows.length };
}

/** A dataset's training cells: calcium and spike counts per neuron (same lengths). */
export interface Dataset {
  id: string;
  calcium: Float64Array[];
  spikes: Float64Array[];
}

/** Load `<id>.train.calcium.csv` and `<id>.train.spikes.csv` from `dir`; check they match. */
export function loadTrainSet(dir: string, id: string): Dataset {
  const cPath = join(dir, `${id}.train.calcium.csv`);
  const sPath = join(dir, `${id}.train.spikes.csv`);
  for (const p of [cPath, sPath]) if (!existsSync(p)) throw new ValueError('spikefinder data', `the file ${p} (set --data-dir or RECUR_DATA_DIR to the folder holding the spikefinder CSVs)`, 'no such file');
  const c = readTraces(cPath);
  const s = readTraces(sPath);
  if (c.traces.length !== s.traces.length) throw new FormatError(sPath, `${c.traces.length} columns like ${cPath}`, String(s.traces.length));
  c.traces.forEach((tr, j) => {
    if (s.traces[j]!.length !== tr.length) throw new FormatError(`${sPath}: column ${j}`, `${tr.length} samples like the calcium trace`, String(s.traces[j]!.length));
  });
  return { id, calcium: c.traces, spikes: s.traces };
}

/** Sums of non-overlapping blocks of `k` samples (a trailing partial block is dropped, as `[::4]` of 'valid'). */
export function blockSum(x: ArrayLike<number>, k = BLOCK): Float64Array {
  const n = Math.floor(x.length / k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += x[i * k + j]!;
    out[i] = s;
  }
  return out;
}

/** Pearson correlation; 0 when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** The challenge score of one neuron: Pearson r of the 4-sample block sums (NaNs dropped first). */
export function scoreNeuron(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  const p: number[] = [];
  const t: number[] = [];
  const n = Math.min(pred.length, truth.length);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(truth[i]!) || Number.isNaN(pred[i]!)) continue;
    p.push(pred[i]!);
    t.push(truth[i]!);
  }
  return pearson(blockSum(p), blockSum(t));
}

/** Mean of the per-neuron scores. */
export function meanScore(preds: ArrayLike<number>[], truths: ArrayLike<number>[]): { mean: number; perNeuron: number[] } {
  const perNeuron = preds.map((p, i) => scoreNeuron(p, truths[i]!));
  return { mean: perNeuron.reduce((a, b) => a + b, 0) / Math.max(1, perNeuron.length), perNeuron };
}

/** Median of a copy. */
export function median(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Per-neuron normalisation for the network: (y − median) / σ̂ with σ̂ the standard deviation
 * about the median, so that every neuron enters on the same scale whatever its indicator and gain.
 */
export function normalise(y: ArrayLike<number>): Float32Array {
  const m = median(y);
  let ss = 0;
  for (let i = 0; i < y.length; i++) ss += (y[i]! - m) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, y.length)) || 1;
  return Float32Array.from(y, (v) => (v - m) / sd);
}

/** A predictions file in the input's layout: header 0..N-1, `rows` rows, empty cells past each trace's end. */
export function tracesCsv(traces: ArrayLike<number>[], rows: number): string {
  const lines = [traces.map((_, j) => String(j)).join(',')];
  for (let i = 0; i < rows; i++) lines.push(traces.map((t) => (i < t.length ? fmt(t[i]!) : '')).join(','));
  return `${lines.join('\n')}\n`;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}
