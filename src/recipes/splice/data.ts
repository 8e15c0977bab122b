/**
 * The UCI splice-junction data (data/uci-splice/splice.data, CC BY 4.0; see SOURCE.md there):
 * lines `CLASS, INSTANCE_NAME, SEQUENCE` with CLASS ∈ {EI, IE, N} and 60-nt DNA sequences
 * (positions −30…+30 around the candidate junction; 15 hold IUPAC ambiguity codes).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DNA, FormatError, fileError, isSymbol } from '../../index.js';

/** Class names in id order: exon→intron (donor), intron→exon (acceptor), neither. */
export const SPLICE_CLASSES = ['EI', 'IE', 'N'] as const;
export type SpliceClass = (typeof SPLICE_CLASSES)[number];

/** The copy shipped in the repository (resolved from this file, in src/ and in dist/ alike). */
export const SPLICE_DATA_PATH = fileURLToPath(new URL('../../../data/uci-splice/splice.data', import.meta.url));

/** The loaded data set. */
export interface SpliceData {
  /** Upper-case DNA, 60 symbols each. */
  sequences: string[];
  /** Class ids into {@link SPLICE_CLASSES}. */
  labels: number[];
  /** Instance names (not all unique: the data has duplicates). */
  names: string[];
  classes: readonly string[];
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

/** Load splice.data (default: the copy in data/uci-splice/). */
export function loadSplice(path: string = SPLICE_DATA_PATH): SpliceData {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    throw fileError(e, path, 'a readable splice.data file (--data-path)');
  }
  return parseSplice(text, path);
}
