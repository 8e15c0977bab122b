/**
 * Honest verdicts: the results say plainly where the model does not beat the best baseline, the
 * model row is highlighted only when it is the best, and the report names what produced the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { renderReport, signedPct, wrapText } from '../src/recipes/common/index.js';
import { forecastVerdict, metricsTable, summaryText, verdictLines } from '../src/recipes/forecast/report.js';
import type { ForecastScores, MethodForecast } from '../src/recipes/forecast/evaluate.js';
import { forecastSchema, trainForecast } from '../src/recipes/forecast/index.js';
import { FIX, tempDir } from './cli-helpers.js';
import { readFileSync } from 'node:fs';
import { runSplice, spliceReport } from '../src/recipes/splice/index.js';

const methods: MethodForecast[] = ['model', 'persistence', 'ridge_ar', 'reference_oracle'].map((key) => ({
  key, label: key === 'ridge_ar' ? 'ridge AR' : key, forecast: new Float64Array(0), ...(key === 'reference_oracle' ? { oracle: true } : {}),
}));

/** Scores of one target: [mae, rmse] overall and per horizon step (2 steps). */
function scores(v: Record<string, { all: [number, number]; h: [number, number][] }>): ForecastScores {
  const p = v.persistence!;
  return {
    overall: { y: Object.fromEntries(Object.entries(v).map(([k, s]) => [k, { mae: s.all[0], rmse: s.all[1], nmae: s.all[0] / 100, skill: 1 - s.all[1] / p.all[1], n: 20 }])) },
    perHorizon: { y: Object.fromEntries(Object.entries(v).map(([k, s]) => [k, s.h.map(([mae, rmse], i) => ({ h: i + 1, mae, rmse, skill: 1 - rmse / p.h[i]![1] }))])) },
  };
}

const lose = scores({
  model: { all: [102.2, 98.1], h: [[101, 97], [103.4, 99.2]] },
  persistence: { all: [100, 100], h: [[99, 98], [101, 102]] },
  ridge_ar: { all: [104, 100.5], h: [[103, 99], [105, 102]] },
  reference_oracle: { all: [50, 60], h: [[50, 60], [50, 60]] },
});

test('signed percentages use a real minus sign; wrapping keeps words whole', () => {
  assert.equal(signedPct(-0.0221), '−2.2 %');
  assert.equal(signedPct(0.019), '+1.9 %');
  assert.equal(signedPct(-0.00001), '0.0 %');
  assert.equal(wrapText('aaa bbb ccc', 7, '  '), 'aaa bbb\n  ccc');
});

test('forecast verdict: worse on MAE, better on RMSE, against the best fair baseline (the oracle is never it)', () => {
  const v = forecastVerdict(lose, methods, 'y');
  assert.deepEqual(v.map((x) => x.baseline.key), ['persistence', 'persistence']);
  const lines = verdictLines(v, (h) => `h${h}`);
  assert.equal(lines[0], 'model vs best baseline (persistence): MAE −2.2 % (worse), RMSE +1.9 % (better)');
  assert.equal(lines[1], 'MAE by horizon vs persistence: better at 0 of 2 steps (h1 −2.0 %, h2 −2.4 %)');
  assert.equal(lines[2], 'RMSE by horizon vs persistence: better at 2 of 2 steps (h1 +1.0 %, h2 +2.7 %)');
  const t = metricsTable(lose, methods, 'y', 'Test metrics', (h) => `h${h}`);
  assert.deepEqual(t.emphasise, [], 'the model row is not highlighted when a baseline beats it');
  assert.deepEqual(t.columns, ['method', 'MAE', 'RMSE', 'nMAE', 'MAE skill', 'RMSE skill']);
  assert.ok(t.best!.some(([r, c]) => r === 1 && c === 1), 'persistence has the best MAE');
  assert.ok(t.best!.some(([r, c]) => r === 0 && c === 2), 'the model has the best RMSE');
  assert.ok(!t.best!.some(([r]) => r === 3), 'an oracle is never marked best');
  const html = renderReport({ title: 't', kind: 'forecast', created: 'now', tables: [t] });
  assert.match(html, /<p class="verdict">model vs best baseline \(persistence\): MAE −2\.2 % \(worse\), RMSE \+1\.9 % \(better\)<\/p>/);
  assert.doesNotMatch(html, /<tr class="em">/);
  const text = summaryText(lose, methods, 2, (h) => `h${h}`);
  assert.match(text, /MAE skill %\s+RMSE skill %/);
  assert.match(text, /^model\s+102\.2\s+98\.1\s+1\.022\s+-2\.2\s+1\.9$/m);
});

test('a model that beats every fair baseline on both metrics is highlighted; different best baselines are named', () => {
  const win = scores({
    model: { all: [90, 95], h: [[90, 95], [90, 95]] },
    persistence: { all: [100, 100], h: [[100, 100], [100, 100]] },
    ridge_ar: { all: [104, 99], h: [[104, 99], [104, 99]] },
    reference_oracle: { all: [50, 60], h: [[50, 60], [50, 60]] },
  });
  assert.deepEqual(metricsTable(win, methods, 'y', 'T', (h) => `h${h}`).emphasise, [0]);
  assert.equal(verdictLines(forecastVerdict(win, methods, 'y'), (h) => `h${h}`)[0], 'model vs best baseline: MAE +10.0 % vs persistence (better), RMSE +4.0 % vs ridge AR (better)');
});

test('the report of a real run holds the verdict, both skills, and the recur version, backend, threads and seed', async () => {
  const c = forecastSchema.parse({
    task: 'forecast', csv: join(FIX, 'series.csv'), timeCol: 'timestamp', target: 'load', lookback: 8, horizon: 2, epochs: 1, hidden: 4, quiet: true, name: 'v', seed: 7,
  });
  const r = await trainForecast(c, { csvPath: c.csv, runsDir: join(tempDir(), 'runs') });
  assert.match(r.summary, /^model vs best baseline/m);
  const html = readFileSync(join(r.runDir, 'report.html'), 'utf8');
  const version = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  assert.match(html, new RegExp(`<dt>recur</dt><dd>${version.replace(/\./g, '\\.')}</dd><dt>backend</dt><dd>(native|ref) \\(\\d+ threads?\\)</dd><dt>seed</dt><dd>7</dd>`));
  assert.match(html, /<p class="verdict">model vs best baseline/);
  assert.match(html, /Full resolved configuration[\s\S]*&#34;lookback&#34;: 8/);
});

test('splice report: verdict per class, highlight only for the most accurate system, curves of every fold × member', async () => {
  const r = (await runSplice({ limit: 60, epochs: 2, hidden: 4, ensemble: 2, cv: 2, seed: 1 }))!;
  const d = spliceReport({ task: 'splice', limit: 60 }, r);
  const t = d.tables![0]!;
  const best = r.systems.every((s) => s.metrics.accuracy <= r.systems[0]!.metrics.accuracy);
  assert.deepEqual(t.emphasise, best ? [0] : []);
  assert.equal(t.verdict!.length, 4);
  assert.match(t.verdict![0]!, /^Neither: model \d+\.\d\d %; strongest baseline \(.+\) \d+\.\d\d %: (better by|worse by|equal)[^;]*; best published 3\.99 % \(PERCEPTRON\): (better|worse|equal)/);
  assert.match(t.verdict![3]!, /lower error than the best published row on [0-3] of 3 classes/);
  for (const c of d.charts!) assert.equal(c.series.length, 4, `${c.title}: 2 folds × 2 members`);
  assert.deepEqual(d.charts!.map((c) => c.series[3]!.label), ['fold 2 member 2', 'fold 2 member 2', 'fold 2 member 2']);
  assert.deepEqual(d.environment!.seed, 1);
  assert.equal((d.config as Record<string, unknown>).hidden, 4);
  assert.equal((d.config as Record<string, unknown>).valFraction, 0.1);
});
