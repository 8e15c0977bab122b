/**
 * The forecaster's options beyond the basics: the reference column as an input (values up to the
 * origin only), time-of-day inputs, forecasts clipped to the training range, the Huber threshold,
 * the plateau schedule, and the wind-t1 preset's settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Tensor, ValueError, noGrad } from '../src/index.js';
import { PRESETS, fitNormaliser, forecastSchema, loadSeries, normalise, rollingOriginSplits, type ForecastConfigInput } from '../src/recipes/forecast/index.js';
import { Forecaster, lossOf, modelForecast, windowBatch } from '../src/recipes/forecast/model.js';
import { targetBounds } from '../src/recipes/forecast/pipeline.js';
import { FIX, runInProcess, tempDir } from './cli-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-forecast-opt-'));

function config(over: Partial<ForecastConfigInput>) {
  return forecastSchema.parse({ task: 'forecast', csv: 'x.csv', target: 'y', ...over });
}

function csvFile(name: string, header: string, rows: (string | number)[][]): string {
  const p = join(dir, name);
  writeFileSync(p, `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  return p;
}

test('defaults: the new options are off unless asked for', () => {
  const c = config({});
  assert.equal(c.referenceInput, false);
  assert.equal(c.timeOfDay, false);
  assert.equal(c.clipOutput, false);
  assert.equal(c.huberDelta, 1);
  assert.equal(c.schedule, 'constant');
});

test('--reference-input: the reference column becomes the last input feature; windows read it up to the origin only', () => {
  const rows = Array.from({ length: 40 }, (_, i) => [i, i * 2, 100 + i]);
  const p = csvFile('ref.csv', 't,y,ref', rows);
  const c = config({ timeCol: 't', referenceCol: 'ref', referenceInput: true, lookback: 3, horizon: 2 });
  const s = loadSeries(p, c);
  assert.deepEqual(s.features, ['y', 'ref']);
  assert.equal(s.F, 2);
  assert.equal(s.reference![5], 105, 'still scored as a baseline');
  // The window of origin 10 holds rows 8, 9, 10: the reference at 108, 109, 110 and nothing later.
  const x = windowBatch(Float32Array.from(s.raw), s, 3, [10]);
  assert.deepEqual(Array.from(x.data), [16, 108, 18, 109, 20, 110]);
  assert.throws(() => loadSeries(p, config({ timeCol: 't', referenceInput: true, lookback: 3, horizon: 2 })), (e: unknown) => e instanceof ValueError && /--reference-input/.test(e.message));
});

test('--time-of-day: sin/cos of the time of day from a date column; refused without dates', () => {
  const rows = Array.from({ length: 30 }, (_, i) => [`2024-01-01T${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}:00Z`, i]);
  const p = csvFile('tod.csv', 'time,y', rows);
  const s = loadSeries(p, config({ timeCol: 'time', timeOfDay: true, lookback: 2, horizon: 1 }));
  assert.deepEqual(s.features, ['y', 'time of day:sin', 'time of day:cos']);
  const at = (row: number, f: number): number => s.raw[row * s.F + f]!;
  assert.ok(Math.abs(at(0, 1)) < 1e-12 && Math.abs(at(0, 2) - 1) < 1e-12, 'midnight: sin 0, cos 1');
  assert.ok(Math.abs(at(12, 1) - 1) < 1e-12, '06:00: sin 1');
  assert.ok(Math.abs(at(24, 2) + 1) < 1e-12, '12:00: cos −1');
  const q = csvFile('tod-num.csv', 'y', Array.from({ length: 30 }, (_, i) => [i]));
  assert.throws(() => loadSeries(q, config({ timeOfDay: true, lookback: 2, horizon: 1 })), (e: unknown) => e instanceof ValueError && /--time-of-day/.test(e.message));
});

test('--clip-output: forecasts are clipped into the training range of each target', () => {
  const rows = Array.from({ length: 60 }, (_, i) => [i, (i % 10) * 10]);
  const p = csvFile('clip.csv', 't,y', rows);
  const c = config({ timeCol: 't', lookback: 3, horizon: 2, hidden: 4 });
  const s = loadSeries(p, c);
  const split = rollingOriginSplits(s.n, 1, c.split)[0]!;
  const bounds = targetBounds(s, split.train);
  assert.deepEqual(bounds, [[0, 90]]);
  const norm = fitNormaliser(s, split.train);
  const z = normalise(s, norm);
  const model = new Forecaster({ cell: 'gru', features: 1, hidden: 4, layers: 1, horizon: 2, targets: 1 }, new Rng(1));
  const bias = model.namedParameters().find(([n]) => n === 'head.bias')![1];
  noGrad(() => bias.data.set([50, -50])); // +50 and −50 standard deviations: far outside the range
  const w = { L: 3, H: 2, season: null };
  const origins = Int32Array.of(5, 6, 7);
  const free = modelForecast(model, z, s, w, origins, norm);
  assert.ok(free[0]! > 90 && free[1]! < 0, 'unclipped forecasts leave the range');
  assert.deepEqual(Array.from(modelForecast(model, z, s, w, origins, norm, bounds)), [90, 0, 90, 0, 90, 0]);
});

test('Huber loss uses the given threshold', () => {
  const pred = new Tensor(Float32Array.of(0, 0), [1, 2]);
  const y = new Tensor(Float32Array.of(0.05, 1), [1, 2]);
  // δ = 0.1: ½·0.05² and 0.1·(1 − 0.05), averaged.
  assert.ok(Math.abs(lossOf('huber', pred, y, 0.1).item() - (0.5 * 0.05 ** 2 + 0.1 * 0.95) / 2) < 1e-7);
  assert.ok(Math.abs(lossOf('huber', pred, y).item() - (0.5 * 0.05 ** 2 + 0.5) / 2) < 1e-7, 'default δ = 1');
});

test('the wind-t1 preset: the settings chosen on the validation split', () => {
  const c = forecastSchema.parse({ task: 'forecast', ...PRESETS['wind-t1'] });
  assert.equal(c.referenceCol, 'Theoretical_Power_Curve (KWh)');
  assert.deepEqual(c.angular, ['Wind Direction (°)']);
  assert.equal(c.clipOutput, true);
  assert.equal(c.loss, 'mae', 'the MAE-optimal forecast is the conditional median');
  assert.equal(c.schedule, 'plateau');
  assert.ok(c.epochs >= 20 && c.patience >= 3, 'many epochs, stopped early on validation');
});

test('recur train with the new flags: recorded in config.json, forecasts within the training range, eval and predict agree', async () => {
  const cwd = tempDir();
  const args = [
    'train', '--task', 'forecast', '--csv', join(FIX, 'series.csv'), '--time-col', 'timestamp', '--target', 'load', '--covariate', 'temp',
    '--reference-col', 'ref_forecast', '--reference-input', '--time-of-day', '--clip-output', '--loss', 'huber', '--huber-delta', '0.2',
    '--schedule', 'plateau', '--lookback', '8', '--horizon', '2', '--epochs', '2', '--hidden', '4', '--quiet', '--name', 'opt',
  ];
  const r = await runInProcess(args, cwd);
  assert.equal(r.code, 0, r.stderr);
  const run = join(cwd, 'runs', 'opt');
  const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  assert.deepEqual([cfg.referenceInput, cfg.timeOfDay, cfg.clipOutput, cfg.loss, cfg.huberDelta, cfg.schedule], [true, true, true, 'huber', 0.2, 'plateau']);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.features, ['load', 'temp', 'ref_forecast', 'time of day:sin', 'time of day:cos']);
  for (const key of ['model', 'ridge_ar']) for (const m of ['mae', 'rmse']) {
    const v = metrics.validation[0].skill[key][m];
    assert.ok(v.length === 2 && v.every(Number.isFinite), `validation ${m} skill of ${key} per horizon step: ${v}`);
  }
  const ev = await runInProcess(['eval', '--run', run, '--json'], cwd);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).scores.overall.load.model.mae, metrics.scores.overall.load.model.mae);
  const pred = await runInProcess(['predict', '--run', run, '--all', '--out', 'p.csv'], cwd);
  assert.equal(pred.code, 0, pred.stderr);
  const loads = readFileSync(join(FIX, 'series.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
  const train = loads.slice(0, Math.floor(loads.length * 0.7));
  const [lo, hi] = [Math.min(...train), Math.max(...train)];
  const values = readFileSync(join(cwd, 'p.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[3]));
  assert.ok(values.length > 100 && values.every((v) => v >= lo - 1e-3 && v <= hi + 1e-3), `forecasts within [${lo}, ${hi}]`);
  // A preset's switch can be turned off by its --no- flag.
  const off = await runInProcess([...args.slice(0, -2), '--no-clip-output', '--no-time-of-day', '--name', 'off'], cwd);
  assert.equal(off.code, 0, off.stderr);
  const cfgOff = JSON.parse(readFileSync(join(cwd, 'runs', 'off', 'config.json'), 'utf8'));
  assert.deepEqual([cfgOff.clipOutput, cfgOff.timeOfDay], [false, false]);
});
