/**
 * Local mode: a pool of worker processes on this machine (default one per core), each a long-lived
 * `recur worker --stdin` running one trial at a time — the same code a distributed worker runs,
 * started once per worker rather than once per trial (a start costs seconds: Node, tsx, the addon).
 * Finished trials (metrics.json present) are read back, not rerun, so a sweep can be restarted.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
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

/** A long-lived `recur worker --stdin` process: one trial file per line in, one JSON line out. */
class ChildWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private buf = '';
  private err = '';
  private pending: ((line: string) => void) | null = null;

  constructor(bin: string) {
    this.child = spawn(process.execPath, [bin, 'worker', '--stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const p = this.pending;
        this.pending = null;
        p?.(line);
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-4000)));
    this.child.on('close', (code) => this.pending?.(JSON.stringify({ ok: false, error: this.err.trim().split('\n').at(-1) ?? `worker exited (${code})` })));
  }

  run(file: string): Promise<{ ok: true; result: TrialResult } | { ok: false; error: string }> {
    return new Promise((resolve) => {
      this.pending = (line) => resolve(JSON.parse(line) as { ok: true; result: TrialResult } | { ok: false; error: string });
      this.child.stdin.write(`${file}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
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
    if (next >= todo.length) return;
    const w = new ChildWorker(o.bin);
    try {
      while (next < todo.length) {
        const t = todo[next++]!;
        const r = await w.run(trialFile(dir, t));
        const done = results.length + failed.length + 1;
        if (r.ok) {
          results.push(r.result);
          o.log(`[${done}/${trials.length}] ${t.id} done in ${r.result.seconds.toFixed(1)} s: test MAE skill ${(100 * r.result.test.maeSkill).toFixed(1)} %`);
        } else {
          failed.push({ trial: t.id, error: r.error });
          o.log(`[${done}/${trials.length}] ${t.id} FAILED: ${r.error}`);
        }
      }
    } finally {
      w.close();
    }
  };
  await Promise.all(Array.from({ length: workers }, one));
  return { results, failed, seconds: (performance.now() - t0) / 1000 };
}

/** host:pid of this process (who ran a trial). */
export function workerId(): string {
  return `${hostname()}:${process.pid}`;
}
