/**
 * CSV loading for tabular time series: an RFC 4180 reader (quoted fields, `""` escapes, CRLF,
 * a BOM, a delimiter sniffed from the header), numeric columns with an explicit missing-value
 * policy, and timestamp columns.
 *
 * Every problem is a FormatError whose message starts `file:line:col:` (1-based; `col` counts
 * characters on that line), names the column, and says what was expected — so a user can jump
 * to the cell from the terminal. A misspelled column name gets the nearest header name.
 */
import { readFileSync } from 'node:fs';
import { FormatError, OptionError, ValueError, fileError, showValue } from '../util/errors.js';
import { decodeText } from '../util/text.js';

/** A parsed CSV file: the header, the data rows as strings, and where each cell was. */
export interface CsvTable {
  /** Shown in errors (usually the path). */
  file: string;
  delimiter: string;
  header: string[];
  rows: string[][];
  /** 1-based line of each row's first character. */
  lines: Int32Array;
  /** 1-based character column of every cell, row-major (rows.length × header.length). */
  cols: Int32Array;
  /** Column of each header cell. */
  headerCols: Int32Array;
}

export interface CsvParseOptions {
  /** Name used in error messages (default "<csv>"). */
  file?: string;
  /** Field separator; default: sniffed from the header line among `,` `;` tab `|`. */
  delimiter?: string;
}

/** What to do with empty or NaN cells in a numeric column. */
export type FillPolicy = 'error' | 'ffill' | 'linear' | 'drop';

const DELIMS = [',', ';', '\t', '|'];

/** `file:line:col` prefix for messages. */
export function csvWhere(file: string, line: number, col: number): string {
  return `${file}:${line}:${col}`;
}

function sniffDelimiter(text: string): string {
  const end = text.search(/\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  let best = ',';
  let bestN = 0;
  for (const d of DELIMS) {
    let n = 0;
    let q = false;
    for (const ch of head) {
      if (ch === '"') q = !q;
      else if (!q && ch === d) n++;
    }
    if (n > bestN) [best, bestN] = [d, n];
  }
  return best;
}

/** A cursor over the text that yields records with their positions. */
class Reader {
  i = 0;
  line = 1;
  lineStart = 0;
  constructor(readonly text: string, readonly d: string, readonly file: string) {}

  col(at = this.i): number {
    return at - this.lineStart + 1;
  }

  fail(expected: string, got: string, at = this.i): never {
    throw new FormatError(csvWhere(this.file, this.line, this.col(at)), expected, got);
  }

  private newline(): boolean {
    const c = this.text[this.i];
    if (c === '\n' || (c === '\r' && this.text[this.i + 1] === '\n') || c === '\r') {
      this.i += c === '\r' && this.text[this.i + 1] === '\n' ? 2 : 1;
      this.line++;
      this.lineStart = this.i;
      return true;
    }
    return false;
  }

  private quoted(): string {
    const open = this.i;
    const [line, lineStart] = [this.line, this.lineStart];
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.text.length) {
        [this.line, this.lineStart] = [line, lineStart];
        this.fail('a closing quote for the field opened here', 'the end of the file', open);
      }
      const c = this.text[this.i]!;
      if (c === '"') {
        if (this.text[this.i + 1] === '"') {
          out += '"';
          this.i += 2;
          continue;
        }
        this.i++;
        const n = this.text[this.i];
        if (n !== undefined && n !== this.d && n !== '\n' && n !== '\r') {
          this.fail(`a separator "${printable(this.d)}" or a line end after the closing quote`, JSON.stringify(n));
        }
        return out;
      }
      if (c === '\n' || c === '\r') {
        this.newline();
        out += '\n';
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private plain(): string {
    const start = this.i;
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined || c === this.d || c === '\n' || c === '\r') return this.text.slice(start, this.i);
      if (c === '"') this.fail('no quote inside an unquoted field (quote the whole field and double inner quotes)', '"\\""');
      this.i++;
    }
  }

  /** The next record, or null at the end. Empty lines are skipped. */
  record(): { cells: string[]; cols: number[]; line: number } | null {
    while (this.i < this.text.length && this.newline());
    if (this.i >= this.text.length) return null;
    const line = this.line;
    const cells: string[] = [];
    const cols: number[] = [];
    for (;;) {
      cols.push(this.col());
      cells.push(this.text[this.i] === '"' ? this.quoted() : this.plain());
      if (this.text[this.i] === this.d) {
        this.i++;
        continue;
      }
      this.newline();
      return { cells, cols, line };
    }
  }
}

function printable(d: string): string {
  return d === '\t' ? '\\t' : d;
}

/**
 * Parse CSV text with a header line. Rows must have as many fields as the header.
 * @throws FormatError (`file:line:col: expected …, got …`) for an empty file, a file with no data
 *   rows, duplicate or empty header names, unbalanced or stray quotes, and ragged rows.
 * @example
 * const t = parseCsv('time,y\n0,1.5\n1,2\n', { file: 'x.csv' }); // t.header ['time', 'y'], t.rows [['0','1.5'], ['1','2']]
 */
export function parseCsv(text: string, opts: CsvParseOptions = {}): CsvTable {
  const file = opts.file ?? '<csv>';
  if (text.includes('\0')) decodeText(Buffer.from(text), file, 'CSV'); // throws at the NUL
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new FormatError(csvWhere(file, 1, 1), 'a header line and data rows', 'an empty file');
  const d = opts.delimiter ?? sniffDelimiter(text);
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') throw new OptionError('parseCsv', 'a one-character delimiter other than a quote or newline', JSON.stringify(d));
  const r = new Reader(text, d, file);
  const head = r.record()!;
  const header = head.cells.map((h) => h.trim());
  header.forEach((h, j) => {
    const where = csvWhere(file, head.line, head.cols[j]!);
    if (h === '') throw new FormatError(where, 'a name for every header column', `an empty name in column ${j + 1}`);
    const k = header.indexOf(h);
    if (k < j) throw new FormatError(where, 'unique column names', `${showValue(h)} again (first in column ${k + 1})`);
  });
  const W = header.length;
  const rows: string[][] = [];
  const lines: number[] = [];
  const cols: number[] = [];
  for (let rec = r.record(); rec; rec = r.record()) {
    if (rec.cells.length !== W) {
      const extra = rec.cells.length > W;
      const col = extra ? rec.cols[W]! : lastCol(text, r, rec);
      throw new FormatError(csvWhere(file, rec.line, col), `${W} fields as in the header (separator "${printable(d)}")`,
        `${rec.cells.length}${extra ? '' : ' (row ends here)'}`);
    }
    rows.push(rec.cells);
    lines.push(rec.line);
    cols.push(...rec.cols);
  }
  if (rows.length === 0) throw new FormatError(csvWhere(file, head.line + 1, 1), 'data rows after the header', 'none');
  return { file, delimiter: d, header, rows, lines: Int32Array.from(lines), cols: Int32Array.from(cols), headerCols: Int32Array.from(head.cols) };
}

/** Column just past the last character of a short record (on its last line). */
function lastCol(text: string, r: Reader, rec: { cols: number[]; cells: string[] }): number {
  // The reader sits after the newline; step back over it to the end of the record's last line.
  let end = r.i;
  if (text[end - 1] === '\n') end--;
  if (text[end - 1] === '\r') end--;
  let start = end;
  while (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r') start--;
  return Math.max(end - start + 1, rec.cols[rec.cols.length - 1]! + rec.cells[rec.cells.length - 1]!.length);
}

/**
 * Parse the bytes of a CSV file (UTF-8; a binary file is reported at its first non-text byte).
 * @throws FormatError `file:line:col` as {@link parseCsv}, or "not a text CSV file".
 */
export function parseCsvBytes(bytes: Uint8Array, opts: CsvParseOptions = {}): CsvTable {
  return parseCsv(decodeText(bytes, opts.file ?? '<csv>', 'CSV'), opts);
}

/**
 * Read and parse a CSV file.
 * @throws FileError for a missing or unreadable file; FormatError (`file:line:col`) for a malformed one.
 */
export function readCsvFile(path: string, opts: Omit<CsvParseOptions, 'file'> & { file?: string } = {}): CsvTable {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(e, opts.file ?? path, 'a readable CSV file');
  }
  return parseCsvBytes(bytes, { ...opts, file: opts.file ?? path });
}

/** Levenshtein distance (case-insensitive), for "did you mean". */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidate closest to `name` (null when none is reasonably close). */
export function nearestName(name: string, candidates: readonly string[]): string | null {
  const limit = Math.max(2, Math.ceil(name.length / 2));
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    // The distance is at least the difference in length: skip the quadratic work (a 100k-character key).
    if (Math.abs(name.length - c.length) > Math.min(limit, bestD)) continue;
    const d = editDistance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== null && bestD <= limit ? best : null;
}

/**
 * Index of a header column by name.
 * @throws FormatError at the header line, with the nearest existing name when one is close.
 */
export function columnIndex(t: CsvTable, name: string, role = 'column'): number {
  const j = t.header.indexOf(name);
  if (j >= 0) return j;
  const near = nearestName(name, t.header);
  const k = near === null ? 0 : t.header.indexOf(near);
  const hint = near === null ? `; the columns are ${t.header.map((h) => showValue(h, 40)).join(', ')}` : `; did you mean ${showValue(near)} (column ${k + 1})?`;
  throw new FormatError(csvWhere(t.file, 1, t.headerCols[k]!), `a ${role} named "${name}"`, `no such column${hint}`);
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);

/** Where a cell is, for messages. */
export function cellWhere(t: CsvTable, row: number, col: number): string {
  return csvWhere(t.file, t.lines[row]!, t.cols[row * t.header.length + col]!);
}

/**
 * The numeric values of a column, NaN where a cell is empty or NaN-like (`NaN`, `NA`, `null`, …).
 * @throws FormatError at the first non-numeric cell.
 */
export function numericColumn(t: CsvTable, name: string): Float64Array {
  const j = columnIndex(t, name);
  const out = new Float64Array(t.rows.length);
  for (let i = 0; i < t.rows.length; i++) {
    const s = t.rows[i]![j]!.trim();
    if (MISSING.has(s.toLowerCase())) out[i] = NaN;
    else if (!NUMBER_RE.test(s)) throw new FormatError(cellWhere(t, i, j), `a number in column "${name}"`, showValue(t.rows[i]![j]));
    else {
      out[i] = Number(s);
      if (!Number.isFinite(out[i]!)) throw new FormatError(cellWhere(t, i, j), `a finite number in column "${name}" (magnitude below 1.8e308)`, `${showValue(s)}, which overflows to Infinity`);
    }
  }
  return out;
}

/** The result of {@link fillMissing}: the columns without missing values, and which rows remain. */
export interface Filled {
  columns: Float64Array[];
  /** Source row index of every kept row (all rows unless the policy is `drop`). */
  rows: Int32Array;
}

/**
 * Apply a missing-value policy to columns of equal length (NaN = missing):
 * `error` throws at the first missing cell; `ffill` carries the last value forward (leading gaps
 * take the first value); `linear` interpolates (ends take the nearest value); `drop` removes
 * every row with a missing value in any column.
 * @throws FormatError (`file:line:col`) for a missing cell under `error`, or a column with no values.
 */
export function fillMissing(t: CsvTable, names: readonly string[], columns: readonly Float64Array[], policy: FillPolicy): Filled {
  const n = t.rows.length;
  if (policy === 'drop') {
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (columns.every((c) => !Number.isNaN(c[i]!))) keep.push(i);
    if (keep.length === 0) throw new ValueError(t.file, 'rows without missing values after --fill drop', 'none');
    return { columns: columns.map((c) => Float64Array.from(keep, (i) => c[i]!)), rows: Int32Array.from(keep) };
  }
  const out = columns.map((c, k) => {
    const j = columnIndex(t, names[k]!);
    const first = c.findIndex((v) => !Number.isNaN(v));
    if (first < 0) throw new FormatError(cellWhere(t, 0, j), `at least one value in column "${names[k]}"`, 'only empty or NaN cells');
    const f = Float64Array.from(c);
    for (let i = 0; i < n; i++) {
      if (!Number.isNaN(f[i]!)) continue;
      if (policy === 'error') {
        throw new FormatError(cellWhere(t, i, j), `a value in column "${names[k]}" (or a --fill policy: ffill, linear, drop)`, showValue(t.rows[i]![j]));
      }
      let next = i + 1;
      while (next < n && Number.isNaN(c[next]!)) next++;
      const prev = i - 1 >= 0 ? f[i - 1]! : NaN;
      for (let m = i; m < next; m++) {
        if (Number.isNaN(prev)) f[m] = c[next]!;
        else if (policy === 'ffill' || next >= n) f[m] = prev;
        else f[m] = prev + ((c[next]! - prev) * (m - i + 1)) / (next - i + 1);
      }
      i = next - 1;
    }
    return f;
  });
  return { columns: out, rows: Int32Array.from({ length: n }, (_, i) => i) };
}

/** How to read a time column. `auto` recognises ISO 8601, `DD MM YYYY HH:MM` (also with `.`/`/`/`-`) and plain numbers. */
export type TimeFormat = 'auto' | 'iso' | 'dmy' | 'number';

const ISO_RE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DMY_RE = /^(\d{1,2})[ ./-](\d{1,2})[ ./-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

function detectFormat(s: string): TimeFormat | null {
  if (ISO_RE.test(s)) return 'iso';
  if (DMY_RE.test(s)) return 'dmy';
  if (NUMBER_RE.test(s)) return 'number';
  return null;
}

function parseTime(s: string, f: TimeFormat): number {
  if (f === 'number') return NUMBER_RE.test(s) ? Number(s) : NaN;
  if (f === 'iso') {
    if (!ISO_RE.test(s)) return NaN;
    const tz = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? '' : 'Z';
    return Date.parse(s.replace(' ', 'T') + (s.length > 10 ? tz : ''));
  }
  const m = DMY_RE.exec(s);
  if (!m) return NaN;
  const [d, mo, y, h, mi, sec] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, sec!);
  const back = new Date(t);
  return back.getUTCDate() === d && back.getUTCMonth() === mo! - 1 && h! < 24 && mi! < 60 ? t : NaN;
}

/**
 * Parse a time column to numbers (milliseconds since the epoch, UTC, for dates; the values
 * themselves for `number`). Times must increase strictly.
 * @throws FormatError at the first unparsable or non-increasing cell.
 */
export function timeColumn(t: CsvTable, name: string, format: TimeFormat = 'auto', rows?: Int32Array): { times: Float64Array; format: TimeFormat } {
  const j = columnIndex(t, name, 'time column');
  const idx = rows ?? Int32Array.from({ length: t.rows.length }, (_, i) => i);
  const first = t.rows[idx[0]!]![j]!.trim();
  const f = format === 'auto' ? detectFormat(first) : format;
  if (f === null) {
    throw new FormatError(cellWhere(t, idx[0]!, j), `a time in column "${name}" (ISO 8601 "2018-01-31 13:50", "31 01 2018 13:50" or a number)`, showValue(first));
  }
  const times = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const s = t.rows[i]![j]!.trim();
    const v = parseTime(s, f);
    if (!Number.isFinite(v)) throw new FormatError(cellWhere(t, i, j), `a time in column "${name}" in the format of the first row (${f})`, showValue(s));
    if (k > 0 && !(v > times[k - 1]!)) throw new FormatError(cellWhere(t, i, j), `times increasing down column "${name}"`, `${showValue(s)} after ${showValue(t.rows[idx[k - 1]!]![j]!.trim())}`);
    times[k] = v;
  }
  return { times, format: f };
}
