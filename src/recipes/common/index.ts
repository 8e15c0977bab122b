/** Helpers shared by the recipes: run folders, progress, reports, checkpoints, Ctrl-C. */
export {
  RUN_FILES, createRunDir, openRunDir, openFinishedRun, resumeRunDir, commitRunDir, abortRunDir, releaseRunDir, runStatus, partialRuns, staleRuns, staleRunsWarning, pidAlive,
  timestampName, writeJson, readJson, appendJsonl, readJsonl, type RunDir, type RunStatus, type PartialRun,
} from './run-dir.js';
export { TrainProgress, fmtDuration, type ProgressOptions, type JobPlan } from './progress.js';
export { renderReport, writeReport, histogramChart, thin, bestCells, historyCharts, type ReportData, type ReportTable, type ReportChart, type ReportConfusion, type ReportHeatmap } from './report.js';
export { onInterrupt, yieldToEvents, type StopFlag } from './interrupt.js';
export { runEnvironment, recurVersion, type RunEnvironment } from './environment.js';
export { textTable, fmtNum, wrapText, signedPct } from './table.js';
