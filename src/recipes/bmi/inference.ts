/**
 * Using a finished decode run: `recur eval` (R² per velocity component of every decoder, on the
 * run's own test blocks with each fold's decoders, or on a new file with the run's decoder: the
 * average of all its fold decoders, deploy.ts) and `recur predict` (one row per bin, decoded
 * causally: the recurrent networks bin by bin with carried state, the streaming path).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileError, FormatError } from '../../index.js';
import { textTable } from '../common/table.js';
import { kalmanFilter, kalmanRunner, linearPredict } from './baselines.js';
import { laggedDesign, loadRecording, matchColumns, r2, rowsOf, samplesOf, standardise, type Block, type Recording } from './data.js';
import { FoldStream, decodeBlock, loadFold, type FoldPredictions, type SavedFold } from './deploy.js';
import { foldsOf, foldFile, type SplitSpec } from './run.js';

/** A run's fold decoders, in split and fold order. */
export interface RunDecoders {
  dir: string;
  folds: { split: string; fold: number; f: SavedFold }[];
  inputs: string[];
  targets: string[];
  lags: number;
}

/**
 * Load every fold decoder of a run (`splits` from its config).
 * @throws FileError when a fold's checkpoint is missing (a run from before checkpoints were saved); FormatError for a damaged one.
 */
export function loadRunDecoders(dir: string, splits: readonly { name: string }[]): RunDecoders {
  const present = new Set(readdirSync(dir));
  const folds: RunDecoders['folds'] = [];
  for (const s of splits) {
    for (let i = 0; present.has(foldFile(s.name, i, 'json')); i++) {
      const path = join(dir, foldFile(s.name, i, 'safetensors'));
      if (!present.has(foldFile(s.name, i, 'safetensors'))) throw new FileError(path, "the fold's saved decoders (runs from before decoders were saved cannot be evaluated: train again)", 'no such file');
      folds.push({ split: s.name, fold: i, f: loadFold(path) });
    }
  }
  if (!folds.length) throw new FileError(join(dir, 'fold-*.safetensors'), 'the saved decoders of at least one fold', 'none');
  const { inputs, targets, lags } = folds[0]!.f;
  const other = folds.find((x) => x.f.inputs.join() !== inputs.join() || x.f.targets.join() !== targets.join() || x.f.lags !== lags);
  if (other) throw new FormatError(join(dir, foldFile(other.split, other.fold, 'safetensors')), `the columns and lags of the run's other folds (${inputs.length} inputs, lags ${lags})`, `${other.f.inputs.length} inputs, lags ${other.f.lags}`);
  return { dir, folds, inputs, targets, lags };
}

const list = (v: readonly string[]): string => (v.length > 6 ? `${v.slice(0, 3).join(', ')}, …, ${v.at(-1)}` : v.join(', '));

/**
 * Read a recording with exactly the run's columns: a missing column, or more columns matching the
 * run's input pattern than it was trained on (another session's units), is a FormatError at line 1.
 */
export function recordingFor(run: RunDecoders, path: string, inputPattern: string, minRows: number): Recording {
  const r = loadRecording(path, run.inputs.join(','), run.targets.join(','), minRows);
  let matching: string[] = [];
  try {
    matching = matchColumns(r.header, inputPattern, '--input-cols').filter((n) => !run.targets.includes(n));
  } catch {
    // The pattern matches nothing beyond the exact names already found: no extra units.
  }
  const extra = matching.filter((n) => !run.inputs.includes(n));
  if (extra.length) {
    throw new FormatError(`${path}:1`, `the ${run.inputs.length} input columns the decoders were trained on (${list(run.inputs)})`, `${matching.length} columns matching ${JSON.stringify(inputPattern)}, ${extra.length} of them new (${list(extra)}): a recording of other units`);
  }
  return r;
}

/** R² of each decoder from per-fold predictions averaged (raw units) against the truth rows. */
function scoreAverage(preds: FoldPredictions[], truth: Float64Array, K: number): { name: string; perTarget: number[]; mean: number }[] {
  const avg = (pick: (p: FoldPredictions) => Float64Array): Float64Array => {
    const out = new Float64Array(truth.length);
    for (const p of preds) pick(p).forEach((v, i) => (out[i]! += v / preds.length));
    return out;
  };
  const rows = [{ name: 'Wiener', pred: avg((p) => p.wiener) }, { name: 'Kalman', pred: avg((p) => p.kalman) }];
  preds[0]!.rnn.forEach((c, j) => {
    rows.push({ name: c.cell.toUpperCase(), pred: avg((p) => p.rnn[j]!.avg) }, { name: `${c.cell.toUpperCase()}+W`, pred: avg((p) => p.rnn[j]!.blend) });
  });
  return rows.map((x) => ({ name: x.name, ...r2(truth, x.pred, K) }));
}

export interface DecodeEval {
  file: string | null;
  bins: number;
  decoded: number;
  models: number;
  scores: { split?: string; name: string; perTarget: number[]; mean: number }[];
  text: string;
}

/** Score the run's decoder (the average of all fold decoders) on every bin of `path` with a full lag window. */
export function evalDecodeFile(run: RunDecoders, path: string, inputPattern: string, trainedOn: boolean): DecodeEval {
  const r = recordingFor(run, path, inputPattern, run.lags + 3);
  const block: Block = { start: 0, end: r.T };
  const ts = samplesOf(block, run.lags);
  const scores = scoreAverage(run.folds.map((x) => decodeBlock(x.f, r, block)), rowsOf(r.Y, r.K, ts), r.K);
  const seeds = run.folds[0]!.f.rnn.map((c) => `${c.nets.length} ${c.cell.toUpperCase()} seeds`).join(', ');
  const head = `${path}: ${r.T} bins, ${ts.length} decoded (the first ${run.lags} lack a full window); each decoder is the average of the run's ${run.folds.length} fold decoders (${seeds} per fold)`;
  const warn = trainedOn ? '\nnote: the run was trained on this file, so every fold decoder has seen most of these bins: the scores are optimistic (see the run\'s table.txt for the cross-validated ones)' : '';
  const table = textTable(['decoder', ...r.targetNames.map((n) => `R² ${n}`), 'R² mean'], scores.map((s) => [s.name, ...s.perTarget, s.mean]));
  return { file: path, bins: r.T, decoded: ts.length, models: run.folds.length, scores, text: `${head}${warn}\n\n${table}` };
}

/** Re-score each fold's decoders on its own test block (the table of training, from the saved decoders). */
export function evalOwnFolds(run: RunDecoders, splits: readonly SplitSpec[], h: { folds: number; lags: number; inputs: string; targets: string }): DecodeEval {
  const cache = new Map<string, Recording>();
  const load = (f: string): Recording => {
    if (!cache.has(f)) cache.set(f, loadRecording(f, h.inputs, h.targets));
    return cache.get(f)!;
  };
  const scores: DecodeEval['scores'] = [];
  const lines: string[] = [];
  for (const s of splits) {
    const data = foldsOf(s, load, h);
    const per = run.folds.filter((x) => x.split === s.name).map((x) => {
      const d = data[x.fold]!;
      const truth = rowsOf(d.test.Y, d.test.K, samplesOf(d.testBlock, d.lags));
      return scoreAverage([decodeBlock(x.f, d.test, d.testBlock)], truth, d.test.K);
    });
    const names = per[0]!.map((x) => x.name);
    const rows = names.map((name, j) => {
      const v = per.map((p) => p[j]!.mean);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      scores.push({ split: s.name, name, perTarget: per[0]![j]!.perTarget.map((_, k) => per.reduce((a, p) => a + p[j]!.perTarget[k]!, 0) / per.length), mean });
      return [name, mean, ...v];
    });
    lines.push(`${s.name}: test R² (mean of the targets) of each fold's own decoders on its test block`, textTable(['decoder', 'mean', ...per.map((_, i) => `fold ${i + 1}`)], rows), '');
  }
  return { file: null, bins: 0, decoded: 0, models: run.folds.length, scores, text: lines.join('\n').trimEnd() };
}

/**
 * Decode every bin of `path` causally, as CSV: `bin`, then per recurrent cell its targets, its
 * blend with Wiener, then Wiener and Kalman. Recurrent columns come from the streaming decoders
 * (carried state, one bin per call); window decoders leave the first `lags` bins empty.
 */
export function predictDecodeFile(run: RunDecoders, path: string, inputPattern: string): { csv: string; rows: number } {
  const r = recordingFor(run, path, inputPattern, 1);
  const { T, N, K } = r;
  const L = run.lags;
  const cells = run.folds[0]!.f.rnn.map((c) => c.cell);
  const cols = [...cells.flatMap((c) => [c, `${c}+wiener`]), 'wiener', 'kalman'];
  const out = new Float64Array(T * cols.length * K).fill(NaN);
  const add = (t: number, col: number, v: ArrayLike<number>): void => {
    for (let k = 0; k < K; k++) {
      const i = (t * cols.length + col) * K + k;
      out[i] = (Number.isNaN(out[i]!) ? 0 : out[i]!) + v[k]! / run.folds.length;
    }
  };
  const ts = samplesOf({ start: 0, end: T }, L);
  for (const { f } of run.folds) {
    const X = standardise(r.X, N, f.xs);
    const raw = (z: ArrayLike<number>, i = 0): Float64Array => Float64Array.from({ length: K }, (_, k) => z[i * K + k]! * f.ys.sd[k]! + f.ys.mean[k]!);
    const wz = ts.length ? linearPredict(laggedDesign(X, N, L, ts), (L + 1) * N + 1, f.wiener.W, K) : new Float64Array(0);
    const kz = kalmanFilter(kalmanRunner(f.kalman.model), X, 0, T, f.kalman.c);
    const stream = new FoldStream(f);
    for (let t = 0; t < T; t++) {
      const ys = stream.push(r.X.subarray(t * N, (t + 1) * N));
      add(t, cols.length - 1, raw(kz, t));
      if (t < L) continue;
      const w = raw(wz, t - L);
      add(t, cols.length - 2, w);
      ys.forEach((y, j) => {
        add(t, 2 * j, y!);
        const a = f.rnn[j]!.alpha;
        add(t, 2 * j + 1, y!.map((v, k) => a * v + (1 - a) * w[k]!));
      });
    }
  }
  const header = ['bin', ...cols.flatMap((c) => r.targetNames.map((n) => `${c}_${n}`))];
  const lines = [header.join(',')];
  for (let t = 0; t < T; t++) lines.push([t, ...Array.from(out.subarray(t * cols.length * K, (t + 1) * cols.length * K), (v) => (Number.isNaN(v) ? '' : String(Number(v.toPrecision(7)))))].join(','));
  return { csv: `${lines.join('\n')}\n`, rows: T };
}
