/**
 * Local mode: a pool of worker processes on this machine (default one per core), each running one
 * trial at a time as `recur worker --trial <file>` — the same code a distributed worker runs.
 * Finished trials (metrics.json present) are read back, not rerun, so a sweep can be restarted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_FILES, readJson, writeJson } from '../recipes/common/index.js';
import type { ForecastMetrics } from '../recipes/forecast/index.js';
import type { Trial } from './spec.js';
import { resultOf, type TrialResult } from './trial.js';

export interface PoolOptions {
  /** Worker processes (default: one per core). */
  workers?: number;
  /** The `recur` executable (bin/recur.js). */
  bin: string;
  /** One line per event (trial started, finished, failed). */
  log: (line: string) => void;
}

export interface SweepOutcome {
  results: TrialResult[];
  failed: { trial: string; error: string }[];
  seconds: number;
}

/** The trial's file for `recur worker --trial` (its id, point, seed, overrides and full config). */
export function trialFile(dir: string, t: Trial): string {
  const p = join(dir, 'trials', `${t.id}.json`);
  mkdirSync(join(dir, 'trials'), { recursive: true });
  writeJson(p, { trial: t.id, point: t.point, seed: t.seed, overrides: t.overrides, config: t.config });
  return p;
}

function runChild(bin: string, file: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'worker', '--trial', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), out, err }));
  });
}

/** Run the trials with a local pool; returns every result (and failures). */
export async function runLocalPool(dir: string, trials: readonly Trial[], o: PoolOptions): Promise<SweepOutcome> {
  const t0 = performance.now();
  const workers = Math.max(1, Math.min(o.workers ?? availableParallelism(), trials.length));
  const results: TrialResult[] = [];
  const failed: { trial: string; error: string }[] = [];
  const todo: Trial[] = [];
  for (const t of trials) {
    const m = join(dir, t.id, RUN_FILES.metrics);
    if (existsSync(m)) results.push(resultOf(readJson(m) as ForecastMetrics, { trial: t.id, point: t.point, seed: t.seed, overrides: t.overrides }, 'earlier', 'finished'));
    else todo.push(t);
  }
  if (results.length) o.log(`${results.length} trial(s) already finished; ${todo.length} to run on ${workers} local worker(s)`);
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < todo.length) {
      const t = todo[next++]!;
      const r = await runChild(o.bin, trialFile(dir, t));
      const done = results.length + failed.length + 1;
      if (r.code === 0) {
        const res = JSON.parse(r.out.trim().split('\n').at(-1)!) as TrialResult;
        results.push(res);
        o.log(`[${done}/${trials.length}] ${t.id} done in ${res.seconds.toFixed(1)} s: test MAE skill ${(100 * res.test.maeSkill).toFixed(1)} %`);
      } else {
        const error = r.err.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${r.code}`;
        failed.push({ trial: t.id, error });
        o.log(`[${done}/${trials.length}] ${t.id} FAILED: ${error}`);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, one));
  return { results, failed, seconds: (performance.now() - t0) / 1000 };
}

/** host:pid of this process (who ran a trial). */
export function workerId(): string {
  return `${hostname()}:${process.pid}`;
}
