/**
 * Options from a config file (YAML or JSON) and flags, merged (preset < file < flags) and
 * validated by a zod schema. Unknown keys are errors with the nearest valid key; every message
 * names where the bad value came from (`file:line:col` for syntax, the file or `--flag` for values).
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { FormatError, OptionError, decodeText, expectedOf, fileError, nearestName, showValue } from '../index.js';

/** Where a key's value came from. */
export type Source = { kind: 'flag' } | { kind: 'file'; path: string; at?: string } | { kind: 'preset'; name: string } | { kind: 'default' };

/** A key → value map and where each value came from. */
export interface Layered {
  values: Record<string, unknown>;
  sources: Record<string, Source>;
}

/** `batchSize` → `--batch-size`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function lineCol(text: string, pos: number): [number, number] {
  const before = text.slice(0, pos).split('\n');
  return [before.length, before.at(-1)!.length + 1];
}

/**
 * Where JSON.parse fails (Node 20 does not always say): the shortest prefix whose error is not
 * "unexpected end" ends at the offending character.
 */
function jsonErrorPos(text: string): number {
  const endsEarly = (p: number): boolean => {
    try {
      JSON.parse(text.slice(0, p));
      return true;
    } catch (e) {
      return /end of JSON input|Unterminated string/i.test((e as Error).message);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endsEarly(mid + 1)) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, Math.max(0, text.length - 1));
}

/**
 * Read a config file: `.json` as JSON, anything else as YAML (a superset of JSON).
 * @throws FileError for a missing or unreadable file; FormatError as {@link parseConfigText}.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(e, path, 'a readable config file (--config)');
  }
  return parseConfigText(decodeText(bytes, path, 'config'), path);
}

/**
 * Parse config text; `path` picks the syntax (`.json` JSON, else YAML) and names the file in messages.
 * @throws FormatError `file:line:col` for syntax errors, or when the top level is not a mapping.
 */
export function parseConfigText(text: string, path: string): Record<string, unknown> {
  const { value, doc } = extname(path).toLowerCase() === '.json' ? parseJsonConfig(text, path) : parseYamlConfig(text, path);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FormatError(`${path}:1:1`, 'a mapping of option names to values at the top level', Array.isArray(value) ? 'a list' : String(value));
  keyPositions.set(value, positionsOf(text, doc, Object.keys(value)));
  return value as Record<string, unknown>;
}

type Parsed = { value: unknown; doc: Document.Parsed };

function parseJsonConfig(text: string, path: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const [l, c] = lineCol(text, jsonErrorPos(text));
    throw new FormatError(`${path}:${l}:${c}`, 'valid JSON', (e as Error).message.replace(/, ".*$/s, '').replace(/ in JSON at position \d+.*$/s, ''));
  }
  // JSON.parse keeps the last of repeated keys silently; YAML (and this) refuse them.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const dup = doc.errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (dup) throw new FormatError(`${path}:${lineCol(text, dup.pos[0]).join(':')}`, 'valid JSON with unique keys', dup.message.split('\n')[0]!);
  return { value, doc };
}

function parseYamlConfig(text: string, path: string): Parsed {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const at = (pos: number | undefined): string => `${path}:${lineCol(text, pos ?? 0).join(':')}`;
  const err = doc.errors[0];
  if (err) throw new FormatError(err.linePos?.[0] ? `${path}:${err.linePos[0].line}:${err.linePos[0].col}` : at(err.pos[0]), 'valid YAML', err.message.split('\n')[0]!);
  // A mapping or list used as a key would be stringified by toJS (with a process warning).
  let bad: Node | null = null;
  visit(doc, { Pair: (_, pair) => (pair.key !== null && !isScalar(pair.key) ? ((bad = pair.key as Node), visit.BREAK) : undefined) });
  if (bad) throw new FormatError(at((bad as Node).range?.[0]), 'valid YAML with plain keys (option names)', 'a mapping or list as a key');
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), doc };
  } catch (e) {
    // An alias to an anchor defined later, or too many aliases: toJS throws without a position.
    let pos: number | undefined;
    visit(doc, { Alias: (_, n) => ((e as Error).message.endsWith(`: ${n.source}`) ? ((pos = n.range?.[0]), visit.BREAK) : undefined) });
    throw new FormatError(at(pos), 'valid YAML', (e as Error).message.split('\n')[0]!);
  }
}

/** `line:col` of each top-level key of a parsed config file, by the object {@link parseConfigText} returned. */
const keyPositions = new WeakMap<object, Record<string, string>>();

/**
 * Where each top-level key is in the text: from the YAML document (a JSON file is YAML too), else
 * (JSON that YAML reads differently, e.g. with a lone CR) the first `"key":` in the text.
 */
function positionsOf(text: string, doc: Document.Parsed, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (key: string, pos: number): void => void Object.defineProperty(out, key, { value: lineCol(text, pos).join(':'), enumerable: true, configurable: true });
  if (isMap(doc.contents)) {
    for (const item of doc.contents.items) {
      // A missing key (`: x`) reads as "": place it at its value.
      const key = isScalar(item.key) ? String(item.key.value ?? '') : '';
      const pos = (isScalar(item.key) ? item.key : (item.value as Node | null))?.range?.[0];
      if (pos !== undefined) put(key, pos);
    }
  }
  for (const k of keys) {
    const m = Object.hasOwn(out, k) ? null : new RegExp(`${JSON.stringify(k).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`).exec(text);
    if (m) put(k, m.index);
  }
  return out;
}

/** Merge layers; later ones win. */
export function merge(...layers: { values: Record<string, unknown>; source: Source }[]): Layered {
  const out: Layered = { values: {}, sources: {} };
  for (const l of layers) {
    const at = keyPositions.get(l.values);
    for (const [k, v] of Object.entries(l.values)) {
      if (v === undefined) continue;
      // Own properties even for a key like "__proto__", so the schema sees (and refuses) it.
      Object.defineProperty(out.values, k, { value: v, enumerable: true, writable: true, configurable: true });
      Object.defineProperty(out.sources, k, { value: at?.[k] && l.source.kind === 'file' ? { ...l.source, at: at[k] } : l.source, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

function describe(key: string, s: Source | undefined): string {
  if (!s) return `"${key}"`;
  if (s.kind === 'flag') return flagName(key);
  if (s.kind === 'file') return `${s.path}${s.at ? `:${s.at}` : ''}: "${key}"`;
  if (s.kind === 'preset') return `"${key}" (from --preset ${s.name})`;
  return `"${key}"`;
}

/**
 * Validate merged options with a strict zod object schema.
 * @throws OptionError naming the key, where it came from, and (for unknown keys) the nearest valid one.
 */
export function validate<S extends z.ZodType>(schema: S, layered: Layered, keys: readonly string[], where: string): z.output<S> {
  const r = schema.safeParse(layered.values);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const near = nearestName(key, keys);
    const src = layered.sources[key];
    throw new OptionError(src?.kind === 'file' ? `${src.path}${src.at ? `:${src.at}` : ''}` : where, `a known option${near ? ` (did you mean "${near}"${src?.kind === 'flag' ? ` / ${flagName(near)}` : ''}?)` : ''}`, `unknown key "${key}"`);
  }
  const key = String(issue.path[0] ?? '');
  const got = key in layered.values ? showValue(layered.values[key]) : 'nothing';
  const msg = key !== '' && !(key in layered.values) ? `a value (required; set ${flagName(key)} or "${key}" in --config)` : expectedOf(issue);
  throw new OptionError(describe(key, layered.sources[key]) + (issue.path.length > 1 ? `[${issue.path.slice(1).join('.')}]` : ''), msg, got);
}

/** Resolve a path from a layer: a file's paths are relative to the file, flags' to the working directory. */
export function resolvePath(p: string, s: Source | undefined, cwd: string, dataDir: string): string {
  if (isAbsolute(p)) return p;
  if (s?.kind === 'file') return resolve(dirname(s.path), p);
  if (s?.kind === 'preset') return resolve(dataDir, p);
  return resolve(cwd, p);
}
