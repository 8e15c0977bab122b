/**
 * Run directories: `runs/<name>/` holding config.json, events.jsonl, the checkpoint(s),
 * metrics.json and report.html.
 *
 * Life of a run (the semantics `recur train`, `--resume`, eval, predict and report rely on):
 * - **lock**: a run name is taken by `runs/.<name>.lock`, created exclusively and holding the
 *   writer's PID. A second writer of the same name (a new run or a resume) is refused at start
 *   while that PID is alive; a lock whose PID is gone (a killed process) is taken over.
 * - **partial**: a new run is built in `runs/.<name>.partial-<pid>/`, so `runs/<name>/` never
 *   holds a half-written folder. On an error the staging folder is removed.
 * - **finished**: renamed to `runs/<name>/`, with metrics.json.
 * - **stopped** (Ctrl-C): renamed to `runs/<name>/` as well, without metrics.json, with what is
 *   needed to continue (the recipe's saved state) and a `run_end` event with reason "stopped".
 *   `recur train --resume runs/<name>` continues it; eval/predict/report refuse it.
 * - **killed** (kill -9, a crash, a second Ctrl-C): the staging folder stays. A new run warns
 *   about such folders; `recur train --resume runs/<name>` adopts one (renames it to
 *   `runs/<name>/`) and continues from what it holds.
 * Every file is written atomically (temp file + rename).
 */
import { appendFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { FormatError, OptionError, ValueError, writeFileAtomicSync } from '../../index.js';

/** A run folder being written. */
export interface RunDir {
  /** Where files are written now (the staging folder for a new run). */
  path: string;
  /** The folder's final path. */
  final: string;
  /** True while `path` is a staging folder that {@link commitRunDir} renames to `final`. */
  staged: boolean;
  /** The lock file this process holds on the name. */
  lock: string;
}

/** The standard files of a run. */
export const RUN_FILES = {
  config: 'config.json',
  events: 'events.jsonl',
  checkpoint: 'checkpoint.safetensors',
  metrics: 'metrics.json',
  report: 'report.html',
  reportData: 'report-data.json',
  trainState: 'train-state',
} as const;

/** A sortable, filesystem-safe timestamp name, e.g. `20250131-135001`. */
export function timestampName(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PARTIAL_RE = /^\.(.+)\.partial-(\d+)$/;

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A staging folder left in a runs folder. */
export interface PartialRun {
  name: string;
  path: string;
  pid: number;
  alive: boolean;
}

/** The staging folders under `root` (of every name, or of `name`). */
export function partialRuns(root: string, name?: string): PartialRun[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((entry) => {
    const m = PARTIAL_RE.exec(entry);
    if (!m || (name !== undefined && m[1] !== name)) return [];
    const pid = Number(m[2]);
    return [{ name: m[1]!, path: join(root, entry), pid, alive: pidAlive(pid) }];
  });
}

/** Staging folders whose process is gone: runs killed before they could be renamed into place. */
export function staleRuns(root: string): PartialRun[] {
  return partialRuns(root).filter((p) => !p.alive);
}

const held = new Set<string>();
let exitHook = false;

function readPid(lock: string): number {
  try {
    return Number(readFileSync(lock, 'utf8').trim());
  } catch {
    return NaN;
  }
}

/**
 * Take the lock on `name` under `root`: `.<name>.lock` holding this PID, made by linking a
 * complete temp file (so no reader sees it empty). A lock of a dead PID is taken over.
 * @throws ValueError when a live process holds it.
 */
function acquireLock(root: string, name: string, flag: string): string {
  const lock = join(root, `.${name}.lock`);
  const tmp = `${lock}.${process.pid}.tmp`;
  mkdirSync(root, { recursive: true });
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, lock);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
        const pid = readPid(lock);
        if (pid !== process.pid && pidAlive(pid)) {
          throw new ValueError(flag, `a run name not being written by another process`, `"${name}", locked by process ${pid} (${lock})`);
        }
        rmSync(lock, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  held.add(lock);
  if (!exitHook) {
    exitHook = true;
    // A second Ctrl-C exits at once: the lock must not outlive the process as a live-looking PID.
    process.on('exit', () => held.forEach(releaseLockFile));
  }
  return lock;
}

function releaseLockFile(lock: string): void {
  held.delete(lock);
  if (readPid(lock) === process.pid) rmSync(lock, { force: true });
}

/** Give up the lock on a run's name (after commit or abort; a no-op once released). */
export function releaseRunDir(r: RunDir): void {
  releaseLockFile(r.lock);
}

const rel = (p: string): string => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

/** Why `name` cannot be started fresh in `root` (exists, or a killed run of that name waits), or null. */
function taken(root: string, name: string): string | null {
  const final = join(root, name);
  if (existsSync(final)) {
    const how = runStatus(final) === 'stopped' ? `a stopped run: continue it with recur train --resume ${rel(final)}, or pick another --name` : 'pick another --name';
    return `"${name}", which exists (${how})`;
  }
  const left = partialRuns(root, name);
  if (left.length) return `"${name}", whose unfinished run is in ${left.map((p) => rel(p.path)).join(', ')} (continue it with: recur train --resume ${rel(final)}; or delete that folder)`;
  return null;
}

/**
 * Start a new run under `root` in a staging folder, holding the name's lock. With no name, a
 * timestamp is used (with a numeric suffix if taken).
 * @throws ValueError for a bad name, a name in use by a live process, a final folder that
 *   already exists or a killed run of that name (use --resume or another --name).
 */
export function createRunDir(root: string, name?: string): RunDir {
  if (name !== undefined && !NAME_RE.test(name)) throw new ValueError('--name', 'letters, digits, ".", "_" or "-" (not starting with a dot)', JSON.stringify(name));
  const dir = resolve(root);
  let base = name ?? timestampName();
  let lock = '';
  for (let k = 2; ; k++) {
    try {
      lock = acquireLock(dir, base, '--name');
    } catch (e) {
      if (name !== undefined || !(e instanceof ValueError)) throw e;
    }
    const why = lock ? taken(dir, base) : 'locked';
    if (!why) break;
    if (lock) releaseLockFile(lock);
    lock = '';
    if (name !== undefined) throw new ValueError('--name', `a run name not taken in ${root}`, why);
    base = `${timestampName()}-${k}`;
  }
  const final = join(dir, base);
  const path = join(dir, `.${base}.partial-${process.pid}`);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return { path, final, staged: true, lock };
}

/** Where `dir` points: its final folder and name, whether given as `runs/x` or `runs/.x.partial-N`. */
function locate(dir: string): { root: string; name: string; final: string } {
  const p = resolve(dir);
  const m = PARTIAL_RE.exec(basename(p));
  const name = m ? m[1]! : basename(p);
  return { root: dirname(p), name, final: join(dirname(p), name) };
}

/**
 * Open a stopped or killed run to continue it, holding its lock. A killed run's staging folder
 * (`runs/.<name>.partial-<pid>/`, its process gone) is adopted: renamed to `runs/<name>/`.
 * @throws OptionError when there is no such run (or several killed ones), ValueError when a
 *   live process is writing it.
 */
export function resumeRunDir(dir: string): RunDir {
  const { root, name, final } = locate(dir);
  const lock = acquireLock(root, name, '--resume');
  try {
    if (!existsSync(join(final, RUN_FILES.config))) adopt(dir, root, name, final);
    return { path: final, final, staged: false, lock };
  } catch (e) {
    releaseLockFile(lock);
    throw e;
  }
}

function adopt(dir: string, root: string, name: string, final: string): void {
  const left = partialRuns(root, name).filter((p) => existsSync(join(p.path, RUN_FILES.config)));
  if (left.length === 0) {
    const what = existsSync(final) ? 'a folder without config.json' : 'no such run';
    throw new OptionError('--resume', 'a run folder written by recur train (stopped with Ctrl-C, or killed: runs/.<name>.partial-<pid>/)', `${JSON.stringify(dir)}: ${what}`);
  }
  if (left.length > 1) throw new OptionError('--resume', `one unfinished run named "${name}"`, `${left.length}: ${left.map((p) => rel(p.path)).join(', ')} (delete all but one)`);
  if (existsSync(final)) throw new OptionError('--resume', `no other folder at ${rel(final)} (the unfinished run ${rel(left[0]!.path)} is to be moved there)`, 'a folder that is not a run: move it away');
  renameSync(left[0]!.path, final);
}

/** The state of a run folder (see the module comment). */
export type RunStatus = 'finished' | 'stopped' | 'partial' | 'not-a-run';

/** What `dir` holds, by its files: metrics.json → finished, config.json only → stopped. */
export function runStatus(dir: string): RunStatus {
  const p = resolve(dir);
  if (!existsSync(join(p, RUN_FILES.config))) return 'not-a-run';
  if (PARTIAL_RE.test(basename(p))) return 'partial';
  return existsSync(join(p, RUN_FILES.metrics)) ? 'finished' : 'stopped';
}

/**
 * Open a run folder for reading (eval, predict, report).
 * @throws OptionError naming the folder when it is not a run written by recur train.
 */
export function openRunDir(dir: string): RunDir {
  const final = resolve(dir);
  if (!existsSync(join(final, RUN_FILES.config))) {
    const got = !existsSync(final) ? 'no such folder' : !statSync(final).isDirectory() ? 'a file, not a folder' : `a folder without ${RUN_FILES.config}`;
    throw new OptionError('--run', 'a run folder written by recur train', `${JSON.stringify(dir)}: ${got}`);
  }
  return { path: final, final, staged: false, lock: '' };
}

/**
 * Open a finished run (eval, predict, report need its final model and metrics).
 * @throws OptionError for a stopped run, a killed run's staging folder (or a name that only has
 *   one) or a folder that is not a run, with what to do.
 */
export function openFinishedRun(dir: string, command: string): RunDir {
  const where = `recur ${command} --run`;
  const { root, name, final } = locate(dir);
  const left = partialRuns(root, name);
  const partialGot = (p: PartialRun): string =>
    `${JSON.stringify(dir)}: an unfinished run in ${rel(p.path)} (its process ${p.pid} ${p.alive ? 'is still running' : 'was killed'}${p.alive ? '' : `; continue it with: recur train --resume ${rel(final)}`})`;
  if (PARTIAL_RE.test(basename(resolve(dir))) || (!existsSync(final) && left.length)) {
    const p = left.find((x) => x.path === resolve(dir)) ?? left[0];
    if (p) throw new OptionError(where, 'a finished run', partialGot(p));
  }
  const run = openRunDir(dir);
  if (runStatus(run.path) === 'stopped') {
    const pid = readPid(join(root, `.${name}.lock`));
    if (pid !== process.pid && pidAlive(pid)) throw new OptionError(where, 'a finished run', `${JSON.stringify(dir)}: a run being trained now by process ${pid} (wait for it to finish)`);
    throw new OptionError(where, 'a finished run', `${JSON.stringify(dir)}: a run stopped before the end (no ${RUN_FILES.metrics}; continue it with: recur train --resume ${rel(final)})`);
  }
  return run;
}

/** Move a staged run to its final name (opened runs stay) and release its lock. */
export function commitRunDir(r: RunDir): void {
  if (r.staged) {
    renameSync(r.path, r.final);
    r.path = r.final;
    r.staged = false;
  }
  releaseRunDir(r);
}

/** Remove a staged run after an error (an opened run is left as it is) and release its lock. */
export function abortRunDir(r: RunDir): void {
  if (r.staged) rmSync(r.path, { recursive: true, force: true });
  releaseRunDir(r);
}

/** JSON with NaN/Infinity written as null, pretty-printed, written atomically. */
export function writeJson(path: string, value: unknown): void {
  writeFileAtomicSync(path, `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
}

/**
 * Read a JSON file.
 * @throws FormatError naming the file when it is missing or not JSON.
 */
export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new FormatError(path, 'a readable JSON file', 'no such file');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(path, 'valid JSON', (e as Error).message);
  }
}

/** Append one JSON object per line (synchronously, so a line is on disk before the next step). */
export function appendJsonl(path: string, value: unknown): void {
  appendFileSync(path, `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n`);
}

/**
 * Read a JSONL file into objects (a torn last line, as left by a crash, is skipped).
 * @throws FormatError at `file:line` for a malformed line before the last.
 */
export function readJsonl(path: string): unknown[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: unknown[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      out.push(JSON.parse(l));
    } catch {
      if (i < lines.length - 2) throw new FormatError(`${path}:${i + 1}`, 'one JSON object per line', JSON.stringify(l.slice(0, 40)));
    }
  });
  return out;
}

/** A warning listing the killed runs under `root` and how to continue them, or null when none. */
export function staleRunsWarning(root: string): string | null {
  const stale = staleRuns(resolve(root));
  if (!stale.length) return null;
  const lines = stale.map((p) => `  ${rel(p.path)}  (process ${p.pid} is gone; continue: recur train --resume ${rel(join(dirname(p.path), p.name))}, or delete it)`);
  return `warning: ${stale.length} unfinished run folder(s) of killed processes:\n${lines.join('\n')}\n`;
}
