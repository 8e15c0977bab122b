/** Results on disk: one JSON per run (several may be merged: e.g. the recurrent models run apart). */
import { readFileSync } from 'node:fs';
import { FileError, writeFileAtomicSync } from '../../index.js';
import type { IcuResults } from './run.js';

export function saveResults(path: string, r: IcuResults): void {
  writeFileAtomicSync(path, JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));
}

export function loadResults(path: string): IcuResults {
  let r: IcuResults;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as IcuResults;
  } catch (e) {
    throw new FileError(path, 'an ICU results JSON', (e as Error).message.slice(0, 120));
  }
  if (!Array.isArray(r.folds) || !r.oof || !Array.isArray(r.labels)) throw new FileError(path, 'an ICU results JSON (folds, oof, labels)', 'other JSON');
  for (const k of Object.keys(r.oof)) r.oof[k] = r.oof[k]!.map((v) => (v === null ? NaN : v));
  return r;
}

/** Merge runs over the same stays and folds (same labels, seed and fold count); later methods win. */
export function mergeResults(rs: readonly IcuResults[]): IcuResults {
  const [a, ...rest] = rs;
  if (!a) throw new FileError('(none)', 'at least one results file', 'none');
  const out: IcuResults = { ...a, folds: [...a.folds], oof: { ...a.oof }, config: { ...a.config, methods: [...a.config.methods] } };
  for (const r of rest) {
    if (r.labels.length !== a.labels.length || r.config.seed !== a.config.seed || r.config.folds !== a.config.folds || r.labels.some((y, i) => y !== a.labels[i])) {
      throw new FileError('(merge)', 'results over the same stays, seed and folds', `seed ${r.config.seed}, ${r.labels.length} stays`);
    }
    // Fold results are keyed by (method, fold); predictions merge per stay where finite.
    for (const m of r.config.methods) {
      const folds = new Set(r.folds.filter((f) => f.method === m).map((f) => f.fold));
      out.folds = out.folds.filter((f) => f.method !== m || !folds.has(f.fold)).concat(r.folds.filter((f) => f.method === m));
      const prev = out.oof[m] ?? new Array<number>(a.labels.length).fill(NaN);
      out.oof[m] = prev.map((v, i) => (Number.isFinite(r.oof[m]![i]!) ? r.oof[m]![i]! : v));
      if (!out.config.methods.includes(m)) out.config.methods.push(m);
    }
  }
  return out;
}
