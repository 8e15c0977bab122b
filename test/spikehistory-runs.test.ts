import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import { DEFAULT_NEURON, runSpikeHistory, runStimulus, simulateTrials, spikeSettings } from '../src/recipes/spikehistory/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

const table = (run: string): string => readFileSync(join(run, 'table.txt'), 'utf8');

test('spike-history runs: saved models, eval reproduces the table on the run seed, resume reuses finished seeds', async () => {
  const cwd = tempDir('recur-spikes-');
  const run = join(cwd, 'runs', 'sh');
  const r = await runInProcess(['train', '--preset', 'spike-history', '--seed', '4', '--seeds', '2', '--hidden', '4', '--epochs', '2', '--quiet', '--name', 'sh'], cwd);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['models.json', 'gru-1.safetensors', 'gru-2.safetensors', 'metrics.json', 'report.html']) assert.ok(existsSync(join(run, f)), f);

  const same = await runInProcess(['eval', '--run', run], cwd);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout, table(run), 'eval on the run seed gives the training table again');
  const fresh = await runInProcess(['eval', '--run', run, '--seed', '9', '--json'], cwd);
  assert.equal(fresh.code, 0, fresh.stderr);
  const j = JSON.parse(fresh.stdout) as { models: { bitsPerSpike: number[] }[] };
  assert.equal(j.models[2]!.bitsPerSpike.length, 2);
  assert.notEqual(fresh.stdout, same.stdout);

  // A stopped run (no metrics, the second GRU missing): resume fits only that one, same table.
  const copy = join(cwd, 'runs', 'sh2');
  cpSync(run, copy, { recursive: true });
  rmSync(join(copy, 'metrics.json'));
  rmSync(join(copy, 'gru-2.safetensors'));
  const kept = statSync(join(copy, 'gru-1.safetensors')).mtimeMs;
  const again = await runInProcess(['train', '--resume', copy], cwd);
  assert.equal(again.code, 0, again.stderr);
  const log = readFileSync(join(copy, 'events.jsonl'), 'utf8').split('\n').slice(-4).join('\n');
  assert.match(log, /GRU seed 1\/2: .*saved\)/);
  assert.doesNotMatch(log, /GRU seed 2\/2: .*saved\)/);
  assert.equal(statSync(join(copy, 'gru-1.safetensors')).mtimeMs, kept);
  assert.equal(table(copy), table(run));
  const epochs = await runInProcess(['train', '--resume', copy, '--epochs', '3'], cwd);
  assert.equal(epochs.code, 2, epochs.stderr);
});

test('spike-history runs: eval --csv and predict on a spike-train CSV; bad CSVs are refused at file:line:col (exit 1)', async () => {
  const cwd = tempDir('recur-spikes-');
  const run = join(cwd, 'runs', 'sh');
  const r = await runInProcess(['train', '--preset', 'spike-history', '--seed', '2', '--seeds', '1', '--hidden', '4', '--epochs', '3', '--quiet', '--name', 'sh'], cwd);
  assert.equal(r.code, 0, r.stderr);
  // Two trials of the run's own stimulus (so the PSTH applies) from the simulator.
  const st = spikeSettings({ seed: 2 });
  const s = runStimulus(st);
  const y = simulateTrials(DEFAULT_NEURON, s, 2, new Rng(77));
  const rows = Array.from({ length: 2 * st.T }, (_, i) => `${Math.floor(i / st.T) + 1},${s[i % st.T]},${y[i]}`);
  writeFileSync(join(cwd, 'own.csv'), `trial,stimulus,spike\n${rows.join('\n')}\n`);
  const e = await runInProcess(['eval', '--run', run, '--csv', 'own.csv', '--json'], cwd);
  assert.equal(e.code, 0, e.stderr);
  const sc = JSON.parse(e.stdout) as { trials: number; spikes: number; models: { name: string; bitsPerSpike: number[] | null }[] };
  assert.equal(sc.trials, 2);
  assert.equal(sc.spikes, y.reduce((a, v) => a + v, 0));
  const [psth, glm] = sc.models;
  assert.ok(psth!.bitsPerSpike && glm!.bitsPerSpike![0]! > psth!.bitsPerSpike[0]!, `GLM ${glm!.bitsPerSpike} vs PSTH ${psth!.bitsPerSpike}`);

  const p = await runInProcess(['predict', '--run', run, '--csv', 'own.csv', '--out', 'rates.csv'], cwd);
  assert.equal(p.code, 0, p.stderr);
  const lines = readFileSync(join(cwd, 'rates.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'trial,bin,stimulus,spike,psth,glm,gru_1,gru_mean');
  assert.equal(lines.length, 1 + 2 * st.T);
  const after = lines.slice(1).map((l) => l.split(',').map(Number));
  // The GLM's λ right after a spike is far below its mean: it learned refractoriness.
  const post = after.filter((_, i) => i % st.T > 0 && after[i - 1]![3] === 1).map((c) => c[5]!);
  const all = after.map((c) => c[5]!);
  assert.ok(Math.max(...post) < 0.2 * (all.reduce((a, v) => a + v, 0) / all.length), 'GLM λ after a spike');

  writeFileSync(join(cwd, 'other.csv'), 'stimulus,spike\n0.5,0\n1.5,1\n0.2,0\n');
  const o = await runInProcess(['eval', '--run', run, '--csv', 'other.csv'], cwd);
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stdout, /PSTH \(inhomogeneous Poisson\) +n\/a/);

  const bad: [string, RegExp][] = [
    ['stimulus,spike\n0.5,0\n1.2,2\n', /bad\.csv:3:5: expected a spike count of 0 or 1/],
    ['stim,spike\n0.5,0\n', /bad\.csv:1:1: expected a column named "stimulus".*did you mean "stim"/],
    ['trial,stimulus,spike\n1,0.5,0\n2,1,1\n1,0.3,0\n', /bad\.csv:4:1: expected the rows of trial "1" together/],
    ['stimulus,spike\n0.5,0\n0.1,0\n', /bad\.csv: expected at least one spike/],
  ];
  for (const [text, says] of bad) {
    writeFileSync(join(cwd, 'bad.csv'), text);
    const b = await runInProcess(['eval', '--run', run, '--csv', 'bad.csv'], cwd);
    assert.equal(b.code, 1, b.stderr);
    assert.match(b.stderr, says);
    assert.doesNotMatch(b.stderr, /internal error|at .*\.ts:/);
  }
  const none = await runInProcess(['predict', '--run', run], cwd);
  assert.equal(none.code, 2, none.stderr);
});

test('a stop request returns null after the saved baselines; a rerun on the same folder fits the GRUs', () => {
  const dir = tempDir('recur-spikes-state-');
  const o = { T: 300, trials: [6, 3, 3] as [number, number, number], seeds: 2, epochs: 1, hiddenGrid: [2], seed: 1, stateDir: dir };
  assert.equal(runSpikeHistory({ ...o, stop: { requested: true } }), null);
  assert.ok(existsSync(join(dir, 'models.json')) && !existsSync(join(dir, 'gru-1.safetensors')));
  const r = runSpikeHistory(o)!;
  assert.equal(r.models[2]!.bitsPerSpike.length, 2);
  assert.ok(existsSync(join(dir, 'gru-2.safetensors')));
});
