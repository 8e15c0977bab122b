/** Gait recipe (issue 11 §3): LSTM vs GRU footstep segmentation over window lengths, against a zero-velocity detector. */
export { runGait, GAIT_DEFAULT_FOLDS, type GaitOptions, type GaitResult } from './run.js';
export { formatGait, summarise, verdict, paired, t975, type WindowSummary, type Stat, type Paired } from './summary.js';
export { gaitReport } from './report.js';
export { loadGait, labelsOf, subjectFolds, channelStats, standardised, DATA_FILES, CHANNELS, FEET, type Trial, type Interval, type Foot } from './data.js';
export { runsOf, matchPairs, matchSteps, f1Of, calibrated, shifted, type MatchCounts } from './events.js';
export { detectSteps, tuneDetector, movingAverage, ZV_GRID, type ZeroVelocity } from './classical.js';
export { Segmenter, fitSegmenter, predictSeq, windowStarts, paramCount, matchedGruHidden, type Cell, type Seq } from './model.js';
export { dependencyFlow, reachOf, type FlowReading } from './flow.js';
export { runFold, stepsFromProbs, type FoldResult, type RnnRun, type GaitSettings } from './fold.js';
