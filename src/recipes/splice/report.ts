/**
 * The splice run's report: per-class errors of the model beside the baselines (the best value of
 * each column in bold, the model row highlighted only when it is the most accurate system), the
 * verdict against the strongest baseline and the best published row, the published table,
 * confusion matrices, and training curves of every fold and ensemble member.
 */
import { bestCells, historyCharts, type ReportChart, type ReportData } from '../common/report.js';
import { runEnvironment } from '../common/environment.js';
import type { SpliceResult } from './run.js';
import { spliceVerdict, type ErrorRow } from './table.js';

function verdictLines(r: SpliceResult): string[] {
  const rows: ErrorRow[] = r.systems.map((s) => ({ system: s.label, ...s.perClassError, accuracy: s.metrics.accuracy }));
  const v = spliceVerdict(rows);
  const base = v.baseline === null ? null : rows[v.baseline]!.system.replace(/^baseline: /, '');
  return [
    ...v.perClass.map((c) => `${c.label}: model ${c.model.toFixed(2)} %${base ? `; strongest baseline (${base}) ${c.baseline!.toFixed(2)} %: ${c.vsBaseline}` : ''}; best published ${c.published.toFixed(2)} % (${c.publishedSystem}): ${c.vsPublished}.`),
    v.summary,
  ];
}

function curves(r: SpliceResult): ReportChart[] {
  const runs = r.folds.flatMap((f) => f.members.map((m, k) => ({ fold: f.fold, member: k, history: m.history })));
  const name = (x: { fold: number; member: number }): string => `${r.folds.length > 1 ? `fold ${x.fold + 1} ` : ''}member ${x.member + 1}`;
  const charts = runs.length > 1
    ? historyCharts(runs.map((x) => ({ label: name(x), epochs: x.history.map((h) => h.epoch + 1), train: x.history.map((h) => h.trainLoss), val: x.history.map((h) => h.valLoss) })))
    : [];
  const n = Math.max(...runs.map((x) => x.history.length));
  const x = Array.from({ length: n }, (_, i) => i + 1);
  charts.push({
    title: 'Validation error per epoch — every fold and member', kind: 'lines', integerX: true, xLabel: 'epoch', yLabel: 'error',
    x, series: runs.map((run) => ({ label: name(run), values: x.map((e) => run.history[e - 1]?.valError ?? null) })),
  });
  return charts;
}

/** The report of a splice run; `config` is the full resolved configuration. */
export function spliceReport(config: Record<string, unknown>, r: SpliceResult): ReportData {
  const model = r.systems[0]!;
  const pct = (v: number): number => Number(v.toFixed(2));
  const rows = r.systems.map((s) => [s.label, pct(s.perClassError.EI), pct(s.perClassError.IE), pct(s.perClassError.N), s.metrics.accuracy, s.metrics.macroF1, s.metrics.macroAuc]);
  const mostAccurate = r.systems.every((s) => s.metrics.accuracy <= model.metrics.accuracy);
  const single = r.folds.length === 1 && r.folds[0]!.members.length === 1 ? r.folds[0]!.members[0]!.history : null;
  return {
    title: `splice — ${model.label}`, kind: 'classification', created: new Date().toISOString(),
    facts: [
      ['protocol', r.protocol.description], ['parameters', String(r.parameters)],
      ['runtime', `${(r.timings.totalMs / 1000).toFixed(1)} s on the ${r.timings.backend} backend`],
    ],
    tables: [
      {
        title: 'Per-class error (%) against the baselines', columns: ['system', 'EI', 'IE', 'N', 'accuracy', 'macro F1', 'macro AUC'],
        rows, emphasise: mostAccurate ? [0] : [],
        best: bestCells(rows, [1, 2, 3, 4, 5, 6].map((col) => ({ col, better: col <= 3 ? 'lower' : 'higher' }))),
        verdict: verdictLines(r),
        caption: 'Bold: the best value of each column in this run. The model row is highlighted only when it is the most accurate system.',
      },
      {
        title: 'Published systems (10-fold CV on 1,000 examples)', columns: ['system', 'EI', 'IE', 'N'],
        rows: r.published.map((p) => [p.system, p.EI, p.IE, p.N]),
      },
    ],
    confusion: r.systems.map((s) => ({ title: `Confusion matrix — ${s.label} (pooled test folds)`, labels: r.classes, matrix: s.metrics.confusion })),
    ...(single ? { loss: { epoch: single.map((h) => h.epoch + 1), train: single.map((h) => h.trainLoss), val: single.map((h) => h.valLoss) } } : {}),
    charts: curves(r),
    config: { ...config, cv: r.protocol.cv, valFraction: r.protocol.valFraction, seed: r.protocol.seed, examples: r.protocol.examples, ...r.hyper },
    environment: runEnvironment(r.protocol.seed),
  };
}
