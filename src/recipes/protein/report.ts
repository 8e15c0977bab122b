/**
 * The protein-stability tables (terminal and HTML): per-protein mean Pearson and Spearman for
 * every split side by side, the published anchors on the same test proteins, plain-worded
 * verdicts against the ridge baseline and the targets, the confounder demonstration, the
 * per-protein scatter and the saturation heatmap.
 */
import { textTable, type ReportData, type ReportTable } from '../common/index.js';
import type { ConfounderResult } from './confounder.js';
import type { MethodResult, ResolvedOptions, SplitResult, Variant } from './run.js';
import { VARIANT_LABELS } from './run.js';
import { saturationHeatmap, type SaturationMap } from './saturation.js';

const METHOD_LABELS: Record<MethodResult['method'], string> = { ridge: 'ridge baseline', rnn: 'BiGRU (mean ± SD over seeds)', 'rnn-ensemble': 'BiGRU (seed average)' };
/** Targets of the brief (issue 14 §3): leave-protein-out per-protein mean Pearson. */
export const TARGETS: Record<Variant, number> = { seq: 0.58, rsa: 0.7 };

type Metric = 'pearson' | 'spearman';
const f3 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));

function cell(m: MethodResult | undefined, k: Metric): string {
  if (!m) return '–';
  const sd = k === 'pearson' ? m.pearsonSd : m.spearmanSd;
  return sd === undefined ? f3(m[k]) : `${f3(m[k])} ± ${f3(sd)}`;
}

/** Rows: our methods per variant, then the anchors; columns: the splits. */
function metricRows(splits: readonly SplitResult[], variants: readonly Variant[], k: Metric): string[][] {
  const rows: string[][] = [];
  for (const v of variants) {
    for (const method of ['ridge', 'rnn', 'rnn-ensemble'] as const) {
      rows.push([`${METHOD_LABELS[method]}, ${VARIANT_LABELS[v]}`, ...splits.map((s) => cell(s.methods.find((m) => m.method === method && m.variant === v), k))]);
    }
  }
  const anchorLabels = [...new Set(splits.flatMap((s) => s.anchors.map((a) => a.label)))];
  for (const label of anchorLabels) rows.push([label, ...splits.map((s) => f3(s.anchors.find((a) => a.label === label)?.[k]))]);
  return rows;
}

/** Plain comparisons: the seed average against ridge on every split, and the targets. */
export function verdicts(splits: readonly SplitResult[], variants: readonly Variant[]): string[] {
  const out: string[] = [];
  for (const s of splits) {
    for (const v of variants) {
      const ridge = s.methods.find((m) => m.method === 'ridge' && m.variant === v)!;
      const ens = s.methods.find((m) => m.method === 'rnn-ensemble' && m.variant === v)!;
      const rnn = s.methods.find((m) => m.method === 'rnn' && m.variant === v)!;
      const d = ens.pearson - ridge.pearson;
      const seeds = rnn.perSeed?.length ?? 0;
      // "beats" only when every seed's network is above ridge, not just their average.
      const allAbove = seeds > 1 && rnn.perSeed!.every((x) => x.pearson > ridge.pearson);
      const word = d <= 0 ? 'does not beat' : allAbove ? `beats (all ${seeds} seeds above)` : seeds > 1 ? 'is above, but not with every seed,' : 'is above (one seed: no spread to judge)';
      out.push(`${s.label}, ${VARIANT_LABELS[v]}: BiGRU seed average ${f3(ens.pearson)} ${word} the ridge baseline ${f3(ridge.pearson)} (Δ ${d >= 0 ? '+' : ''}${d.toFixed(3)} Pearson)`);
      if (s.split === 'protein') out.push(`  target leave-protein-out ≥ ${TARGETS[v]}: ${ens.pearson >= TARGETS[v] ? 'met' : 'not met'} (${f3(ens.pearson)})`);
    }
  }
  const rnd = splits.find((s) => s.split === 'random');
  const lpo = splits.find((s) => s.split === 'protein');
  if (rnd && lpo) {
    for (const v of variants) {
      const g = (s: SplitResult, m: MethodResult['method']): number => s.methods.find((x) => x.method === m && x.variant === v)!.pearson;
      out.push(`random − leave-protein-out gap, ${VARIANT_LABELS[v]}: ridge ${(g(rnd, 'ridge') - g(lpo, 'ridge')).toFixed(3)}, BiGRU seed average ${(g(rnd, 'rnn-ensemble') - g(lpo, 'rnn-ensemble')).toFixed(3)}`);
    }
  }
  return out;
}

function splitColumns(splits: readonly SplitResult[]): string[] {
  return ['method', ...splits.map((s) => `${s.label}${s.foldsRun < s.folds ? ` [${s.foldsRun}/${s.folds} folds]` : ''}`)];
}

/** The terminal summary. */
export function formatStability(splits: readonly SplitResult[], o: ResolvedOptions, conf: ConfounderResult | null): string {
  const cols = splitColumns(splits);
  const parts = [
    'Per-protein mean Pearson r (test proteins of each split; published anchors on the same proteins)',
    textTable(cols, metricRows(splits, o.variants, 'pearson')),
    '',
    'Per-protein mean Spearman ρ',
    textTable(cols, metricRows(splits, o.variants, 'spearman')),
    '',
    ...verdicts(splits, o.variants),
    '',
    `test proteins / mutations: ${splits.map((s) => `${s.split} ${s.testProteins} / ${s.testMutations}`).join('; ')}`,
  ];
  if (conf) parts.push('', confounderText(conf));
  return parts.join('\n');
}

function confounderRows(c: ConfounderResult): (string | number)[][] {
  return c.rows.map((r) => [r.split === 'random' ? 'random mutations' : 'grouped by protein', r.ridge, r.ridgeShortcut, r.ridgeShortcut - r.ridge, r.ceiling]);
}
const CONF_COLS = ['split', 'ridge', 'ridge + shortcut', 'gain from shortcut', 'ceiling (transferable rule)'];

function confounderText(c: ConfounderResult): string {
  return `Confounder demonstration (simulated: ${c.proteins} proteins, ${c.mutations} mutations, ${c.folds} folds; shortcut = mean ΔΔG of the site's other training mutations)\n${textTable(CONF_COLS, confounderRows(c).map((r) => r.map((v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))))}`;
}

function metricTable(splits: readonly SplitResult[], o: ResolvedOptions, k: Metric): ReportTable {
  return {
    title: `Per-protein mean ${k === 'pearson' ? 'Pearson r' : 'Spearman ρ'} by split`,
    columns: splitColumns(splits), rows: metricRows(splits, o.variants, k),
    caption: 'Each cell: the correlation between predicted and measured ΔΔG within each test protein (≥ 10 mutations), averaged over proteins, from out-of-fold predictions. Published anchors (Hermans et al. 2024 summary files; L has Spearman only) are averaged over the same test proteins; they are not trained on D, so they need no split.',
  };
}

/** The HTML report's data. */
export function stabilityReport(config: unknown, splits: readonly SplitResult[], o: ResolvedOptions, conf: ConfounderResult | null, sat: SaturationMap | null, facts: [string, string][]): ReportData {
  const lpo = splits.find((s) => s.split === 'protein') ?? splits[0];
  // uPlot needs ascending x.
  const pts = [...(lpo?.perProtein ?? [])].filter((p) => Number.isFinite(p.rnn)).sort((a, b) => a.ridge - b.ridge);
  const tables: ReportTable[] = [{ ...metricTable(splits, o, 'pearson'), verdict: verdicts(splits, o.variants) }, metricTable(splits, o, 'spearman')];
  if (conf) tables.push({ title: 'Confounder demonstration (simulated proteins)', columns: CONF_COLS, rows: confounderRows(conf), caption: `${conf.proteins} simulated proteins, ${conf.mutations} mutations, ${conf.folds} folds. The shortcut (the mean ΔΔG of the other training mutations at the same site) carries the site effect only where the test protein was in training: the random split rewards it, the grouped split shows it is worth nothing on new proteins. The ceiling is the correlation of the known transferable part of the simulated rule with the label.` });
  return {
    title: 'Protein stability (ΔΔG) from sequence — EvoStability D and L', kind: 'protein-stability', created: new Date().toISOString(), facts, tables,
    charts: lpo && pts.length ? [{
      title: `Per-protein Pearson, ${lpo.label}, sequence only: BiGRU seed average against ridge`, kind: 'points', xLabel: 'ridge r', yLabel: 'BiGRU r',
      x: pts.map((p) => p.ridge), series: [{ label: 'protein', values: pts.map((p) => p.rnn) }],
      caption: 'One point per test protein; above the diagonal the network is better on that protein.',
    }] : [],
    heatmaps: sat ? [saturationHeatmap(sat)] : [],
    config,
  };
}
