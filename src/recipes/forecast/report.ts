/**
 * What the forecasting report shows, and the terminal summary: metrics against the baselines
 * (overall, per horizon, per fold), loss curves, predictions against truth at the first and last
 * horizon step, residuals over time and their histogram, error by horizon.
 */
import { bestCells, histogramChart, thin, type ReportChart, type ReportData, type ReportTable } from '../common/report.js';
import { signedPct, textTable, wrapText } from '../common/table.js';
import type { Forecast } from './baselines.js';
import type { Series } from './dataset.js';
import { pick, type ForecastScores, type MethodForecast } from './evaluate.js';
import type { EpochRecord } from './fit.js';

/** The model against the strongest fair baseline (no oracle, not the model), per metric. */
export interface MetricVerdict {
  metric: 'MAE' | 'RMSE';
  baseline: { key: string; label: string };
  /** 1 − model / baseline: positive when the model's error is lower. */
  skill: number;
  /** Per horizon step, against the same baseline. */
  perHorizon: number[];
}

const fair = (m: MethodForecast): boolean => m.key !== 'model' && !m.oracle;

/** The best baseline on MAE and on RMSE (lowest over all steps), and the model's skill against each. */
export function forecastVerdict(scores: ForecastScores, methods: readonly MethodForecast[], target: string): MetricVerdict[] {
  const o = scores.overall[target]!;
  const ph = scores.perHorizon[target]!;
  return (['MAE', 'RMSE'] as const).map((metric) => {
    const k = metric === 'MAE' ? 'mae' : 'rmse';
    const base = methods.filter(fair).reduce((a, b) => (o[b.key]![k] < o[a.key]![k] ? b : a));
    return {
      metric, baseline: { key: base.key, label: base.label }, skill: 1 - o.model![k] / o[base.key]![k],
      perHorizon: ph.model!.map((p, i) => 1 - p[k] / ph[base.key]![i]![k]),
    };
  });
}

const word = (skill: number): string => (signedPct(skill) === signedPct(0) ? 'equal' : skill > 0 ? 'better' : 'worse');

/**
 * Plain sentences: "model vs best baseline (persistence): MAE −2.2 % (worse), RMSE +1.9 % (better)",
 * then, per metric, at how many horizon steps the model is better.
 */
export function verdictLines(v: readonly MetricVerdict[], stepLabel: (h: number) => string): string[] {
  const same = v.every((x) => x.baseline.key === v[0]!.baseline.key);
  const part = (x: MetricVerdict): string => `${x.metric} ${signedPct(x.skill)}${same ? '' : ` vs ${x.baseline.label}`} (${word(x.skill)})`;
  const lines = [`model vs best baseline${same ? ` (${v[0]!.baseline.label})` : ''}: ${v.map(part).join(', ')}`];
  for (const x of v) {
    if (x.perHorizon.length < 2) continue;
    const wins = x.perHorizon.filter((s) => word(s) === 'better').length;
    const steps = x.perHorizon.map((s, i) => `${stepLabel(i + 1)} ${signedPct(s)}`).join(', ');
    lines.push(`${x.metric} by horizon vs ${x.baseline.label}: better at ${wins} of ${x.perHorizon.length} steps (${steps})`);
  }
  return lines;
}

/** True when the model has the lowest MAE and RMSE of all fair methods (then, and only then, its row is highlighted). */
export function modelIsBest(v: readonly MetricVerdict[]): boolean {
  return v.every((x) => x.skill > 0);
}

/** Metrics rows (method, MAE, RMSE, nMAE, MAE and RMSE skill vs persistence) for one target. */
export function metricsTable(scores: ForecastScores, methods: readonly MethodForecast[], target: string, title: string, stepLabel: (h: number) => string): ReportTable {
  const o = scores.overall[target]!;
  const rows = methods.map((m) => {
    const r = o[m.key]!;
    return [m.label, r.mae, r.rmse, r.nmae, 1 - r.mae / o.persistence!.mae, r.skill ?? null];
  });
  const v = forecastVerdict(scores, methods, target);
  return {
    title, columns: ['method', 'MAE', 'RMSE', 'nMAE', 'MAE skill', 'RMSE skill'], rows, emphasise: modelIsBest(v) ? [0] : [],
    best: bestCells(rows, [1, 2, 3, 4, 5].map((col) => ({ col, better: col <= 3 ? 'lower' : 'higher' })), (i) => !methods[i]!.oracle),
    verdict: verdictLines(v, stepLabel),
    caption: 'All horizon steps pooled. nMAE = MAE / range of the target on the training rows. Skill = 1 − error / error(persistence), for MAE and RMSE. Bold: the best value of each column (oracles excluded); the model row is highlighted only when it beats every baseline on both MAE and RMSE. An oracle uses values not known at forecast time.',
  };
}

/** MAE and RMSE per horizon step. */
export function horizonTable(scores: ForecastScores, methods: readonly MethodForecast[], target: string, H: number, stepLabel: (h: number) => string): ReportTable {
  const cols = ['method', ...Array.from({ length: H }, (_, i) => `MAE ${stepLabel(i + 1)}`), ...Array.from({ length: H }, (_, i) => `RMSE ${stepLabel(i + 1)}`)];
  const rows = methods.map((m) => {
    const ph = scores.perHorizon[target]![m.key]!;
    return [m.label, ...ph.map((p) => p.mae), ...ph.map((p) => p.rmse)];
  });
  const best = bestCells(rows, Array.from({ length: 2 * H }, (_, i) => ({ col: i + 1, better: 'lower' as const })), (i) => !methods[i]!.oracle);
  const modelEverywhere = Array.from({ length: 2 * H }, (_, i) => best.some(([r, c]) => r === 0 && c === i + 1)).every(Boolean);
  return { title: `Error by horizon — ${target}`, columns: cols, rows, emphasise: modelEverywhere ? [0] : [], best, caption: 'Bold: the lowest error of each column (oracles excluded).' };
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

/** The terminal summary: per target, a metrics table (skills in percent) and the verdict. */
export function summaryText(scores: ForecastScores, methods: readonly MethodForecast[], H: number, stepLabel: (h: number) => string): string {
  return Object.keys(scores.overall).map((target) => {
    const o = scores.overall[target]!;
    const pct = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : Number((100 * x).toFixed(1)));
    const rows = methods.map((m) => {
      const r = o[m.key]!;
      return [m.label, r.mae, r.rmse, r.nmae, pct(1 - r.mae / o.persistence!.mae), pct(r.skill)];
    });
    const table = textTable(['method', 'MAE', 'RMSE', 'nMAE', 'MAE skill %', 'RMSE skill %'], rows);
    const verdict = verdictLines(forecastVerdict(scores, methods, target), stepLabel).map((l) => wrapText(l, 100, '  '));
    return `${target} (test windows: ${o.model!.n / H}; skill = 1 − error / error of persistence)\n${table}\n\n${verdict.join('\n')}`;
  }).join('\n\n');
}
