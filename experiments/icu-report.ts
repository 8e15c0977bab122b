/**
 * Merge the ICU result files written by experiments/icu-physionet2012.ts and write the report:
 *   npx tsx experiments/icu-report.ts OUT_DIR RESULTS.json [MORE.json ...] [--wall "text"]
 * OUT_DIR gets report.html, table.txt, summary.json (per-fold scores; no per-stay predictions),
 * calibration.svg and auroc-folds.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysis } from '../src/index.js';
import { METHOD_LABELS, calibrationBins, icuReport, loadResults, mergeResults, summaryText } from '../src/recipes/icu/index.js';
import { writeReport } from '../src/recipes/common/index.js';

const args = process.argv.slice(2);
const wi = args.indexOf('--wall');
const wall = wi >= 0 ? args.splice(wi, 2)[1]! : '';
const [out, ...files] = args;
const r = mergeResults(files.map(loadResults));
mkdirSync(out!, { recursive: true });
const text = summaryText(r);
writeFileSync(join(out!, 'table.txt'), `${text}\n`);
writeFileSync(join(out!, 'summary.json'), JSON.stringify({ config: r.config, n: r.n, positives: r.positives, folds: r.folds }, null, 1));
writeReport(join(out!, 'report.html'), icuReport(r, {
  title: 'ICU mortality, PhysioNet/CinC 2012 set A — stratified 5-fold CV',
  facts: [['Data', 'PhysioNet/CinC 2012 set A (../shared/data/icu-physionet2012)'], ['Binning', 'hourly, 48 bins'], ...(wall ? [['Wall time', wall] as [string, string]] : [])],
}));
console.log(text);

// Calibration: mean predicted vs observed rate per 0.1-wide bin (bins with ≥ 10 stays), pooled out-of-fold.
const cal = r.config.methods.map((m) => {
  const idx = r.oof[m]!.map((v, i) => [v, i] as const).filter(([v]) => Number.isFinite(v));
  const c = calibrationBins(idx.map(([v]) => v), idx.map(([, i]) => r.labels[i]!), 10);
  const keep = c.count.map((k, b) => (k >= 10 ? b : -1)).filter((b) => b >= 0);
  return { name: METHOD_LABELS[m], x: keep.map((b) => c.predicted[b]!), y: keep.map((b) => c.observed[b]!) };
});
writeFileSync(join(out!, 'calibration.svg'), analysis.plotSvg({
  title: 'Calibration, pooled out-of-fold (set A, 5-fold)', xLabel: 'mean predicted risk in bin', yLabel: 'observed death rate', logY: false,
  series: [{ name: 'perfect', x: [0, 1], y: [0, 1] }, ...cal],
}));
writeFileSync(join(out!, 'auroc-folds.svg'), analysis.plotSvg({
  title: 'Test AUROC per fold', xLabel: 'fold', yLabel: 'AUROC', logY: false,
  series: r.config.methods.map((m) => {
    const f = r.folds.filter((x) => x.method === m).sort((a, b) => a.fold - b.fold);
    return { name: METHOD_LABELS[m], x: f.map((x) => x.fold + 1), y: f.map((x) => x.auroc) };
  }),
}));
