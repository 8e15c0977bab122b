/**
 * Labelled sequences from the user's own files for the sequence-classification recipe:
 * a FASTA file (labels from a header field or from a CSV of id,label) or a CSV with a sequence
 * and a label column, in the DNA, RNA or protein alphabet (IUPAC ambiguity codes accepted, read
 * as the mixture of what they stand for; any other character is refused at file:line:col).
 * Optional groups (`groupCol`) keep related sequences in one fold.
 */
import {
  FormatError, OptionError, ValueError, cellWhere, columnIndex, csvWhere, isSymbol, readCsvFile, readFastaSync, resolveAlphabet,
  type AlphabetName, type CsvTable, type FastaRecord,
} from '../../index.js';
import type { SpliceData } from './data.js';
import type { Resolved } from './run.js';

/** A value quoted for a message, long ones cut. */
const showValue = (v: unknown): string => {
  const s = JSON.stringify(String(v));
  return s.length > 62 ? `${s.slice(0, 60)}…"` : s;
};

/** Where the labelled sequences come from (the CLI flags of `recur train --task classify`). */
export interface SequenceSource {
  /** FASTA file of the sequences. */
  fasta?: string;
  /** With `fasta`: a CSV with the label of every FASTA id (columns `idCol`, `labelCol`; default the first two). */
  labels?: string;
  /** With `fasta` and no `labels`: the header word `KEY=value` holding the label (default `label`; else `>id|label`). */
  labelFrom?: string;
  /** CSV file with a sequence and a label column (instead of `fasta`). */
  csv?: string;
  seqCol?: string;
  labelCol?: string;
  /** Group of each sequence: a column of the CSV (or of `labels`), or a header word `KEY=value` of the FASTA. */
  groupCol?: string;
  /** Id column of the CSV or of `labels` (default: the row number, or the first column of `labels`). */
  idCol?: string;
  alphabet?: AlphabetName;
}

/** Whether the options name the user's own data (else: the splice preset). */
export const ownData = (s: SequenceSource): boolean => s.fasta !== undefined || s.csv !== undefined;

const ALPHABETS: readonly AlphabetName[] = ['dna', 'rna', 'protein'];

/** Check the combination of source options; the alphabet resolved. */
export function checkSource(s: SequenceSource, where: string): AlphabetName {
  const alphabet = s.alphabet ?? 'dna';
  if (!ALPHABETS.includes(alphabet)) throw new OptionError(`${where}: alphabet`, 'dna, rna or protein', JSON.stringify(alphabet));
  if (!s.fasta === !s.csv) throw new OptionError(where, 'one input: --fasta FILE, or --csv FILE --seq-col S --label-col L', s.fasta ? 'both' : 'neither');
  if (s.csv) {
    if (!s.seqCol || !s.labelCol) throw new OptionError(s.seqCol ? '--label-col' : '--seq-col', `the column of --csv holding the ${s.seqCol ? 'labels' : 'sequences'}`, 'none');
    const k = (['labels', 'labelFrom'] as const).find((x) => s[x] !== undefined);
    if (k) throw new OptionError(k === 'labels' ? '--labels' : '--label-from', 'an option for --fasta input', 'it with --csv');
  } else {
    if (s.seqCol) throw new OptionError('--seq-col', 'an option for --csv input', 'it with --fasta');
    if (s.labels && s.labelFrom) throw new OptionError('--label-from', 'labels from the FASTA headers or from --labels, not both', 'both');
    if (!s.labels && (s.labelCol || s.idCol)) throw new OptionError(s.labelCol ? '--label-col' : '--id-col', 'a column of --labels (or of --csv)', 'it with --fasta and no --labels');
  }
  return alphabet;
}

/** Upper-cased, trimmed sequence of a CSV cell, every character checked at its file:line:col. */
function csvSequence(t: CsvTable, r: number, c: number, alphabet: AlphabetName, name: string): string {
  const raw = t.rows[r]![c]!;
  const seq = raw.trim().toUpperCase();
  if (!seq) throw new FormatError(cellWhere(t, r, c), `a sequence in column "${name}"`, 'an empty cell');
  const a = resolveAlphabet(alphabet);
  const col = t.cols[r * t.header.length + c]! + (raw.length - raw.trimStart().length);
  for (let j = 0; j < seq.length; j++) if (!isSymbol(a, seq[j]!)) throw new FormatError(csvWhere(t.file, t.lines[r]!, col + j), a.describe, `'${seq[j]}'`);
  return seq;
}

function csvField(t: CsvTable, r: number, c: number, name: string): string {
  const v = t.rows[r]![c]!.trim();
  if (!v) throw new FormatError(cellWhere(t, r, c), `a value in column "${name}"`, 'an empty cell');
  return v;
}

/** The value of header word `KEY=value` of a FASTA record. */
function headerField(rec: FastaRecord, key: string): string {
  for (const w of rec.description.split(/\s+/)) if (w.startsWith(`${key}=`) && w.length > key.length + 1) return w.slice(key.length + 1);
  throw new FormatError(`${rec.file}:${rec.line}:2`, `a header word '${key}=…' (--group-col)`, showValue(`>${rec.id} ${rec.description}`.trim()));
}

interface Rows { sequences: string[]; labels: string[]; names: string[]; groups?: string[]; file: string }

function fromCsv(s: SequenceSource, alphabet: AlphabetName): Rows {
  const t = readCsvFile(s.csv!);
  const sc = columnIndex(t, s.seqCol!, 'sequence column (--seq-col)');
  const lc = columnIndex(t, s.labelCol!, 'label column (--label-col)');
  const gc = s.groupCol === undefined ? -1 : columnIndex(t, s.groupCol, 'group column (--group-col)');
  const ic = s.idCol === undefined ? -1 : columnIndex(t, s.idCol, 'id column (--id-col)');
  const out: Rows = { sequences: [], labels: [], names: [], file: t.file, ...(gc >= 0 ? { groups: [] } : {}) };
  t.rows.forEach((row, r) => {
    out.sequences.push(csvSequence(t, r, sc, alphabet, s.seqCol!));
    out.labels.push(csvField(t, r, lc, s.labelCol!));
    out.names.push(ic < 0 ? String(r + 1) : row[ic]!.trim());
    if (gc >= 0) out.groups!.push(csvField(t, r, gc, s.groupCol!));
  });
  return out;
}

/** Labels (and groups) of FASTA ids from a CSV; every id must be on both sides, once. */
function labelTable(s: SequenceSource, recs: FastaRecord[]): { labels: string[]; groups?: string[] } {
  const t = readCsvFile(s.labels!);
  if (t.header.length < 2 && (s.idCol === undefined || s.labelCol === undefined)) throw new FormatError(csvWhere(t.file, 1, 1), 'at least two columns (id, label)', `${t.header.length}`);
  const ic = s.idCol === undefined ? 0 : columnIndex(t, s.idCol, 'id column (--id-col)');
  const lc = s.labelCol === undefined ? 1 : columnIndex(t, s.labelCol, 'label column (--label-col)');
  const gc = s.groupCol === undefined ? -1 : columnIndex(t, s.groupCol, 'group column (--group-col)');
  const row = new Map<string, number>();
  t.rows.forEach((r, i) => {
    const id = csvField(t, i, ic, t.header[ic]!);
    if (row.has(id)) throw new FormatError(cellWhere(t, i, ic), 'each id once', `${showValue(id)} again (first on line ${t.lines[row.get(id)!]})`);
    row.set(id, i);
  });
  const fastaIds = new Set(recs.map((r) => r.id));
  const missing = recs.filter((r) => !row.has(r.id));
  if (missing.length) throw new FormatError(`${missing[0]!.file}:${missing[0]!.line}:2`, `a row for every FASTA id in ${t.file}`, `none for ${showValue(missing[0]!.id)}${missing.length > 1 ? ` and ${missing.length - 1} more id(s)` : ''}`);
  const extra = [...row.keys()].filter((id) => !fastaIds.has(id));
  if (extra.length) throw new FormatError(cellWhere(t, row.get(extra[0]!)!, ic), `ids of ${recs[0]!.file}`, `${showValue(extra[0])}, which is not in the FASTA file${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`);
  const labels = recs.map((r) => csvField(t, row.get(r.id)!, lc, t.header[lc]!));
  return gc < 0 ? { labels } : { labels, groups: recs.map((r) => csvField(t, row.get(r.id)!, gc, s.groupCol!)) };
}

function fromFasta(s: SequenceSource, alphabet: AlphabetName): Rows {
  const recs = readFastaSync(s.fasta!, { alphabet, uniqueIds: true });
  const names = recs.map((r) => r.id);
  const sequences = recs.map((r) => r.sequence);
  if (s.labels) return { sequences, names, file: recs[0]!.file, ...labelTable(s, recs) };
  const key = s.labelFrom ?? 'label';
  const labels = recs.map((r) => {
    for (const w of r.description.split(/\s+/)) if (w.startsWith(`${key}=`) && w.length > key.length + 1) return w.slice(key.length + 1);
    const bar = r.id.lastIndexOf('|');
    if (bar >= 0 && bar < r.id.length - 1) return r.id.slice(bar + 1);
    throw new FormatError(`${r.file}:${r.line}:2`, `a label in the header ('${key}=…' in the description, or '>id|label'; or give --labels FILE)`, showValue(`>${r.id} ${r.description}`.trim()));
  });
  return { sequences, labels, names, file: recs[0]!.file, ...(s.groupCol ? { groups: recs.map((r) => headerField(r, s.groupCol!)) } : {}) };
}

/**
 * Read labelled sequences. Classes are the distinct labels in sorted order (numbers by value).
 * @throws FormatError at file:line:col for a missing column, an empty sequence or label, a
 *   character outside the alphabet, FASTA ids without a label row (or label rows without a
 *   sequence); ValueError for fewer than two classes or a class with fewer than 2 examples.
 */
export function loadSequences(s: SequenceSource): SpliceData {
  const alphabet = checkSource(s, 'recur train --task classify');
  const rows = s.csv ? fromCsv(s, alphabet) : fromFasta(s, alphabet);
  const classes = [...new Set(rows.labels)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (classes.length < 2) throw new ValueError(rows.file, 'at least two classes to tell apart', `only ${showValue(classes[0])} (${rows.labels.length} sequences)`);
  const index = new Map(classes.map((c, i) => [c, i]));
  return {
    sequences: rows.sequences, labels: rows.labels.map((l) => index.get(l)!), names: rows.names, classes, alphabet,
    ...(rows.groups ? { groups: rows.groups } : {}),
  };
}

/** Refuse a class too small to be both trained on and tested (after deduplication and --limit). */
export function checkClassSizes(d: SpliceData, where: string): void {
  const n = d.classes.map(() => 0);
  for (const y of d.labels) n[y]! += 1;
  const c = n.findIndex((v) => v < 2);
  if (c >= 0) throw new ValueError(where, `at least 2 sequences of every class (to train on one and test another)`, `${n[c]} of class ${showValue(d.classes[c])}`);
}

/** Most one-hot values held for a data set (400 MB of float32). */
const MAX_CELLS = 100_000_000;

/** What the user's data must satisfy for this run's settings. */
export function checkData(d: SpliceData, h: Pick<Resolved, 'pooling' | 'cv' | 'select'>): void {
  const where = 'recur train --task classify';
  checkClassSizes(d, where);
  const lengths = new Set(d.sequences.map((q) => q.length));
  const longest = d.sequences.reduce((j, q, i) => (q.length > d.sequences[j]!.length ? i : j), 0);
  const cells = d.sequences.length * d.sequences[longest]!.length * resolveAlphabet(d.alphabet ?? 'dna').symbols.length;
  // Every sequence is padded to the longest: one very long outlier would make the set huge.
  if (cells > MAX_CELLS) {
    throw new ValueError(where, `at most ${MAX_CELLS.toLocaleString('en-US')} one-hot cells (sequences × longest length × alphabet size; shorten or drop the longest sequences)`, `${d.sequences.length} × ${d.sequences[longest]!.length} (${JSON.stringify(d.names[longest])}) × ${cells / d.sequences.length / d.sequences[longest]!.length}`);
  }
  if (lengths.size > 1 && (h.pooling === 'center' || h.pooling === 'flatten')) {
    throw new OptionError('--pooling', `max, mean, last or max+last for sequences of different lengths (${Math.min(...lengths)} to ${Math.max(...lengths)})`, h.pooling);
  }
  const groups = new Set(d.groups ?? []).size;
  if (d.groups && groups < Math.max(2, h.cv ?? 2)) throw new ValueError(where, `at least ${Math.max(2, h.cv ?? 2)} groups (--group-col) for ${h.cv ? `${h.cv} folds` : 'a test split'}`, `${groups}`);
  if (h.select && lengths.size > 1) throw new OptionError('--select', 'sequences of one length (its candidates include center pooling)', `lengths ${Math.min(...lengths)} to ${Math.max(...lengths)}`);
  if (d.groups && h.select) throw new OptionError('--select', 'stratified folds (nested selection is not implemented with --group-col)', 'it with --group-col');
}
