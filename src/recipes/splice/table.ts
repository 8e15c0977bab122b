/** Printable comparison of per-class errors: this run's model and baselines beside the published rows, and a verdict. */
import { textTable, wrapText } from '../common/table.js';
import { PUBLISHED_SPLICE, bestPublished } from './published.js';

/** A row of the table: a system and its per-class errors in percent. */
export interface ErrorRow {
  system: string;
  N: number;
  EI: number;
  IE: number;
  /** Share of all test examples classified correctly (0–1); picks the strongest baseline. */
  accuracy?: number;
  /** Printed after the numbers, e.g. '±0.8' spreads or a note. */
  note?: string | undefined;
  /** Per-fold errors per class (same fold order in every row): the margins' spreads come from these. */
  folds?: { N: number[]; EI: number[]; IE: number[] } | undefined;
}

/** The protocol of the run, to say whether the published rows are a like-for-like comparison. */
export interface RunProtocol {
  examples: number;
  /** Folds of CV, null for one split. */
  cv: number | null;
}

/** The published rows' protocol (UCI splice.names). */
export const PUBLISHED_PROTOCOL = '10-fold CV on 1,000 examples';

/** Whether a run used the published protocol (10 folds, 1,000 examples). */
export function matchesPublished(p: RunProtocol): boolean {
  return p.cv === 10 && p.examples === 1000;
}

/** "published rows: 10-fold CV on 1,000 examples; this run matches it" or "…; not the published protocol: N examples, …". */
export function publishedProtocolNote(p: RunProtocol | undefined): string {
  const head = `published rows: ${PUBLISHED_PROTOCOL}`;
  if (!p) return head;
  if (matchesPublished(p)) return `${head}; this run matches it (10 folds, 1,000 examples)`;
  const how = p.cv ? `${p.cv}-fold CV` : 'one 90/10 split';
  return `${head}; not the published protocol: ${p.examples.toLocaleString('en-US')} examples, ${how}`;
}

export interface TableOptions {
  /** Heading (the protocol); wrapped to the table's width. */
  title: string;
  /** Rows from this run (model first, then baselines). */
  rows: readonly ErrorRow[];
  /** Add the verdict: the first row against the strongest baseline and the best published row per class (default true). */
  verdict?: boolean;
  /** This run's protocol: the published block says whether it matches theirs. */
  protocol?: RunProtocol;
}

const CLASSES = ['N', 'EI', 'IE'] as const;
const HEAD = { N: 'Neither', EI: 'EI', IE: 'IE' };
/** Widest line the text aims for (fits a 120-column terminal with room to spare). */
const WIDTH = 100;

function fmt(v: number): string {
  return Number.isNaN(v) ? '—' : v.toFixed(2);
}

/** "better by 3.99 points" / "worse by 50.00 points" / "equal" for errors a (the model) and b. */
function compare(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return 'not comparable';
  const d = Math.abs(a - b).toFixed(2);
  return Number(d) === 0 ? 'equal' : a < b ? `better by ${d} points` : `worse by ${d} points`;
}

/** Model − baseline per fold: [mean, sd] of the paired differences, or null without per-fold errors. */
function pairedMargin(a: ErrorRow, b: ErrorRow, cls: 'N' | 'EI' | 'IE'): [number, number] | null {
  const x = a.folds?.[cls];
  const y = b.folds?.[cls];
  if (!x || !y || x.length !== y.length || x.length < 2) return null;
  const d = x.map((v, i) => v - y[i]!).filter((v) => !Number.isNaN(v));
  if (d.length < 2) return null;
  const m = d.reduce((p, q) => p + q, 0) / d.length;
  return [m, Math.sqrt(d.reduce((p, q) => p + (q - m) ** 2, 0) / (d.length - 1))];
}

/**
 * "better by 0.62 ± 1.10, within 1 sd" etc. (points of error): the paired per-fold difference,
 * mean ± sd over folds. A difference no larger than its sd is called "within 1 sd".
 */
function compareFolds(m: [number, number]): string {
  const [d, sd] = m;
  const size = `${Math.abs(d).toFixed(2)} ± ${sd.toFixed(2)}`;
  const word = Number(Math.abs(d).toFixed(2)) === 0 ? `equal (${size})` : d < 0 ? `better by ${size}` : `worse by ${size}`;
  return Math.abs(d) <= sd ? `${word}, within 1 sd` : word;
}

/** The per-class verdict of the model (row 0) against the strongest baseline and the best published row. */
export interface SpliceVerdict {
  /** Index into the rows of the strongest baseline (highest accuracy, else lowest mean error), or null when there is none. */
  baseline: number | null;
  perClass: {
    cls: 'N' | 'EI' | 'IE'; label: string; model: number; baseline: number | null; vsBaseline: string;
    /** Model − baseline error per fold, mean and sd (null without per-fold errors). */
    margin: [number, number] | null;
    published: number; publishedSystem: string; vsPublished: string;
  }[];
  /** One or two sentences with the counts. */
  summary: string;
}

function strongestBaseline(rows: readonly ErrorRow[]): number | null {
  if (rows.length < 2) return null;
  const score = (r: ErrorRow): number => r.accuracy ?? -(r.N + r.EI + r.IE) / 3;
  let best = 1;
  for (let i = 2; i < rows.length; i++) if (score(rows[i]!) > score(rows[best]!)) best = i;
  return best;
}

/** Compare the model (row 0) with the strongest baseline and the best published error, per class. */
export function spliceVerdict(rows: readonly ErrorRow[], protocol?: RunProtocol): SpliceVerdict {
  const model = rows[0]!;
  const b = strongestBaseline(rows);
  const base = b === null ? null : rows[b]!;
  const perClass = CLASSES.map((cls) => {
    const p = bestPublished(cls);
    const margin = base ? pairedMargin(model, base, cls) : null;
    return {
      cls, label: HEAD[cls], model: model[cls], baseline: base ? base[cls] : null,
      vsBaseline: base ? (margin ? compareFolds(margin) : compare(model[cls], base[cls])) : '–', margin,
      published: p.error, publishedSystem: p.system, vsPublished: compare(model[cls], p.error),
    };
  });
  const count = (k: 'vsBaseline' | 'vsPublished'): number => perClass.filter((c) => c[k].startsWith('better')).length;
  const like = protocol && !matchesPublished(protocol) ? ` (not like for like: ${publishedProtocolNote(protocol).replace(/^.*not the published protocol: /, '')})` : '';
  const parts = [`The model has a lower error than the best published row on ${count('vsPublished')} of 3 classes${like}`];
  if (base) {
    const beyond = perClass.filter((c) => c.margin && c.vsBaseline.startsWith('better') && !c.vsBaseline.endsWith('within 1 sd')).length;
    const sd = perClass.some((c) => c.margin) ? ` (by more than one fold sd on ${beyond})` : '';
    parts.push(`than the strongest baseline of this run (${base.system.replace(/^baseline: /, '')}) on ${count('vsBaseline')} of 3${sd}`);
  }
  let summary = `${parts.join(', and ')}.`;
  if (base && model.accuracy !== undefined && base.accuracy !== undefined) {
    const [m, a] = [100 * model.accuracy, 100 * base.accuracy];
    const word = m.toFixed(2) === a.toFixed(2) ? 'the same as' : m > a ? 'better than' : 'worse than';
    summary += ` Accuracy ${m.toFixed(2)} % against the baseline's ${a.toFixed(2)} %: ${word} the baseline.`;
  }
  return { baseline: b, perClass, summary };
}

/**
 * The table as monospaced text, lines at most ~100 characters.
 * @example console.log(formatSpliceTable({ title: '10-fold CV', rows: [{ system: 'BiGRU', N: 2.1, EI: 3.0, IE: 4.2 }] }));
 */
export function formatSpliceTable(o: TableOptions): string {
  const all: ErrorRow[] = [...o.rows, ...PUBLISHED_SPLICE.map((r) => ({ ...r, system: `${r.system} (published)` }))];
  const w0 = Math.max(6, ...all.map((r) => r.system.length));
  const line = (cells: string[], note = ''): string => `${cells[0]!.padEnd(w0)}  ${cells.slice(1).map((c) => c.padStart(8)).join('')}${note ? `  ${note}` : ''}`;
  const out = [wrapText(o.title, WIDTH), line(['system', ...CLASSES.map((c) => HEAD[c])]), '-'.repeat(w0 + 2 + 8 * 3)];
  o.rows.forEach((r) => out.push(line([r.system, ...CLASSES.map((c) => fmt(r[c]))], r.note)));
  const withFolds = o.rows.filter((r) => r.folds);
  if (withFolds.length) {
    const k = withFolds[0]!.folds!.N.length;
    out.push(`per-fold error, mean ± sd over the ${k} folds:`);
    const cell = (v: number[]): string => {
      const x = v.filter((a) => !Number.isNaN(a));
      if (!x.length) return '—';
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      const sd = x.length < 2 ? 0 : Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
      return `${m.toFixed(2)}±${sd.toFixed(2)}`;
    };
    withFolds.forEach((r) => out.push(`${r.system.padEnd(w0)}  ${CLASSES.map((c) => cell(r.folds![c]).padStart(14)).join('')}`));
  }
  out.push('-'.repeat(w0 + 2 + 8 * 3), wrapText(publishedProtocolNote(o.protocol), WIDTH));
  PUBLISHED_SPLICE.forEach((r) => out.push(line([`${r.system} (published)`, ...CLASSES.map((c) => fmt(r[c]))])));
  if (o.rows[0] && (o.verdict ?? true)) out.push('', formatVerdict(o.rows, o.protocol));
  return out.join('\n');
}

function formatVerdict(rows: readonly ErrorRow[], protocol?: RunProtocol): string {
  const v = spliceVerdict(rows, protocol);
  const base = v.baseline === null ? null : rows[v.baseline]!;
  const paired = v.perClass.some((c) => c.margin) ? '; "by X ± Y": points, mean ± sd over folds of the paired per-fold difference' : '';
  const head = `Verdict for ${rows[0]!.system} (error %, lower is better${paired})${base ? `; strongest baseline: ${base.system.replace(/^baseline: /, '')}` : ''}:`;
  const cols = ['class', 'model', ...(base ? ['baseline', 'vs baseline'] : []), 'best published', 'vs published'];
  const table = textTable(cols, v.perClass.map((c) => [
    c.label, fmt(c.model).padStart(6), ...(base ? [fmt(c.baseline!).padStart(8), c.vsBaseline] : []), `${fmt(c.published).padStart(5)} (${c.publishedSystem})`, c.vsPublished,
  ]));
  return [wrapText(head, WIDTH, '  '), table, wrapText(v.summary, WIDTH)].join('\n');
}
