/**
 * The ICU report: per-method AUROC/AUPRC/event-1 (mean ± std over folds), paired per-fold
 * differences against the logistic baseline, the published anchors, a calibration plot of the
 * pooled out-of-fold predictions, and plainly worded verdicts.
 */
import { textTable, type ReportChart, type ReportData, type ReportTable } from '../common/index.js';
import { calibrationBins, meanStd } from './metrics.js';
import { METHOD_LABELS, type FoldResult, type IcuResults, type MethodKind } from './run.js';

const RECURRENT: MethodKind[] = ['grud', 'gru-simple', 'gru-mean', 'gru-forward'];
const pm = (xs: number[], d = 4): string => { const s = meanStd(xs); return `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`; };

function byMethod(r: IcuResults, m: MethodKind): FoldResult[] {
  return r.folds.filter((f) => f.method === m).sort((a, b) => a.fold - b.fold);
}

/** Paired per-fold AUROC differences a − b over the folds both ran. */
export function pairedDiff(r: IcuResults, a: MethodKind, b: MethodKind): number[] {
  const fb = new Map(byMethod(r, b).map((f) => [f.fold, f.auroc]));
  return byMethod(r, a).filter((f) => fb.has(f.fold)).map((f) => f.auroc - fb.get(f.fold)!);
}

export function summaryTable(r: IcuResults): ReportTable {
  const rows = r.config.methods.filter((m) => byMethod(r, m).length).map((m) => {
    const f = byMethod(r, m);
    const extra = RECURRENT.includes(m) ? `best epoch ${f.map((x) => x.epochs).join('/')}` : `λ ${f.map((x) => x.lambda).join('/')}`;
    return [METHOD_LABELS[m], f.length, pm(f.map((x) => x.auroc)), pm(f.map((x) => x.auprc)), pm(f.map((x) => x.event1)), f.reduce((a, x) => a + x.seconds, 0).toFixed(0), extra];
  });
  return {
    title: 'Stratified k-fold CV on set A (mean ± std over folds)',
    columns: ['Method', 'Folds', 'AUROC', 'AUPRC', 'Event-1 min(Se, +P)', 'Seconds', 'Selection'],
    rows,
    caption: 'Event-1 uses the threshold that maximised it on each training fold\'s validation part. Seconds: total training + evaluation time over the folds.',
  };
}

export function pairedTable(r: IcuResults): ReportTable {
  const base: MethodKind = 'logistic';
  const rows = r.config.methods.filter((m) => m !== base && byMethod(r, m).length && byMethod(r, base).length).map((m) => {
    const d = pairedDiff(r, m, base);
    return [METHOD_LABELS[m], pm(d), d.map((x) => (x >= 0 ? '+' : '') + x.toFixed(4)).join(', '), `${d.filter((x) => x > 0).length}/${d.length}`];
  });
  return {
    title: 'Paired per-fold AUROC difference vs the logistic baseline (same folds)',
    columns: ['Method', 'Δ AUROC mean ± std', 'Per fold', 'Folds better'],
    rows,
  };
}

export const ANCHORS: ReportTable = {
  title: 'Published anchors (not run here)',
  columns: ['Result', 'Value', 'Protocol', 'Source'],
  rows: [
    ['GRU-D AUROC', '0.8424 ± 0.012', '5-fold CV, set A', 'Che et al. 2018 (recalled, unconfirmed)'],
    ['GRU-D AUROC (reproduction)', '0.8447 ± 0.014', '5-fold CV, set A', 'independent reproduction README'],
    ['L2 logistic on summary features', '0.847 ± 0.016', 'stratified 5-fold, set A', 'measured independently (issue 15)'],
    ['SAPS-I event-1', '0.3125', 'hidden set C', 'PhysioNet 2012 top scores'],
    ['Challenge winner event-1', '0.5353', 'hidden set C', 'Johnson et al., PhysioNet 2012'],
  ],
  caption: 'Set-C scores are on a different (hidden) test set; they frame the event-1 scale and are not comparable head to head.',
};

export function calibrationChart(r: IcuResults): ReportChart {
  const bins = 10;
  const x = Array.from({ length: bins }, (_, b) => (b + 0.5) / bins);
  const series = [{ label: 'perfect calibration', values: x as (number | null)[] }];
  for (const m of r.config.methods) {
    const p = r.oof[m];
    if (!p) continue;
    const idx = p.map((v, i) => [v, i] as const).filter(([v]) => Number.isFinite(v));
    const c = calibrationBins(idx.map(([v]) => v), idx.map(([, i]) => r.labels[i]!), bins);
    series.push({ label: METHOD_LABELS[m], values: c.observed.map((o, b) => (c.count[b]! >= 10 ? o : null)) });
  }
  return {
    title: 'Calibration (pooled out-of-fold predictions)', kind: 'lines', xLabel: 'predicted risk (bin centre, width 0.1)', yLabel: 'observed death rate',
    x, series, caption: 'Bins with fewer than 10 stays are left out.',
  };
}

function foldChart(r: IcuResults): ReportChart {
  const folds = Array.from({ length: r.config.foldsToRun ?? r.config.folds }, (_, k) => k + 1);
  return {
    title: 'AUROC per test fold', kind: 'points', integerX: true, xLabel: 'fold', yLabel: 'AUROC', x: folds,
    series: r.config.methods.filter((m) => byMethod(r, m).length).map((m) => ({ label: METHOD_LABELS[m], values: folds.map((k) => byMethod(r, m).find((f) => f.fold === k - 1)?.auroc ?? null) })),
  };
}

/** Plain-worded comparisons: the best recurrent model vs the logistic baseline, GRU-D vs GRU-Mean. */
export function verdicts(r: IcuResults): string[] {
  const out: string[] = [];
  const have = (m: MethodKind): boolean => byMethod(r, m).length > 0;
  const rec = RECURRENT.filter(have);
  if (rec.length && have('logistic')) {
    const best = rec.reduce((a, b) => (meanStd(byMethod(r, a).map((f) => f.auroc)).mean >= meanStd(byMethod(r, b).map((f) => f.auroc)).mean ? a : b));
    const d = pairedDiff(r, best, 'logistic');
    const s = meanStd(d);
    const beats = s.mean > 0 && d.every((x) => x > 0);
    out.push(`Best recurrent model ${METHOD_LABELS[best]} vs the logistic baseline: Δ AUROC ${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(4)} ± ${s.std.toFixed(4)} over ${d.length} paired folds, better on ${d.filter((x) => x > 0).length}. ` +
      (beats ? 'It beats the summary-feature baseline on every fold.' : s.mean > 0 ? 'Higher on average but not on every fold: no clear win over the summary-feature baseline.' : 'The recurrent models do not beat the summary-feature baseline.'));
    const bm = meanStd(byMethod(r, best).map((f) => f.auroc)).mean;
    out.push(`Target ≥ 0.86 AUROC for the best recurrent model: ${bm >= 0.86 ? 'met' : 'not met'} (${bm.toFixed(4)}).`);
  }
  if (have('grud') && have('gru-mean')) {
    const d = pairedDiff(r, 'grud', 'gru-mean');
    const s = meanStd(d);
    out.push(`GRU-D − GRU-Mean: Δ AUROC ${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(4)} ± ${s.std.toFixed(4)} (better on ${d.filter((x) => x > 0).length}/${d.length} folds).`);
  }
  return out;
}

export function icuReport(r: IcuResults, meta: { title: string; facts: [string, string][]; created?: string }): ReportData {
  return {
    title: meta.title, kind: 'classification', created: meta.created ?? new Date().toISOString(),
    facts: [...meta.facts, ['Stays', `${r.n} (${r.positives} deaths, ${(100 * r.positives / r.n).toFixed(1)} %)`]],
    tables: [summaryTable(r), pairedTable(r), ANCHORS],
    charts: [calibrationChart(r), foldChart(r)],
    notes: verdicts(r),
    config: r.config,
  };
}

/** The summary and paired tables and the verdicts as plain text (the CLI's output, table.txt). */
export function summaryText(r: IcuResults): string {
  const t = [summaryTable(r), pairedTable(r)].map((x) => `${x.title}\n${textTable(x.columns, x.rows)}`);
  return [...t, ...verdicts(r)].join('\n\n');
}
