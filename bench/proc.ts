/**
 * Run one measurement as a child process and collect its JSON line, its CPU time and peak RSS
 * (GNU /usr/bin/time when present), and how much CPU *other* processes used meanwhile
 * ("foreign cores", from /proc/stat), so that a run disturbed by other tenants can be spotted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcResult {
  /** The last stdout line that parses as a JSON object, or null. */
  rec: Record<string, unknown> | null;
  rc: number | null;
  error: string | null;
  wallS: number;
  /** User + system CPU seconds of the child (null without /usr/bin/time). */
  cpuS: number | null;
  maxRssKb: number | null;
  /** Cores' worth of CPU used by other processes during the run (null when unknown). */
  foreignCores: number | null;
}

const CLK_TCK = 100; // USER_HZ of /proc/stat on Linux
const GNU_TIME = '/usr/bin/time';
const HAS_TIME = existsSync(GNU_TIME);

/** Busy jiffies of all CPUs (user nice system irq softirq steal), or null off Linux. */
function busyJiffies(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
  } catch {
    return null;
  }
}

function lastJson(stdout: string): Record<string, unknown> | null {
  const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v: unknown = JSON.parse(lines[i]!);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: keep looking
    }
  }
  return null;
}

export function runProcess(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutS: number }): Promise<ProcResult> {
  const dir = HAS_TIME ? mkdtempSync(join(tmpdir(), 'recur-bench-')) : null;
  const timeFile = dir ? join(dir, 'rusage') : null;
  const [file, argv] = timeFile ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const env = { ...process.env, ...(opts.env ?? {}) };
  const j0 = busyJiffies();
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(file, argv, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutS * 1000);
    let done = false;
    const finish = (rc: number | null, spawnError: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const wallS = (performance.now() - t0) / 1000;
      const j1 = busyJiffies();
      let cpuS: number | null = null;
      let maxRssKb: number | null = null;
      if (timeFile && existsSync(timeFile)) {
        const m = /([\d.]+) ([\d.]+) (\d+)\s*$/.exec(readFileSync(timeFile, 'utf8'));
        if (m) {
          cpuS = Number(m[1]) + Number(m[2]);
          maxRssKb = Number(m[3]);
        }
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
      const foreignCores = j0 !== null && j1 !== null && cpuS !== null ? Math.max(0, ((j1 - j0) / CLK_TCK - cpuS) / wallS) : null;
      const rec = lastJson(stdout);
      let error = spawnError;
      if (timedOut) error = `timed out after ${opts.timeoutS} s`;
      else if (rec && typeof rec['error'] === 'string') error = rec['error'];
      else if (!error && (rc !== 0 || !rec)) error = (stderr || stdout).trim().split('\n').slice(-3).join(' | ').slice(-400) || `exit ${rc}`;
      resolve({ rec: error ? null : rec, rc, error, wallS, cpuS, maxRssKb, foreignCores });
    };
    child.on('error', (e) => finish(null, String(e)));
    child.on('close', (code) => finish(code, null));
  });
}

/**
 * Wait (up to maxS seconds) until other processes use less than `threshold` cores, sampling
 * /proc/stat once a second, as ../shared/peers/run_bench.py does. Returns the seconds waited.
 */
export async function waitQuiet(maxS: number, threshold = 0.25): Promise<number> {
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < maxS) {
    const a = busyJiffies();
    await new Promise((r) => setTimeout(r, 1000));
    const b = busyJiffies();
    if (a === null || b === null || (b - a) / CLK_TCK < threshold) break;
  }
  return (performance.now() - t0) / 1000;
}
