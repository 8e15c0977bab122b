/** The spikefinder recipe: the challenge scorer, γ recovery, OASIS, and a tiny CLI run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import { estimateAr1, fitLinearRecurrence, oasis, scoreNeuron, tauOf, tracesCsv } from '../src/recipes/spikefinder/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

test('scorer: Pearson r of 4-sample block sums, padding and the trailing partial block dropped (hand-computed)', () => {
  // pred blocks [1, 2, 4], truth blocks [1, 3, 2] (the last two samples are padding in truth).
  const pred = [1, 0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 0, 5, 5];
  const truth = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, NaN, NaN];
  // means 7/3 and 2; Σ dp·dt = 1, Σ dp² = 42/9, Σ dt² = 2 → r = 1/√(84/9) = 3/√84.
  assert.ok(Math.abs(scoreNeuron(pred, truth) - 3 / Math.sqrt(84)) < 1e-12);
  // Without the padding the 13th–14th samples form a partial block, which is dropped too.
  assert.ok(Math.abs(scoreNeuron(pred, truth.map((v) => (Number.isNaN(v) ? 7 : v))) - 3 / Math.sqrt(84)) < 1e-12);
  // Summing in blocks matters: shifting one spike within its block changes nothing.
  assert.ok(Math.abs(scoreNeuron([0, 1, 0, 0, 0, 1, 1, 0, 2, 2, 0, 0], truth.slice(0, 12)) - 3 / Math.sqrt(84)) < 1e-12);
});

/** Poisson spikes (0.2–2 Hz) at 100 Hz, AR(1) calcium, Gaussian noise at the given SNR (sd of signal / sd of noise). */
function synthetic(rng: Rng, tau: number, snr: number, T: number): { spikes: Float64Array; calcium: Float64Array; gamma: number } {
  const gamma = Math.exp(-0.01 / tau);
  const rate = 0.2 + 1.8 * rng.random();
  const spikes = new Float64Array(T);
  const c = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    spikes[t] = rng.random() < rate / 100 ? 1 : 0;
    c[t] = spikes[t]! + (t ? gamma * c[t - 1]! : 0);
  }
  const m = c.reduce((a, b) => a + b, 0) / T;
  const sd = Math.sqrt(c.reduce((a, b) => a + (b - m) ** 2, 0) / T);
  const calcium = Float64Array.from(c, (v) => 0.5 + 2 * v + rng.normal() * (2 * sd) / snr);
  return { spikes, calcium, gamma };
}

test('γ recovery: the learned linear recurrence and the AR(1) estimator within 2 % of exp(−Δt/τ) (τ 0.7, 1.25 s; SNR 2, 8)', () => {
  const rng = new Rng(2024);
  for (const tau of [0.7, 1.25]) {
    for (const snr of [2, 8]) {
      const d = synthetic(rng, tau, snr, 12000);
      const fit = fitLinearRecurrence([d], { iters: 200 });
      const ar = estimateAr1(d.calcium);
      const what = `τ ${tau} s, SNR ${snr}`;
      assert.ok(Math.abs(fit.gamma - d.gamma) / d.gamma < 0.02, `learned γ ${fit.gamma} vs ${d.gamma} (${what})`);
      assert.ok(Math.abs(ar - d.gamma) / d.gamma < 0.02, `AR(1) γ ${ar} vs ${d.gamma} (${what})`);
      // 2 % of γ is loose at 100 Hz (γ ≈ 0.99); the learned τ must also be within 5 %.
      assert.ok(Math.abs(fit.tau - tau) / tau < 0.05, `learned τ ${fit.tau} vs ${tau} (${what})`);
      assert.ok(Math.abs(tauOf(d.gamma) - tau) < 1e-9);
    }
  }
});

test('OASIS recovers the spikes of a noiseless AR(1) and AR(2) trace exactly', () => {
  const rng = new Rng(5);
  for (const [g1, g2] of [[0.95, 0], [1.5, -0.56]] as const) {
    const T = 3000;
    const s = new Float64Array(T);
    const c = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      s[t] = rng.random() < 0.02 ? 0.5 + rng.random() : 0;
      c[t] = s[t]! + (t ? g1 * c[t - 1]! : 0) + (t > 1 ? g2 * c[t - 2]! : 0);
    }
    const r = oasis(c, g1, g2, 0);
    const err = r.s.reduce((m, v, t) => Math.max(m, Math.abs(v - s[t]!)), 0);
    assert.ok(err < 1e-9, `AR(${g2 ? 2 : 1}) max spike error ${err}`);
    // With noise (sd 0.1) and λ > 0 the estimate stays non-negative and close to the truth at 25 Hz.
    const noisy = oasis(Float64Array.from(c, (v) => v + 0.1 * rng.normal()), g1, g2, 0.3);
    assert.ok(noisy.s.every((v) => v >= 0));
    assert.ok(scoreNeuron(noisy.s, s) > 0.95, `noisy AR(${g2 ? 2 : 1}) r ${scoreNeuron(noisy.s, s)}`);
  }
});

/** Calcium/spike files of the challenge's layout; the last neuron is padded (shorter). */
function writeSet(dir: string, id: string, split: string, rng: Rng, withSpikes: boolean): void {
  const traces = [0, 1, 2].map((j) => synthetic(rng, 0.8, 5, j === 2 ? 1400 : 2000));
  writeFileSync(join(dir, `${id}.${split}.calcium.csv`), tracesCsv(traces.map((t) => t.calcium), 2000));
  if (withSpikes) writeFileSync(join(dir, `${id}.${split}.spikes.csv`), tracesCsv(traces.map((t) => t.spikes), 2000));
}

test('CLI: train --preset spikefinder on synthetic files, then predict keeps the layout and the padding', async () => {
  const dir = tempDir('recur-spikefinder-');
  const rng = new Rng(9);
  for (const id of ['4', '5', '6']) writeSet(dir, id, 'train', rng, true);
  writeSet(dir, '4', 'test', rng, false);
  const train = await runInProcess([
    'train', '--preset', 'spikefinder', '--data-dir', dir, '--runs-dir', join(dir, 'runs'), '--name', 'tiny',
    '--epochs', '1', '--seeds', '1', '--folds', '2', '--hidden', '4', '--window', '50', '--gamma-iters', '5', '--conv-channels', '0', '--quiet',
  ], dir);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /OASIS AR\(1\)/);
  assert.match(train.stdout, /learned γ/);
  const out = join(dir, 'pred.csv');
  const pred = await runInProcess(['predict', '--run', join(dir, 'runs', 'tiny'), '--calcium', join(dir, '4.test.calcium.csv'), '--out', out], dir);
  assert.equal(pred.code, 0, pred.stderr);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], '0,1,2');
  assert.equal(lines.length, 2001);
  const cells = lines.slice(1).map((l) => l.split(','));
  assert.ok(cells.every((r) => r.length === 3));
  assert.ok(cells.slice(0, 1400).every((r) => r.every((v) => v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0)));
  assert.ok(cells.slice(1400).every((r) => r[2] === '' && r[0] !== '' && r[1] !== ''));
  const bad = await runInProcess(['predict', '--run', join(dir, 'runs', 'tiny'), '--out', out], dir);
  assert.equal(bad.code, 2, 'a spikefinder run needs --calcium');
  // A gap inside a trace (not trailing padding) is bad data, reported at file:line:col.
  const gap = join(dir, 'gap.csv');
  writeFileSync(gap, `0,1\n${Array.from({ length: 20 }, (_, i) => (i === 5 ? ',0.5' : `${i / 10},0.5`)).join('\n')}\n`);
  const g = await runInProcess(['predict', '--run', join(dir, 'runs', 'tiny'), '--calcium', gap, '--out', out], dir);
  assert.equal(g.code, 1, g.stderr);
  assert.match(g.stderr, /gap\.csv:8:1/);
});
