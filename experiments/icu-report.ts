/**
 * Merge the ICU result files written by experiments/icu-physionet2012.ts and write the report:
 *   npx tsx experiments/icu-report.ts OUT_DIR RESULTS.json [MORE.json ...] [--wall "text"]
 * OUT_DIR gets report.html, table.txt and summary.json (per-fold scores; no per-stay predictions).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { icuReport, loadResults, mergeResults, summaryText } from '../src/recipes/icu/index.js';
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
