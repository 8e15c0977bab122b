/** Several series in one file: --group-col, --time-cols, windows within a series, series-level normalisation, per-series metrics, predict per series. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fitNormaliser, forecastSchema, loadSeries, normalise, rangesOf, seriesSplits, splitWindows, syntheticFarmCsv, type ForecastConfigInput,
} from '../src/recipes/forecast/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

const dir = tempDir('recur-multi-');
const farm = join(dir, 'farm.csv');
writeFileSync(farm, syntheticFarmCsv({ turbines: 4, steps: 432, seed: 2 }));

const config = (over: Partial<ForecastConfigInput> = {}) => forecastSchema.parse({
  task: 'forecast', csv: farm, target: 'Patv', covariate: ['Wspd'], groupCol: 'TurbID', timeCols: ['Day', 'Tmstamp'], lookback: 6, horizon: 3, ...over,
});

test('series are read from a group column, time from day + clock columns; no window crosses series', () => {
  const c = config();
  const s = loadSeries(farm, c);
  assert.deepEqual(s.groups, ['1', '2', '3', '4']);
  assert.equal(s.n, 4 * 432);
  assert.equal(s.step, 600_000, 'ten minutes');
  assert.ok(s.dayClock);
  assert.equal(s.times![0], 86_400_000, 'day 1, 00:00');
  // Each series starts a segment, and every window lies inside one series.
  for (let g = 0; g < 4; g++) assert.equal(s.segStart[g * 432], g * 432);
  const split = seriesSplits(s, 1, c.split)[0]!;
  const win = splitWindows(s, split, { L: 6, H: 3, season: null }, '');
  for (const o of [...win.train, ...win.val, ...win.test]) assert.equal(s.group[o - 5], s.group[o + 3], `window at ${o} stays in one series`);
  // All series are cut at the same times: no series trains on a period another is tested on.
  const testStarts = rangesOf(split.test).map(([a]) => s.times![a]);
  assert.equal(new Set(testStarts).size, 1);
  assert.equal(rangesOf(split.train).length, 4);
});

test('a file ordered by time then series reads as the same series', () => {
  const lines = readFileSync(farm, 'utf8').trim().split('\n');
  const body = lines.slice(1).map((l, i) => ({ l, g: Math.floor(i / 432), t: i % 432 })).sort((a, b) => a.t - b.t || a.g - b.g);
  const mixed = join(dir, 'mixed.csv');
  writeFileSync(mixed, `${lines[0]}\n${body.map((b) => b.l).join('\n')}\n`);
  const a = loadSeries(farm, config());
  const b = loadSeries(mixed, config({ csv: mixed }));
  assert.deepEqual(Array.from(b.raw), Array.from(a.raw));
  assert.deepEqual(Array.from(b.times!), Array.from(a.times!));
});

test('series-level normalisation: each series centred and scaled on its own training rows', () => {
  const c = config();
  const s = loadSeries(farm, c);
  const split = seriesSplits(s, 1, c.split)[0]!;
  const norm = fitNormaliser(s, split.train);
  assert.equal(norm.groups!.length, 4);
  const z = normalise(s, norm);
  for (const [a, b] of rangesOf(split.train)) {
    let m = 0;
    let v = 0;
    for (let i = a; i < b; i++) m += z[i * s.F]! / (b - a);
    for (let i = a; i < b; i++) v += (z[i * s.F]! - m) ** 2 / (b - a);
    assert.ok(Math.abs(m) < 1e-4 && Math.abs(v - 1) < 1e-3, `series rows ${a}–${b}: mean ${m}, var ${v}`);
  }
});

test('fleet inputs: the farm mean at each time, and the k most correlated series', () => {
  const s = loadSeries(farm, config({ farmMean: true, neighbours: 1 }));
  assert.deepEqual(s.features, ['Patv', 'Wspd', 'farm mean: Patv', 'farm mean: Wspd', 'nearest 1: Patv']);
  const at = 100;
  const mean = [0, 1, 2, 3].reduce((a, g) => a + s.raw[(g * 432 + at) * s.F]!, 0) / 4;
  for (let g = 0; g < 4; g++) assert.ok(Math.abs(s.raw[(g * 432 + at) * s.F + 2]! - mean) < 1e-9);
  // Turbines 1..4 sit along the wind with growing delays: each one's nearest is a neighbour on the line.
  const own = (g: number) => s.raw[(g * 432 + at) * s.F]!;
  const nearest = s.raw[(0 * 432 + at) * s.F + 4]!;
  assert.equal(nearest, own(1), 'turbine 1 correlates best with turbine 2');
});

test('errors: unknown series, --series without --group-col, a time going back within a series', () => {
  assert.throws(() => loadSeries(farm, config({ series: '9' })), /--series: expected a value of column "TurbID"/);
  assert.throws(() => loadSeries(farm, config({ groupCol: undefined, series: '1' })), /--series: expected a --group-col/);
  const lines = readFileSync(farm, 'utf8').trim().split('\n');
  [lines[3], lines[4]] = [lines[4]!, lines[3]!];
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, `${lines.join('\n')}\n`);
  assert.throws(() => loadSeries(bad, config({ csv: bad })), /bad\.csv:5:3: expected times increasing/);
  const one = loadSeries(farm, config({ series: '3' }));
  assert.deepEqual(one.groups, ['3']);
  assert.equal(one.n, 432);
});

test('recur train --group-col: pooled and per-series metrics; recur predict forecasts every series', async () => {
  const cwd = tempDir('recur-multi-cli-');
  const r = await runInProcess(['train', '--task', 'forecast', '--csv', farm, '--group-col', 'TurbID', '--time-cols', 'Day,Tmstamp', '--target', 'Patv', '--covariate', 'Wspd',
    '--lookback', '6', '--horizon', '3', '--epochs', '1', '--hidden', '8', '--runs-dir', 'runs', '--name', 'm', '--quiet'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /per series: the model beats persistence on MAE in \d of 4 series/);
  const m = JSON.parse(readFileSync(join(cwd, 'runs', 'm', 'metrics.json'), 'utf8')) as { series: { series: string; windows: number; mae: { persistence: number } }[]; scores: { overall: { Patv: { persistence: { mae: number; n: number } } } } };
  assert.deepEqual(m.series.map((x) => x.series), ['1', '2', '3', '4']);
  // Pooled persistence MAE is the window-weighted mean of the per-series ones.
  const total = m.series.reduce((a, x) => a + x.windows, 0);
  const pooled = m.series.reduce((a, x) => a + x.mae.persistence * x.windows, 0) / total;
  assert.ok(Math.abs(pooled - m.scores.overall.Patv.persistence.mae) < 1e-6 * pooled);
  const p = await runInProcess(['predict', '--run', join(cwd, 'runs', 'm')], cwd);
  assert.equal(p.code, 0, p.stderr);
  const rows = p.stdout.trim().split('\n');
  assert.equal(rows[0], 'series,origin,time,horizon,Patv');
  assert.equal(rows.length, 1 + 4 * 3);
  assert.deepEqual([...new Set(rows.slice(1).map((l) => l.split(',')[0]))], ['1', '2', '3', '4']);
  assert.match(rows[1]!, /^1,3 23:50,4 00:00,1,/);
});

test('--shrink: the blend weight with persistence is chosen on validation windows', async () => {
  const { fitShrink, applyShrink } = await import('../src/recipes/forecast/shrink.js');
  const { truthOf, persistence } = await import('../src/recipes/forecast/index.js');
  const s = loadSeries(farm, config());
  const origins = Int32Array.from({ length: 200 }, (_, i) => 10 + i);
  const y = truthOf(s, origins, 3);
  const p = persistence(s, origins, 3);
  assert.deepEqual(fitShrink(s, origins, 3, y), [1, 1, 1], 'a perfect model keeps its weight 1');
  assert.deepEqual(fitShrink(s, origins, 3, p), [0, 0, 0], 'persistence itself: every weight ties; the first tried (0) is kept');
  const wild = y.map((v, i) => v + (i % 2 ? 5000 : -5000));
  assert.deepEqual(fitShrink(s, origins, 3, wild), [0, 0, 0], 'a useless model gets weight 0');
  const half = y.map((v, i) => p[i]! + 2 * (v - p[i]!)); // overshoots twice the change
  assert.deepEqual(fitShrink(s, origins, 3, half), [0.5, 0.5, 0.5]);
  const blended = applyShrink(s, origins, 3, half, [0.5, 0.5, 0.5]);
  blended.forEach((v, i) => assert.ok(Math.abs(v - y[i]!) < 1e-9));
});

test('a learned series embedding tells apart series whose history alone cannot (AR(1) of opposite sign, lookback 1)', async () => {
  // Two series with the same marginal distribution: y_{t+1} = ±0.9·y_t + e. With one step of history,
  // a global model without the series' identity can only predict the average coefficient (0).
  const { Rng } = await import('../src/index.js');
  const rng = new Rng(5);
  const rows = ['id,t,y'];
  for (const [id, a] of [['up', 0.9], ['down', -0.9]] as const) {
    let y = 0;
    for (let t = 0; t < 600; t++) {
      y = a * y + rng.normal() * 0.44;
      rows.push(`${id},${t},${y.toFixed(5)}`);
    }
  }
  const csv = join(dir, 'ar.csv');
  writeFileSync(csv, `${rows.join('\n')}\n`);
  const cwd = tempDir('recur-embed-');
  const args = (name: string, extra: string[]) => ['train', '--task', 'forecast', '--csv', csv, '--group-col', 'id', '--time-col', 't', '--target', 'y', '--lookback', '1', '--horizon', '1',
    '--epochs', '12', '--hidden', '8', '--lr', '0.01', '--runs-dir', 'runs', '--name', name, '--quiet', '--json', ...extra];
  const rmse = async (name: string, extra: string[]): Promise<number> => {
    const r = await runInProcess(args(name, extra), cwd);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { scores: { overall: { y: { model: { rmse: number } } } } }).scores.overall.y.model.rmse;
  };
  const plain = await rmse('plain', []);
  const embedded = await rmse('embedded', ['--series-embedding', '2']);
  assert.ok(embedded < 0.8 * plain, `with the embedding ${embedded} vs without ${plain}`);
  const p = await runInProcess(['predict', '--run', join(cwd, 'runs', 'embedded')], cwd);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout.trim().split('\n').length, 3, 'one forecast per series');
  const other = join(dir, 'other.csv');
  writeFileSync(other, 'id,t,y\nnew,0,0.1\nnew,1,0.2\n');
  const bad = await runInProcess(['predict', '--run', join(cwd, 'runs', 'embedded'), '--csv', other], cwd);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /only series the model was trained on .*got series "new"/);
  const fleet = await runInProcess([...args('fleet', ['--series-embedding', '2', '--per-group'])], cwd);
  assert.equal(fleet.code, 2);
  assert.match(fleet.stderr, /--series-embedding: expected one global model/);
});
