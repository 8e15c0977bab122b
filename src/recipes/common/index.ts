/** Helpers shared by the recipes: run folders, progress, reports, checkpoints, Ctrl-C. */
export {
  RUN_FILES, createRunDir, openRunDir, openFinishedRun, resumeRunDir, commitRunDir, abortRunDir, releaseRunDir, runStatus, partialRuns, staleRuns, staleRunsWarning, pidAlive,
  timestampName, writeJson, readJson, appendJsonl, readJsonl, type RunDir, type RunStatus, type PartialRun,
} from './run-dir.js';
export { TrainProgress, type ProgressOptions, type StepInfo } from './progress.js';
export { renderReport, writeReport, histogramChart, thin, type ReportData, type ReportTable, type ReportChart, type ReportConfusion } from './report.js';
export { onInterrupt, yieldToEvents, type StopFlag } from './interrupt.js';
export { textTable, fmtNum } from './table.js';
