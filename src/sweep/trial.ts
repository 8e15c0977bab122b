/**
 * One trial: an ordinary forecasting run in `<root>/<sweep>/<trial>/`, and the few numbers a
 * leaderboard needs. Running a trial again is safe: a finished trial is read back, a trial whose
 * process was killed (its staging folder `.<trial>.partial-<pid>` left behind) is resumed from
 * its last checkpoint, so a retried trial neither starts over nor leaves a second folder.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES, partialRuns, readJson } from '../recipes/common/index.js';
import { trainForecast, type ForecastConfig, type ForecastMetrics } from '../recipes/forecast/index.js';

/** What the leaderboard keeps of a trial. */
export interface TrialResult {
  trial: string;
  point: string;
  seed: number;
  overrides: Record<string, unknown>;
  /** Mean over folds of the best validation loss (normalised units): what trials are ranked by. */
  valLoss: number | null;
  /** Test scores of the first target, all horizon steps pooled. */
  test: { mae: number; rmse: number; maeSkill: number; rmseSkill: number; persistenceMae: number; persistenceRmse: number };
  seconds: number;
  /** Who ran it (host:pid) and how (fresh, resumed, or already finished). */
  by: string;
  how: 'fresh' | 'resumed' | 'finished';
}

/** The leaderboard's numbers from a finished run's metrics.json. */
export function resultOf(m: ForecastMetrics, t: { trial: string; point: string; seed: number; overrides: Record<string, unknown> }, by: string, how: TrialResult['how']): TrialResult {
  const o = m.scores.overall[m.targets[0]!]!;
  const losses = (m.validation ?? []).map((v) => v.loss).filter((v): v is number => v !== null);
  return {
    ...t, by, how, seconds: m.seconds,
    valLoss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
    test: {
      mae: o.model!.mae, rmse: o.model!.rmse, maeSkill: 1 - o.model!.mae / o.persistence!.mae, rmseSkill: 1 - o.model!.rmse / o.persistence!.rmse,
      persistenceMae: o.persistence!.mae, persistenceRmse: o.persistence!.rmse,
    },
  };
}

/** How a trial stands on disk: finished, killed (resumable), or not started. */
function stateOf(root: string, name: string): { how: TrialResult['how']; resumeDir?: string } {
  const final = join(root, name);
  if (existsSync(join(final, RUN_FILES.metrics))) return { how: 'finished' };
  const dead = partialRuns(root, name).filter((p) => !p.alive);
  const resumable = dead.filter((p) => existsSync(join(p.path, RUN_FILES.config)));
  for (const p of dead) if (!resumable.includes(p) || p !== resumable[0]) rmSync(p.path, { recursive: true, force: true });
  if (resumable.length) return { how: 'resumed', resumeDir: final };
  if (existsSync(join(final, RUN_FILES.config))) return { how: 'resumed', resumeDir: final }; // stopped
  return { how: 'fresh' };
}

/**
 * Run (or finish, or read back) one trial in this process.
 * @throws what the recipe throws for bad data or options.
 */
export async function runTrial(c: ForecastConfig, t: { trial: string; point: string; seed: number; overrides: Record<string, unknown> }, by: string): Promise<TrialResult> {
  const root = c.runsDir;
  const st = stateOf(root, c.name!);
  if (st.how !== 'finished') {
    const r = await trainForecast(c, { csvPath: c.csv, runsDir: root, ...(st.resumeDir ? { resumeDir: st.resumeDir } : {}), tty: false });
    if (r.reason === 'stopped') throw new Error(`trial ${t.trial} was stopped`);
  }
  return resultOf(readJson(join(root, c.name!, RUN_FILES.metrics)) as ForecastMetrics, t, by, st.how);
}

/** The small files of a finished trial, base64, for gathering through the queue (null when over `maxBytes`). */
export function trialFiles(dir: string, maxBytes: number): Record<string, string> | null {
  const names = [RUN_FILES.config, RUN_FILES.metrics, RUN_FILES.checkpoint, RUN_FILES.events, RUN_FILES.reportData, RUN_FILES.report];
  const out: Record<string, string> = {};
  let total = 0;
  for (const n of names) {
    const p = join(dir, n);
    if (!existsSync(p)) continue;
    const b = readFileSync(p);
    total += b.length;
    if (total > maxBytes) return null;
    out[n] = b.toString('base64');
  }
  return out;
}
