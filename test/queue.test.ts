/**
 * Distributed sweeps on BullMQ over a real redis-server: enqueue, two workers, kill -9 one of them
 * mid-trial; every trial completes exactly once (the killed one resumed by the other worker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { syntheticFarmCsv } from '../src/recipes/forecast/index.js';
import { QUEUE, redisConnection } from '../src/sweep/index.js';
import { BIN, tempDir } from './cli-helpers.js';
import { haveRedis, startRedis } from './redis-helpers.js';

interface Proc { child: ChildProcess; out: () => string; err: () => string; done: Promise<number> }

function start(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128))));
  return { child, out: () => out, err: () => err, done };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sweepDir(): { cwd: string } {
  const cwd = tempDir('recur-queue-');
  writeFileSync(join(cwd, 'farm.csv'), syntheticFarmCsv({ turbines: 3, steps: 400, seed: 4 }));
  writeFileSync(join(cwd, 'sweep.yaml'), [
    'name: q', 'base: { task: forecast, csv: farm.csv, groupCol: TurbID, timeCols: [Day, Tmstamp], target: Patv, covariate: [Wspd], lookback: 12, horizon: 3, epochs: 6, hidden: 16, trainStride: 1 }',
    'grid: { hidden: [8, 16] }', 'seeds: [0, 1]', '',
  ].join('\n'));
  return { cwd };
}

test('queue: two workers, one killed with SIGKILL mid-trial: every trial completes exactly once', { skip: !haveRedis() && 'redis-server not installed', timeout: 120_000 }, async () => {
  const redis = await startRedis();
  const procs: Proc[] = [];
  try {
    const { cwd } = sweepDir();
    const sweep = start(['sweep', '--config', 'sweep.yaml', '--redis', redis.url, '--runs-dir', 'runs', '--json'], cwd);
    procs.push(sweep);
    const worker = (): Proc => start(['worker', '--redis', redis.url, '--runs-dir', 'runs', '--lock-ms', '2000', '--idle-exit', '6'], cwd);
    const a = worker();
    procs.push(a);
    await until(() => /started/.test(a.err()), 60_000, 'worker A to start a trial');
    const b = worker();
    procs.push(b);
    const killed = /\] (p\d-seed\d): started/.exec(a.err())![1]!;
    // Mid-trial: after its first epoch is saved, before it ends.
    await until(() => readdirSync(join(cwd, 'runs', 'q')).some((e) => e.startsWith(`.${killed}.partial-`) && existsSync(join(cwd, 'runs', 'q', e, 'train-state', 'last.safetensors'))), 30_000, 'the first checkpoint');
    assert.ok(!/done in/.test(a.err().split(`${killed}: started`)[1] ?? ''), 'the trial is still running when killed');
    a.child.kill('SIGKILL');
    assert.equal(await a.done, 137);
    const code = await sweep.done;
    assert.equal(code, 0, sweep.err());
    const res = JSON.parse(sweep.out()) as { points: { point: string; seeds: number[] }[]; failed: unknown[] };
    assert.deepEqual(res.failed, []);
    assert.deepEqual(res.points.map((p) => p.seeds).flat().length, 4);
    const board = JSON.parse(readFileSync(join(cwd, 'runs', 'q', 'leaderboard.json'), 'utf8')) as { trials: { trial: string; by: string; how: string }[] };
    assert.deepEqual(board.trials.map((t) => t.trial).sort(), ['p0-seed0', 'p0-seed1', 'p1-seed0', 'p1-seed1']);
    const retried = board.trials.find((t) => t.trial === killed)!;
    assert.ok(!retried.by.endsWith(`:${a.child.pid}`), `the killed trial was finished by the other worker (${retried.by})`);
    assert.equal(retried.how, 'resumed', 'resumed from the killed run\'s checkpoint');
    // One finished folder per trial, no staging folder left, one run_end per trial.
    const entries = readdirSync(join(cwd, 'runs', 'q'));
    assert.deepEqual(entries.filter((e) => e.includes('.partial-')), []);
    for (const t of board.trials) {
      const ev = readFileSync(join(cwd, 'runs', 'q', t.trial, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; resume?: boolean });
      assert.equal(ev.filter((e) => e.type === 'run_end').length, 1, `${t.trial}: one run_end`);
      assert.equal(ev.filter((e) => e.type === 'run_start').length, t.trial === killed ? 2 : 1);
    }
    // Redis agrees: four completed jobs, none failed or waiting; the killed one stalled once.
    const q = new Queue(QUEUE, { connection: redisConnection(redis.url) });
    try {
      const counts = await q.getJobCounts('completed', 'failed', 'waiting', 'active');
      assert.deepEqual({ ...counts, paused: 0 }, { completed: 4, failed: 0, waiting: 0, active: 0, paused: 0 });
      const job = await q.getJob(`q.${killed}`);
      assert.ok(job!.stalledCounter >= 1 || job!.attemptsMade >= 2, `stalled ${job!.stalledCounter}, attempts ${job!.attemptsMade}`);
    } finally {
      await q.close();
    }
    assert.equal(await b.done, 0);
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await redis.stop();
  }
});

test('queue: password-protected Redis; a wrong password is refused by the worker', { skip: !haveRedis() && 'redis-server not installed', timeout: 60_000 }, async () => {
  const redis = await startRedis({ password: 's3cret/pw' });
  try {
    const q = new Queue(QUEUE, { connection: redisConnection(redis.url) });
    await q.add('ping', { x: 1 }, { jobId: 'ping' });
    assert.equal((await q.getJobCounts('waiting')).waiting, 1);
    await q.close();
    const bad = new Queue(QUEUE, { connection: { ...redisConnection(redis.url.replace('s3cret', 'wrong')), maxRetriesPerRequest: 1, retryStrategy: () => null } as never });
    await assert.rejects(() => bad.getJobCounts('waiting'), /WRONGPASS|NOAUTH|invalid|closed/i);
    await bad.close().catch(() => undefined);
    assert.throws(() => redisConnection('http://x'), /--redis: expected a URL such as redis:\/\/host:6379/);
  } finally {
    await redis.stop();
  }
});

test('queue: a fleet (--per-group --redis) whose worker has its own runs folder: results and checkpoints come back through Redis', { skip: !haveRedis() && 'redis-server not installed', timeout: 90_000 }, async () => {
  const redis = await startRedis();
  const procs: Proc[] = [];
  try {
    const cwd = tempDir('recur-queue-fleet-');
    writeFileSync(join(cwd, 'farm.csv'), syntheticFarmCsv({ turbines: 2, steps: 300, seed: 8 }));
    const train = start(['train', '--task', 'forecast', '--csv', 'farm.csv', '--group-col', 'TurbID', '--time-cols', 'Day,Tmstamp', '--target', 'Patv', '--lookback', '6', '--horizon', '3',
      '--epochs', '1', '--hidden', '4', '--per-group', '--redis', redis.url, '--runs-dir', 'runs', '--name', 'fl'], cwd);
    procs.push(train);
    const w = start(['worker', '--redis', redis.url, '--runs-dir', 'elsewhere', '--data-root', cwd, '--idle-exit', '3'], cwd);
    procs.push(w);
    assert.equal(await train.done, 0, train.err());
    assert.match(train.out(), /per-series models: beat persistence on MAE in [0-2] of 2 series/);
    for (const g of ['1', '2']) {
      for (const f of ['metrics.json', 'checkpoint.safetensors', 'report.html']) assert.ok(existsSync(join(cwd, 'runs', 'fl', `series-${g}`, f)), `gathered ${f}`);
      assert.ok(existsSync(join(cwd, 'elsewhere', 'fl', `series-${g}`, 'metrics.json')), 'the worker wrote its own copy');
    }
    const p = start(['predict', '--run', join('runs', 'fl', 'series-2')], cwd);
    assert.equal(await p.done, 0, p.err());
    assert.match(p.out(), /^series,origin,time,horizon,Patv\n2,/);
    assert.equal(await w.done, 0);
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await redis.stop();
  }
});
