/**
 * One leave-subjects-out fold of the gait experiment. The classical detector is tuned on all the
 * fold's training subjects; each recurrent segmenter is trained on the training subjects minus
 * the validation subjects, which choose its learning rate, its early-stopping epoch and its
 * decision rule (probability threshold, minimum step length). Test subjects are scored once,
 * per subject, at every tolerance.
 */
import { Rng } from '../../index.js';
import { detectSteps, tuneDetector, type ZeroVelocity } from './classical.js';
import { FEET, channelStats, labelsOf, standardised, type Interval, type Trial } from './data.js';
import { NO_COUNTS, addCounts, calibrated, matchSteps, runsOf, shifted, type MatchCounts } from './events.js';
import { dependencyFlow, type FlowReading } from './flow.js';
import { Segmenter, fitSegmenter, predictSeq, type Cell, type Seq } from './model.js';

export interface GaitSettings {
  windows: number[];
  cells: Cell[];
  /** Hidden width per cell (the GRU's matched to the LSTM's parameter count). */
  hidden: Record<Cell, number>;
  params: Record<Cell, number>;
  seeds: number;
  lrGrid: number[];
  epochs: number;
  patience: number;
  stepsPerEpoch: number;
  batchSteps: number;
  /** Tolerances in samples; the first is the primary one. */
  tols: number[];
  flowLength: number;
  flowBatch: number;
}

/** Match counts of one test subject, one per tolerance. */
export interface SubjectScore {
  subject: number;
  counts: MatchCounts[];
}

export interface RnnRun {
  W: number;
  cell: Cell;
  seed: number;
  lr: number;
  threshold: number;
  minLen: number;
  shiftStart: number;
  shiftEnd: number;
  valF1: number;
  bestEpoch: number;
  subjects: SubjectScore[];
  flow: FlowReading | null;
}

export interface FoldResult {
  fold: number;
  subjects: { train: number[]; val: number[]; test: number[] };
  classical: { params: ZeroVelocity; trainF1: number; subjects: SubjectScore[] };
  rnn: RnnRun[];
  ms: number;
}

export const THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.7];
export const MIN_LENS = [1, 5, 10, 20, 30];

export interface Rule {
  threshold: number;
  minLen: number;
  shiftStart: number;
  shiftEnd: number;
}

/** Steps of each foot from probabilities (T, 2) under a decision rule. */
export function stepsFromProbs(p: Float32Array, T: number, r: Rule): Interval[][] {
  return FEET.map((_, k) => shifted(runsOf(T, (t) => p[t * 2 + k]! >= r.threshold, r.minLen), r.shiftStart, r.shiftEnd, T));
}

function scoreSubjects(trials: readonly Trial[], detect: (tr: Trial, i: number) => Interval[][], tols: readonly number[]): SubjectScore[] {
  const by = new Map<number, MatchCounts[]>();
  trials.forEach((tr, i) => {
    const steps = detect(tr, i);
    const c = by.get(tr.subject) ?? tols.map(() => NO_COUNTS);
    by.set(tr.subject, c.map((acc, j) => FEET.reduce((a, f, k) => addCounts(a, matchSteps(steps[k]!, tr.steps[f], tols[j]!)), acc)));
  });
  return [...by].sort((a, b) => a[0] - b[0]).map(([subject, counts]) => ({ subject, counts }));
}

/** The decision rule with the best pooled F1 on validation sequences (shifts calibrated as the detector's). */
function tuneRule(probs: Float32Array[], trials: readonly Trial[], tol: number): Rule & { f1: number } {
  const feet = trials.flatMap((tr) => FEET.map((f) => ({ T: tr.T, truth: tr.steps[f] })));
  let best = { threshold: NaN, minLen: NaN, shiftStart: 0, shiftEnd: 0, f1: -1 };
  for (const threshold of THRESHOLDS) {
    for (const minLen of MIN_LENS) {
      const runs = trials.flatMap((tr, i) => stepsFromProbs(probs[i]!, tr.T, { threshold, minLen, shiftStart: 0, shiftEnd: 0 }));
      const c = calibrated(runs, feet, tol);
      if (c.f1 > best.f1) best = { threshold, minLen, ...c };
    }
  }
  return best;
}

interface Split {
  train: Seq[];
  val: Seq[];
  test: Seq[];
  valTrials: Trial[];
  testTrials: Trial[];
}

/** Train one (W, cell, seed) over the lr grid; the lr with the best validation F1 is scored on test. */
async function trainOne(sp: Split, W: number, cell: Cell, seed: number, h: GaitSettings, rng: Rng, stop?: { readonly requested: boolean }): Promise<RnnRun | null> {
  let best: { run: Omit<RnnRun, 'subjects' | 'flow'>; model: Segmenter } | null = null;
  for (const lr of h.lrGrid) {
    const model = new Segmenter(cell, h.hidden[cell], rng.fork());
    const fit = await fitSegmenter(model, sp.train, sp.val, { W, lr, epochs: h.epochs, patience: h.patience, stepsPerEpoch: h.stepsPerEpoch, batchSteps: h.batchSteps, rng: rng.fork(), ...(stop ? { stop } : {}) });
    if (!fit) return null;
    const rule = tuneRule(sp.val.map((s) => predictSeq(model, s, W)), sp.valTrials, h.tols[0]!);
    const { f1: valF1, ...r } = rule;
    if (!best || valF1 > best.run.valF1) best = { run: { W, cell, seed, lr, ...r, valF1, bestEpoch: fit.bestEpoch }, model };
  }
  const { run, model } = best!;
  const subjects = scoreSubjects(sp.testTrials, (tr, i) => stepsFromProbs(predictSeq(model, sp.test[i]!, W), tr.T, run), h.tols);
  return { ...run, subjects, flow: dependencyFlow(model, sp.test, h.flowLength, h.flowBatch, rng.fork()) };
}

export interface FoldSpec {
  fold: number;
  subjects: { train: number[]; val: number[]; test: number[] };
}

/** Run one fold. Null when a stop was requested. */
export async function runFold(trials: readonly Trial[], spec: FoldSpec, h: GaitSettings, seed: number, onRun?: (r: RnnRun) => void, stop?: { readonly requested: boolean }): Promise<FoldResult | null> {
  const t0 = performance.now();
  const of = (s: number[]): Trial[] => trials.filter((t) => s.includes(t.subject));
  const [tr, va, te] = [of(spec.subjects.train), of(spec.subjects.val), of(spec.subjects.test)];
  const tuned = tuneDetector([...tr, ...va], h.tols[0]!);
  const classical = { params: tuned.params, trainF1: tuned.f1, subjects: scoreSubjects(te, (t) => FEET.map((f) => detectSteps(t, f, tuned.params)), h.tols) };
  const stats = channelStats(tr);
  const seq = (t: Trial): Seq => ({ T: t.T, X: standardised(t, stats), Y: labelsOf(t) });
  const sp: Split = { train: tr.map(seq), val: va.map(seq), test: te.map(seq), valTrials: va, testTrials: te };
  const rnn: RnnRun[] = [];
  for (const W of h.windows) {
    for (const cell of h.cells) {
      for (let s = 0; s < h.seeds; s++) {
        const r = await trainOne(sp, W, cell, s, h, new Rng(seed * 7919 + W * 31 + s * 3 + (cell === 'lstm' ? 1 : 2)), stop);
        if (!r) return null;
        rnn.push(r);
        onRun?.(r);
      }
    }
  }
  return { fold: spec.fold, subjects: spec.subjects, classical, rnn, ms: performance.now() - t0 };
}
