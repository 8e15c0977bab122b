/**
 * Metrics per series of a multi-series run (beside the pooled ones): MAE and RMSE of the model
 * and of persistence on each series' test windows, all horizon steps together, the first target.
 */
import type { ReportTable } from '../common/report.js';
import { signedPct } from '../common/table.js';
import type { Forecast } from './baselines.js';
import type { Series } from './dataset.js';
import type { MethodForecast } from './evaluate.js';

/** One series' test scores. */
export interface SeriesScore {
  series: string;
  windows: number;
  mae: { model: number; persistence: number; skill: number };
  rmse: { model: number; persistence: number; skill: number };
}

/** Scores per series of the first target (windows grouped by their origin's series). */
export function perSeriesScores(s: Series, origins: ArrayLike<number>, truth: Forecast, methods: readonly MethodForecast[], H: number): SeriesScore[] {
  const model = methods.find((m) => m.key === 'model')!.forecast;
  const pers = methods.find((m) => m.key === 'persistence')!.forecast;
  const G = s.groups.length;
  const acc = Array.from({ length: G }, () => ({ w: 0, am: 0, ap: 0, sm: 0, sp: 0 }));
  for (let w = 0; w < origins.length; w++) {
    const a = acc[s.group[origins[w]!]!]!;
    a.w++;
    for (let h = 0; h < H; h++) {
      const i = (w * H + h) * s.k;
      const em = model[i]! - truth[i]!;
      const ep = pers[i]! - truth[i]!;
      a.am += Math.abs(em);
      a.ap += Math.abs(ep);
      a.sm += em * em;
      a.sp += ep * ep;
    }
  }
  return acc.flatMap((a, g) => {
    if (!a.w) return [];
    const n = a.w * H;
    const [mm, mp, rm, rp] = [a.am / n, a.ap / n, Math.sqrt(a.sm / n), Math.sqrt(a.sp / n)];
    return [{ series: s.groups[g]!, windows: a.w, mae: { model: mm, persistence: mp, skill: 1 - mm / mp }, rmse: { model: rm, persistence: rp, skill: 1 - rm / rp } }];
  });
}

/** "model beats persistence on MAE in 12 of 20 series, on RMSE in 15 of 20 (median skill …)". */
export function seriesVerdict(rows: readonly SeriesScore[]): string {
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const part = (k: 'mae' | 'rmse'): string => {
    const sk = rows.map((r) => r[k].skill).filter(Number.isFinite);
    return `on ${k.toUpperCase()} in ${sk.filter((x) => x > 0).length} of ${rows.length} series (median skill ${signedPct(med(sk))})`;
  };
  return `per series: the model beats persistence ${part('mae')}, ${part('rmse')}`;
}

/** The per-series table of the report (the first `max` series in file order). */
export function seriesTable(rows: readonly SeriesScore[], target: string, max = 300): ReportTable {
  const shown = rows.slice(0, max);
  return {
    title: `Test metrics per series — ${target}`, columns: ['series', 'windows', 'MAE model', 'MAE persistence', 'MAE skill', 'RMSE model', 'RMSE persistence', 'RMSE skill'],
    rows: shown.map((r) => [r.series, r.windows, r.mae.model, r.mae.persistence, r.mae.skill, r.rmse.model, r.rmse.persistence, r.rmse.skill]),
    verdict: [seriesVerdict(rows)],
    caption: `All horizon steps pooled within each series. Skill = 1 − error / error(persistence).${rows.length > max ? ` The first ${max} of ${rows.length} series.` : ''}`,
  };
}
