/**
 * `runGait`: LSTM vs GRU footstep segmenters at equal parameter budget over window lengths from
 * tens to hundreds of samples, against a tuned zero-velocity detector, under leave-subjects-out
 * cross-validation. With `stateDir`, every finished fold is saved (fold-F.json) and reused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, ValueError, getBackend, writeFileAtomicSync } from '../../index.js';
import { loadGait, subjectFolds, type Trial } from './data.js';
import { runFold, type FoldResult, type GaitSettings, type RnnRun } from './fold.js';
import { matchedGruHidden, paramCount, type Cell } from './model.js';

export interface GaitOptions {
  csv: string;
  meta: string;
  windows?: number[];
  /** LSTM width; the GRU's is matched to its parameter count. */
  hidden?: number;
  seeds?: number;
  lrGrid?: number[];
  epochs?: number;
  patience?: number;
  stepsPerEpoch?: number;
  batchSteps?: number;
  tols?: number[];
  folds?: number;
  valSubjects?: number;
  /** Run only these folds (0-based), e.g. for a shorter run; default all. */
  onlyFolds?: number[];
  seed?: number;
  stateDir?: string;
  onProgress?: (line: string) => void;
  stop?: { readonly requested: boolean };
}

export interface GaitResult {
  settings: GaitSettings & { folds: number; valSubjects: number; seed: number; onlyFolds: number[] | null };
  data: { trials: number; subjects: number; samples: number; steps: number };
  folds: FoldResult[];
  timings: { totalMs: number; backend: string };
}

export const GAIT_DEFAULT_FOLDS = 5;

function settings(o: GaitOptions): GaitResult['settings'] {
  const int = (name: string, v: number | undefined, def: number, min: number): number => {
    const x = v ?? def;
    if (!Number.isInteger(x) || x < min) throw new ValueError(`runGait: ${name}`, `an integer >= ${min}`, String(v));
    return x;
  };
  const ints = (name: string, v: number[] | undefined, def: number[], min: number): number[] => {
    const x = v ?? def;
    if (!x.length || !x.every((n) => Number.isInteger(n) && n >= min)) throw new ValueError(`runGait: ${name}`, `a non-empty list of integers >= ${min}`, JSON.stringify(v));
    return x;
  };
  const lrGrid = o.lrGrid ?? [1e-2];
  if (!lrGrid.length || !lrGrid.every((x) => x > 0 && x < 1)) throw new ValueError('runGait: lrGrid', 'learning rates in (0, 1)', JSON.stringify(o.lrGrid));
  const cells: Cell[] = ['lstm', 'gru'];
  const hiddenL = int('hidden', o.hidden, 24, 1);
  const hidden = { lstm: hiddenL, gru: matchedGruHidden(hiddenL) };
  const windows = ints('windows', o.windows, [25, 50, 100, 200, 400], 2);
  const folds = int('folds', o.folds, GAIT_DEFAULT_FOLDS, 2);
  const bad = o.onlyFolds?.find((f) => f >= folds);
  if (bad !== undefined) throw new ValueError('runGait: onlyFolds', `folds below ${folds} (0-based)`, String(bad));
  return {
    windows, cells, hidden, params: { lstm: paramCount('lstm', hidden.lstm), gru: paramCount('gru', hidden.gru) }, seeds: int('seeds', o.seeds, 3, 1), lrGrid,
    epochs: int('epochs', o.epochs, 16, 1), patience: int('patience', o.patience, 3, 0), stepsPerEpoch: int('stepsPerEpoch', o.stepsPerEpoch, 25_000, 1),
    batchSteps: int('batchSteps', o.batchSteps, 4096, 1), tols: ints('tols', o.tols, [10, 5, 20], 0), flowLength: Math.max(...windows), flowBatch: 8,
    folds, valSubjects: int('valSubjects', o.valSubjects, 3, 1), seed: int('seed', o.seed, 0, 0), onlyFolds: o.onlyFolds ? ints('onlyFolds', o.onlyFolds, [], 0) : null,
  };
}

function runLine(fold: number, r: RnnRun): string {
  const f1 = r.subjects.reduce((a, s) => [a[0]! + s.counts[0]!.tp, a[1]! + s.counts[0]!.detected + s.counts[0]!.annotated], [0, 0]);
  return `fold ${fold + 1}: W ${r.W} ${r.cell.toUpperCase()} seed ${r.seed}: lr ${r.lr}, val F1 ${r.valF1.toFixed(3)}, test F1 ${((2 * f1[0]!) / f1[1]!).toFixed(3)}, reach(1 %) ${r.flow?.reach1 ?? '–'}`;
}

/**
 * Run the experiment. Null when `stop` was requested (finished folds stay saved in `stateDir`).
 * @example
 * const r = await runGait({ csv: 'gait-imu/gait_imu_feet.csv.gz', meta: 'gait-imu/gait_metadata.json', onlyFolds: [0] });
 */
export async function runGait(o: GaitOptions): Promise<GaitResult | null> {
  const h = settings(o);
  const t0 = performance.now();
  const trials: Trial[] = loadGait(o.csv, o.meta);
  const subjects = trials.map((t) => t.subject);
  const nSubjects = new Set(subjects).size;
  // The largest test group has ⌈n/k⌉ subjects; at least one must remain for training beside the validation ones.
  if (nSubjects - Math.ceil(nSubjects / h.folds) - h.valSubjects < 1) throw new ValueError('runGait: folds', `folds that leave a training subject beside ${h.valSubjects} validation subjects (${nSubjects} subjects)`, String(h.folds));
  const specs = subjectFolds(subjects, h.folds, h.valSubjects, new Rng(h.seed)).map((subjects, fold) => ({ fold, subjects }));
  const say = o.onProgress ?? (() => {});
  say(`gait: ${trials.length} trials of ${nSubjects} subjects, ${h.folds} subject folds; LSTM H=${h.hidden.lstm} (${h.params.lstm} parameters) vs GRU H=${h.hidden.gru} (${h.params.gru}); ${getBackend().name} backend`);
  const folds: FoldResult[] = [];
  for (const spec of specs.filter((s) => !h.onlyFolds || h.onlyFolds.includes(s.fold))) {
    const file = o.stateDir ? join(o.stateDir, `fold-${spec.fold}.json`) : '';
    const reused = !!file && existsSync(file);
    const out = reused ? (JSON.parse(readFileSync(file, 'utf8')) as FoldResult) : await runFold(trials, spec, h, h.seed * 1000 + spec.fold, (r) => say(runLine(spec.fold, r)), o.stop);
    if (!out) return null;
    if (file && !reused) writeFileAtomicSync(file, JSON.stringify(out));
    say(`fold ${spec.fold + 1}/${h.folds} done (test subjects ${spec.subjects.test.join(', ')})${reused ? ' (saved)' : ` in ${(out.ms / 1000).toFixed(0)} s`}`);
    folds.push(out);
  }
  const steps = trials.reduce((a, t) => a + t.steps.lf.length + t.steps.rf.length, 0);
  return {
    settings: h, data: { trials: trials.length, subjects: nSubjects, samples: trials.reduce((a, t) => a + t.T, 0), steps },
    folds, timings: { totalMs: performance.now() - t0, backend: getBackend().name },
  };
}
