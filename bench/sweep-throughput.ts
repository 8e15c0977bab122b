/**
 * Sweep throughput: trials/hour with 1 and 2 local workers, and with 1 and 2 queue workers on a
 * real redis-server, on the same 8 small trials (synthetic 4-turbine farm, GRU 16, 3 epochs).
 * Overhead per trial = (wall time × workers − Σ trial seconds) / trials: process start, data
 * loading outside the recipe's timer, queue round trips and polling.
 * Run: npx tsx bench/sweep-throughput.ts   (needs redis-server for the queue rows)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticFarmCsv } from '../src/recipes/forecast/index.js';
import { haveRedis, startRedis } from '../test/redis-helpers.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'recur.js');

function run(args: string[], cwd: string): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? 1, err }));
  });
}

function setup(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'recur-bench-sweep-'));
  writeFileSync(join(cwd, 'farm.csv'), syntheticFarmCsv({ turbines: 4, steps: 1000, seed: 1 }));
  writeFileSync(join(cwd, 'sweep.yaml'), 'name: b\nbase: { task: forecast, csv: farm.csv, groupCol: TurbID, timeCols: [Day, Tmstamp], target: Patv, covariate: [Wspd], lookback: 12, horizon: 6, epochs: 3, hidden: 16 }\ngrid: { lr: [0.001, 0.003, 0.01, 0.03] }\nseeds: [0, 1]\n');
  return cwd;
}

function report(label: string, cwd: string, wall: number, workers: number): void {
  const board = JSON.parse(readFileSync(join(cwd, 'runs', 'b', 'leaderboard.json'), 'utf8')) as { trials: { seconds: number }[] };
  const n = board.trials.length;
  const busy = board.trials.reduce((a, t) => a + t.seconds, 0);
  console.log(`${label.padEnd(22)} ${n} trials in ${wall.toFixed(1)} s: ${Math.round((3600 * n) / wall)} trials/hour; mean trial ${(busy / n).toFixed(2)} s; overhead ${((wall * workers - busy) / n).toFixed(2)} s/trial`);
}

async function local(workers: number): Promise<void> {
  const cwd = setup();
  const t0 = performance.now();
  const r = await run(['sweep', '--config', 'sweep.yaml', '--workers', String(workers), '--runs-dir', 'runs'], cwd);
  if (r.code) throw new Error(r.err);
  report(`local, ${workers} worker(s)`, cwd, (performance.now() - t0) / 1000, workers);
}

async function queue(workers: number): Promise<void> {
  const redis = await startRedis();
  try {
    const cwd = setup();
    const t0 = performance.now();
    const sweep = run(['sweep', '--config', 'sweep.yaml', '--redis', redis.url, '--runs-dir', 'runs'], cwd);
    const ws = Array.from({ length: workers }, () => run(['worker', '--redis', redis.url, '--runs-dir', 'runs', '--idle-exit', '1'], cwd));
    const r = await sweep;
    const wall = (performance.now() - t0) / 1000;
    await Promise.all(ws);
    if (r.code) throw new Error(r.err);
    report(`queue, ${workers} worker(s)`, cwd, wall, workers);
  } finally {
    await redis.stop();
  }
}

await local(1);
await local(2);
if (haveRedis()) {
  await queue(1);
  await queue(2);
} else console.log('redis-server not installed: queue rows skipped');
