/** FASTA parsing and every error case, each naming file:line:col and the character. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FastaError, FormatError, OptionError, customAlphabet, fastaLabel, parseFasta, readFasta, readFastaSync } from '../src/index.js';

const FIX = join(import.meta.dirname, 'fixtures', 'fasta');
const fx = (name: string): string => join(FIX, name);

/** fn throws a FastaError at file:line:col whose message matches every pattern. */
function throwsAt(fn: () => unknown, file: string, line: number, col: number, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FastaError && e instanceof FormatError, `expected FastaError, got ${String(e)}`);
    assert.equal(e.code, 'E_FORMAT');
    assert.equal(e.file, file);
    assert.equal(e.line, line);
    assert.equal(e.column, col);
    assert.ok(e.message.startsWith(`${file}:${line}:${col}: expected `), e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('parses records: ids, descriptions, wrapped lines, comments, blank lines, lower case', () => {
  const recs = readFastaSync(fx('good.fa'), { alphabet: 'dna' });
  assert.equal(recs.length, 2);
  assert.deepEqual(recs[0], { id: 'seq1', description: 'exon 1 label=EI', sequence: 'ACGTACGTACACGTNNRY', file: fx('good.fa'), line: 1 });
  assert.deepEqual(recs[1], { id: 'seq2|IE', description: '', sequence: 'GGGCCCAAAT', file: fx('good.fa'), line: 6 });
  assert.equal(fastaLabel(recs[0]!), 'EI');
  assert.equal(fastaLabel(recs[1]!), 'IE');
});

test('CRLF, spaces and tabs inside sequence lines, BOM', () => {
  const recs = readFastaSync(fx('crlf.fa'), { alphabet: 'dna' });
  assert.deepEqual(recs.map((r) => [r.id, r.sequence]), [['s1', 'ACGT'], ['s2', 'TTAA']]);
  assert.equal(parseFasta('\ufeff>x\nAC\n')[0]!.sequence, 'AC');
});

test('protein alphabet with ambiguity codes; no alphabet keeps case and any printable symbol', async () => {
  const recs = await readFasta(fx('protein.fa'), { alphabet: 'protein' });
  assert.equal(recs[0]!.sequence, 'MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQXBZ');
  assert.equal(parseFasta('>t\nab-c*\n')[0]!.sequence, 'ab-c*');
});

test('alphabet violation names file, line, column and the character', () => {
  throwsAt(() => readFastaSync(fx('bad-char.fa'), { alphabet: 'dna' }), fx('bad-char.fa'), 4, 5, /DNA symbol/, /got 'J' \(U\+004A\)/);
  // Columns count characters of the raw line, spaces included; U is not DNA.
  throwsAt(() => parseFasta('>a\nAC GU\n', { alphabet: 'dna', file: 'x.fa' }), 'x.fa', 2, 5, /got 'U' \(U\+0055\)/);
  throwsAt(() => parseFasta('>a\nACGT\n', { alphabet: 'rna', file: 'r.fa' }), 'r.fa', 2, 4, /RNA symbol/, /'T'/);
  throwsAt(() => parseFasta('>a\nAC\u0000G\n', { file: 'bin.fa' }), 'bin.fa', 2, 3, /'\\u0000' \(U\+0000\)/);
  throwsAt(() => parseFasta('>p\nMKT1\n', { alphabet: 'protein', file: 'p.fa' }), 'p.fa', 2, 4, /amino-acid/, /'1'/);
  // Columns count characters (code points), not UTF-16 units.
  throwsAt(() => parseFasta('>a\nA\u{1F600}\u0085\n', { file: 'u.fa' }), 'u.fa', 2, 3, /'\\u0085' \(U\+0085\)/);
  throwsAt(() => parseFasta('>a\nAC\u00C9\n', { alphabet: 'dna', file: 'u.fa' }), 'u.fa', 2, 3, /'\u00C9' \(U\+00C9\)/);
  // A custom alphabet of non-ASCII symbols.
  const greek = customAlphabet('αβγ');
  assert.equal(parseFasta('>g\nαβ γ\n', { alphabet: greek })[0]!.sequence, 'αβγ');
  throwsAt(() => parseFasta('>g\nα\u{1F600}δ\n', { alphabet: greek, file: 'g.fa' }), 'g.fa', 2, 2, /one of "αβγ"/, /U\+1F600/);
});

test('empty and whitespace-only files', () => {
  throwsAt(() => readFastaSync(fx('empty.fa')), fx('empty.fa'), 1, 1, /at least one FASTA record/, /an empty file/);
  throwsAt(() => readFastaSync(fx('blank.fa')), fx('blank.fa'), 1, 1, /only whitespace/);
});

test('malformed headers: missing id, data before the first header, record without sequence', () => {
  throwsAt(() => readFastaSync(fx('bad-header.fa')), fx('bad-header.fa'), 3, 2, /sequence id right after '>'/, /' ' \(U\+0020\)/);
  throwsAt(() => parseFasta('>s\nA\n>\nAC', { file: 'h.fa' }), 'h.fa', 3, 2, /the end of the line/);
  throwsAt(() => parseFasta('>s\u0007x\nAC', { file: 'c.fa' }), 'c.fa', 1, 3, /printable characters in the header/, /U\+0007/);
  throwsAt(() => readFastaSync(fx('no-header.fa')), fx('no-header.fa'), 1, 1, /'>' header line before sequence data/, /'A'/);
  throwsAt(() => parseFasta('\n   ACGT\n', { file: 'i.fa' }), 'i.fa', 2, 4, /header line/);
  throwsAt(() => readFastaSync(fx('empty-record.fa')), fx('empty-record.fa'), 1, 1, /sequence lines after the header of 's1'/, /none/);
  throwsAt(() => parseFasta('>a\nAC\n>b\n', { file: 'e.fa' }), 'e.fa', 3, 1, /'b'/);
  assert.equal(parseFasta('>a\n>b\nAC', { allowEmpty: true })[0]!.sequence, '');
});

test('duplicate ids with uniqueIds; unknown options; labels missing', () => {
  throwsAt(() => parseFasta('>a\nAC\n>a\nGG\n', { uniqueIds: true, file: 'd.fa' }), 'd.fa', 3, 2, /unique ids/, /first at line 1/);
  assert.equal(parseFasta('>a\nAC\n>a\nGG\n').length, 2);
  assert.throws(() => parseFasta('>a\nAC', { alphabet: 'dna', strict: true } as never), OptionError);
  const [rec] = parseFasta('>plain some words\nAC', { file: 'l.fa' });
  throwsAt(() => fastaLabel(rec!), 'l.fa', 1, 2, /label in the header/, /'>plain some words'/);
  assert.equal(fastaLabel(parseFasta('>x class=N\nAC')[0]!, { key: 'class' }), 'N');
});

test('a binary file is "not a text FASTA file" at its first bad byte; a missing file is a FileError', async () => {
  const { parseFastaBytes } = await import('../src/data/fasta.js');
  const { FileError } = await import('../src/index.js');
  throwsAt(() => parseFastaBytes(Uint8Array.from([0x3e, 0x61, 0x0a, 0x41, 0x43, 0x00, 0x47]), { file: 'b.fa' }), 'b.fa', 2, 3, /a text FASTA file \(UTF-8\)/, /a NUL byte at byte 5/);
  throwsAt(() => parseFastaBytes(Uint8Array.from([0x3e, 0x61, 0x0a, 0xc3, 0x28]), { file: 'b.fa' }), 'b.fa', 2, 1, /byte 0xc3 \(not UTF-8\)/);
  throwsAt(() => parseFasta('>\u00a0x\nACGT\n', { file: 'w.fa' }), 'w.fa', 1, 2, /a sequence id right after '>'/);
  assert.throws(() => readFastaSync(fx('missing.fa')), (e: unknown) => e instanceof FileError && /missing\.fa: expected a readable FASTA file, got no such file or folder$/.test(e.message));
  await assert.rejects(readFasta(fx('missing.fa')), FileError);
});
