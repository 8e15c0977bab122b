/** Printable comparison of per-class errors: this run's model and baselines beside the published rows. */
import { PUBLISHED_SPLICE, bestPublished } from './published.js';

/** A row of the table: a system and its per-class errors in percent. */
export interface ErrorRow {
  system: string;
  N: number;
  EI: number;
  IE: number;
  /** Printed after the numbers, e.g. '±0.8' spreads or a note. */
  note?: string;
}

export interface TableOptions {
  /** Heading line (the protocol). */
  title: string;
  /** Rows from this run (model first, then baselines). */
  rows: readonly ErrorRow[];
  /** Mark the first row against the best published error per class (default true). */
  verdict?: boolean;
}

const CLASSES = ['N', 'EI', 'IE'] as const;
const HEAD = { N: 'Neither', EI: 'EI', IE: 'IE' };

function fmt(v: number): string {
  return Number.isNaN(v) ? '—' : v.toFixed(2);
}

/**
 * The table as monospaced text.
 * @example console.log(formatSpliceTable({ title: '10-fold CV', rows: [{ system: 'BiGRU', N: 2.1, EI: 3.0, IE: 4.2 }] }));
 */
export function formatSpliceTable(o: TableOptions): string {
  const all: ErrorRow[] = [...o.rows, ...PUBLISHED_SPLICE.map((r) => ({ ...r, system: `${r.system} (published)` }))];
  const w0 = Math.max(6, ...all.map((r) => r.system.length));
  const line = (cells: string[], note = ''): string => `${cells[0]!.padEnd(w0)}  ${cells.slice(1).map((c) => c.padStart(8)).join('')}${note ? `  ${note}` : ''}`;
  const out = [o.title, line(['system', ...CLASSES.map((c) => HEAD[c])]), '-'.repeat(w0 + 2 + 8 * 3)];
  o.rows.forEach((r) => out.push(line([r.system, ...CLASSES.map((c) => fmt(r[c]))], r.note)));
  out.push('-'.repeat(w0 + 2 + 8 * 3));
  PUBLISHED_SPLICE.forEach((r) => out.push(line([`${r.system} (published)`, ...CLASSES.map((c) => fmt(r[c]))])));
  const first = o.rows[0];
  if (first && (o.verdict ?? true)) {
    out.push('');
    const parts = CLASSES.map((c) => {
      const b = bestPublished(c);
      const ok = first[c] < b.error;
      return `${HEAD[c]} ${fmt(first[c])} vs ${fmt(b.error)} (${b.system}) ${ok ? 'better' : 'NOT better'}`;
    });
    const all3 = CLASSES.every((c) => first[c] < bestPublished(c).error);
    out.push(`${first.system} against the best published row per class: ${parts.join('; ')}.`);
    out.push(all3 ? 'It beats every published row on every class.' : 'It does not beat every published row on every class.');
  }
  return out.join('\n');
}
