/**
 * FASTA reading with precise errors. Every problem is a {@link FastaError} (a FormatError)
 * whose message starts `file:line:col:` (1-based, columns in characters) and quotes the
 * offending character with its code point, e.g.
 * `reads.fa:3:7: expected a DNA symbol (A, C, G, T or an IUPAC code …), got 'J' (U+004A)`.
 *
 * Accepted layout: optional blank lines and `;` comment lines, then records of one `>id
 * description` header and one or more sequence lines. Sequences may wrap; spaces and tabs
 * inside sequence lines are ignored; CRLF and a leading byte-order mark are accepted; lower
 * case is upper-cased for the case-insensitive alphabets (dna, rna, protein).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { FormatError, OptionError, fileError } from '../util/errors.js';
import { decodeText, nonTextAt } from '../util/text.js';
import { asciiSymbols, isSymbol, resolveAlphabet, type Alphabet, type AlphabetName } from './encode.js';

/** One FASTA record. */
export interface FastaRecord {
  /** The first word of the header (after `>`). */
  id: string;
  /** The rest of the header, trimmed ('' when none). */
  description: string;
  /** The sequence, lines joined, whitespace removed (upper case for case-insensitive alphabets). */
  sequence: string;
  /** The file name used in messages. */
  file: string;
  /** 1-based line of the header. */
  line: number;
}

export interface FastaOptions {
  /** Check every sequence character against this alphabet (default: any printable character). */
  alphabet?: AlphabetName | Alphabet;
  /** The name used in error messages (default: the path for readFasta*, `<input>` for parseFasta). */
  file?: string;
  /** Accept a header with no sequence lines (default false: an error). */
  allowEmpty?: boolean;
  /** Reject a repeated id (default false). */
  uniqueIds?: boolean;
}

const KEYS = ['alphabet', 'file', 'allowEmpty', 'uniqueIds'];

/** A FASTA syntax or alphabet error at a position. */
export class FastaError extends FormatError {
  constructor(
    readonly file: string, readonly line: number, readonly column: number,
    expected: string, got: string,
  ) {
    super(`${file}:${line}:${column}`, expected, got);
  }
}

/** `'J' (U+004A)`; control characters are shown escaped. */
export function showChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const shown = cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? `\\u${hex}` : ch;
  return `'${shown}' (U+${hex})`;
}

const isPrintable = (ch: string): boolean => {
  const cp = ch.codePointAt(0)!;
  return cp > 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0);
};

/** ASCII printable flags (0x21–0x7E), for validation without an alphabet. */
const PRINTABLE = Uint8Array.from({ length: 128 }, (_, c) => (c > 0x20 && c < 0x7f ? 1 : 0));

interface Draft {
  id: string;
  description: string;
  parts: string[];
  line: number;
}

/** Parse a header line (`>` at column 1) into id and description. */
function parseHeader(text: string, file: string, line: number): { id: string; description: string } {
  const body = text.slice(1);
  const first = body[0];
  if (first === undefined || /\s/.test(first)) {
    throw new FastaError(file, line, 2, "a sequence id right after '>'", first === undefined ? 'the end of the line' : showChar(first));
  }
  let col = 2;
  for (const ch of body) {
    if (ch !== ' ' && ch !== '\t' && !isPrintable(ch)) throw new FastaError(file, line, col, 'printable characters in the header', showChar(ch));
    col += 1;
  }
  const m = /^(\S+)\s*(.*)$/s.exec(body)!;
  return { id: m[1]!, description: m[2]!.trim() };
}

/** Validate one sequence line and return its symbols (whitespace removed). */
function sequenceLine(text: string, file: string, line: number, a: Alphabet | null): string {
  const table = a ? asciiSymbols(a) : PRINTABLE;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && (table[c] === 1 || c === 0x20 || c === 0x09)) continue;
    // Slow path for non-ASCII characters and errors.
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (c >= 128 && (a ? isSymbol(a, ch) : isPrintable(ch))) {
      if (cp > 0xffff) i++; // skip the low surrogate
      continue;
    }
    const col = [...text.slice(0, i)].length + 1;
    throw new FastaError(file, line, col, a ? a.describe : 'a printable sequence character', showChar(ch));
  }
  const out = text.replace(/[ \t]+/g, '');
  return a?.caseInsensitive ? out.toUpperCase() : out;
}

function finish(d: Draft, file: string, opts: FastaOptions): FastaRecord {
  const sequence = d.parts.join('');
  if (sequence.length === 0 && !opts.allowEmpty) {
    throw new FastaError(file, d.line, 1, `sequence lines after the header of '${d.id}'`, 'none');
  }
  return { id: d.id, description: d.description, sequence, file, line: d.line };
}

/**
 * Parse FASTA text.
 * @throws FastaError (`file:line:col: expected …, got …`) for an empty input, data before the
 *   first header, a header without an id, a record without sequence, a repeated id (with
 *   `uniqueIds`) or a character outside the alphabet.
 * @example
 * const recs = parseFasta('>s1 exon\nACGT\nAC\n', { alphabet: 'dna', file: 'x.fa' });
 * // [{ id: 's1', description: 'exon', sequence: 'ACGTAC', file: 'x.fa', line: 1 }]
 */
export function parseFasta(text: string, opts: FastaOptions = {}): FastaRecord[] {
  for (const k of Object.keys(opts)) if (!KEYS.includes(k)) throw new OptionError('parseFasta', `options among {${KEYS.join(', ')}}`, `unknown option '${k}'`);
  const file = opts.file ?? '<input>';
  const a = opts.alphabet === undefined ? null : resolveAlphabet(opts.alphabet);
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  if (lines.every((l) => l.trim() === '')) throw new FastaError(file, 1, 1, 'at least one FASTA record', text.length === 0 ? 'an empty file' : 'only whitespace');
  const out: FastaRecord[] = [];
  const seen = new Map<string, number>();
  let cur: Draft | null = null;
  for (let i = 0; i < lines.length; i++) {
    const textLine = lines[i]!;
    const line = i + 1;
    if (textLine.startsWith('>')) {
      if (cur) out.push(finish(cur, file, opts));
      const h = parseHeader(textLine, file, line);
      if (opts.uniqueIds && seen.has(h.id)) throw new FastaError(file, line, 2, 'unique ids', `'${h.id}' again (first at line ${seen.get(h.id)})`);
      seen.set(h.id, line);
      cur = { ...h, parts: [], line };
    } else if (textLine.startsWith(';') || textLine.trim() === '') {
      // comment or blank line
    } else if (!cur) {
      const col = textLine.search(/\S/) + 1;
      throw new FastaError(file, line, col, "a '>' header line before sequence data", showChar([...textLine.slice(col - 1)][0]!));
    } else {
      cur.parts.push(sequenceLine(textLine, file, line, a));
    }
  }
  if (cur) out.push(finish(cur, file, opts));
  return out;
}

/** Parse the bytes of a FASTA file (UTF-8; a binary file is reported at its first non-text byte). */
export function parseFastaBytes(bytes: Uint8Array, opts: FastaOptions = {}): FastaRecord[] {
  const bad = nonTextAt(bytes);
  if (bad) throw new FastaError(opts.file ?? '<input>', bad.line, bad.col, 'a text FASTA file (UTF-8)', `${bad.got} not a text FASTA file`);
  return parseFasta(decodeText(bytes, opts.file ?? '<input>', 'FASTA'), opts);
}

/**
 * Read and parse a FASTA file (messages name `opts.file ?? path`).
 * @throws FileError for a missing or unreadable file; FastaError as {@link parseFasta}.
 */
export function readFastaSync(path: string, opts: FastaOptions = {}): FastaRecord[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(e, opts.file ?? path, 'a readable FASTA file');
  }
  return parseFastaBytes(bytes, { ...opts, file: opts.file ?? path });
}

/** Read and parse a FASTA file asynchronously. */
export async function readFasta(path: string, opts: FastaOptions = {}): Promise<FastaRecord[]> {
  const bytes = await readFile(path).catch((e: unknown) => {
    throw fileError(e, opts.file ?? path, 'a readable FASTA file');
  });
  return parseFastaBytes(bytes, { ...opts, file: opts.file ?? path });
}

/**
 * The class label of a record for sequence classification: the value of a `key=value` word
 * in the description (default key `label`), else the last `|`-separated field of the id
 * (`>seq42|EI`).
 * @throws FastaError at the header when neither is present.
 * @example fastaLabel({ id: 's1', description: 'label=EI gene=x', … }) // 'EI'
 */
export function fastaLabel(rec: FastaRecord, opts: { key?: string } = {}): string {
  const key = opts.key ?? 'label';
  for (const w of rec.description.split(/\s+/)) if (w.startsWith(`${key}=`) && w.length > key.length + 1) return w.slice(key.length + 1);
  const bar = rec.id.lastIndexOf('|');
  if (bar >= 0 && bar < rec.id.length - 1) return rec.id.slice(bar + 1);
  throw new FastaError(rec.file, rec.line, 2, `a label in the header ('${key}=…' in the description or 'id|label')`, `'>${rec.id}${rec.description ? ` ${rec.description}` : ''}'`);
}
