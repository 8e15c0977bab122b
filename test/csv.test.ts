import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseCsvBytes } from '../src/data/csv.js';
import { FileError, FormatError, fillMissing, numericColumn, parseCsv, readCsvFile, timeColumn, columnIndex } from '../src/index.js';

const FIX = join(import.meta.dirname, 'fixtures', 'csv');
const fx = (name: string): string => join(FIX, name);

/** Assert that `fn` throws a FormatError whose message starts with `where` and contains `parts`. */
function throwsAt(fn: () => unknown, where: string, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `a FormatError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${where}: `), `message starts with ${where}: ${e.message}`);
    for (const p of parts) assert.ok(e.message.includes(p), `message contains ${JSON.stringify(p)}: ${e.message}`);
    return true;
  });
}

test('parseCsv: quotes, doubled quotes, CRLF, BOM, blank lines, positions', () => {
  const t = parseCsv('\ufeffa,b\r\n1,"x, ""y"""\r\n\r\n2,"multi\nline"\n', { file: 'q.csv' });
  assert.deepEqual(t.header, ['a', 'b']);
  assert.deepEqual(t.rows, [['1', 'x, "y"'], ['2', 'multi\nline']]);
  assert.deepEqual(Array.from(t.lines), [2, 4]);
  assert.deepEqual(Array.from(t.cols), [1, 3, 1, 3]);
});

test('parseCsv: sniffs ; and tab separators; an explicit delimiter wins', () => {
  assert.deepEqual(parseCsv('a;b\n1;2\n').rows, [['1', '2']]);
  assert.deepEqual(parseCsv('a\tb\n1\t2\n').rows, [['1', '2']]);
  assert.deepEqual(parseCsv('a;b\n1;2\n', { delimiter: ',' }).header, ['a;b']);
  const t = readCsvFile(fx('semicolon.csv'));
  assert.equal(t.delimiter, ';');
  assert.deepEqual(t.rows[1], ['2', '1;5', '3']);
  throwsAt(() => numericColumn(t, 'y'), `${fx('semicolon.csv')}:3:3`, 'a number in column "y"', '"1;5"');
});

test('bad CSV files: each error names file:line:col', () => {
  throwsAt(() => readCsvFile(fx('unclosed-quote.csv')), `${fx('unclosed-quote.csv')}:3:3`, 'closing quote', 'end of the file');
  throwsAt(() => readCsvFile(fx('stray-quote.csv')), `${fx('stray-quote.csv')}:3:4`, 'no quote inside an unquoted field');
  throwsAt(() => readCsvFile(fx('ragged.csv')), `${fx('ragged.csv')}:3:6`, '3 fields as in the header', 'got 2');
  throwsAt(() => parseCsv('a,b\n1,2,3\n', { file: 'r.csv' }), 'r.csv:2:5', 'got 3');
  throwsAt(() => readCsvFile(fx('empty.csv')), `${fx('empty.csv')}:1:1`, 'an empty file');
  throwsAt(() => readCsvFile(fx('header-only.csv')), `${fx('header-only.csv')}:2:1`, 'data rows after the header');
  throwsAt(() => parseCsv('a,"b"x\n1,2\n', { file: 'h.csv' }), 'h.csv:1:6', 'after the closing quote');
  throwsAt(() => parseCsv('a,a\n1,2\n', { file: 'd.csv' }), 'd.csv:1:3', 'unique column names');
});

test('numericColumn: non-numeric cell is located; NaN-like cells are missing', () => {
  const t = readCsvFile(fx('non-numeric.csv'));
  throwsAt(() => numericColumn(t, 'y'), `${fx('non-numeric.csv')}:4:3`, 'a number in column "y"', '"abc"');
  const g = readCsvFile(fx('nan-gap.csv'));
  const y = numericColumn(g, 'y');
  assert.ok(Number.isNaN(y[1]!) && Number.isNaN(y[3]!));
  assert.throws(() => numericColumn(parseCsv('a\n0x10\n'), 'a'), /a number in column "a", got "0x10"/);
});

test('columnIndex: a misspelled column suggests the nearest name and points at it', () => {
  const t = parseCsv('Date/Time,Wind Speed (m/s),Power\n1,2,3\n', { file: 'w.csv' });
  throwsAt(() => columnIndex(t, 'Wind Sped (m/s)'), 'w.csv:1:11', 'did you mean "Wind Speed (m/s)" (column 2)');
  throwsAt(() => columnIndex(t, 'zzzzzzzzzz'), 'w.csv:1:1', 'the columns are "Date/Time", "Wind Speed (m/s)", "Power"');
});

test('fillMissing: error (located), ffill, linear, drop', () => {
  const t = readCsvFile(fx('nan-gap.csv'));
  const cols = [numericColumn(t, 'y')];
  throwsAt(() => fillMissing(t, ['y'], cols, 'error'), `${fx('nan-gap.csv')}:3:3`, 'a value in column "y"', '--fill');
  assert.deepEqual(Array.from(fillMissing(t, ['y'], cols, 'ffill').columns[0]!), [1, 1, 2, 2, 3, 3.5]);
  assert.deepEqual(Array.from(fillMissing(t, ['y'], cols, 'linear').columns[0]!), [1, 1.5, 2, 2.5, 3, 3.5]);
  const d = fillMissing(t, ['y'], cols, 'drop');
  assert.deepEqual(Array.from(d.rows), [0, 2, 4, 5]);
  assert.deepEqual(Array.from(d.columns[0]!), [1, 2, 3, 3.5]);
  const lead = parseCsv('y,x\n,1\n2,2\n', { file: 'l.csv' });
  assert.deepEqual(Array.from(fillMissing(lead, ['y'], [numericColumn(lead, 'y')], 'ffill').columns[0]!), [2, 2], 'a leading gap takes the first value');
  throwsAt(() => fillMissing(lead, ['y'], [new Float64Array([NaN, NaN])], 'linear'), 'l.csv:2:1', 'at least one value');
});

test('timeColumn: ISO, DD MM YYYY, numbers; errors for bad and non-increasing times', () => {
  const iso = parseCsv('t,y\n2024-01-01 00:00,1\n2024-01-01T00:10:00Z,2\n');
  assert.deepEqual(Array.from(timeColumn(iso, 't').times), [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 0, 10)]);
  const dmy = parseCsv('t,y\n31 01 2018 23:50,1\n01 02 2018 00:00,2\n');
  const r = timeColumn(dmy, 't');
  assert.equal(r.format, 'dmy');
  assert.equal(r.times[1]! - r.times[0]!, 600_000);
  throwsAt(() => timeColumn(readCsvFile(fx('time-not-increasing.csv')), 'time'), `${fx('time-not-increasing.csv')}:4:1`, 'times increasing');
  throwsAt(() => timeColumn(parseCsv('t,y\n31 01 2018 23:50,1\n32 01 2018 00:00,2\n', { file: 'b.csv' }), 't'), 'b.csv:3:1', 'format of the first row (dmy)');
  throwsAt(() => timeColumn(parseCsv('t,y\nyesterday,1\n', { file: 'b.csv' }), 't'), 'b.csv:2:1', 'a time in column "t"');
});

test('a missing file is a FileError naming it', () => {
  assert.throws(() => readCsvFile(fx('no-such-file.csv')), (e: unknown) => e instanceof FileError && e.message === `${fx('no-such-file.csv')}: expected a readable CSV file, got no such file or folder`);
});

test('binary bytes are "not a text CSV file" at the first bad byte, not a quote problem', () => {
  throwsAt(() => parseCsvBytes(Uint8Array.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0x22, 0x00, 0x32]), { file: 'b.csv' }), 'b.csv:2:4', 'a text CSV file', 'a NUL byte at byte 7');
  throwsAt(() => parseCsvBytes(Uint8Array.from([0x61, 0x0a, 0xc3, 0xa9, 0xff]), { file: 'b.csv' }), 'b.csv:2:2', 'byte 0xff (not UTF-8)');
  throwsAt(() => parseCsvBytes(Uint8Array.from([0x61, 0x0a, 0xed, 0xa0, 0x80]), { file: 'b.csv' }), 'b.csv:2:1', 'byte 0xed'); // a UTF-8 surrogate
  throwsAt(() => parseCsv('a,b\n1,"\u0000"\n', { file: 's.csv' }), 's.csv:2:4', 'not a text CSV file');
  assert.equal(parseCsvBytes(Buffer.from('a\n\u00e9\u{1F600}\n'), { file: 'ok.csv' }).rows[0]![0], '\u00e9\u{1F600}');
});

test('numericColumn: a number that overflows to Infinity is refused at its cell; long cells are cut in messages', () => {
  const t = parseCsv(`t,y\n1,2\n2,1e400\n3,${'9'.repeat(400)}\n`, { file: 'o.csv' });
  throwsAt(() => numericColumn(t, 'y'), 'o.csv:3:3', 'a finite number', '"1e400", which overflows to Infinity');
  const big = parseCsv(`t,y\n1,${'x'.repeat(10_000_000)}\n`, { file: 'l.csv' });
  assert.throws(() => numericColumn(big, 'y'), (e: unknown) => e instanceof FormatError && e.message.length < 300 && e.message.includes('…'));
});
