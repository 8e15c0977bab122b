/**
 * The HTML report: self-contained (no external resources), and its charts really render — checked
 * by opening it in headless Chromium and reading the page's own canvas check (non-blank pixels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderReport, writeReport, histogramChart, type ReportData } from '../src/recipes/common/index.js';
import { forecastSchema, trainForecast } from '../src/recipes/forecast/index.js';

const run = promisify(execFile);
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const dir = mkdtempSync(join(tmpdir(), 'recur-report-'));

/** Open a file in headless Chromium; returns data-charts and data-charts-drawn of <body>. */
async function rendered(file: string): Promise<{ charts: number; drawn: number; dom: string }> {
  const { stdout } = await run(CHROMIUM!, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'recur-chromium-'))}`, '--virtual-time-budget=5000', '--dump-dom', `file://${file}`,
  ], { timeout: 60_000, maxBuffer: 64 << 20 });
  const body = /<body[^>]*data-charts="(\d+)"[^>]*data-charts-drawn="(\d+)"/.exec(stdout);
  assert.ok(body, 'the page reports its charts');
  return { charts: Number(body[1]), drawn: Number(body[2]), dom: stdout };
}

const classification: ReportData = {
  title: 'splice — test', kind: 'classification', created: '2025-01-01T00:00:00Z', facts: [['data', 'splice.data']],
  tables: [{ title: 'Metrics', columns: ['method', 'accuracy', 'macro F1'], rows: [['model', 0.95, 0.94], ['majority class', 0.52, null]], emphasise: [0] }],
  loss: { epoch: [1, 2, 3], train: [1, 0.5, 0.3], val: [1.1, 0.6, 0.45] },
  confusion: [{ title: 'Confusion matrix (test)', labels: ['EI', 'IE', 'N'], matrix: [[70, 3, 4], [2, 71, 5], [1, 2, 160]] }],
  charts: [histogramChart('Predicted probability of the true class', [{ label: 'model', values: Array.from({ length: 200 }, (_, i) => (i % 50) / 50) }], { xLabel: 'p' })],
};

test('report HTML is self-contained and escapes text', () => {
  const html = renderReport({ ...classification, title: '<script>alert(1)</script>' });
  assert.ok(!/\b(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), 'no external resources');
  assert.ok(!html.includes('<script>alert(1)'), 'titles are escaped');
  assert.ok(html.includes('uPlot'), 'the charting library is inlined');
  assert.match(html, /<table class="confusion">[\s\S]*>160</);
});

test('reports render in headless Chromium: every chart draws non-blank pixels', { skip: CHROMIUM ? false : 'chromium is not installed (apt-get install -y chromium)' }, async () => {
  const cls = writeReport(join(dir, 'classification.html'), classification);
  const c = forecastSchema.parse({
    task: 'forecast', csv: join(import.meta.dirname, 'fixtures', 'csv', 'series.csv'), timeCol: 'timestamp', target: 'load', covariate: ['temp'],
    lookback: 8, horizon: 3, season: 48, epochs: 1, hidden: 4, quiet: true, name: 'r',
  });
  const fc = await trainForecast(c, { csvPath: c.csv, runsDir: join(dir, 'runs') });
  const [a, b] = await Promise.all([rendered(cls), rendered(join(fc.runDir, 'report.html'))]);
  assert.equal(a.charts, 2); // loss + histogram
  assert.equal(a.drawn, a.charts);
  assert.match(a.dom, /Confusion matrix \(test\)/);
  assert.equal(b.charts, 6); // loss, predictions h1 and h3, residuals, residual histogram, MAE by horizon
  assert.equal(b.drawn, b.charts);
  assert.match(b.dom, /seasonal naive \(48 steps\)/);
});
