/**
 * What the forecasting report shows, and the terminal summary: metrics against the baselines
 * (overall, per horizon, per fold), loss curves, predictions against truth at the first and last
 * horizon step, residuals over time and their histogram, error by horizon.
 */
import { histogramChart, thin, type ReportChart, type ReportData, type ReportTable } from '../common/report.js';
import { fmtNum, textTable } from '../common/table.js';
import type { Forecast } from './baselines.js';
import type { Series } from './dataset.js';
import { pick, type ForecastScores, type MethodForecast } from './evaluate.js';
import type { EpochRecord } from './fit.js';

/** Metrics rows (method, MAE, RMSE, nMAE, skill) for one target. */
export function metricsTable(scores: ForecastScores, methods: readonly MethodForecast[], target: string, title: string): ReportTable {
  const rows = methods.map((m) => {
    const r = scores.overall[target]![m.key]!;
    return [m.label, r.mae, r.rmse, r.nmae, r.skill ?? null];
  });
  return {
    title, columns: ['method', 'MAE', 'RMSE', 'nMAE', 'skill vs persistence'], rows, emphasise: [0],
    caption: 'All horizon steps pooled. nMAE = MAE / range of the target on the training rows. Skill = 1 − RMSE / RMSE(persistence). An oracle uses values not known at forecast time.',
  };
}

/** MAE and RMSE per horizon step. */
export function horizonTable(scores: ForecastScores, methods: readonly MethodForecast[], target: string, H: number, stepLabel: (h: number) => string): ReportTable {
  const cols = ['method', ...Array.from({ length: H }, (_, i) => `MAE ${stepLabel(i + 1)}`), ...Array.from({ length: H }, (_, i) => `RMSE ${stepLabel(i + 1)}`)];
  const rows = methods.map((m) => {
    const ph = scores.perHorizon[target]![m.key]!;
    return [m.label, ...ph.map((p) => p.mae), ...ph.map((p) => p.rmse)];
  });
  return { title: `Error by horizon — ${target}`, columns: cols, rows, emphasise: [0] };
}

/** "10 min" style labels for horizon steps when the step is a time. */
export function stepLabeller(s: Series): (h: number) => string {
  if (!s.times || s.timeFormat === 'number') return (h) => `h${h}`;
  const min = s.step / 60_000;
  return (h) => (min * h >= 120 && (min * h) % 60 === 0 ? `${(min * h) / 60} h` : `${Number((min * h).toFixed(2))} min`);
}

interface ChartInput {
  s: Series;
  H: number;
  origins: Int32Array;
  truth: Forecast;
  methods: readonly MethodForecast[];
}

function xAxis(s: Series, rows: number[]): { x: number[]; time: boolean; label: string } {
  if (s.times && s.timeFormat !== 'number') return { x: rows.map((r) => s.times![r]! / 1000), time: true, label: 'time (UTC)' };
  if (s.times) return { x: rows.map((r) => s.times![r]!), time: false, label: 'time' };
  return { x: rows, time: false, label: 'row' };
}

function predictionChart(c: ChartInput, h: number, max: number, stepLabel: (h: number) => string): ReportChart {
  const idx = Array.from({ length: Math.min(c.origins.length, max) }, (_, i) => i);
  const ax = xAxis(c.s, idx.map((i) => c.origins[i]! + h));
  const show = c.methods.filter((m) => ['model', 'persistence', 'ridge_ar', 'reference_origin'].includes(m.key));
  const { k } = c.s;
  const y = pick(c.truth, c.H, k, 0, h);
  return {
    title: `Predictions against truth, ${stepLabel(h)} ahead — ${c.s.targets[0]}`, kind: 'lines', xLabel: ax.label, yLabel: c.s.targets[0]!, time: ax.time, x: ax.x,
    series: [{ label: 'truth', values: idx.map((i) => y[i]!) }, ...show.map((m) => {
      const p = pick(m.forecast, c.H, k, 0, h);
      return { label: m.label, values: idx.map((i) => p[i]!) };
    })],
    caption: `The first ${idx.length} test windows${c.origins.length > idx.length ? ` of ${c.origins.length}` : ''}; drag to zoom, double-click to reset.`,
  };
}

/** Charts of a forecasting run (the first target). */
export function forecastCharts(c: ChartInput, stepLabel: (h: number) => string): ReportChart[] {
  const { s, H } = c;
  const k = s.k;
  const y = pick(c.truth, H, k, 0, H);
  const resid = (m: MethodForecast): Float64Array => pick(m.forecast, H, k, 0, H).map((v, i) => v - y[i]!);
  const main = c.methods.filter((m) => ['model', 'persistence', 'ridge_ar'].includes(m.key));
  const rows = thin(Array.from({ length: c.origins.length }, (_, i) => i), 3000);
  const ax = xAxis(s, rows.map((i) => c.origins[i]! + H));
  const charts: ReportChart[] = [predictionChart(c, 1, 1500, stepLabel)];
  if (H > 1) charts.push(predictionChart(c, H, 1500, stepLabel));
  charts.push({
    title: `Residuals (forecast − truth), ${stepLabel(H)} ahead`, kind: 'points', xLabel: ax.label, yLabel: 'residual', time: ax.time, x: ax.x,
    series: main.map((m) => {
      const r = resid(m);
      return { label: m.label, values: rows.map((i) => r[i]!) };
    }),
    caption: rows.length < c.origins.length ? `Every ${Math.ceil(c.origins.length / rows.length)}th test window.` : 'All test windows.',
  });
  charts.push(histogramChart(`Residual distribution, ${stepLabel(H)} ahead`, main.map((m) => ({ label: m.label, values: resid(m) })), { xLabel: 'residual', caption: 'Central 99 % of residuals, 40 bins.' }));
  return charts;
}

/** Error by horizon as a chart. */
export function horizonChart(scores: ForecastScores, methods: readonly MethodForecast[], target: string, H: number): ReportChart {
  return {
    title: `MAE by horizon step — ${target}`, kind: 'lines', integerX: true, xLabel: 'horizon step', yLabel: 'MAE', x: Array.from({ length: H }, (_, i) => i + 1),
    series: methods.map((m) => ({ label: m.label, values: scores.perHorizon[target]![m.key]!.map((p) => p.mae) })),
  };
}

/** Loss curves for the report (normalised MSE per epoch). */
export function lossCurve(history: readonly EpochRecord[], label?: string): ReportData['loss'] {
  return { epoch: history.map((h) => h.epoch + 1), train: history.map((h) => h.trainLoss), val: history.map((h) => h.valLoss), ...(label ? { label } : {}) };
}

/** The terminal summary: one metrics table per target. */
export function summaryText(scores: ForecastScores, methods: readonly MethodForecast[], H: number, stepLabel: (h: number) => string): string {
  return Object.keys(scores.overall).map((target) => {
    const rows = methods.map((m) => {
      const r = scores.overall[target]![m.key]!;
      const ph = scores.perHorizon[target]![m.key]!;
      return [m.label, r.mae, r.rmse, r.nmae, r.skill ?? null, `${fmtNum(ph[0]!.mae)} → ${fmtNum(ph[H - 1]!.mae)}`];
    });
    return `${target} (test windows: ${scores.overall[target]!.model!.n / H})\n${textTable(['method', 'MAE', 'RMSE', 'nMAE', 'skill', `MAE ${stepLabel(1)} → ${stepLabel(H)}`], rows)}`;
  }).join('\n\n');
}
