/**
 * Text files from bytes: UTF-8 checked, so that a binary file (an image, a gzip, a safetensors
 * file given as --csv) is reported as not text, at its first bad byte, rather than as whatever
 * syntax error its replacement characters happen to make.
 */
import { FormatError } from './errors.js';

/** Index of the first NUL byte (unless allowed) or invalid UTF-8 sequence, or -1 when the bytes are clean text. */
export function firstNonTextByte(b: Uint8Array, opts: { allowNul?: boolean } = {}): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c === 0 && !opts.allowNul) return i;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte: length of the sequence and the allowed range of its first continuation byte
    // (excludes overlong forms, surrogates and code points above U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) [n, lo, hi] = [2, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf];
    else if (c >= 0xf0 && c <= 0xf4) [n, lo, hi] = [3, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf];
    else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Where the bytes stop being text (1-based line, column in characters) and what is there, or null. */
export function nonTextAt(bytes: Uint8Array): { line: number; col: number; got: string } | null {
  const bad = firstNonTextByte(bytes);
  if (bad < 0) return null;
  const before = utf8.decode(bytes.subarray(0, bad));
  const nl = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
  let line = 1;
  for (let i = 0; i < before.length; i++) {
    const ch = before.charCodeAt(i);
    if (ch === 10 || (ch === 13 && before.charCodeAt(i + 1) !== 10)) line++;
  }
  const what = bytes[bad] === 0 ? 'a NUL byte' : `byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} (not UTF-8)`;
  return { line, col: [...before.slice(nl + 1)].length + 1, got: `${what} at byte ${bad}: binary data?` };
}

/**
 * Decode a text file's bytes (UTF-8; a BOM is kept for the parser to skip).
 * @param kind what the file should be, for the message (`CSV`, `FASTA`)
 * @throws FormatError `file:line:col: expected a text <kind> file (UTF-8), got …` at the first
 *   NUL byte or invalid UTF-8 sequence (col counts characters).
 */
export function decodeText(bytes: Uint8Array, file: string, kind: string): string {
  const bad = nonTextAt(bytes);
  if (bad) throw new FormatError(`${file}:${bad.line}:${bad.col}`, `a text ${kind} file (UTF-8)`, `${bad.got} not a text ${kind} file`);
  return utf8.decode(bytes);
}
