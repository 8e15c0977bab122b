/**
 * Run directories: `runs/<name>/` holding config.json, events.jsonl, checkpoint.safetensors,
 * metrics.json and report.html.
 *
 * A new run is built in a hidden staging folder (`runs/.<name>.partial-<pid>/`) and renamed to
 * its final name only once it is in a consistent state (finished, or stopped with a resumable
 * checkpoint); on an error the staging folder is removed. So `runs/<name>/` never holds a
 * half-done run, even after a crash. Every file is written atomically (temp file + rename).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FormatError, ValueError, writeFileAtomicSync } from '../../index.js';

/** A run folder being written. */
export interface RunDir {
  /** Where files are written now (the staging folder for a new run). */
  path: string;
  /** The folder's final path. */
  final: string;
  /** True while `path` is a staging folder that {@link commitRunDir} renames to `final`. */
  staged: boolean;
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

/**
 * Start a new run under `root` in a staging folder. With no name, a timestamp is used (with a
 * numeric suffix if taken).
 * @throws ValueError for a bad name or a final folder that already exists (use --resume or another --name).
 */
export function createRunDir(root: string, name?: string): RunDir {
  if (name !== undefined && !NAME_RE.test(name)) throw new ValueError('--name', 'letters, digits, ".", "_" or "-" (not starting with a dot)', JSON.stringify(name));
  let base = name ?? timestampName();
  if (name === undefined) for (let k = 2; existsSync(join(root, base)); k++) base = `${timestampName()}-${k}`;
  const final = resolve(root, base);
  if (existsSync(final)) throw new ValueError('--name', `a run name not taken in ${root} (or --resume ${join(root, base)})`, `"${base}", which exists`);
  const path = join(dirname(final), `.${basename(final)}.partial-${process.pid}`);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return { path, final, staged: true };
}

/**
 * Open an existing run folder (for --resume, eval, predict, report).
 * @throws ValueError when it is not a run folder (no config.json).
 */
export function openRunDir(dir: string): RunDir {
  const final = resolve(dir);
  if (!existsSync(join(final, RUN_FILES.config))) throw new ValueError('--run', `a run folder with ${RUN_FILES.config}`, JSON.stringify(dir));
  return { path: final, final, staged: false };
}

/** Move a staged run to its final name (no-op for an opened run). */
export function commitRunDir(r: RunDir): void {
  if (!r.staged) return;
  renameSync(r.path, r.final);
  r.path = r.final;
  r.staged = false;
}

/** Remove a staged run after an error (an opened run is left as it is). */
export function abortRunDir(r: RunDir): void {
  if (r.staged) rmSync(r.path, { recursive: true, force: true });
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
