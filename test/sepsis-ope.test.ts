import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import { N_ACTIONS, N_OBS, buildModel, epsSoft, evaluatePolicy, deterministic, valueIteration } from '../src/recipes/sepsis/index.js';
import { DEATH, DISCHARGE, behaviourData, bootstrap, fitObsModel, modelValue, wis, type ObsModel } from '../src/recipes/sepsis/ope.js';
import { runInProcess, tempDir } from './cli-helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const m = buildModel('master');
const physician = valueIteration(m, 0.99).policy;

test('WIS of the deterministic physician from its ε-soft version recovers the exact value (within 3 bootstrap standard errors)', () => {
  const data = behaviourData(m, epsSoft(physician, 0.05), 3000, new Rng(31));
  const actionsOf = (tr: (typeof data)[number]): number[] => tr.states.map((s) => physician[s]!);
  const est = wis(data, actionsOf);
  const ci = bootstrap(data, (d) => wis(d, actionsOf).value, 60, new Rng(32));
  const se = (ci[1] - ci[0]) / (2 * 1.96);
  const truth = evaluatePolicy(m, deterministic(physician));
  assert.ok(Math.abs(est.value - truth) < 3 * se, `WIS ${est.value.toFixed(3)} ± ${se.toFixed(3)} vs exact ${truth.toFixed(3)}`);
  assert.ok(est.effectiveN > 1000);
  const observed = data.reduce((a, tr) => a + tr.ret, 0) / data.length;
  assert.ok(Math.abs(observed - evaluatePolicy(m, epsSoft(physician, 0.05))) < 0.05, `observed ${observed}`);
});

test('the fitted model: rows are distributions, unseen pairs go to death, and hand-built models give known values', () => {
  const om = fitObsModel(behaviourData(m, epsSoft(physician, 0.05), 300, new Rng(33)));
  const W = N_OBS + 2;
  for (let r = 0; r < N_OBS * N_ACTIONS; r++) {
    const row = om.tx.subarray(r * W, (r + 1) * W);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    if (om.count[r] === 0) assert.equal(row[DEATH], 1);
  }
  const init = new Float64Array(N_OBS).fill(1 / N_OBS);
  const allTo = (f: (j: number) => number): ObsModel => {
    const tx = new Float64Array(N_OBS * N_ACTIONS * W);
    for (let r = 0; r < N_OBS * N_ACTIONS; r++) for (let j = 0; j < W; j++) tx[r * W + j] = f(j);
    return { tx, init, count: new Int32Array(N_OBS * N_ACTIONS) };
  };
  const pi = new Uint8Array(N_OBS);
  assert.ok(Math.abs(modelValue(allTo((j) => +(j === DISCHARGE)), pi) - 1) < 1e-12);
  assert.ok(Math.abs(modelValue(allTo((j) => (j === DEATH ? 0.3 : j === DISCHARGE ? 0.2 : j === 0 ? 0.5 : 0)), pi, 1) - -0.1) < 1e-12);
  // Two steps: −0.1 now, plus 0.5 × −0.1 from observation 0.
  assert.ok(Math.abs(modelValue(allTo((j) => (j === DEATH ? 0.3 : j === DISCHARGE ? 0.2 : j === 0 ? 0.5 : 0)), pi, 2) - -0.15) < 1e-12);
});

test('recur train --preset sepsis-pomdp runs end to end on a tiny budget and refuses bad options', async () => {
  const dir = tempDir('recur-sepsis-');
  const args = ['train', '--preset', 'sepsis-pomdp', '--seeds', '1', '--dagger-iterations', '2', '--teacher-episodes', '20', '--batch-size', '16', '--hidden', '8', '--eval-episodes', '200', '--search-sweeps', '1', '--bound-trials', '5', '--quiet', '--name', 's', '--runs-dir', join(dir, 'runs')];
  const r = await runInProcess(args, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /full-information optimum \(20 steps\)\s+0\.449/);
  const report = JSON.parse(readFileSync(join(dir, 'runs', 's', 'report-data.json'), 'utf8')) as { tables: { title: string }[] };
  assert.ok(report.tables.some((t) => t.title.startsWith('Off-policy evaluation')));
  const upper = [...r.stdout.matchAll(/upper bound \([^\n]*?\)\s+(-?\d\.\d+)/g)].map((x) => Number(x[1]));
  assert.equal(upper.length, 2, r.stdout);
  assert.ok(upper[1]! <= upper[0]!, `the tightened upper bound ${upper[1]} is above the fast informed bound ${upper[0]}`);
  for (const bad of [['--rules', 'v3'], ['--ppo-iterations', '0'], ['--bound-trials', '-1'], ['--lags', '3']]) {
    const b = await runInProcess(['train', '--preset', 'sepsis-pomdp', ...bad, '--runs-dir', join(dir, 'runs')], dir);
    assert.equal(b.code, 2, `${bad.join(' ')}: ${b.stderr}`);
  }
});
