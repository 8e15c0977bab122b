import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import {
  DEFAULT_NEURON, adaptationIndex, frozenStimulus, glmFit, historyRatio, refractoryViolations, runSpikeHistory, simulateTrials,
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

test('spike history: PSTH samples violate refractoriness, GLM samples do not; GLM beats PSTH in held-out bits/spike', () => {
  const r = runSpikeHistory({ trials: [20, 5, 10], seeds: 1, epochs: 3, seed: 3 });
  const [psth, glm, rnn] = r.models;
  assert.equal(r.truth.violations, 0);
  assert.ok(psth!.violations[0]! > 0.02, `PSTH violation rate ${psth!.violations[0]}`);
  assert.ok(glm!.violations[0]! < 0.002, `GLM violation rate ${glm!.violations[0]}`);
  assert.ok(psth!.bitsPerSpike[0]! > 0, 'the PSTH beats a homogeneous rate');
  assert.ok(glm!.bitsPerSpike[0]! > psth!.bitsPerSpike[0]! + 0.2, `GLM ${glm!.bitsPerSpike[0]} vs PSTH ${psth!.bitsPerSpike[0]}`);
  assert.ok(Math.abs(psth!.adaptation[0]!) < 0.04, 'no history effect in PSTH samples');
  assert.ok(Number.isFinite(rnn!.bitsPerSpike[0]!) && rnn!.raster.length === 10);
});

test('recur train --preset spike-history writes a report with rasters; a decode-only flag is refused (exit 2)', async () => {
  const dir = tempDir('recur-spikes-');
  const r = await runInProcess(['train', '--preset', 'spike-history', '--seeds', '1', '--epochs', '1', '--quiet', '--name', 'sh', '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /GLM \(stimulus \+ spike-history filters\)/);
  const report = JSON.parse(readFileSync(join(dir, 'runs', 'sh', 'report-data.json'), 'utf8')) as { charts: { title: string }[] };
  assert.equal(report.charts.filter((c) => c.title.startsWith('Raster')).length, 4);
  const bad = await runInProcess(['train', '--preset', 'spike-history', '--lags', '3', '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(bad.code, 2, bad.stderr);
});
