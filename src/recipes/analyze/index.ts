/**
 * `recur analyze`: the dynamics instruments (gradient flow through time, Lyapunov spectrum,
 * fixed/slow points, DMD) on one layer of a trained model — a run of either task, or a PyTorch
 * state dict — with readings computed from the numbers and an offline HTML report.
 */
import type { Rng } from '../../index.js';
import type { Budget } from './budget.js';
import { runInstruments, type Subject } from './instruments.js';
import { readingsOf } from './readings.js';
import { analysisDocument, type AnalysisDocument } from './report.js';

/**
 * Run every instrument on `subject` within `budget` and read the results.
 * @example const doc = analyzeSubject(runSubject('runs/wind', { batch: 64 }), BUDGETS.quick, new Rng(0));
 */
export function analyzeSubject(subject: Subject, budget: Budget, rng: Rng): AnalysisDocument {
  const results = runInstruments(subject, budget, rng);
  return analysisDocument(subject, budget, results, readingsOf(results));
}

export { BUDGETS, budgetOf, type Budget, type BudgetName } from './budget.js';
export { runInstruments, firstSequences, type Subject, type InstrumentResults, type GradientFlowSummary, type LyapunovSummary, type FixedPointSummary, type DmdSummary } from './instruments.js';
export { readingsOf, gradientReadings, lyapunovReadings, fixedPointReadings, dmdReadings, gradientRatio, THRESHOLDS, fmt, type Readings } from './readings.js';
export { analysisDocument, analysisReportData, writeAnalysis, type AnalysisDocument } from './report.js';
export { subjectOf, reverseTime, modeName, PROXY_LOSS, type SubjectInputs } from './subject.js';
export { runSubject, runTask, forecastSubject, spliceSubject, type InputChoice, type RunSubjectOptions } from './sources.js';
export { weightsSubject, moduleFromStateDict, type WeightsOptions, type CellName } from './weights.js';
