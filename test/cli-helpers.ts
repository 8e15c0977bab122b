/** Helpers for the CLI tests: run `recur` in-process or as a child process, and look at run folders. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/commands/io.js';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'recur.js');
export const FIX = join(ROOT, 'test', 'fixtures', 'csv');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh temporary working directory. */
export function tempDir(prefix = 'recur-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Run the CLI in this process (fast; progress off unless the args say otherwise). */
export async function runInProcess(args: string[], cwd: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (s) => void (stdout += s), err: (s) => void (stderr += s), cwd, exitCode: 0, json: false, progress: { tty: false } };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Run `node bin/recur.js …` as a child process. */
export function runSpawned(args: string[], cwd: string, opts: { onSpawn?: (pid: number) => void; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  });
}

/** Entries of a runs folder, hidden staging folders included ([] if it does not exist). */
export function runsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Common flags for a small, fast forecasting run on the synthetic fixture. */
export function smallForecastArgs(runsDir: string, name: string): string[] {
  return [
    'train', '--task', 'forecast', '--csv', join(FIX, 'series.csv'), '--time-col', 'timestamp', '--target', 'load',
    '--covariate', 'temp', '--covariate', 'wind_dir', '--angular', 'wind_dir', '--reference-col', 'ref_forecast',
    '--lookback', '12', '--horizon', '3', '--season', '48', '--epochs', '2', '--hidden', '8', '--runs-dir', runsDir, '--name', name,
  ];
}
