/**
 * Distributed mode on BullMQ (a maintained Redis-backed job queue): `recur sweep --redis URL`
 * enqueues one job per trial and follows them; `recur worker --redis URL`, on any number of
 * machines, takes jobs one at a time and runs them as ordinary trials.
 *
 * Durability: a job is held under a lock its worker renews while it runs. A worker that dies
 * (kill -9, a lost machine) stops renewing; another worker's stalled-job check moves the job back
 * to the waiting list and it is run again — resuming the trial's run folder from its last
 * checkpoint when the folder is on a shared filesystem. A job completes once: BullMQ refuses to
 * complete a job whose lock the worker lost, and the sweep counts results by trial id.
 *
 * Results come back through Redis as the job's return value (the leaderboard numbers, and the
 * trial's small files — config, metrics, events, checkpoint, report — up to a size cap); the sweep
 * writes them into runs/<sweep>/<trial>/ unless a worker already wrote there (a shared filesystem).
 *
 * Safety: a job carries data only — a forecasting configuration, validated by the recipe's strict
 * schema, and names matched against a strict pattern. A worker writes only under its own
 * --runs-dir and, with --data-root, reads CSV files only under that folder.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { z } from 'zod';
import { OptionError, ValueError, checkSchema, writeFileAtomicSync } from '../index.js';
import { forecastSchema } from '../recipes/forecast/index.js';
import { workerId, type SweepOutcome } from './pool.js';
import { NAME_RE, type Trial } from './spec.js';
import { runTrial, trialFiles, type TrialResult } from './trial.js';

/** The queue's name in Redis. */
export const QUEUE = 'recur-trials';
/** Trial files larger than this in all are not sent back through Redis (use a shared filesystem). */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;

/**
 * Connection options from a URL: `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS.
 * The password may come from $RECUR_REDIS_PASSWORD instead (kept out of process lists), a CA
 * certificate for TLS from $RECUR_REDIS_CA (a PEM file).
 * @throws OptionError for a URL that is not a redis one.
 */
export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL('x:');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new OptionError('--redis', 'a URL such as redis://host:6379, redis://:password@host:6379/0 or rediss://host:6380 (TLS)', JSON.stringify(url));
  const password = u.password ? decodeURIComponent(u.password) : process.env.RECUR_REDIS_PASSWORD;
  const ca = process.env.RECUR_REDIS_CA;
  return {
    host: u.hostname || '127.0.0.1', port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest: null,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}), ...(password ? { password } : {}),
    ...(u.protocol === 'rediss:' ? { tls: ca ? { ca: readFileSync(ca) } : {} } : {}),
  };
}

const jobSchema = z.strictObject({
  sweep: z.string().regex(NAME_RE), trial: z.string().regex(NAME_RE), point: z.string().regex(NAME_RE), seed: z.number().int().min(0),
  overrides: z.record(z.string(), z.unknown()), config: z.record(z.string(), z.unknown()),
});
type JobData = z.output<typeof jobSchema>;
interface JobResult { result: TrialResult; files: Record<string, string> | null }

const jobId = (sweep: string, trial: string): string => `${sweep}.${trial}`;

/** Enqueue the trials (a trial already in the queue is not added twice) and follow them to the end. */
export async function runQueueSweep(url: string, dir: string, sweep: string, trials: readonly Trial[], o: { log: (s: string) => void; pollMs?: number; attempts?: number }): Promise<SweepOutcome> {
  const t0 = performance.now();
  const queue = new Queue<JobData, JobResult>(QUEUE, { connection: redisConnection(url) });
  try {
    await queue.addBulk(trials.map((t) => ({
      name: 'trial', data: { sweep, trial: t.id, point: t.point, seed: t.seed, overrides: t.overrides, config: t.config as unknown as Record<string, unknown> },
      opts: { jobId: jobId(sweep, t.id), attempts: o.attempts ?? 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
    })));
    o.log(`enqueued ${trials.length} trial(s) on ${QUEUE}; waiting for workers (recur worker --redis URL)`);
    const results = new Map<string, TrialResult>();
    const failed = new Map<string, string>();
    let last = '';
    while (results.size + failed.size < trials.length) {
      for (const t of trials) {
        if (results.has(t.id) || failed.has(t.id)) continue;
        // The state first, then the job: a job read before it completes carries no return value even
        // when its state, read a moment later, says completed.
        const missing = () => new ValueError(`queue ${QUEUE}`, `the job of trial ${t.id}`, 'none (was the queue emptied?)');
        const state = await queue.getJobState(jobId(sweep, t.id));
        if (state === 'unknown') throw missing();
        if (state !== 'completed' && state !== 'failed') continue;
        const job = await queue.getJob(jobId(sweep, t.id));
        if (!job) throw missing();
        if (state === 'completed') {
          results.set(t.id, gather(dir, job));
          const r = results.get(t.id)!;
          o.log(`[${results.size + failed.size}/${trials.length}] ${t.id} done by ${r.by} (${r.how}${job.attemptsMade > 1 || job.stalledCounter ? `, ${job.attemptsMade} attempt(s), ${job.stalledCounter} stall(s)` : ''}): test MAE skill ${(100 * r.test.maeSkill).toFixed(1)} %`);
        } else {
          failed.set(t.id, job.failedReason ?? 'failed');
          o.log(`[${results.size + failed.size}/${trials.length}] ${t.id} FAILED after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
        }
      }
      const c = await queue.getJobCounts('active', 'waiting', 'delayed');
      const line = `${results.size} done, ${failed.size} failed, ${c.active} running, ${(c.waiting ?? 0) + (c.delayed ?? 0)} waiting`;
      if (line !== last) o.log(line);
      last = line;
      if (results.size + failed.size < trials.length) await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    }
    return { results: [...results.values()], failed: [...failed].map(([trial, error]) => ({ trial, error })), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await queue.close();
  }
}

/** The result of a completed job; its files are written into the sweep folder unless a worker wrote them there. */
function gather(dir: string, job: Job<JobData, JobResult>): TrialResult {
  const { result, files } = job.returnvalue;
  const out = join(dir, result.trial);
  if (!existsSync(join(out, 'metrics.json')) && files) {
    mkdirSync(out, { recursive: true });
    for (const [name, b64] of Object.entries(files)) if (/^[a-z][a-z.-]*$/.test(name)) writeFileAtomicSync(join(out, name), Buffer.from(b64, 'base64'));
  }
  return result;
}

export interface WorkerOptions {
  /** Parent of the sweeps' folders on this machine. */
  runsDir: string;
  /** Read CSV files only under this folder. */
  dataRoot?: string;
  log: (s: string) => void;
  /** Lock time (ms): how long a dead worker's job waits before another worker takes it (default 30 000). */
  lockMs?: number;
}

/** The validated configuration of a job, with this worker's own paths. */
function jobConfig(d: JobData, o: WorkerOptions) {
  const c = checkSchema(forecastSchema, { ...d.config, name: d.trial, runsDir: join(resolve(o.runsDir), d.sweep), quiet: true, perGroup: false }, `job ${d.trial}: config`);
  if (!isAbsolute(c.csv)) throw new ValueError(`job ${d.trial}: config.csv`, 'an absolute path', JSON.stringify(c.csv));
  if (o.dataRoot) {
    const rel = relative(resolve(o.dataRoot), c.csv);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new ValueError(`job ${d.trial}: config.csv`, `a file under --data-root ${o.dataRoot}`, JSON.stringify(c.csv));
  }
  return c;
}

/** Start a worker; it takes one trial at a time until `close()`. */
export function startQueueWorker(url: string, o: WorkerOptions): { worker: Worker<JobData, JobResult>; close: () => Promise<void> } {
  const lock = o.lockMs ?? 30_000;
  const worker = new Worker<JobData, JobResult>(QUEUE, async (job) => {
    const d = checkSchema(jobSchema, job.data, `job ${job.id}`);
    const c = jobConfig(d, o);
    o.log(`${d.trial}: started (attempt ${job.attemptsMade + 1})`);
    const result = await runTrial(c, { trial: d.trial, point: d.point, seed: d.seed, overrides: d.overrides }, workerId());
    o.log(`${d.trial}: done in ${result.seconds.toFixed(1)} s (${result.how})`);
    return { result, files: trialFiles(join(c.runsDir, d.trial), MAX_UPLOAD_BYTES) };
  }, { connection: redisConnection(url), concurrency: 1, lockDuration: lock, stalledInterval: Math.max(500, Math.floor(lock / 2)), maxStalledCount: 2 });
  worker.on('failed', (job, err) => o.log(`${job?.data.trial ?? job?.id}: failed: ${err.message}`));
  worker.on('error', (err) => o.log(`worker error: ${err.message}`));
  return { worker, close: () => worker.close() };
}
