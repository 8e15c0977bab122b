/**
 * The analysis outputs: analysis.json (every number, the readings, what was analysed) and
 * analysis.html (the run report's writer: uPlot charts inlined, opens offline), one card per
 * instrument with its readings under it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJson, writeReport, type ReportChart, type ReportData, type ReportTable } from '../common/index.js';
import type { Budget } from './budget.js';
import type { InstrumentResults, Subject } from './instruments.js';
import { THRESHOLDS, fmt, type Readings } from './readings.js';
import { modeName } from './subject.js';

/** What analysis.json holds. */
export interface AnalysisDocument {
  kind: 'recur-analysis';
  created: string;
  subject: { description: string; mode: string; layer: number; layers: number; inputSize: number; hiddenSize: number; stateSize: number; inputs: string };
  budget: Budget;
  thresholds: typeof THRESHOLDS;
  results: InstrumentResults;
  readings: Readings;
}

export function analysisDocument(s: Subject, budget: Budget, results: InstrumentResults, readings: Readings): AnalysisDocument {
  const m = s.model;
  return {
    kind: 'recur-analysis', created: new Date().toISOString(),
    subject: {
      description: s.description, mode: m.mode, layer: s.origin?.layer ?? s.layer, layers: s.origin?.layers ?? m.numLayers, inputSize: m.inputSize, hiddenSize: m.hiddenSize,
      stateSize: m.mode === 'lstm' ? 2 * m.hiddenSize : m.hiddenSize, inputs: s.inputsLabel,
    },
    budget, thresholds: THRESHOLDS, results, readings,
  };
}

const table = (title: string, rows: [string, string | number][], verdict: string[], caption?: string): ReportTable => ({
  title, columns: ['quantity', 'value'], rows, verdict, ...(caption ? { caption } : {}),
});

function gradientCharts(r: InstrumentResults): ReportChart[] {
  const g = r.gradientFlow;
  const order = g.lags.map((_, i) => i).reverse(); // lag ascending
  const charts: ReportChart[] = [{
    title: 'Gradient flow through time: ‖∂L/∂s_t‖ by lag', kind: 'lines', logY: true, integerX: true, xLabel: 'lag (steps before the last)', yLabel: '‖∂L/∂s‖',
    x: order.map((i) => g.lags[i]!),
    series: [{ label: 'state', values: order.map((i) => g.gradNorm[i]!) }, ...(g.cGradNorm ? [{ label: 'c (LSTM cell)', values: order.map((i) => g.cGradNorm![i]!) }] : [])],
    caption: `loss: ${g.lossLabel}; ${g.batch} sequences of ${g.steps} steps`,
  }];
  const nSv = Math.min(4, g.logSingularValues[0]?.length ?? 0);
  charts.push({
    title: 'Singular values of Jacobian products ∂s_T/∂s_T−k', kind: 'lines', logY: true, integerX: true, xLabel: 'span k (steps)', yLabel: 'σ_i', x: g.spans,
    series: Array.from({ length: nSv }, (_, i) => ({ label: `σ${i + 1}`, values: g.logSingularValues.map((l) => Math.exp(l[i]!)) })),
    caption: 'First sequence of the batch; products accumulated from the last step backwards.',
  });
  return charts;
}

function lyapunovCharts(r: InstrumentResults): ReportChart[] {
  const l = r.lyapunov;
  const k = l.exponents.length;
  const charts: ReportChart[] = [{
    title: 'Lyapunov spectrum (input-driven)', kind: 'points', integerX: true, xLabel: 'index i', yLabel: 'λ_i (nats/step)',
    x: l.exponents.map((_, i) => i + 1), series: [{ label: 'λ_i', values: l.exponents }, { label: '0', values: l.exponents.map(() => 0) }],
  }];
  if (l.history.length > 1) {
    charts.push({
      title: 'Lyapunov exponents: running estimates', kind: 'lines', xLabel: 'accumulation steps', yLabel: 'λ_i', x: l.historySteps,
      series: Array.from({ length: Math.min(k, 4) }, (_, i) => ({ label: `λ${i + 1}`, values: l.history.map((h) => h[i]!) })),
    });
  }
  return charts;
}

function spectrumCharts(r: InstrumentResults): ReportChart[] {
  const charts: ReportChart[] = [];
  const pts = r.fixedPoints.points;
  if (pts.length) {
    const n = Math.max(...pts.map((p) => p.moduli.length));
    charts.push({
      title: 'Fixed/slow points: eigenvalue moduli of the step Jacobian', kind: 'points', integerX: true, xLabel: 'eigenvalue index (by modulus)', yLabel: '|λ|',
      x: Array.from({ length: n }, (_, i) => i + 1),
      series: [...pts.slice(0, 6).map((p, j) => ({ label: `point ${j + 1} (${p.stability})`, values: Array.from({ length: n }, (_, i) => p.moduli[i] ?? null) })), { label: '|λ| = 1', values: Array.from({ length: n }, () => 1) }],
    });
  }
  if (!('skipped' in r.dmd)) {
    const ev = r.dmd.eigenvalues;
    charts.push({
      title: 'DMD eigenvalues of the state trajectory', kind: 'points', integerX: true, xLabel: 'mode (by modulus)', yLabel: '|λ|', x: ev.map((_, i) => i + 1),
      series: [{ label: '|λ|', values: ev.map((e) => e.modulus) }, { label: '|λ| = 1', values: ev.map(() => 1) }],
    });
  }
  return charts;
}

function tables(doc: AnalysisDocument): ReportTable[] {
  const { results: r, readings: rd } = doc;
  const g = r.gradientFlow;
  const l = r.lyapunov;
  const f = r.fixedPoints;
  const d = r.dmd;
  const last = g.gradNorm[g.lags.indexOf(0)]!;
  const out = [
    table('Gradient flow through time', [['loss', g.lossLabel], ['sequences × steps', `${g.batch} × ${g.steps}`], ['‖∂L/∂s‖ at the last step', fmt(last)], ['‖∂L/∂s‖ at the first step', fmt(g.gradNorm[0]!)], ['‖∂L/∂s₀‖ (initial state)', fmt(g.initialGradNorm)]], rd.gradientFlow),
    table('Lyapunov spectrum of the input-driven dynamics', [['λ₁', `${fmt(l.exponents[0]!)}${l.stdErr ? ` ± ${fmt(l.stdErr[0]!)}` : ''}`], ['λ (all computed)', l.exponents.map(fmt).join(', ')], ['steps (warm-up)', `${l.steps} (${l.warmup})`], ['converged', l.converged ? 'yes' : 'no']], rd.lyapunov,
      'QR method (Benettin et al. 1980) along the real inputs, nats per step.'),
    table('Fixed and slow points', [['input x*', 'mean input of the layer on the batch'], ['seeds × iterations', `${f.seeds} × ${f.iterations}`], ['points (fixed q < 1e-12, slow q < 1e-6)', f.points.length],
      ...f.points.slice(0, 8).map((p, i): [string, string] => [`point ${i + 1}`, `${p.kind}, ${p.stability}, q = ${fmt(p.q)}, |λ|max = ${fmt(p.moduli[0]!)}, reached by ${p.count}`])], rd.fixedPoints,
      'Minimising q(s) = ½‖F(s, x*) − s‖² from visited states (Sussillo & Barak 2013), stability from the eigenvalues of the step Jacobian.'),
    table('DMD of the state trajectory', 'skipped' in d ? [['status', 'skipped']] : [['snapshots', d.snapshots], ['rank', `${d.rank} of ${d.stateSize}`], ['R² of the one-step change', fmt(d.r2Change)], ['R² of the next state', fmt(d.r2State)], ['R² of the change, with the input (DMDc)', fmt(d.r2WithInput)],
      ['leading |λ|', d.eigenvalues.slice(0, 6).map((e) => fmt(e.modulus)).join(', ')]], rd.dmd, 'Exact DMD (Tu et al. 2014) of consecutive states along the real inputs.'),
  ];
  return out;
}

/** The report: facts, one table per instrument with its readings, the charts. */
export function analysisReportData(doc: AnalysisDocument): ReportData {
  const s = doc.subject;
  const sec = doc.results.seconds;
  return {
    title: `Dynamics analysis — ${s.description}`, kind: 'analysis', created: doc.created,
    facts: [['model', s.description], ['analysed', `${modeName(s.mode)} layer ${s.layer} (of ${s.layers}), input ${s.inputSize}, hidden ${s.hiddenSize}, state ${s.stateSize}`], ['inputs', s.inputs],
      ['budget', doc.budget.name], ['time', Object.entries(sec).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')]],
    tables: tables(doc),
    charts: [...gradientCharts(doc.results), ...lyapunovCharts(doc.results), ...spectrumCharts(doc.results)],
    notes: [
      `Thresholds of the readings: neutral band ±${THRESHOLDS.neutralBand} nats/step for exponents and per-step gradient factors; a direction keeps memory when σ ≥ ${THRESHOLDS.memorySv}; a linear map describes the motion well at R² ≥ ${THRESHOLDS.r2Good}, partly from ${THRESHOLDS.r2Partial}; |λ| within ${THRESHOLDS.unit} of 1 is marginal.`,
      'State s is h for RNN/GRU and [h, c] for the LSTM. Dropout is off (eval mode).',
    ],
  };
}

/** Write analysis.json and analysis.html into `dir`; returns their paths. */
export function writeAnalysis(dir: string, doc: AnalysisDocument): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'analysis.json');
  const html = join(dir, 'analysis.html');
  writeJson(json, JSON.parse(JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))));
  writeReport(html, analysisReportData(doc));
  return { json, html };
}
