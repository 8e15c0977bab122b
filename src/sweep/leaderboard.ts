/**
 * The sweep's leaderboard: trials grouped by point (the same options, different seeds), ranked
 * by the mean validation loss — never by test scores, which are shown beside it with their
 * spread over seeds. Written as leaderboard.json and a self-contained leaderboard.html.
 */
import { join } from 'node:path';
import { signedPct, textTable, writeJson, writeReport, type ReportData } from '../recipes/common/index.js';
import type { TrialResult } from './trial.js';

/** Mean and (sample) standard deviation; sd 0 for one value. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/** One point of the sweep over its seeds. */
export interface PointRow {
  point: string;
  overrides: Record<string, unknown>;
  seeds: number[];
  valLoss: { mean: number; sd: number; n: number } | null;
  maeSkill: { mean: number; sd: number; n: number };
  rmseSkill: { mean: number; sd: number; n: number };
  mae: { mean: number; sd: number; n: number };
  rmse: { mean: number; sd: number; n: number };
}

/** Points ranked by mean validation loss (points without validation last). */
export function rankPoints(results: readonly TrialResult[]): PointRow[] {
  const by = new Map<string, TrialResult[]>();
  for (const r of results) by.set(r.point, [...(by.get(r.point) ?? []), r]);
  const rows = [...by].map(([point, rs]): PointRow => {
    const v = rs.map((r) => r.valLoss).filter((x): x is number => x !== null);
    return {
      point, overrides: rs[0]!.overrides, seeds: rs.map((r) => r.seed).sort((a, b) => a - b), valLoss: v.length ? meanSd(v) : null,
      maeSkill: meanSd(rs.map((r) => r.test.maeSkill)), rmseSkill: meanSd(rs.map((r) => r.test.rmseSkill)), mae: meanSd(rs.map((r) => r.test.mae)), rmse: meanSd(rs.map((r) => r.test.rmse)),
    };
  });
  return rows.sort((a, b) => (a.valLoss?.mean ?? Infinity) - (b.valLoss?.mean ?? Infinity) || a.point.localeCompare(b.point));
}

const show = (o: Record<string, unknown>): string => Object.entries(o).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(' ') || '(base)';
const pm = (x: { mean: number; sd: number; n: number }, pct = false): string =>
  pct ? `${signedPct(x.mean).replace(' %', '')} ± ${(100 * x.sd).toFixed(1)}` : `${Number(x.mean.toPrecision(4))} ± ${Number(x.sd.toPrecision(2))}`;

/** A fleet's verdict: in how many series the per-series model beats persistence. */
export function fleetText(rows: readonly PointRow[]): string {
  const part = (k: 'maeSkill' | 'rmseSkill', m: string): string => {
    const s = rows.map((r) => r[k].mean);
    return `on ${m} in ${s.filter((x) => x > 0).length} of ${rows.length} series (mean skill ${signedPct(meanSd(s).mean)})`;
  };
  return `per-series models: beat persistence ${part('maeSkill', 'MAE')}, ${part('rmseSkill', 'RMSE')}`;
}

/** The terminal leaderboard (the best 20 points) and a plain verdict on the best one (a fleet: per series). */
export function leaderboardText(rows: readonly PointRow[], trials: number, fleet = false): string {
  if (fleet && rows.length) {
    const t = textTable(['series', 'val loss', 'test MAE skill %', 'test RMSE skill %'], rows.slice(0, 50).map((r) => [String(r.overrides.series), r.valLoss?.mean ?? null, signedPct(r.maeSkill.mean), signedPct(r.rmseSkill.mean)]));
    return `${t}${rows.length > 50 ? `\n(the first 50 of ${rows.length} series; all in leaderboard.html)` : ''}\n\n${fleetText(rows)}`;
  }
  const table = textTable(['rank', 'point', 'options', 'seeds', 'val loss', 'test MAE skill %', 'test RMSE skill %'],
    rows.slice(0, 20).map((r, i) => [i + 1, r.point, show(r.overrides), r.seeds.length, r.valLoss ? pm(r.valLoss) : null, pm(r.maeSkill, true), pm(r.rmseSkill, true)]));
  const best = rows[0];
  if (!best) return 'no finished trials';
  const beat = (x: { mean: number }, m: string): string => (x.mean > 0 ? `beats persistence on ${m}` : `does NOT beat persistence on ${m}`);
  return `${table}\n\nbest (lowest mean validation loss over ${best.seeds.length} seed(s)): ${best.point} ${show(best.overrides)}; on test it ${beat(best.maeSkill, 'MAE')} (${pm(best.maeSkill, true)} %) and ${beat(best.rmseSkill, 'RMSE')} (${pm(best.rmseSkill, true)} %)\n${trials} trial(s); skill = 1 − error / error of persistence, mean ± sd over seeds`;
}

/** Write leaderboard.json and leaderboard.html into the sweep folder; returns the HTML path. */
export function writeLeaderboard(dir: string, name: string, results: readonly TrialResult[], extra: { facts?: [string, string][] } = {}): string {
  const rows = rankPoints(results);
  writeJson(join(dir, 'leaderboard.json'), { sweep: name, rankedBy: 'mean validation loss (normalised units)', points: rows, trials: results });
  const data: ReportData = {
    title: `sweep ${name} — leaderboard`, kind: 'sweep', created: new Date().toISOString(),
    facts: [['trials', String(results.length)], ['points', String(rows.length)], ['ranked by', 'mean best validation loss over seeds (test scores are shown, never used to rank)'], ...(extra.facts ?? [])],
    tables: [{
      title: 'Points by mean validation loss', columns: ['rank', 'point', 'options', 'seeds', 'val loss (mean)', 'val loss (sd)', 'MAE skill (mean)', 'MAE skill (sd)', 'RMSE skill (mean)', 'RMSE skill (sd)', 'test MAE (mean)', 'test RMSE (mean)'],
      rows: rows.map((r, i) => [i + 1, r.point, show(r.overrides), r.seeds.length, r.valLoss?.mean ?? null, r.valLoss?.sd ?? null, r.maeSkill.mean, r.maeSkill.sd, r.rmseSkill.mean, r.rmseSkill.sd, r.mae.mean, r.rmse.mean]),
      emphasise: rows.length ? [0] : [],
      caption: 'Skill = 1 − error / error(persistence) on the test windows, all horizon steps pooled; sd over seeds. A negative skill means the model does not beat persistence.',
    }, {
      title: 'Trials', columns: ['trial', 'seed', 'val loss', 'test MAE', 'test RMSE', 'MAE skill', 'RMSE skill', 'seconds', 'run by', 'how'],
      rows: [...results].sort((a, b) => a.trial.localeCompare(b.trial)).map((r) => [r.trial, r.seed, r.valLoss, r.test.mae, r.test.rmse, r.test.maeSkill, r.test.rmseSkill, r.seconds, r.by, r.how]),
    }],
    notes: ['Every trial is an ordinary run folder beside this file (report.html, metrics.json, checkpoint).'],
  };
  const path = join(dir, 'leaderboard.html');
  writeReport(path, data);
  return path;
}
