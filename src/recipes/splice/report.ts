/**
 * The splice run's report: the data counts (deduplication), per-class errors of the model beside
 * the baselines with per-fold mean ± sd (the best value of each column in bold, the model row
 * highlighted only when it is the most accurate system), the verdict against the strongest
 * baseline (paired per-fold margins) and the best published row, the published table with its
 * protocol and whether this run matches it, nested-selection choices, confusion matrices, and
 * training curves of every fold and ensemble member.
 */
import { bestCells, historyCharts, type ReportChart, type ReportData } from '../common/report.js';
import { runEnvironment } from '../common/environment.js';
import { classVerdict } from './classify-table.js';
import { describeDedup } from './data.js';
import { selectionLines } from './result.js';
import type { SpliceResult } from './run.js';
import { publishedProtocolNote, spliceVerdict, type ErrorRow } from './table.js';

function verdictLines(r: SpliceResult): string[] {
  const multi = r.folds.length > 1;
  const rows: ErrorRow[] = r.systems.map((s) => ({
    system: s.label, EI: s.perClassError.EI!, IE: s.perClassError.IE!, N: s.perClassError.N!, accuracy: s.metrics.accuracy,
    ...(multi ? { folds: { EI: s.foldErrors.map((e) => e[0]!), IE: s.foldErrors.map((e) => e[1]!), N: s.foldErrors.map((e) => e[2]!) } } : {}),
  }));
  const v = spliceVerdict(rows, { examples: r.protocol.examples, cv: r.protocol.cv });
  const base = v.baseline === null ? null : rows[v.baseline]!.system.replace(/^baseline: /, '');
  return [
    ...v.perClass.map((c) => `${c.label}: model ${c.model.toFixed(2)} %${base ? `; strongest baseline (${base}) ${c.baseline!.toFixed(2)} %: ${c.vsBaseline}${c.margin ? ' (points, mean ± sd over folds of the paired difference)' : ''}` : ''}; best published ${c.published.toFixed(2)} % (${c.publishedSystem}): ${c.vsPublished}.`),
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
  const sd = (s: SpliceResult['systems'][number], c: 'EI' | 'IE' | 'N'): string => `${s.foldMean[c].toFixed(2)} ± ${s.foldSd[c].toFixed(2)}`;
  const multi = r.folds.length > 1;
  const rows = r.systems.map((s) => [
    s.label, pct(s.perClassError.EI), pct(s.perClassError.IE), pct(s.perClassError.N), s.metrics.accuracy, s.metrics.macroF1, s.metrics.macroAuc,
    ...(multi ? [sd(s, 'EI'), sd(s, 'IE'), sd(s, 'N')] : []),
  ]);
  const protocol = { examples: r.protocol.examples, cv: r.protocol.cv };
  const sel = selectionLines(r);
  const mostAccurate = r.systems.every((s) => s.metrics.accuracy <= model.metrics.accuracy);
  const single = r.folds.length === 1 && r.folds[0]!.members.length === 1 ? r.folds[0]!.members[0]!.history : null;
  return {
    title: `splice — ${model.label}`, kind: 'classification', created: new Date().toISOString(),
    facts: [
      ['protocol', r.protocol.description], ['data', describeDedup(r.data)], ['parameters', String(r.parameters)],
      ...(sel.length ? [['hyperparameters', sel.join('\n')] as [string, string]] : []),
      ['one-hot baseline L2 per fold', r.folds.map((f) => f.onehotL2).join(', ')],
      ['runtime', `${(r.timings.totalMs / 1000).toFixed(1)} s on the ${r.timings.backend} backend`],
    ],
    tables: [
      {
        title: 'Per-class error (%) against the baselines', columns: ['system', 'EI', 'IE', 'N', 'accuracy', 'macro F1', 'macro AUC', ...(multi ? ['EI fold mean ± sd', 'IE fold mean ± sd', 'N fold mean ± sd'] : [])],
        rows, emphasise: mostAccurate ? [0] : [],
        best: bestCells(rows, [1, 2, 3, 4, 5, 6].map((col) => ({ col, better: col <= 3 ? 'lower' : 'higher' }))),
        verdict: verdictLines(r),
        caption: 'Errors pooled over the test folds; "fold mean ± sd": over the per-fold errors. Bold: the best value of each column in this run. The model row is highlighted only when it is the most accurate system.',
      },
      {
        title: `Published systems — ${publishedProtocolNote(protocol).replace(/^published rows: /, '')}`, columns: ['system', 'EI', 'IE', 'N'],
        rows: r.published.map((p) => [p.system, p.EI, p.IE, p.N]),
        caption: r.protocol.matchesPublished
          ? 'Same size and folds as the published rows (their 1,000 were drawn from the data with duplicates; these are deduplicated unless --keep-duplicates).'
          : `Not like for like: the published rows used 10-fold CV on 1,000 examples; this run used ${r.protocol.examples.toLocaleString('en-US')}. Run with --cv 10 --limit 1000 for the published protocol.`,
      },
    ],
    confusion: r.systems.map((s) => ({ title: `Confusion matrix — ${s.label} (pooled test folds)`, labels: r.classes, matrix: s.metrics.confusion })),
    ...(single ? { loss: { epoch: single.map((h) => h.epoch + 1), train: single.map((h) => h.trainLoss), val: single.map((h) => h.valLoss) } } : {}),
    charts: curves(r),
    config: { ...config, cv: r.protocol.cv, valFraction: r.protocol.valFraction, seed: r.protocol.seed, examples: r.protocol.examples, ...r.hyper },
    environment: runEnvironment(r.protocol.seed),
  };
}

/**
 * The report of a run on the user's own data: per-class errors of the model beside the
 * baselines (no published rows), the verdict against the strongest baseline, confusion
 * matrices and training curves.
 */
export function classifyReport(config: Record<string, unknown>, r: SpliceResult): ReportData {
  const model = r.systems[0]!;
  const multi = r.folds.length > 1;
  const sdOf = (s: SpliceResult['systems'][number], c: string): string => `${s.foldMean[c]!.toFixed(2)} ± ${s.foldSd[c]!.toFixed(2)}`;
  const rows = r.systems.map((s) => [
    s.label, ...r.classes.map((c) => Number(s.perClassError[c]!.toFixed(2))), s.metrics.accuracy, s.metrics.macroF1, s.metrics.macroAuc,
    ...(multi ? r.classes.map((c) => sdOf(s, c)) : []),
  ]);
  const C = r.classes.length;
  const sel = selectionLines(r);
  const mostAccurate = r.systems.every((s) => s.metrics.accuracy <= model.metrics.accuracy);
  const single = r.folds.length === 1 && r.folds[0]!.members.length === 1 ? r.folds[0]!.members[0]!.history : null;
  return {
    title: `classify — ${model.label}`, kind: 'classification', created: new Date().toISOString(),
    facts: [
      ['protocol', r.protocol.description], ['data', describeDedup(r.data)], ['parameters', String(r.parameters)],
      ...(sel.length ? [['hyperparameters', sel.join('\n')] as [string, string]] : []),
      ['one-hot baseline L2 per fold', r.folds.map((f) => f.onehotL2).join(', ')],
      ['runtime', `${(r.timings.totalMs / 1000).toFixed(1)} s on the ${r.timings.backend} backend`],
    ],
    tables: [{
      title: 'Per-class error (%) against the baselines',
      columns: ['system', ...r.classes.map((c) => `err ${c}`), 'accuracy', 'macro F1', 'macro AUC', ...(multi ? r.classes.map((c) => `${c} fold mean ± sd`) : [])],
      rows, emphasise: mostAccurate ? [0] : [],
      best: bestCells(rows, Array.from({ length: C + 3 }, (_, k) => ({ col: k + 1, better: k < C ? 'lower' as const : 'higher' as const }))),
      verdict: classVerdict(r.classes, r.systems),
      caption: 'Errors pooled over the test folds; "fold mean ± sd": over the per-fold errors. Bold: the best value of each column in this run. The model row is highlighted only when it is the most accurate system.',
    }],
    confusion: r.systems.map((s) => ({ title: `Confusion matrix — ${s.label} (pooled test folds)`, labels: r.classes, matrix: s.metrics.confusion })),
    ...(single ? { loss: { epoch: single.map((h) => h.epoch + 1), train: single.map((h) => h.trainLoss), val: single.map((h) => h.valLoss) } } : {}),
    charts: curves(r),
    config: { ...config, cv: r.protocol.cv, valFraction: r.protocol.valFraction, seed: r.protocol.seed, examples: r.protocol.examples, ...r.hyper },
    environment: runEnvironment(r.protocol.seed),
  };
}
