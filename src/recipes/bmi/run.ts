/**
 * `runBmi`: the BMI decoding recipe. Each split is either contiguous-block k-fold CV on one file
 * (Glaser et al. 2020) or train on one file / test on another (same units). Per fold: Wiener
 * filter, Kalman filter and the recurrent decoders, hyperparameters chosen on the validation block.
 * With `stateDir` every finished fold is saved (fold-<split>-<f>.json) and reused on a rerun.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptionError, ValueError, getBackend, writeFileAtomicSync } from '../../index.js';
import { contiguousFolds, crossFileSplit, loadRecording, type Recording } from './data.js';
import { saveFold } from './deploy.js';
import { runFoldData, type FoldData, type FoldOutcome, type RnnSettings } from './fold.js';
import { summarise, type SplitSummary } from './summary.js';

export type SplitSpec =
  | { name: string; kind: 'cv'; file: string }
  | { name: string; kind: 'cross'; trainFile: string; testFile: string };

export interface BmiOptions extends Partial<RnnSettings> {
  splits: SplitSpec[];
  /** Input columns: names or globs, comma-separated (default 'unit*'). */
  inputs?: string;
  /** Target columns (default 'vel_x,vel_y'). */
  targets?: string;
  /** Bins before the current one in the causal window (default 13, Glaser's M1 setting). */
  lags?: number;
  /** Folds of the contiguous-block CV (default 10). */
  folds?: number;
  seed?: number;
  stateDir?: string;
  onProgress?: (e: BmiProgress) => void;
  stop?: { readonly requested: boolean };
}

export type BmiProgress =
  | { kind: 'start'; jobs: number; backend: string }
  | { kind: 'fold_end'; split: string; fold: number; folds: number; wiener: number; kalman: number; rnn: Record<string, number>; ms: number; reused: boolean }
  | { kind: 'done'; ms: number };

export interface BmiFold extends FoldOutcome {
  split: string;
  fold: number;
}

export interface BmiResult {
  settings: RnnSettings & { lags: number; folds: number; seed: number; inputs: string; targets: string };
  splits: (SplitSpec & { bins: number; units: number; targetNames: string[] })[];
  folds: BmiFold[];
  summary: SplitSummary[];
  timings: { totalMs: number; backend: string };
}

function settings(o: BmiOptions): BmiResult['settings'] {
  const where = 'runBmi';
  const int = (name: string, v: number | undefined, def: number, min: number): number => {
    const x = v ?? def;
    if (!Number.isInteger(x) || x < min) throw new ValueError(where, `${name} an integer >= ${min}`, String(v));
    return x;
  };
  const list = (name: string, v: number[] | undefined, def: number[], ok: (x: number) => boolean): number[] => {
    const x = v ?? def;
    if (!x.length || !x.every(ok)) throw new ValueError(where, `${name} a non-empty list of valid values`, JSON.stringify(v));
    return x;
  };
  const cells = o.cells ?? ['lstm', 'gru'];
  if (!cells.length || !cells.every((c) => c === 'gru' || c === 'lstm')) throw new ValueError(where, "cells among 'gru', 'lstm'", JSON.stringify(o.cells));
  if (!o.splits.length) throw new OptionError(where, 'at least one split', 'none');
  const lr = o.lr ?? 3e-3;
  if (!(lr > 0 && lr < 1)) throw new ValueError(where, 'lr in (0, 1)', String(o.lr));
  return {
    cells, lags: int('lags', o.lags, 13, 0), folds: int('folds', o.folds, 10, 3), seed: int('seed', o.seed, 0, 0), seeds: int('seeds', o.seeds, 3, 1),
    hiddenGrid: list('hiddenGrid', o.hiddenGrid, [64], (x) => Number.isInteger(x) && x >= 1), dropoutGrid: list('dropoutGrid', o.dropoutGrid, [0.25, 0.5], (x) => x >= 0 && x < 1),
    epochs: int('epochs', o.epochs, 60, 1), batchSize: int('batchSize', o.batchSize, 32, 1), lr, patience: int('patience', o.patience, 8, 1),
    inputs: o.inputs ?? 'unit*', targets: o.targets ?? 'vel_x,vel_y',
  };
}

/** The folds of a split as FoldData. */
export function foldsOf(s: SplitSpec, load: (f: string) => Recording, h: { folds: number; lags: number }): FoldData[] {
  if (s.kind === 'cv') {
    const r = load(s.file);
    return contiguousFolds(r.T, h.folds).map((f) => ({ train: r, trainBlocks: f.train, val: f.val, test: r, testBlock: f.test, lags: h.lags }));
  }
  const a = load(s.trainFile);
  const b = load(s.testFile);
  if (a.inputNames.join() !== b.inputNames.join() || a.targetNames.join() !== b.targetNames.join()) {
    throw new ValueError(`split ${s.name}`, `the same input and target columns in ${s.trainFile} and ${s.testFile}`, `${a.N} vs ${b.N} inputs`);
  }
  const c = crossFileSplit(a.T);
  return [{ train: a, trainBlocks: c.train, val: c.val, test: b, testBlock: { start: 0, end: b.T }, lags: h.lags }];
}

/** A fold's files in the run folder: its outcome (json) and its decoders (safetensors, deploy.ts). */
export function foldFile(split: string, fold: number, ext: 'json' | 'safetensors'): string {
  return `fold-${split}-${fold}.${ext}`;
}

/** Run one fold; its decoders are saved before its outcome, so a fold-*.json always has its checkpoint. */
async function computeFold(d: FoldData, h: BmiResult['settings'], seed: number, checkpoint: string, stop?: { readonly requested: boolean }): Promise<FoldOutcome | null> {
  const r = await runFoldData(d, h, seed, stop);
  if (!r) return null;
  if (checkpoint) saveFold(checkpoint, r.models, d.train.inputNames, d.train.targetNames);
  return r.outcome;
}

/**
 * Run the recipe. Null when `stop` was requested (finished folds stay saved in `stateDir`).
 * @example
 * const r = await runBmi({ splits: [{ name: 'cv', kind: 'cv', file: 'chewie_Ytr_Xtr.csv' }] });
 * console.log(r!.summary[0]);
 */
export async function runBmi(o: BmiOptions): Promise<BmiResult | null> {
  const h = settings(o);
  const t0 = performance.now();
  const cache = new Map<string, Recording>();
  const load = (f: string): Recording => {
    if (!cache.has(f)) cache.set(f, loadRecording(f, h.inputs, h.targets));
    return cache.get(f)!;
  };
  const plan = o.splits.map((s) => ({ s, folds: foldsOf(s, load, h) }));
  const backend = getBackend().name;
  o.onProgress?.({ kind: 'start', jobs: plan.reduce((a, p) => a + p.folds.length, 0), backend });
  const folds: BmiFold[] = [];
  for (const [si, { s, folds: fds }] of plan.entries()) {
    for (const [f, d] of fds.entries()) {
      const file = o.stateDir ? join(o.stateDir, foldFile(s.name, f, 'json')) : '';
      // A fold saved without its decoders (by an older version) is computed again.
      const reused = !!file && existsSync(file) && existsSync(join(o.stateDir!, foldFile(s.name, f, 'safetensors')));
      const out = reused ? (JSON.parse(readFileSync(file, 'utf8')) as FoldOutcome) : await computeFold(d, h, h.seed * 1000 + si * 100 + f, file && join(o.stateDir!, foldFile(s.name, f, 'safetensors')), o.stop);
      if (!out) return null;
      if (file && !reused) writeFileAtomicSync(file, JSON.stringify(out));
      folds.push({ split: s.name, fold: f, ...out });
      o.onProgress?.({
        kind: 'fold_end', split: s.name, fold: f, folds: fds.length, wiener: out.wiener.test, kalman: out.kalman.test,
        rnn: Object.fromEntries(out.rnn.map((r) => [r.cell, r.ensemble])), ms: out.ms, reused,
      });
    }
  }
  const totalMs = performance.now() - t0;
  o.onProgress?.({ kind: 'done', ms: totalMs });
  const splits = plan.map(({ s }) => {
    const r = load(s.kind === 'cv' ? s.file : s.trainFile);
    return { ...s, bins: r.T, units: r.N, targetNames: r.targetNames };
  });
  return { settings: h, splits, folds, summary: summarise(splits, folds, h.cells), timings: { totalMs, backend } };
}
