/** `recur sweep` in local mode: trials from grid × random × seeds, each an ordinary run folder, and a leaderboard ranked on validation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticFarmCsv } from '../src/recipes/forecast/index.js';
import { expandTrials, meanSd, rankPoints, sweepSchema, type TrialResult } from '../src/sweep/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

const base = { task: 'forecast', csv: '/x.csv', target: 'y', lookback: 4 };

test('trials: grid × random draws × seeds, seeded draws, every trial a valid config', () => {
  const spec = sweepSchema.parse({ name: 's', base, grid: { hidden: [8, 16], cell: ['gru', 'lstm'] }, random: { trials: 3, space: { lr: { logUniform: [1e-4, 1e-2] }, layers: { intUniform: [1, 2] } } }, seeds: [0, 7] });
  const t = expandTrials(spec, base, '/runs');
  assert.equal(t.length, 2 * 2 * 3 * 2);
  assert.equal(new Set(t.map((x) => x.id)).size, t.length);
  assert.deepEqual(t.slice(0, 2).map((x) => [x.id, x.config.seed, x.config.name, x.config.runsDir]), [['p00-seed0', 0, 'p00-seed0', '/runs/s'], ['p00-seed7', 7, 'p00-seed7', '/runs/s']]);
  for (const x of t) {
    assert.ok(x.config.lr >= 1e-4 && x.config.lr <= 1e-2 && [1, 2].includes(x.config.layers));
    assert.equal(x.config.lr, x.overrides.lr);
  }
  assert.deepEqual(expandTrials(spec, base, '/runs').map((x) => x.overrides), t.map((x) => x.overrides), 'the same draws from the same sweep seed');
  const other = expandTrials({ ...spec, seed: 1 }, base, '/runs').map((x) => x.overrides.lr);
  assert.notDeepEqual(other, t.map((x) => x.overrides.lr));
  assert.throws(() => expandTrials(sweepSchema.parse({ name: 's', base, grid: { hiden: [8] } }), base, '/runs'), /did you mean "hidden".*unknown key "hiden"/);
  assert.throws(() => expandTrials(sweepSchema.parse({ name: 's', base, grid: { seed: [1] } }), base, '/runs'), /seeds go in "seeds"/);
  assert.throws(() => sweepSchema.parse({ name: '../x', base }), /letters, digits/);
});

test('leaderboard: ranked by mean validation loss, spread over seeds', () => {
  const r = (point: string, seed: number, valLoss: number, maeSkill: number): TrialResult => ({
    trial: `${point}-seed${seed}`, point, seed, overrides: { hidden: point === 'p0' ? 8 : 16 }, valLoss, seconds: 1, by: 'h:1', how: 'fresh',
    test: { mae: 1, rmse: 1, maeSkill, rmseSkill: maeSkill, persistenceMae: 1, persistenceRmse: 1 },
  });
  // p1 has the better test skill but the worse validation loss: it must not win.
  const rows = rankPoints([r('p0', 0, 0.2, 0.01), r('p0', 1, 0.4, 0.03), r('p1', 0, 0.5, 0.2), r('p1', 1, 0.5, 0.2)]);
  assert.deepEqual(rows.map((x) => x.point), ['p0', 'p1']);
  assert.ok(Math.abs(rows[0]!.valLoss!.mean - 0.3) < 1e-12);
  assert.ok(Math.abs(rows[0]!.maeSkill.sd - meanSd([0.01, 0.03]).sd) < 1e-12 && rows[0]!.maeSkill.sd > 0);
});

test('recur sweep --workers 2: run folders, leaderboard.html, finished trials not rerun', async () => {
  const cwd = tempDir('recur-sweep-');
  writeFileSync(join(cwd, 'farm.csv'), syntheticFarmCsv({ turbines: 3, steps: 300, seed: 5 }));
  writeFileSync(join(cwd, 'base.yaml'), 'task: forecast\ncsv: farm.csv\ngroupCol: TurbID\ntimeCols: [Day, Tmstamp]\ntarget: Patv\nlookback: 6\nhorizon: 3\nepochs: 1\nhidden: 4\n');
  writeFileSync(join(cwd, 'sweep.yaml'), 'name: s\nbase: base.yaml\ngrid: { farmMean: [false, true] }\nseeds: [0, 1]\n');
  const r = await runInProcess(['sweep', '--config', 'sweep.yaml', '--workers', '2', '--runs-dir', join(cwd, 'runs')], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /best \(lowest mean validation loss over 2 seed\(s\)\): p\d farmMean=(true|false); on test it (beats|does NOT beat) persistence on MAE/);
  for (const t of ['p0-seed0', 'p0-seed1', 'p1-seed0', 'p1-seed1']) assert.ok(existsSync(join(cwd, 'runs', 's', t, 'metrics.json')), t);
  const html = readFileSync(join(cwd, 'runs', 's', 'leaderboard.html'), 'utf8');
  assert.match(html, /Points by mean validation loss/);
  const again = await runInProcess(['sweep', '--config', 'sweep.yaml', '--runs-dir', join(cwd, 'runs')], cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /4 trial\(s\) already finished; 0 to run/);
});

test('recur train --per-group: one model per series, each an ordinary run of that series only', async () => {
  const cwd = tempDir('recur-fleet-');
  writeFileSync(join(cwd, 'farm.csv'), syntheticFarmCsv({ turbines: 2, steps: 300, seed: 6 }));
  const r = await runInProcess(['train', '--task', 'forecast', '--csv', 'farm.csv', '--group-col', 'TurbID', '--time-cols', 'Day,Tmstamp', '--target', 'Patv', '--lookback', '6', '--horizon', '3',
    '--epochs', '1', '--hidden', '4', '--per-group', '--workers', '2', '--farm-mean', '--runs-dir', join(cwd, 'runs'), '--name', 'f'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /per-series models: beat persistence on MAE in [0-2] of 2 series/);
  for (const g of ['1', '2']) {
    const c = JSON.parse(readFileSync(join(cwd, 'runs', 'f', `series-${g}`, 'config.json'), 'utf8')) as { series: string; farmMean: boolean };
    assert.deepEqual([c.series, c.farmMean], [g, true]);
    const m = JSON.parse(readFileSync(join(cwd, 'runs', 'f', `series-${g}`, 'metrics.json'), 'utf8')) as { rows: number; features: string[] };
    assert.equal(m.rows, 300, 'only its own rows');
    assert.ok(m.features.includes('farm mean: Patv'), 'fleet inputs from all series');
  }
  const bad = await runInProcess(['train', '--task', 'forecast', '--csv', 'farm.csv', '--target', 'Patv', '--redis', 'redis://x'], cwd);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--redis: expected a --per-group run/);
});
