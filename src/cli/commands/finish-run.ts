/** The start and the end of a recipe run, the same for every task. */
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../index.js';
import { RUN_FILES, abortRunDir, appendJsonl, commitRunDir, createRunDir, staleRunsWarning, writeJson, writeReport, type ReportData, type RunDir } from '../../recipes/common/index.js';
import type { Io } from './io.js';

/**
 * A new run folder under `runsDir` (warning about killed runs' folders there) holding `config`
 * as config.json; the folder is removed again if that write fails.
 */
export function startRun(runsDir: string, name: string | undefined, config: unknown, io: Io): RunDir {
  const stale = staleRunsWarning(runsDir);
  if (stale) io.err(stale);
  const run = createRunDir(runsDir, name);
  try {
    writeJson(join(run.path, RUN_FILES.config), config);
  } catch (e) {
    abortRunDir(run);
    throw e;
  }
  return run;
}

/**
 * Write metrics.json, table.txt, report-data.json and report.html, log `run_end`, move the run
 * folder into place and print the table (or, with --json, the metrics). Returns the exit status 0.
 * `note` is printed between the table and the run path (e.g. the wall time).
 */
export function finishRun(run: RunDir, events: string, io: Io, out: { metrics: unknown; table: string; report: ReportData; note?: string }): number {
  writeJson(join(run.path, RUN_FILES.metrics), out.metrics);
  writeFileAtomicSync(join(run.path, 'table.txt'), `${out.table}\n`);
  writeJson(join(run.path, RUN_FILES.reportData), out.report);
  writeReport(join(run.path, RUN_FILES.report), out.report);
  appendJsonl(events, { type: 'run_end', reason: 'completed', time: Date.now() });
  commitRunDir(run);
  const note = out.note ? `${out.note}\n` : '';
  io.out(io.json ? `${JSON.stringify(out.metrics, null, 2)}\n` : `${out.table}\n\n${note}run:    ${run.final}\nreport: ${join(run.final, RUN_FILES.report)}\n`);
  return 0;
}

/** A recipe's progress callback: each line to events.jsonl, and to stderr unless quiet. */
export function progressLog(events: string, quiet: boolean, io: Io): (line: string) => void {
  return (line) => {
    appendJsonl(events, { type: 'progress', line, time: Date.now() });
    if (!quiet) io.err(`${line}\n`);
  };
}

/**
 * A run stopped by Ctrl-C: log `run_end`, move the partial folder into place (what it holds is
 * what --resume reuses) and say how to continue, after `kept` (e.g. "finished folds are saved").
 * Returns the exit status 130.
 */
export function stopRun(run: RunDir, events: string, io: Io, kept?: string): number {
  appendJsonl(events, { type: 'run_end', reason: 'stopped', time: Date.now() });
  commitRunDir(run);
  io.err(`stopped${kept ? `; ${kept}` : ''}. Continue with: recur train --resume ${run.final}\n`);
  return 130;
}
