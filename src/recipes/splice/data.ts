/**
 * The UCI splice-junction data (data/uci-splice/splice.data, CC BY 4.0; see SOURCE.md there):
 * lines `CLASS, INSTANCE_NAME, SEQUENCE` with CLASS ∈ {EI, IE, N} and 60-nt DNA sequences
 * (positions −30…+30 around the candidate junction; 15 hold IUPAC ambiguity codes).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DNA, FormatError, fileError, isSymbol, type AlphabetName } from '../../index.js';

/** Class names in id order: exon→intron (donor), intron→exon (acceptor), neither. */
export const SPLICE_CLASSES = ['EI', 'IE', 'N'] as const;
export type SpliceClass = (typeof SPLICE_CLASSES)[number];

/** The copy shipped in the repository (resolved from this file, in src/ and in dist/ alike). */
export const SPLICE_DATA_PATH = fileURLToPath(new URL('../../../data/uci-splice/splice.data', import.meta.url));

/** A labelled sequence set: the splice data, or the user's own (see sequences.ts). */
export interface SpliceData {
  /** Upper-case sequences (splice: DNA, 60 symbols each; the user's own: any length >= 1). */
  sequences: string[];
  /** Class ids into `classes`. */
  labels: number[];
  /** Instance names (not all unique: the splice data has duplicates). */
  names: string[];
  classes: readonly string[];
  /** The alphabet of the sequences (absent: DNA). */
  alphabet?: AlphabetName;
  /** Group of every sequence: folds keep a group whole (absent: stratified folds). */
  groups?: string[];
  /** What deduplication did (present on data from {@link loadSplice}). */
  dedup?: DedupCounts;
}

/** Counts of {@link dedupSplice}: rows read = kept + duplicates removed + conflicting dropped. */
export interface DedupCounts {
  /** False: the rows were kept as read (`keepDuplicates`, the pre-dedup protocol). */
  applied: boolean;
  rowsRead: number;
  /** Later copies of a sequence already seen with the same label (removed; the first copy is kept). */
  duplicatesRemoved: number;
  /** Rows whose sequence occurs with more than one label (all of them dropped). */
  conflictingDropped: number;
  /** Distinct sequences with conflicting labels. */
  conflictingSequences: number;
  kept: number;
}

/**
 * Parse splice.data text.
 * @throws FormatError `file:line:col: expected …, got …` for a wrong field count, an unknown
 *   class, a character outside the DNA alphabet or a sequence of another length.
 */
export function parseSplice(text: string, file = '<input>', opts: { length?: number } = {}): SpliceData {
  const want = opts.length ?? 60;
  const out: SpliceData = { sequences: [], labels: [], names: [], classes: SPLICE_CLASSES };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const fields = raw.split(',');
    if (fields.length !== 3) throw new FormatError(`${file}:${line}:1`, '3 comma-separated fields (CLASS, NAME, SEQUENCE)', `${fields.length}`);
    const cls = fields[0]!.trim();
    const label = (SPLICE_CLASSES as readonly string[]).indexOf(cls);
    if (label < 0) throw new FormatError(`${file}:${line}:1`, `a class among ${SPLICE_CLASSES.join(', ')}`, JSON.stringify(cls));
    const seqField = fields[2]!;
    const seqCol = fields[0]!.length + fields[1]!.length + 3 + (seqField.length - seqField.trimStart().length);
    const seq = seqField.trim().toUpperCase();
    for (let j = 0; j < seq.length; j++) {
      if (!isSymbol(DNA, seq[j]!)) throw new FormatError(`${file}:${line}:${seqCol + j}`, DNA.describe, `'${seq[j]}'`);
    }
    if (seq.length !== want) throw new FormatError(`${file}:${line}:${seqCol}`, `a sequence of ${want} nucleotides`, `${seq.length}`);
    out.sequences.push(seq);
    out.labels.push(label);
    out.names.push(fields[1]!.trim());
  });
  if (out.sequences.length === 0) throw new FormatError(`${file}:1:1`, 'at least one example', 'an empty file');
  return out;
}

/**
 * Collapse exact duplicate sequences to one row (the first, in file order) and drop every row of
 * a sequence that occurs with more than one label. Without this an example's copy can sit in the
 * training fold while it is tested (about 18 % of EI and 19 % of IE test items under 10-fold CV
 * of splice.data).
 * @example const { data, counts } = dedupSplice(parseSplice(text));
 */
export function dedupSplice(d: SpliceData): { data: SpliceData; counts: DedupCounts } {
  const labelsOf = new Map<string, Set<number>>();
  d.sequences.forEach((s, i) => {
    if (!labelsOf.has(s)) labelsOf.set(s, new Set());
    labelsOf.get(s)!.add(d.labels[i]!);
  });
  const { dedup: _old, ...rest } = d;
  const out: SpliceData = { ...rest, sequences: [], labels: [], names: [], ...(d.groups ? { groups: [] } : {}) };
  const seen = new Set<string>();
  let duplicatesRemoved = 0;
  let conflictingDropped = 0;
  d.sequences.forEach((s, i) => {
    if (labelsOf.get(s)!.size > 1) conflictingDropped += 1;
    else if (seen.has(s)) duplicatesRemoved += 1;
    else {
      seen.add(s);
      out.sequences.push(s);
      out.labels.push(d.labels[i]!);
      out.names.push(d.names[i]!);
      out.groups?.push(d.groups![i]!);
    }
  });
  const conflictingSequences = [...labelsOf.values()].filter((l) => l.size > 1).length;
  const counts: DedupCounts = { applied: true, rowsRead: d.sequences.length, duplicatesRemoved, conflictingDropped, conflictingSequences, kept: out.sequences.length };
  out.dedup = counts;
  return { data: out, counts };
}

/** One line for the terminal and the report, e.g. "3,190 rows read; 184 duplicates removed; …". */
export function describeDedup(c: DedupCounts): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  if (!c.applied) return `${n(c.rowsRead)} rows read, duplicates kept (--keep-duplicates: the old protocol, where a test sequence can have an exact copy in its training fold)`;
  return `${n(c.rowsRead)} rows read; ${n(c.duplicatesRemoved)} exact duplicates removed; ${n(c.conflictingDropped)} rows of ${n(c.conflictingSequences)} sequence${c.conflictingSequences === 1 ? '' : 's'} with conflicting labels dropped; ${n(c.kept)} kept`;
}

/**
 * Load splice.data (default: the copy in data/uci-splice/), deduplicated by {@link dedupSplice}
 * unless `keepDuplicates`. The counts are in `dedup`.
 */
export function loadSplice(path: string = SPLICE_DATA_PATH, opts: { keepDuplicates?: boolean } = {}): SpliceData {
  return dedupOrKeep(readSplice(path), opts.keepDuplicates);
}

/** `raw` deduplicated by {@link dedupSplice}, or kept as read (`keepDuplicates`); the counts in `dedup`. */
export function dedupOrKeep(raw: SpliceData, keepDuplicates = false): SpliceData {
  if (!keepDuplicates) return dedupSplice(raw).data;
  const n = raw.sequences.length;
  return { ...raw, dedup: { applied: false, rowsRead: n, duplicatesRemoved: 0, conflictingDropped: 0, conflictingSequences: 0, kept: n } };
}

function readSplice(path: string): SpliceData {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    throw fileError(e, path, 'a readable splice.data file (--data-path)');
  }
  return parseSplice(text, path);
}
