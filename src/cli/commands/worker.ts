/**
 * `recur worker`: run sweep trials. With --redis, take trials from the BullMQ queue until stopped
 * (SIGTERM/Ctrl-C: finish the trial at hand, then exit); with --trial FILE (what the local pool
 * runs), run that one trial and print its result as JSON.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { createInterface } from 'node:readline';
import { OptionError, RecurError, checkSchema } from '../../index.js';
import { forecastSchema } from '../../recipes/forecast/index.js';
import { readJson } from '../../recipes/common/index.js';
import { runTrial, startQueueWorker, workerId } from '../../sweep/index.js';
import { parseIntArg } from '../options.js';
import type { Io } from './io.js';

interface WorkerOpts { redis?: string; trial?: string; stdin?: boolean; runsDir?: string; dataRoot?: string; lockMs?: number; idleExit?: number }

async function oneTrial(file: string, io: Io): Promise<number> {
  const t = readJson(file) as { trial: string; point: string; seed: number; overrides: Record<string, unknown>; config: unknown };
  const c = checkSchema(forecastSchema, t.config, `${file}: config`);
  const r = await runTrial(c, { trial: t.trial, point: t.point, seed: t.seed, overrides: t.overrides }, workerId());
  io.out(`${JSON.stringify(r)}\n`);
  return 0;
}

/** `--stdin`: one trial file per line; one JSON line each ({ok, result} or {ok: false, error}). */
async function stdinTrials(io: Io): Promise<number> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let out = '';
    const sub: Io = { ...io, out: (s) => void (out += s) };
    try {
      await oneTrial(line.trim(), sub);
      io.out(`${JSON.stringify({ ok: true, result: JSON.parse(out) as unknown })}\n`);
    } catch (e) {
      const msg = e instanceof RecurError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
      io.out(`${JSON.stringify({ ok: false, error: msg.slice(0, 1000) })}\n`);
    }
  }
  return 0;
}

async function serve(o: WorkerOpts, io: Io): Promise<number> {
  const log = (s: string): void => io.err(`[worker ${workerId()}] ${s}\n`);
  const w = startQueueWorker(o.redis!, { runsDir: resolve(io.cwd, o.runsDir ?? 'runs'), ...(o.dataRoot ? { dataRoot: resolve(io.cwd, o.dataRoot) } : {}), log, ...(o.lockMs ? { lockMs: o.lockMs } : {}) });
  log(`waiting for trials on ${o.redis!.replace(/\/\/[^@]*@/, '//***@')}`);
  await new Promise<void>((done) => {
    const stop = (): void => void w.close().then(done);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (o.idleExit) {
      let idleSince = Date.now();
      w.worker.on('active', () => (idleSince = Infinity));
      w.worker.on('completed', () => (idleSince = Date.now()));
      w.worker.on('failed', () => (idleSince = Date.now()));
      const timer = setInterval(() => {
        if (Date.now() - idleSince > o.idleExit! * 1000) {
          clearInterval(timer);
          stop();
        }
      }, 200);
    }
  });
  log('stopped');
  return 0;
}

export function workerCommand(io: Io): Command {
  return new Command('worker')
    .description('run sweep trials: from the BullMQ queue on Redis (--redis), or one trial file (--trial, used by local sweeps)')
    .option('--redis <url>', 'take trials from this Redis (redis://[:password@]host:port[/db], rediss:// for TLS; or $RECUR_REDIS_PASSWORD)')
    .option('--trial <file>', 'run this one trial file and print its result as JSON')
    .option('--stdin', 'run the trial files named on stdin, one per line (what local sweeps start)')
    .option('--runs-dir <dir>', 'where trials are written: <runs-dir>/<sweep>/<trial>/ (default runs; share it between machines to gather checkpoints in place)')
    .option('--data-root <dir>', 'read CSV files only under this folder')
    .option('--lock-ms <ms>', 'job lock time: a dead worker\'s trial is retried after about this long (default 30000)', parseIntArg)
    .option('--idle-exit <s>', 'exit after this many seconds without a trial', parseIntArg)
    .addHelpText('after', `
A worker runs one trial at a time, in its own process; start one per core (or per GPU-less
machine) you want busy. Only recur forecasting trials run: a job is a configuration checked by
the recipe's schema, never code.
Examples:
  $ recur worker --redis redis://queue-host:6379 --runs-dir /shared/runs
  $ RECUR_REDIS_PASSWORD=secret recur worker --redis rediss://queue-host:6380 --data-root /shared/data`)
    .action(async (o: WorkerOpts) => {
      const modes = [o.redis, o.trial, o.stdin].filter(Boolean).length;
      if (modes !== 1) throw new OptionError('recur worker', 'one of --redis URL, --trial FILE or --stdin', modes ? 'several' : 'none');
      io.exitCode = o.trial ? await oneTrial(resolve(io.cwd, o.trial), io) : o.stdin ? await stdinTrials(io) : await serve(o, io);
    });
}
