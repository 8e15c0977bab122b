/** Alphabets and encodings: one-hot with the fractional ambiguity rule, index ids, k-mer counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DNA, PROTEIN, RNA, ValueError, customAlphabet, firstInvalid, indexEncode, isSymbol, kmerCounts, kmerFeatures, kmerNames,
  oneHot, oneHotBatch, vocabulary,
} from '../src/index.js';

const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-7, `at ${i}: ${a[i]} vs ${b[i]}`);
};

test('canonical one-hot and the ambiguity rule (uniform over what the code stands for)', () => {
  close(oneHot('ACGT', 'dna'), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  close(oneHot('R', 'dna'), [0.5, 0, 0.5, 0]); // A/G
  close(oneHot('Y', 'dna'), [0, 0.5, 0, 0.5]); // C/T
  close(oneHot('D', 'dna'), [1 / 3, 0, 1 / 3, 1 / 3]); // A/G/T
  close(oneHot('S', 'dna'), [0, 0.5, 0.5, 0]); // C/G
  close(oneHot('N', 'dna'), [0.25, 0.25, 0.25, 0.25]);
  close(oneHot('acgn', 'dna'), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0.25, 0.25, 0.25, 0.25]); // soft-masked lower case
  close(oneHot('U', 'rna'), [0, 0, 0, 1]);
  close(oneHot('Y', 'rna'), [0, 0.5, 0, 0.5]);
  const x = oneHot('X', 'protein');
  assert.equal(x.length, 20);
  for (const v of x) assert.ok(Math.abs(v - 0.05) < 1e-7);
  const b = oneHot('B', 'protein'); // D/N
  assert.equal(b[PROTEIN.symbols.indexOf('D')], 0.5);
  assert.equal(b[PROTEIN.symbols.indexOf('N')], 0.5);
  assert.equal(oneHot('U', 'protein')[PROTEIN.symbols.indexOf('C')], 1); // selenocysteine read as C
  for (const a of [DNA, RNA, PROTEIN]) {
    for (const code of Object.keys(a.ambiguity)) close([Array.from(oneHot(code, a)).reduce((s, v) => s + v, 0)], [1]);
  }
});

test('violations are ValueErrors naming the character and position', () => {
  assert.throws(() => oneHot('ACXT', 'dna'), (e: unknown) => e instanceof ValueError && /'X' at position 2/.test(e.message) && /DNA symbol/.test(e.message));
  assert.throws(() => oneHot('ACGT', 'rna'), /'T' at position 3/);
  assert.equal(firstInvalid('ACGTN-', 'dna'), 5);
  assert.equal(firstInvalid('acgt', 'dna'), -1);
  assert.ok(isSymbol(DNA, 'n') && !isSymbol(DNA, 'U') && isSymbol(RNA, 'U'));
});

test('oneHotBatch pads with zero rows, time-major or batch-first', () => {
  const { x, lengths } = oneHotBatch(['AC', 'G'], 'dna');
  assert.deepEqual(x.shape, [2, 2, 4]);
  assert.deepEqual([...lengths], [2, 1]);
  close(x.data, [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const bf = oneHotBatch(['AC', 'G'], 'dna', { batchFirst: true });
  assert.deepEqual(bf.x.shape, [2, 2, 4]);
  close(bf.x.data, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
});

test('index encoding: 0 = padding, canonical symbols, then ambiguity codes', () => {
  const v = vocabulary('dna');
  assert.deepEqual(v.slice(0, 5), ['<pad>', 'A', 'C', 'G', 'T']);
  assert.equal(v.length, 1 + 4 + 11);
  const ids = indexEncode('ACgtN', 'dna');
  assert.deepEqual([...ids.slice(0, 4)], [1, 2, 3, 4]);
  assert.equal(v[ids[4]!], 'N');
  assert.throws(() => indexEncode('AZ', 'dna'), /'Z' at position 1/);
});

test('custom character vocabularies are case-sensitive by default', () => {
  const abc = customAlphabet('abc', { ambiguity: { '?': 'ab' } });
  close(oneHot('a?c', abc), [1, 0, 0, 0.5, 0.5, 0, 0, 0, 1]);
  assert.throws(() => oneHot('A', abc), /'A' at position 0/);
  assert.deepEqual(vocabulary(abc), ['<pad>', 'a', 'b', 'c', '?']);
  assert.equal(oneHot('A', customAlphabet('ab', { caseInsensitive: true }))[0], 1);
  assert.throws(() => customAlphabet('aa'), ValueError);
  assert.throws(() => customAlphabet('ab', { ambiguity: { x: 'az' } }), ValueError);
});

test('k-mer counts: overlapping windows, lexicographic order, fractional ambiguity, features', () => {
  assert.deepEqual(kmerNames(2, 'dna').slice(0, 5), ['AA', 'AC', 'AG', 'AT', 'CA']);
  const c2 = kmerCounts('ACGAC', 2, 'dna');
  const names = kmerNames(2, 'dna');
  const get = (c: Float64Array, s: string): number => c[names.indexOf(s)]!;
  assert.equal(get(c2, 'AC'), 2);
  assert.equal(get(c2, 'CG'), 1);
  assert.equal(get(c2, 'GA'), 1);
  assert.equal(c2.reduce((a, b) => a + b, 0), 4);
  const amb = kmerCounts('AR', 2, 'dna'); // AR = AA 0.5 + AG 0.5
  assert.equal(get(amb, 'AA'), 0.5);
  assert.equal(get(amb, 'AG'), 0.5);
  const nn = kmerCounts('NN', 2, 'dna');
  for (const v of nn) assert.equal(v, 1 / 16);
  assert.equal(kmerCounts('A', 3, 'dna').reduce((a, b) => a + b, 0), 0); // shorter than k
  close(kmerCounts('AAC', 1, 'dna', { normalize: true }), [2 / 3, 1 / 3, 0, 0]);
  const X = kmerFeatures(['ACGT', 'AAAA'], [1, 2], 'dna');
  assert.deepEqual(X.shape, [2, 20]);
  assert.equal(X.data[20], 4); // 'AAAA': A count
  assert.equal(X.data[20 + 4], 3); // 'AAAA': AA count
  assert.throws(() => kmerCounts('ACGT', 0, 'dna'), ValueError);
});
