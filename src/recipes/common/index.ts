/** Helpers shared by the recipes: run folders, progress, reports, checkpoints, Ctrl-C. */
export {
  RUN_FILES, createRunDir, openRunDir, commitRunDir, abortRunDir, timestampName, writeJson, readJson, appendJsonl, readJsonl, type RunDir,
} from './run-dir.js';
export { TrainProgress, fmtDuration, type ProgressOptions, type JobPlan } from './progress.js';
export { renderReport, writeReport, histogramChart, thin, bestCells, historyCharts, type ReportData, type ReportTable, type ReportChart, type ReportConfusion } from './report.js';
export { onInterrupt, yieldToEvents, type StopFlag } from './interrupt.js';
export { runEnvironment, recurVersion, type RunEnvironment } from './environment.js';
export { textTable, fmtNum, wrapText, signedPct } from './table.js';
