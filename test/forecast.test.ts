import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, Rng, mae, nmae, regressionMetrics, rmse, skillScore } from '../src/index.js';
import {
  fitNormaliser, fitRidgeAR, forecastSchema, loadSeries, normalise, persistence, ridgeLagCoefficients, rollingOriginSplits,
  seasonalNaive, splitWindows, truthOf, windowOrigins, type ForecastConfigInput,
} from '../src/recipes/forecast/index.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-forecast-'));

function csvFile(name: string, header: string, rows: (string | number)[][]): string {
  const p = join(dir, name);
  writeFileSync(p, `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  return p;
}

function config(over: Partial<ForecastConfigInput>) {
  return forecastSchema.parse({ task: 'forecast', csv: 'x.csv', target: 'y', ...over });
}

test('metrics: MAE, RMSE, nMAE, skill on hand-checkable numbers', () => {
  const truth = [1, 2, 3, 4];
  const pred = [1, 3, 3, 2];
  assert.equal(mae(pred, truth), 0.75);
  assert.equal(rmse(pred, truth), Math.sqrt(5 / 4));
  assert.equal(nmae(pred, truth, 3), 0.25);
  const ref = [0, 0, 0, 0]; // RMSE √7.5
  assert.ok(Math.abs(skillScore(pred, ref, truth) - (1 - Math.sqrt(1.25) / Math.sqrt(7.5))) < 1e-15);
  assert.deepEqual(regressionMetrics(pred, truth, { scale: 3 }), { mae: 0.75, rmse: Math.sqrt(1.25), nmae: 0.25, n: 4 });
  assert.throws(() => mae([1, NaN], [1, 2]), /finite values/);
  assert.throws(() => rmse([1], [1, 2]), /one length/);
});

test('persistence and seasonal naive: exact values, season looked up across a time gap', () => {
  // y = 10·i; rows 0..11 with times 0..11 except a gap (no time 6).
  const times = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12];
  const p = csvFile('season.csv', 't,y', times.map((t) => [t, t * 10]));
  const s = loadSeries(p, config({ timeCol: 't', lookback: 2, horizon: 2, season: 4 }));
  assert.equal(s.step, 1);
  assert.deepEqual(Array.from(s.segStart), [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6]);
  const origins = windowOrigins(s, [0, s.n], { L: 2, H: 2, season: 4 }, new Map(times.map((t, i) => [t, i])));
  // Inputs and targets stay inside one stretch (rows 0–5 or 6–11), and the seasonal value
  // (time − 4) must exist: origins 1, 2 look before time 0; 7, 8 need the missing time 6.
  assert.deepEqual(Array.from(origins), [3, 9]);
  assert.deepEqual(Array.from(persistence(s, origins, 2)), [30, 30, 100, 100]);
  assert.deepEqual(Array.from(truthOf(s, origins, 2)), [40, 50, 110, 120]);
  assert.deepEqual(Array.from(seasonalNaive(s, origins, 2, 4)), [0, 10, 70, 80]);
  // Without a time column the season is counted in rows; h > season looks back ⌈h/m⌉ seasons.
  const q = csvFile('rows.csv', 'y', Array.from({ length: 12 }, (_, i) => [i]));
  const s3 = loadSeries(q, config({ lookback: 1, horizon: 5, season: 4 }));
  assert.deepEqual(Array.from(seasonalNaive(s3, Int32Array.of(6), 5, 4)), [3, 4, 5, 6, 3]);
});

test('ridge AR recovers a known AR(2) process', () => {
  const rng = new Rng(3);
  const y = [0, 0];
  for (let i = 2; i < 6000; i++) y.push(0.6 * y[i - 1]! - 0.3 * y[i - 2]! + rng.normal());
  const p = csvFile('ar2.csv', 'y', y.map((v) => [v.toFixed(6)]));
  const c = config({ lookback: 2, horizon: 1, ridgeLambda: 0 });
  const s = loadSeries(p, c);
  const split = rollingOriginSplits(s.n, 1, c.split)[0]!;
  const w = { L: 2, H: 1, season: null };
  const win = splitWindows(s, split, w, '');
  const z = normalise(s, fitNormaliser(s, split.train));
  const ar = fitRidgeAR(z, s, w, win.train, win.val, 0);
  const [a2, a1] = ridgeLagCoefficients(ar, s, w, 1);
  assert.ok(Math.abs(a1! - 0.6) < 0.04, `a1 ≈ 0.6, got ${a1}`);
  assert.ok(Math.abs(a2! + 0.3) < 0.04, `a2 ≈ −0.3, got ${a2}`);
  const auto = fitRidgeAR(z, s, w, win.train, win.val, 'auto');
  assert.equal(auto.search.length, 6);
  assert.ok(auto.lambda <= 1e-2, `a small λ is best for a clean AR(2), got ${auto.lambda}`);
});

test('normalisation is fitted on the training rows only', () => {
  // Training rows 0..69 hold 0..69; the rest are huge: the mean must not see them.
  const rows = Array.from({ length: 100 }, (_, i) => [i, i < 70 ? i : 1e6]);
  const p = csvFile('norm.csv', 't,y', rows);
  const c = config({ timeCol: 't', lookback: 2, horizon: 1 });
  const s = loadSeries(p, c);
  const split = rollingOriginSplits(s.n, 1, c.split)[0]!;
  assert.deepEqual(split.train, [0, 70]);
  const norm = fitNormaliser(s, split.train);
  assert.ok(Math.abs(norm.mean[0]! - 34.5) < 1e-9);
  assert.ok(Math.abs(norm.std[0]! - Math.sqrt((70 * 70 - 1) / 12)) < 1e-9);
});

test('rolling-origin splits: expanding train, validation before each consecutive test block', () => {
  assert.deepEqual(rollingOriginSplits(100, 1, [0.7, 0.15, 0.15]), [{ train: [0, 70], val: [70, 85], test: [85, 100] }]);
  assert.deepEqual(rollingOriginSplits(100, 3, [0.6, 0.1, 0.3]), [
    { train: [0, 60], val: [60, 70], test: [70, 80] },
    { train: [0, 70], val: [70, 80], test: [80, 90] },
    { train: [0, 80], val: [80, 90], test: [90, 100] },
  ]);
  assert.throws(() => rollingOriginSplits(10, 5, [0.7, 0.15, 0.15]), /at least one row per test block/);
});

test('windows longer than the data: located error', () => {
  const p = join(import.meta.dirname, 'fixtures', 'csv', 'short.csv');
  assert.throws(() => loadSeries(p, config({ timeCol: 'time', lookback: 4, horizon: 3 })), (e: unknown) => {
    assert.ok(e instanceof FormatError);
    assert.match(e.message, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6:1: expected at least 7 data rows for one window \\(--lookback 4 \\+ --horizon 3\\), got 5`));
    return true;
  });
});

test('rolling-origin backtest end to end: one model per fold, pooled test windows, per-fold scores', async () => {
  const { trainForecast } = await import('../src/recipes/forecast/index.js');
  const c = config({
    csv: join(import.meta.dirname, 'fixtures', 'csv', 'series.csv'), timeCol: 'timestamp', target: 'load', lookback: 6, horizon: 2,
    epochs: 1, hidden: 4, backtest: 2, split: [0.6, 0.1, 0.3], quiet: true, name: 'bt',
  });
  const r = await trainForecast(c, { csvPath: c.csv, runsDir: join(dir, 'runs') });
  const m = r.metrics!;
  assert.equal(m.folds.length, 2);
  assert.deepEqual(m.folds.map((f) => (f.split as { test: number[] }).test), [[336, 408], [408, 480]]);
  const pooled = m.scores.overall.load!.persistence!.n;
  assert.equal(pooled, m.folds.reduce((a, f) => a + f.scores.overall.load!.persistence!.n, 0));
});

test('normalisation is scale-free: the same series in units of 1e-6, 1 and 1e6 trains to the same nMAE and skill', async () => {
  const { trainForecast } = await import('../src/recipes/forecast/index.js');
  const rng = new Rng(11);
  const base = Array.from({ length: 240 }, (_, i) => Math.sin(i / 5) + 0.5 * Math.sin(i / 13) + 0.1 * rng.normal());
  const scores = [];
  for (const scale of [1e-6, 1, 1e6]) {
    const p = csvFile(`scaled-${scale}.csv`, 't,y', base.map((v, i) => [i, v * scale]));
    const c = config({ csv: p, timeCol: 't', lookback: 8, horizon: 2, epochs: 2, hidden: 4, quiet: true, name: `scale-${scale}` });
    const r = await trainForecast(c, { csvPath: p, runsDir: join(dir, 'runs-scale') });
    scores.push(r.metrics!.scores.overall.y!.model!);
  }
  const [small, unit, large] = scores as { nmae: number; skill: number }[];
  assert.ok(unit!.nmae < 0.5, `unit-scale nMAE ${unit!.nmae}`);
  for (const s of [small!, large!]) {
    assert.ok(Math.abs(s.nmae - unit!.nmae) <= 1e-3 * unit!.nmae, `nMAE ${s.nmae} vs ${unit!.nmae}`);
    assert.ok(Math.abs(s.skill - unit!.skill) <= 1e-3, `skill ${s.skill} vs ${unit!.skill}`);
  }
});

test('degenerate data: a constant target is refused, a 1e30 outlier is refused at its cell, a merely extreme one is noted', () => {
  const c = config({ timeCol: 't', lookback: 2, horizon: 1 });
  const flat = loadSeries(csvFile('flat.csv', 't,y', Array.from({ length: 40 }, (_, i) => [i, 3.25])), c);
  assert.throws(() => fitNormaliser(flat, [0, 28]), /flat\.csv:2:1: expected a target column "y" that varies over the training rows \(1–28\).*got the constant 3\.25; nothing to forecast/);
  const tiny = loadSeries(csvFile('tiny.csv', 't,y', Array.from({ length: 40 }, (_, i) => [i, 1e-9 * Math.sin(i)])), c);
  assert.ok(fitNormaliser(tiny, [0, 28]).std[0]! < 1e-8);
  const rows = Array.from({ length: 40 }, (_, i): (string | number)[] => [i, Math.sin(i)]);
  rows[17]![1] = '1e30';
  assert.throws(() => loadSeries(csvFile('outlier.csv', 't,y', rows), c), /outlier\.csv:19:4: expected values on the scale of the rest of column "y".*got 1e\+30 in column "y".*sentinel/);
  rows[17]![1] = 5000;
  const s = loadSeries(csvFile('extreme.csv', 't,y', rows), c);
  assert.match(s.notes.join('\n'), /extreme value 5000 in column "y".*\(line 19\): it will dominate the normalisation/);
});

test('MAE loss learns the conditional median: on a walk with skewed steps it beats persistence on MAE, MSE loss does not', async () => {
  // Steps +1 (p = 2/3) or −2 (p = 1/3): mean 0, so the MSE-optimal forecast is persistence; median +1,
  // so the MAE-optimal forecast is y(t) + 1, with MAE 1 against persistence's 4/3 (skill 25 %) and
  // RMSE √3 against √2 (worse): each loss suits its own metric.
  const { trainForecast } = await import('../src/recipes/forecast/index.js');
  const rng = new Rng(3);
  let y = 0;
  const p = csvFile('skewed-walk.csv', 't,y', Array.from({ length: 1500 }, (_, i) => [i, (y += rng.random() < 2 / 3 ? 1 : -2)]));
  const skill = async (loss: 'mae' | 'mse') => {
    const c = config({ csv: p, timeCol: 't', lookback: 2, horizon: 1, epochs: 6, hidden: 4, lr: 0.01, loss, quiet: true, name: `skewed-${loss}` });
    const r = await trainForecast(c, { csvPath: p, runsDir: join(dir, 'runs-skewed') });
    const o = r.metrics!.scores.overall.y!;
    return { mae: 1 - o.model!.mae / o.persistence!.mae, rmse: o.model!.skill! };
  };
  const byMae = await skill('mae');
  const byMse = await skill('mse');
  assert.ok(byMae.mae > 0.18, `MAE-trained MAE skill ${byMae.mae}`);
  assert.ok(byMae.rmse < -0.1, `MAE-trained RMSE skill ${byMae.rmse}`);
  assert.ok(Math.abs(byMse.mae) < 0.06, `MSE-trained MAE skill ${byMse.mae} (persistence in disguise)`);
});
