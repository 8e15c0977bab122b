/**
 * BMI decoding data: a CSV of time bins (rows) with neural activity columns and kinematic target
 * columns, the causal lag window of Glaser et al. 2020 (the current bin and `lags` bins before it,
 * none after) and their contiguous-block cross-validation with a validation block per fold.
 *
 * Legend: T bins, N units (input columns), K targets, L lags (window = L + 1 bins).
 */
import { FormatError, OptionError, ValueError, cellWhere, columnIndex, readCsvFile, type CsvTable } from '../../index.js';

/** A recording: activity X (T, N) and targets Y (T, K), row-major float64. */
export interface Recording {
  file: string;
  T: number;
  N: number;
  K: number;
  X: Float64Array;
  Y: Float64Array;
  inputNames: string[];
  targetNames: string[];
  /** The file's header (all columns). */
  header: string[];
}

/** Column names matching a pattern list: comma-separated names or globs with `*` (e.g. `unit*`). */
export function matchColumns(header: readonly string[], spec: string, flag: string): string[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new OptionError(flag, 'column names or globs (e.g. unit*)', JSON.stringify(spec));
  const out: string[] = [];
  for (const p of parts) {
    if (!p.includes('*')) {
      out.push(p);
      continue;
    }
    const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const hit = header.filter((h) => re.test(h));
    if (!hit.length) throw new OptionError(flag, `a pattern matching some header column (${header.slice(0, 6).join(', ')}${header.length > 6 ? ', …' : ''})`, JSON.stringify(p));
    out.push(...hit);
  }
  return [...new Set(out)];
}

function columns(t: CsvTable, names: readonly string[], role: string): { j: number[]; data: Float64Array[] } {
  const j = names.map((n) => columnIndex(t, n, role));
  const data = j.map((c) => {
    const v = new Float64Array(t.rows.length);
    for (let i = 0; i < t.rows.length; i++) {
      const s = t.rows[i]![c]!.trim();
      const x = s === '' ? NaN : Number(s);
      if (!Number.isFinite(x)) throw new FormatError(cellWhere(t, i, c), `a finite number in ${role} "${t.header[c]}"`, JSON.stringify(t.rows[i]![c]));
      v[i] = x;
    }
    return v;
  });
  return { j, data };
}

/**
 * Read a recording: `inputs` and `targets` are comma-separated names or globs.
 * @throws FormatError (`file:line:col`) for a cell that is not a finite number; OptionError for an unknown column.
 */
export function loadRecording(path: string, inputs = 'unit*', targets = 'vel_x,vel_y', minRows = 50): Recording {
  const t = readCsvFile(path);
  const targetNames = matchColumns(t.header, targets, '--target-cols');
  const inputNames = matchColumns(t.header, inputs, '--input-cols').filter((n) => !targetNames.includes(n));
  if (!inputNames.length) throw new OptionError('--input-cols', 'at least one input column that is not a target', inputs);
  const yi = columns(t, targetNames, 'target column');
  const xi = columns(t, inputNames, 'neural input column');
  const T = t.rows.length;
  if (T < minRows) throw new FormatError(path, `at least ${minRows} rows (time bins)`, `${T}`);
  const N = inputNames.length;
  const K = targetNames.length;
  const X = new Float64Array(T * N);
  const Y = new Float64Array(T * K);
  for (let i = 0; i < T; i++) {
    for (let n = 0; n < N; n++) X[i * N + n] = xi.data[n]![i]!;
    for (let k = 0; k < K; k++) Y[i * K + k] = yi.data[k]![i]!;
  }
  return { file: path, T, N, K, X, Y, inputNames, targetNames, header: [...t.header] };
}

/** A contiguous block [start, end) of bins; `samples` are the bins decoded in it (whole lag window inside the block). */
export interface Block {
  start: number;
  end: number;
}

/** One fold: train blocks, one validation block and one test block (all contiguous, disjoint). */
export interface Fold {
  fold: number;
  train: Block[];
  val: Block;
  test: Block;
}

/** Bins t of `b` whose whole lag window [t − lags, t] lies inside the block. */
export function samplesOf(b: Block, lags: number): number[] {
  const out: number[] = [];
  for (let t = b.start + lags; t < b.end; t++) out.push(t);
  return out;
}

/** Block k of `k` equal contiguous blocks of [0, T) (Glaser's rounding). */
function blockOf(T: number, k: number, i: number): Block {
  return { start: Math.round((i * T) / k), end: Math.round(((i + 1) * T) / k) };
}

/**
 * Contiguous-block k-fold CV as Glaser et al. 2020: fold i tests block i and validates on block
 * i + 1 (the last fold validates on block 0); the other k − 2 blocks train. Training blocks that
 * touch each other are merged, so a training lag window may span two adjacent training blocks but
 * never the validation or test block.
 */
export function contiguousFolds(T: number, k = 10): Fold[] {
  if (!Number.isInteger(k) || k < 3) throw new ValueError('contiguousFolds', 'k an integer >= 3', String(k));
  if (T < 3 * k) throw new ValueError('contiguousFolds', `at least ${3 * k} bins for ${k} folds`, String(T));
  const folds: Fold[] = [];
  for (let i = 0; i < k; i++) {
    const v = (i + 1) % k;
    const train: Block[] = [];
    for (let j = 0; j < k; j++) {
      if (j === i || j === v) continue;
      const b = blockOf(T, k, j);
      const last = train[train.length - 1];
      if (last && last.end === b.start) last.end = b.end;
      else train.push(b);
    }
    folds.push({ fold: i, train, val: blockOf(T, k, v), test: blockOf(T, k, i) });
  }
  return folds;
}

/**
 * One train → test split across files (Chewie): train on the first 90 % of `trainT` bins,
 * validate on its last 10 % (one contiguous block), test on all `testT` bins of the other file.
 */
export function crossFileSplit(trainT: number): { train: Block[]; val: Block } {
  const cut = Math.round(0.9 * trainT);
  return { train: [{ start: 0, end: cut }], val: { start: cut, end: trainT } };
}

/** Per-column mean and standard deviation of the rows in `blocks` (sd floored at 1e-6). */
export function columnStats(M: Float64Array, C: number, blocks: readonly Block[]): { mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(C);
  const sq = new Float64Array(C);
  let n = 0;
  for (const b of blocks) {
    for (let t = b.start; t < b.end; t++, n++) for (let c = 0; c < C; c++) mean[c]! += M[t * C + c]!;
  }
  for (let c = 0; c < C; c++) mean[c]! /= Math.max(1, n);
  for (const b of blocks) for (let t = b.start; t < b.end; t++) for (let c = 0; c < C; c++) sq[c]! += (M[t * C + c]! - mean[c]!) ** 2;
  const sd = sq.map((s) => Math.max(1e-6, Math.sqrt(s / Math.max(1, n - 1))));
  return { mean, sd };
}

/** (M − mean) / sd, row-major (T, C). */
export function standardise(M: Float64Array, C: number, s: { mean: Float64Array; sd: Float64Array }): Float64Array {
  const out = new Float64Array(M.length);
  for (let i = 0; i < M.length; i++) out[i] = (M[i]! - s.mean[i % C]!) / s.sd[i % C]!;
  return out;
}

/** Lagged design rows for bins `ts`: [X(t−L), …, X(t)] flattened, plus a trailing 1. */
export function laggedDesign(X: Float64Array, N: number, lags: number, ts: readonly number[]): Float64Array {
  const p = (lags + 1) * N + 1;
  const out = new Float64Array(ts.length * p);
  ts.forEach((t, i) => {
    out.set(X.subarray((t - lags) * N, (t + 1) * N), i * p);
    out[i * p + p - 1] = 1;
  });
  return out;
}

/** Rows `ts` of a (T, C) matrix. */
export function rowsOf(M: Float64Array, C: number, ts: readonly number[]): Float64Array {
  const out = new Float64Array(ts.length * C);
  ts.forEach((t, i) => out.set(M.subarray(t * C, (t + 1) * C), i * C));
  return out;
}

/** R² = 1 − SSE/SST per column of (n, K) `truth` vs `pred`, and their mean. */
export function r2(truth: Float64Array, pred: Float64Array, K: number): { perTarget: number[]; mean: number } {
  const n = truth.length / K;
  const per: number[] = [];
  for (let k = 0; k < K; k++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += truth[i * K + k]!;
    m /= n;
    let sse = 0;
    let sst = 0;
    for (let i = 0; i < n; i++) {
      sse += (truth[i * K + k]! - pred[i * K + k]!) ** 2;
      sst += (truth[i * K + k]! - m) ** 2;
    }
    per.push(1 - sse / sst);
  }
  return { perTarget: per, mean: per.reduce((a, b) => a + b, 0) / K };
}
