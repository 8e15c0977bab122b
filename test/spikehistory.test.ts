import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import {
  DEFAULT_NEURON, adaptationIndex, frozenStimulus, glmFit, glmRate, historyRatio, poissonLL, refractoryViolations, runSpikeHistory, simulateTrials, trueRate,
} from '../src/recipes/spikehistory/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

test('the simulator never fires within the absolute refractory period and adapts; a Poisson train has no history effect', () => {
  const rng = new Rng(11);
  const s = frozenStimulus(1000, rng);
  const y = simulateTrials(DEFAULT_NEURON, s, 30, rng);
  const v = refractoryViolations(y, 1000, DEFAULT_NEURON.tAbs);
  assert.ok(v.isis > 300);
  assert.equal(v.rate, 0);
  assert.ok(adaptationIndex(historyRatio(y, 1000)) > 0.03, 'firing stays suppressed 20–150 ms after a spike');
  const lambda = trueRate(DEFAULT_NEURON, s, y);
  for (let i = 0; i < y.length; i++) if (y[i] && i % 1000 < 998) assert.ok(lambda[i + 1] === 0 && lambda[i + 2] === 0, 'the true λ is 0 within t_abs of a spike');
  const flat = new Uint8Array(30 * 1000).map(() => (rng.random() < 0.02 ? 1 : 0));
  assert.ok(Math.abs(adaptationIndex(historyRatio(flat, 1000))) < 0.05, 'homogeneous Poisson: ratio ≈ 1');
  assert.ok(refractoryViolations(flat, 1000, 2).rate > 0.02);
});

test('GLM recovers a strongly negative history filter at the refractory lags and a positive stimulus filter peak', () => {
  const rng = new Rng(12);
  const s = frozenStimulus(1000, rng);
  const m = glmFit(s, simulateTrials(DEFAULT_NEURON, s, 20, rng));
  assert.ok(m.history[1]! < -3 && m.history[2]! < -3, `h(1), h(2) = ${m.history[1]}, ${m.history[2]}`);
  assert.ok(m.history[30]! < 0 && m.history[30]! > m.history[3]!, 'adaptation: negative but shallower than refractoriness');
  assert.ok(m.beta[0]! > 0.5, `stimulus weight at lag 0: ${m.beta[0]} (true ${DEFAULT_NEURON.filter[0]})`);
});

test('spike history: PSTH samples violate refractoriness, GLM and GRU samples do not; the GRU comes within 0.1 bits/spike of the GLM', () => {
  const r = runSpikeHistory({ T: 600, trials: [30, 8, 10], seeds: 1, epochs: 50, hiddenGrid: [8], seed: 3 })!;
  const [psth, glm, rnn] = r.models;
  assert.equal(r.truth.violations, 0);
  assert.ok(psth!.violations[0]! > 0.02, `PSTH violation rate ${psth!.violations[0]}`);
  assert.ok(glm!.violations[0]! < 0.002, `GLM violation rate ${glm!.violations[0]}`);
  assert.ok(rnn!.violations[0]! < 0.002, `GRU violation rate ${rnn!.violations[0]} (the skip drives log λ down after a spike)`);
  assert.ok(psth!.bitsPerSpike[0]! > 0, 'the PSTH beats a homogeneous rate');
  assert.ok(glm!.bitsPerSpike[0]! > psth!.bitsPerSpike[0]! + 0.2, `GLM ${glm!.bitsPerSpike[0]} vs PSTH ${psth!.bitsPerSpike[0]}`);
  assert.ok(rnn!.bitsPerSpike[0]! > glm!.bitsPerSpike[0]! - 0.1, `GRU ${rnn!.bitsPerSpike[0]} vs GLM ${glm!.bitsPerSpike[0]}`);
  assert.ok(r.truth.bitsPerSpike > glm!.bitsPerSpike[0]!, 'the true λ is the ceiling');
  assert.ok(Math.abs(psth!.adaptation[0]!) < 0.04, 'no history effect in PSTH samples');
  assert.ok(rnn!.adaptation[0]! > 0.03, `GRU samples adapt: index ${rnn!.adaptation[0]} (simulator ${r.truth.adaptation})`);
  assert.equal(rnn!.raster.length, 10);
});

test("gain adaptation: the GLM's additive history filter falls further short of the simulator's own λ than on the additive neuron", () => {
  const rng = new Rng(5);
  const s = frozenStimulus(1000, rng);
  const gap = (adaptation: 'additive' | 'gain'): number => {
    const p = { ...DEFAULT_NEURON, adaptation };
    const r = rng.fork();
    const [yTr, yTe] = [simulateTrials(p, s, 30, r), simulateTrials(p, s, 30, r)];
    const m = glmFit(s, yTr!);
    return (poissonLL(yTe!, trueRate(p, s, yTe!)) - poissonLL(yTe!, glmRate(m, s, yTe!))) / yTe!.reduce((a, v) => a + v, 0);
  };
  const [add, gain] = [gap('additive'), gap('gain')];
  assert.ok(gain > add + 0.01, `nats/spike below the truth: additive ${add}, gain ${gain}`);
});

test('recur train --preset spike-history writes a report with rasters; a decode-only flag and --hidden 0 are refused (exit 2)', async () => {
  const dir = tempDir('recur-spikes-');
  const r = await runInProcess(['train', '--preset', 'spike-history', '--seeds', '1', '--epochs', '1', '--quiet', '--name', 'sh', '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /GLM \(stimulus \+ spike-history filters\)/);
  const report = JSON.parse(readFileSync(join(dir, 'runs', 'sh', 'report-data.json'), 'utf8')) as { charts: { title: string }[] };
  assert.equal(report.charts.filter((c) => c.title.startsWith('Raster')).length, 4);
  const bad = await runInProcess(['train', '--preset', 'spike-history', '--lags', '3', '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(bad.code, 2, bad.stderr);
  const zero = await runInProcess(['train', '--preset', 'spike-history', '--hidden', '0', '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(zero.code, 2, zero.stderr);
  assert.match(zero.stderr, /--hidden: expected a number >= 1, got 0/);
});
