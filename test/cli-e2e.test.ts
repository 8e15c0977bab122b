/**
 * End to end through the real launcher (`node bin/recur.js`, as `npx recur` runs it): train →
 * eval → predict → report on a small synthetic CSV, `info`, a YAML config, and Ctrl-C → --resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIX, runInProcess, runSpawned, smallForecastArgs, tempDir } from './cli-helpers.js';

const events = (dir: string): { type: string; [k: string]: unknown }[] =>
  readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });

test('recur train/eval/predict/report/info through bin/recur.js', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const [train, info] = await Promise.all([runSpawned(smallForecastArgs(runs, 'e2e'), cwd), runSpawned(['info'], cwd)]);
  assert.equal(train.code, 0, train.stderr);
  for (const m of ['model (GRU 8)', 'persistence', 'seasonal naive (48 steps)', 'ridge AR', '"ref_forecast" at origin', 'oracle']) assert.ok(train.stdout.includes(m), m);
  assert.match(train.stderr, /epoch 2\/2 .*done: train loss/); // plain progress lines when not a TTY
  const run = join(runs, 'e2e');
  for (const f of ['config.json', 'events.jsonl', 'checkpoint.safetensors', 'metrics.json', 'report.html']) assert.ok(existsSync(join(run, f)), f);
  assert.deepEqual(readdirSync(runs), ['e2e']);
  const ev = events(run);
  assert.deepEqual([ev[0]!.type, ev.at(-1)!.type], ['run_start', 'run_end']);
  assert.ok(ev.some((e) => e.type === 'done' && e.reason === 'completed'), 'the Trainer\'s own done event');
  assert.ok(ev.some((e) => e.type === 'step' && typeof e.loss === 'number') && ev.filter((e) => e.type === 'epoch_end').length === 2);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.equal(metrics.scores.overall.load.persistence.skill, 0);
  assert.ok(metrics.scores.overall.load.ridge_ar.skill > 0.3, 'ridge AR beats persistence on this AR + seasonal data');

  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^recur \d+\.\d+\.\d+/);
  assert.match(info.stdout, /backend: (native|ref)/);
  assert.match(info.stdout, /cpu: .*cores/);

  const [ev1, pred, rep] = await Promise.all([
    runSpawned(['eval', '--run', run, '--json'], cwd),
    runSpawned(['predict', '--run', run, '--out', 'pred.csv'], cwd),
    runSpawned(['report', '--run', run, '--out', 'again.html'], cwd),
  ]);
  assert.equal(ev1.code, 0, ev1.stderr);
  const scores = JSON.parse(ev1.stdout);
  assert.equal(scores.scores.overall.load.model.mae, metrics.scores.overall.load.model.mae, 'eval reproduces the training run\'s test metrics');
  assert.equal(pred.code, 0, pred.stderr);
  const lines = readFileSync(join(cwd, 'pred.csv'), 'utf8').trim().split('\n');
  assert.deepEqual(lines[0], 'origin,time,horizon,load');
  assert.equal(lines.length, 4);
  assert.match(lines[1]!, /^2024-01-04T07:50:00Z,2024-01-04T08:00:00Z,1,\d+\.?\d*$/);
  assert.equal(rep.code, 0, rep.stderr);
  assert.ok(readFileSync(join(cwd, 'again.html'), 'utf8').includes('uPlot'));
});

test('help on every command, with examples', async () => {
  const cwd = tempDir();
  for (const c of ['train', 'eval', 'predict', 'report', 'info']) {
    const r = await runInProcess([c, '--help'], cwd);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`Usage: recur ${c}`));
    assert.match(r.stdout, /Examples:\n {2}\$ recur /);
  }
});

test('config file (YAML) with flags overriding it; the run records the merged config', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'series.csv'), readFileSync(join(FIX, 'series.csv')));
  writeFileSync(join(cwd, 'f.yaml'), 'task: forecast\ncsv: series.csv   # relative to this file\ntimeCol: timestamp\ntarget: load\nlookback: 6\nhorizon: 2\nepochs: 5\nhidden: 4\n');
  const r = await runInProcess(['train', '--config', 'f.yaml', '--epochs', '1', '--quiet', '--name', 'cfg'], cwd);
  assert.equal(r.code, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(cwd, 'runs', 'cfg', 'config.json'), 'utf8'));
  assert.equal(cfg.epochs, 1);
  assert.equal(cfg.lookback, 6);
  assert.equal(cfg.csv, join(cwd, 'series.csv'));
  // The same name again is refused (nothing overwritten).
  const again = await runInProcess(['train', '--config', 'f.yaml', '--quiet', '--name', 'cfg'], cwd);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /a run name not taken/);
});

test('Ctrl-C stops cleanly with a checkpoint; --resume continues to the end', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const args = [...smallForecastArgs(runs, 'int'), '--epochs', '2', '--batch-size', '32', '--hidden', '32', '--lookback', '48', '--patience', '100'];
  let sent = false;
  const stopped = await runSpawned(args, cwd, {
    onSpawn: (pid) => {
      const poll = setInterval(() => {
        const staging = existsSync(runs) ? readdirSync(runs).find((d) => d.startsWith('.int.partial')) : undefined;
        const ev = staging ? join(runs, staging, 'events.jsonl') : '';
        if (!sent && ev && existsSync(ev) && readFileSync(ev, 'utf8').includes('"type":"step"')) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
        if (sent) clearInterval(poll);
      }, 10);
      setTimeout(() => clearInterval(poll), 20_000).unref();
    },
  });
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /recur train --resume /);
  const run = join(runs, 'int');
  assert.ok(existsSync(join(run, 'train-state', 'last.safetensors')));
  assert.ok(!existsSync(join(run, 'metrics.json')));
  const before = events(run);
  const lastStep = before.filter((e) => e.type === 'step').at(-1)!.step as number;
  assert.ok(before.some((e) => e.type === 'checkpoint' && e.reason === 'stop'));
  assert.ok(lastStep < ((before.find((e) => e.type === 'fold_start')!.windows as { train: number }).train / 32) * 2, 'stopped before the end');

  const resumed = await runSpawned(['train', '--resume', run, '--quiet'], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  const after = events(run).slice(before.length);
  assert.equal(after[0]!.type, 'run_start');
  assert.equal(after[0]!.resume, true);
  assert.equal(after.find((e) => e.type === 'step')!.step, lastStep + 1, 'steps continue where they stopped');
  assert.ok(existsSync(join(run, 'metrics.json')) && existsSync(join(run, 'report.html')));
});

test('recur train with no task runs the splice recipe into a run folder with a confusion-matrix report', async () => {
  const cwd = tempDir();
  const r = await runInProcess(['train', '--limit', '120', '--epochs', '1', '--hidden', '4', '--quiet', '--name', 'sp'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Splice-junction per-class error/);
  const run = join(cwd, 'runs', 'sp');
  for (const f of ['config.json', 'events.jsonl', 'metrics.json', 'report.html']) assert.ok(existsSync(join(run, f)), f);
  assert.match(readFileSync(join(run, 'report.html'), 'utf8'), /Confusion matrix — recur bi-GRU/);
  const wrong = await runInProcess(['train', '--lookback', '3', '--quiet'], cwd);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--lookback: expected an option of the splice task, got an option of the forecast task \(add --task forecast\?\)/);
});
