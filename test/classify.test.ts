/**
 * The sequence-classification recipe on the user's own data, on synthetic sets with known
 * answers: a motif at a fixed position (the position-aware one-hot LR solves it) and a motif at
 * any position of sequences of varying length (one-hot LR cannot: its score is a sum of
 * per-position weights and the motif has even composition; k-mer counts can). Also grouped
 * folds, padding invariance of the network, and reading FASTA/CSV input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Tensor, noGrad } from '../src/index.js';
import {
  SpliceNet, checkData, encode, groupKFold, groupSplit, kmerLogisticBaseline, loadSequences, oneHotLogisticBaseline, runSplice, stratifiedSplit,
} from '../src/recipes/splice/index.js';
import { spliceFolds } from '../src/recipes/splice/run.js';

const MOTIF = 'ACGTTGCA'; // two of each base: it leaves the composition of a sequence unchanged on average

function randomDna(rng: Rng, n: number): string {
  return Array.from({ length: n }, () => 'ACGT'[Math.floor(rng.random() * 4)]!).join('');
}

/** Half the sequences hold MOTIF, at position `at` or (at = null) anywhere; lengths in [minLen, maxLen]. */
function motifSet(n: number, at: number | null, seed: number, minLen = 30, maxLen = 30): { seqs: string[]; y: number[] } {
  const rng = new Rng(seed);
  const seqs: string[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const L = minLen + Math.floor(rng.random() * (maxLen - minLen + 1));
    let s = randomDna(rng, L);
    if (i % 2) {
      const p = at ?? Math.floor(rng.random() * (L - MOTIF.length + 1));
      s = s.slice(0, p) + MOTIF + s.slice(p + MOTIF.length);
    }
    seqs.push(s);
    y.push(i % 2);
  }
  return { seqs, y };
}

function errorRate(probs: Float64Array, y: readonly number[]): number {
  let wrong = 0;
  y.forEach((t, i) => (wrong += (probs[i * 2 + 1]! > probs[i * 2]! ? 1 : 0) !== t ? 1 : 0));
  return wrong / y.length;
}

function split(set: { seqs: string[]; y: number[] }, seed: number) {
  const f = stratifiedSplit(set.y, 0.3, new Rng(seed));
  const pick = (idx: number[]) => ({ seqs: idx.map((i) => set.seqs[i]!), y: idx.map((i) => set.y[i]!) });
  return { train: pick(f.train), test: pick(f.test) };
}

test('motif at a fixed position: the position-aware one-hot LR separates the classes', () => {
  const { train, test: held } = split(motifSet(300, 10, 1), 2);
  const r = oneHotLogisticBaseline(train.seqs, train.y, held.seqs, 2, new Rng(3));
  assert.ok(errorRate(r.probs, held.y) < 0.05, `one-hot LR error ${errorRate(r.probs, held.y)}`);
});

test('motif anywhere in sequences of varying length: one-hot LR near chance, k-mer LR well above it', () => {
  const { train, test: held } = split(motifSet(400, null, 4, 24, 40), 5);
  const onehot = errorRate(oneHotLogisticBaseline(train.seqs, train.y, held.seqs, 2, new Rng(6)).probs, held.y);
  const kmer = errorRate(kmerLogisticBaseline(train.seqs, train.y, held.seqs, 2), held.y);
  assert.ok(onehot > 0.3, `one-hot LR error ${onehot} (expected near 0.5)`);
  assert.ok(kmer < 0.2, `k-mer LR error ${kmer}`);
});

test('groupKFold and groupSplit keep every group in one part and use every example once', () => {
  const groups = Array.from({ length: 50 }, (_, i) => `g${i % 13}`);
  const folds = groupKFold(groups, 4, new Rng(0));
  const tested = folds.flatMap((f) => f.test).sort((a, b) => a - b);
  assert.deepEqual(tested, groups.map((_, i) => i));
  for (const f of folds) {
    const inTest = new Set(f.test.map((i) => groups[i]));
    assert.ok(f.train.every((i) => !inTest.has(groups[i]!)), 'a group on both sides of a fold');
    assert.equal(f.train.length + f.test.length, groups.length);
  }
  const s = groupSplit(groups, 0.2, new Rng(1));
  const inTest = new Set(s.test.map((i) => groups[i]));
  assert.ok(s.test.length > 0 && s.train.every((i) => !inTest.has(groups[i]!)));
  assert.throws(() => groupKFold(['a', 'a', 'b'], 3, new Rng(0)), /at least as many groups as folds/);
});

test('SpliceNet with lengths: a padded sequence gets the logits it gets alone (max, mean, last, max+last)', () => {
  const seqs = ['ACGTAC', 'GGATCCATTA'];
  const set = encode({ sequences: seqs, labels: [0, 1], alphabet: 'dna' });
  assert.deepEqual(Array.from(set.lengths!), [6, 10]);
  for (const pooling of ['max', 'mean', 'last', 'max+last'] as const) {
    const net = new SpliceNet(4, 3, { pooling, hidden: 5, rng: new Rng(7), dropout: 0 });
    net.eval();
    const batch = (idx: number[], T: number): Tensor => {
      const out = new Float32Array(T * idx.length * 4);
      idx.forEach((i, b) => { for (let t = 0; t < T; t++) out.set(set.x.subarray((i * set.T + t) * 4, (i * set.T + t + 1) * 4), (t * idx.length + b) * 4); });
      return new Tensor(out, [T, idx.length, 4]);
    };
    const both = noGrad(() => net.forward(batch([0, 1], 10), Int32Array.from([6, 10])).data);
    const alone = noGrad(() => net.forward(batch([0], 6)).data);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(both[c]! - alone[c]!) < 1e-5, `${pooling}: class ${c}: ${both[c]} vs ${alone[c]}`);
  }
});

function files(): string {
  return mkdtempSync(join(tmpdir(), 'recur-classify-'));
}

test('loadSequences: FASTA labels from the header or a CSV, CSV columns, protein alphabet, classes sorted', () => {
  const dir = files();
  writeFileSync(join(dir, 'a.fa'), '>s1 label=b\nACGT\n>s2|a\nAC\nGN\n>s3 label=b\nTTT\n');
  const d = loadSequences({ fasta: join(dir, 'a.fa') });
  assert.deepEqual(d.classes, ['a', 'b']);
  assert.deepEqual(d.labels, [1, 0, 1]);
  assert.deepEqual(d.sequences, ['ACGT', 'ACGN', 'TTT']);
  writeFileSync(join(dir, 'b.fa'), '>s1\nACGT\n>s2\nACGN\n>s3\nTTT\n');
  writeFileSync(join(dir, 'l.csv'), 'id,y,fam\ns3,10,f1\ns1,9,f2\ns2,10,f1\n');
  const l = loadSequences({ fasta: join(dir, 'b.fa'), labels: join(dir, 'l.csv'), groupCol: 'fam' });
  assert.deepEqual(l.classes, ['9', '10']);
  assert.deepEqual(l.labels, [0, 1, 1]);
  assert.deepEqual(l.groups, ['f2', 'f1', 'f1']);
  writeFileSync(join(dir, 'p.csv'), 'seq,cls\nMKVL,x\nmkwx,y\n');
  const p = loadSequences({ csv: join(dir, 'p.csv'), seqCol: 'seq', labelCol: 'cls', alphabet: 'protein' });
  assert.deepEqual(p.sequences, ['MKVL', 'MKWX']);
  assert.equal(p.alphabet, 'protein');
});

test('runSplice on own data with groups: folds keep groups whole; four systems; per-class errors keyed by class', async () => {
  const dir = files();
  const { seqs, y } = motifSet(60, 5, 8, 12, 20);
  writeFileSync(join(dir, 'd.csv'), `seq,cls,grp\n${seqs.map((s, i) => `${s},${y[i] ? 'pos' : 'neg'},g${Math.floor(i / 3)}`).join('\n')}\n`);
  const o = { csv: join(dir, 'd.csv'), seqCol: 'seq', labelCol: 'cls', groupCol: 'grp', cv: 3, seed: 2 };
  const { d, folds } = spliceFolds(o);
  for (const f of folds) {
    const inTest = new Set(f.test.map((i) => d.groups![i]));
    assert.ok(f.train.every((i) => !inTest.has(d.groups![i]!)));
  }
  const r = (await runSplice({ ...o, epochs: 1, ensemble: 1, hidden: 4 }))!;
  assert.deepEqual(r.classes, ['neg', 'pos']);
  assert.deepEqual(r.systems.map((s) => s.name), ['model', 'majority', 'logreg-onehot', 'logreg-kmer']);
  assert.deepEqual(Object.keys(r.systems[0]!.perClassError), ['neg', 'pos']);
  assert.equal(r.hyper.pooling, 'max+last');
  assert.equal(r.published.length, 0);
  assert.match(r.table, /3-fold grouped/);
  assert.equal(r.systems[0]!.metrics.confusion.flat().reduce((a, b) => a + b, 0), d.labels.length);
});

test('data whose padding would exceed 1e8 one-hot values is refused, naming the longest sequence', () => {
  const d = { sequences: ['A'.repeat(10_000_000), 'AC', 'AG', 'AT'], labels: [0, 0, 1, 1], names: ['huge', 'b', 'c', 'd'], classes: ['x', 'y'], alphabet: 'dna' as const };
  assert.throws(() => checkData(d, { pooling: 'max', cv: null, select: false }), /at most 100,000,000 one-hot cells.*got 4 × 10000000 \("huge"\) × 4/);
  assert.doesNotThrow(() => checkData({ ...d, sequences: ['AAAA', 'AC', 'AG', 'AT'] }, { pooling: 'max', cv: null, select: false }));
});
