/** The splice recipe: loader, stratified folds, baselines, table, and a tiny end-to-end run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError, OptionError, Rng, ValueError, kmerFeatures } from '../src/index.js';
import {
  LogisticRegression, PUBLISHED_SPLICE, SPLICE_CLASSES, bestPublished, formatSpliceTable, kmerLogisticBaseline, loadSplice,
  formatSpliceSummary, majorityClass, majorityProbs, parseSplice, runSplice, stratifiedKFold, stratifiedSplit,
} from '../src/recipes/splice/index.js';

test('loader: 3,190 examples = EI 767, IE 768, N 1,655; 60 nt; ambiguity codes kept', () => {
  const d = loadSplice(undefined, { keepDuplicates: true });
  assert.deepEqual(d.dedup, { applied: false, rowsRead: 3190, duplicatesRemoved: 0, conflictingDropped: 0, conflictingSequences: 0, kept: 3190 });
  assert.equal(d.sequences.length, 3190);
  const count = (c: number): number => d.labels.filter((y) => y === c).length;
  assert.deepEqual(SPLICE_CLASSES, ['EI', 'IE', 'N']);
  assert.deepEqual([count(0), count(1), count(2)], [767, 768, 1655]);
  assert.ok(d.sequences.every((s) => s.length === 60));
  assert.equal(d.sequences.filter((s) => /[^ACGT]/.test(s)).length, 15);
  assert.equal(d.names[0], 'ATRINS-DONOR-521');
  assert.equal(new Set(d.names).size, 3178);
});

test('loader errors name file:line:col', () => {
  const seq = 'A'.repeat(60);
  assert.throws(() => parseSplice(`EI, X, ${seq}\nXX, Y, ${seq}\n`, 's.data'), (e: unknown) => e instanceof FormatError && /^s\.data:2:1: expected a class/.test(e.message));
  assert.throws(() => parseSplice(`N, X, ${'A'.repeat(10)}J${'A'.repeat(49)}`, 's.data'), /^FormatError: s\.data:1:17: expected a DNA symbol.*got 'J'/);
  assert.throws(() => parseSplice(`N, X, ACGT`, 's.data'), /^FormatError: s\.data:1:7: expected a sequence of 60 nucleotides, got 4/);
  assert.throws(() => parseSplice(`N, ACGT`, 's.data'), /^FormatError: s\.data:1:1: expected 3 comma-separated fields/);
  assert.throws(() => parseSplice('\n\n', 's.data'), /^FormatError: s\.data:1:1: expected at least one example, got an empty file/);
});

test('stratified k-fold partitions every index exactly once and keeps class ratios', () => {
  const labels = [...Array(103).fill(0), ...Array(47).fill(1), ...Array(20).fill(2)].sort(() => 0) as number[];
  const rng = new Rng(5);
  rng.shuffle(labels);
  const k = 10;
  const folds = stratifiedKFold(labels, k, rng);
  assert.equal(folds.length, k);
  const seen = new Array<number>(labels.length).fill(0);
  for (const f of folds) {
    for (const i of f.test) seen[i]! += 1;
    assert.equal(f.train.length + f.test.length, labels.length);
    const inTest = new Set(f.test);
    assert.ok(f.train.every((i) => !inTest.has(i)));
    for (const [c, total] of [[0, 103], [1, 47], [2, 20]] as const) {
      const n = f.test.filter((i) => labels[i] === c).length;
      assert.ok(n === Math.floor(total / k) || n === Math.ceil(total / k), `class ${c}: ${n} in a fold`);
    }
    assert.ok(f.test.length >= 17 && f.test.length <= 17, `fold size ${f.test.length}`);
  }
  assert.ok(seen.every((s) => s === 1));
  assert.throws(() => stratifiedKFold(labels, 1, rng), ValueError);
});

test('stratified split keeps ratios; same seed, same split', () => {
  const labels = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const a = stratifiedSplit(labels, 0.1, new Rng(1));
  const b = stratifiedSplit(labels, 0.1, new Rng(1));
  assert.deepEqual(a, b);
  assert.equal(a.test.length, 20);
  assert.equal(a.test.filter((i) => labels[i] === 1).length, 5);
  assert.equal(new Set([...a.train, ...a.test]).size, 200);
});

test('majority baseline', () => {
  assert.equal(majorityClass([2, 0, 2, 1], 3), 2);
  assert.deepEqual([...majorityProbs([0, 0, 1, 1], 2, 2)], [0.5, 0.5, 0.5, 0.5]);
});

test('logistic regression on k-mer counts separates a k-mer-separable set', () => {
  // Class 0 sequences are rich in the dinucleotide CG, class 1 in TA; base composition is equal.
  const rng = new Rng(2);
  const make = (motif: string): string => Array.from({ length: 20 }, () => (rng.random() < 0.5 ? motif : ['AC', 'GT', 'CA', 'TG'][rng.int(4)]!)).join('');
  const seqs = [...Array.from({ length: 40 }, () => make('CG')), ...Array.from({ length: 40 }, () => make('TA'))];
  const y = [...Array(40).fill(0), ...Array(40).fill(1)] as number[];
  const probs = kmerLogisticBaseline(seqs.slice(0, 30).concat(seqs.slice(40, 70)), y.slice(0, 30).concat(y.slice(40, 70)),
    seqs.slice(30, 40).concat(seqs.slice(70)), 2, { iterations: 150 });
  for (let i = 0; i < 20; i++) assert.equal(probs[i * 2 + (i < 10 ? 0 : 1)]! > 0.5, true, `test example ${i}`);
  const lr = new LogisticRegression({ iterations: 100 }).fit(kmerFeatures(seqs, [2], 'dna'), y, 2);
  assert.ok(lr.losses[99]! < lr.losses[0]! / 4, `loss ${lr.losses[0]} → ${lr.losses[99]}`);
});

test('published table and formatter', () => {
  assert.equal(PUBLISHED_SPLICE.length, 7);
  assert.deepEqual(bestPublished('N'), { system: 'PERCEPTRON', error: 3.99 });
  assert.deepEqual(bestPublished('EI'), { system: 'BACKPROP (MLP)', error: 5.74 });
  assert.deepEqual(bestPublished('IE'), { system: 'PEBLS', error: 7.55 });
  const t = formatSpliceTable({ title: 'T', rows: [{ system: 'mine', N: 3, EI: 5, IE: 7 }, { system: 'base', N: 0, EI: 100, IE: 100 }] });
  assert.match(t, /mine\s+3\.00\s+5\.00\s+7\.00/);
  assert.match(t, /KBANN \(published\)\s+4\.62\s+7\.56\s+8\.47/);
  assert.match(t.replace(/\s+/g, ' '), /lower error than the best published row on 3 of 3 classes, and than the strongest baseline of this run \(base\) on 2 of 3/);
  assert.match(t, /Neither\s+3\.00\s+0\.00\s+worse by 3\.00 points\s+3\.99 \(PERCEPTRON\)\s+better by 0\.99 points/);
  const alone = formatSpliceTable({ title: 'T', rows: [{ system: 'm', N: 4, EI: 5, IE: 7 }] });
  assert.match(alone, /Neither\s+4\.00\s+3\.99 \(PERCEPTRON\)\s+worse by 0\.01 points/);
  assert.match(alone, /on 2 of 3 classes\./);
  for (const line of formatSpliceTable({ title: 'x '.repeat(200), rows: [{ system: 'm', N: 4, EI: 5, IE: 7 }] }).split('\n')) assert.ok(line.length <= 110, line);
});

test('runSplice end to end on 150 sequences, 1 epoch: the result structure', async () => {
  const events: string[] = [];
  const r = (await runSplice({ limit: 150, epochs: 1, hidden: 4, ensemble: 1, seed: 3, onProgress: (e) => events.push(e.kind) }))!;
  assert.ok(events.filter((k) => k === 'step').length >= 3, 'step-level progress');
  assert.deepEqual(events.filter((k) => k !== 'step'), ['start', 'fold_start', 'member_start', 'epoch', 'member_end', 'fold_end', 'done']);
  assert.equal(r.protocol.examples, 150);
  assert.equal(r.protocol.cv, null);
  assert.deepEqual(r.systems.map((s) => s.name), ['model', 'majority', 'logreg-onehot', 'logreg-kmer']);
  assert.equal(r.data.applied, true);
  assert.equal(r.data.rowsRead, 3190);
  assert.equal(r.data.kept + r.data.duplicatesRemoved + r.data.conflictingDropped, 3190);
  assert.match(r.table.replace(/\s+/g, ' '), /3,190 rows read; \d+ exact duplicates removed/);
  assert.match(r.table.replace(/\s+/g, ' '), /not the published protocol: 150 examples, one 90\/10 split/);
  assert.equal(r.protocol.matchesPublished, false);
  assert.match(r.table, /baseline: one-hot LR \(position-aware\)/);
  assert.match(r.table, /baseline: k-mer LR \(position-free\)/);
  for (const s of r.systems) {
    for (const c of ['EI', 'IE', 'N'] as const) assert.ok(s.perClassError[c] >= 0 && s.perClassError[c] <= 100);
    assert.equal(s.metrics.confusion.flat().reduce((a, b) => a + b, 0), r.folds[0]!.test);
    assert.equal(s.metrics.perClass.length, 3);
  }
  assert.deepEqual(r.systems[1]!.perClassError, { EI: 100, IE: 100, N: 0 });
  assert.equal(r.folds[0]!.members.length, 1);
  assert.equal(r.hyper.ensemble, 1);
  assert.equal(r.history.length, 1);
  assert.equal(r.history[0]!.length, 1);
  assert.ok(Number.isFinite(r.history[0]![0]!.trainLoss));
  assert.equal(r.comparison.length, 3);
  assert.match(r.table, /recur bi-GRU/);
  assert.match(r.table, /baseline: majority class/);
  assert.match(r.table, /PEBLS \(published\)/);
  const text = formatSpliceSummary(r);
  assert.match(text, /confusion matrix/);
  assert.match(text, /macro AUC/);
  assert.ok(r.timings.totalMs > 0 && r.timings.backend.length > 0);
  await assert.rejects(runSplice({ folds: 3 } as never), OptionError);
  await assert.rejects(runSplice({ cv: 0 }), ValueError);
  await assert.rejects(runSplice({ savedOnly: true }), OptionError);
});

test('runSplice with cv: 3 covers every example once (tiny)', async () => {
  const r = (await runSplice({ limit: 60, cv: 3, epochs: 1, hidden: 2, ensemble: 2, seed: 1 }))!;
  assert.equal(r.folds.length, 3);
  assert.equal(r.folds.reduce((a, f) => a + f.test, 0), 60);
  assert.equal(r.systems[0]!.metrics.n, 60);
  assert.equal(r.systems[0]!.foldErrors.length, 3);
  assert.ok(r.folds.every((f) => f.members.length === 2));
  assert.match(r.table, /ensemble of 2/);
  // The same seed reproduces the run exactly.
  const again = (await runSplice({ limit: 60, cv: 3, epochs: 1, hidden: 2, ensemble: 2, seed: 1 }))!;
  assert.deepEqual(again.systems.map((s) => s.perClassError), r.systems.map((s) => s.perClassError));
  const noTime = (h: typeof r.history): unknown => h.map((f) => f.map(({ ms: _ms, ...rest }) => rest));
  assert.deepEqual(noTime(again.history), noTime(r.history));
});
