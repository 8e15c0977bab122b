/** Splice comparisons made honest: deduplication, the position-aware baseline, the published protocol, nested selection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import {
  SELECT_GRID, dedupSplice, describeDedup, formatSpliceSummary, formatSpliceTable, kmerLogisticBaseline, loadSplice, oneHotFeatures,
  oneHotLogisticBaseline, parseSplice, publishedProtocolNote, runSplice, spliceReport, spliceRunOptions, spliceVerdict,
} from '../src/recipes/splice/index.js';

const seq = (c: string, i: number): string => `${c.repeat(10)}${'ACGT'[i % 4]!.repeat(50)}`;

test('dedup: exact duplicates keep the first row, conflicting sequences are dropped entirely, counts add up', () => {
  const a = seq('A', 0);
  const b = seq('C', 1);
  const c = seq('G', 2);
  const x = seq('T', 3);
  const text = [`EI, n1, ${a}`, `IE, n2, ${b}`, `EI, n3, ${a.toLowerCase()}`, `N, n4, ${c}`, `N, n5, ${x}`, `EI, n6, ${x}`, `EI, n7, ${a}`, `N, n8, ${x}`, ''].join('\n');
  const { data, counts } = dedupSplice(parseSplice(text));
  assert.deepEqual(data.names, ['n1', 'n2', 'n4']);
  assert.deepEqual(data.labels, [0, 1, 2]);
  assert.deepEqual(counts, { applied: true, rowsRead: 8, duplicatesRemoved: 2, conflictingDropped: 3, conflictingSequences: 1, kept: 3 });
  assert.equal(describeDedup(counts), '8 rows read; 2 exact duplicates removed; 3 rows of 1 sequence with conflicting labels dropped; 3 kept');
  const dir = mkdtempSync(join(tmpdir(), 'splice-dedup-'));
  try {
    const file = join(dir, 's.data');
    writeFileSync(file, text);
    assert.equal(loadSplice(file).sequences.length, 3);
    const kept = loadSplice(file, { keepDuplicates: true });
    assert.equal(kept.sequences.length, 8);
    assert.match(describeDedup(kept.dedup!), /8 rows read, duplicates kept \(--keep-duplicates/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dedup of the shipped file: no sequence twice, none with two labels', () => {
  const d = loadSplice();
  assert.equal(new Set(d.sequences).size, d.sequences.length);
  const c = d.dedup!;
  assert.equal(c.rowsRead, 3190);
  assert.ok(c.duplicatesRemoved > 100 && c.conflictingSequences >= 1, JSON.stringify(c));
  assert.equal(c.kept + c.duplicatesRemoved + c.conflictingDropped, 3190);
});

test('one-hot logistic regression learns a positional rule that position-free k-mer counts cannot', () => {
  // The class is the base at position 5; every sequence has the same composition (a permutation of one multiset).
  const rng = new Rng(4);
  const make = (y: number): string => {
    const mark = y ? 'C' : 'A';
    const rest = [...'ACGT'.repeat(5)];
    rest.splice(rest.indexOf(mark), 1);
    const other = rng.shuffle(rest).join('');
    return `${other.slice(0, 5)}${mark}${other.slice(5)}`;
  };
  const y = Array.from({ length: 160 }, (_, i) => i % 2);
  const seqs = y.map(make);
  const comp = (s: string): string => [...s].sort().join('');
  assert.ok(seqs.every((s, i) => s.length === 20 && s[5] === (y[i] ? 'C' : 'A') && comp(s) === comp('ACGT'.repeat(5))));
  const [trS, trY, teS, teY] = [seqs.slice(0, 120), y.slice(0, 120), seqs.slice(120), y.slice(120)];
  const acc = (p: Float64Array): number => teY.filter((t, i) => (p[i * 2 + 1]! > 0.5 ? 1 : 0) === t).length / teY.length;
  const onehot = oneHotLogisticBaseline(trS, trY, teS, 2, new Rng(1), { iterations: 150 });
  const kmer = kmerLogisticBaseline(trS, trY, teS, 2, { ks: [1], iterations: 150 });
  assert.ok(acc(onehot.probs) >= 0.95, `one-hot accuracy ${acc(onehot.probs)}`);
  assert.ok(acc(kmer) <= 0.75, `k-mer (k=1) accuracy ${acc(kmer)}`);
  assert.equal(onehot.valLoss.length, 5);
  assert.equal(onehot.l2, [1e-4, 1e-3, 1e-2, 1e-1, 1][onehot.valLoss.indexOf(Math.min(...onehot.valLoss))]);
  // Ambiguity codes are fractional, as the encoder does: R = A/G.
  assert.deepEqual([...oneHotFeatures(['RA']).data], [0.5, 0, 0.5, 0, 1, 0, 0, 0]);
});

test('published protocol note: matching run or "not the published protocol: N examples"', () => {
  assert.match(publishedProtocolNote({ examples: 1000, cv: 10 }), /10-fold CV on 1,000 examples; this run matches it/);
  assert.equal(publishedProtocolNote({ examples: 3004, cv: 10 }), 'published rows: 10-fold CV on 1,000 examples; not the published protocol: 3,004 examples, 10-fold CV');
  assert.match(publishedProtocolNote({ examples: 1000, cv: 5 }), /not the published protocol: 1,000 examples, 5-fold CV/);
  const t = formatSpliceTable({ title: 'T', rows: [{ system: 'm', N: 4, EI: 5, IE: 7 }], protocol: { examples: 3004, cv: 10 } });
  assert.match(t, /not the published protocol: 3,004 examples/);
  assert.match(t.replace(/\s+/g, ' '), /on 2 of 3 classes \(not like for like: 3,004 examples, 10-fold CV\)/);
});

test('verdict margins are paired per-fold differences with their sd; "within one sd" when the spread covers them', () => {
  const rows = [
    { system: 'model', N: 3, EI: 3, IE: 4, accuracy: 0.97, folds: { N: [3, 3.2, 2.8], EI: [2, 4, 3], IE: [4, 4, 4] } },
    { system: 'baseline: lr', N: 4, EI: 3.5, IE: 6, accuracy: 0.95, folds: { N: [4, 4.2, 3.8], EI: [3, 3, 4.5], IE: [6, 6.5, 5.5] } },
  ];
  const v = spliceVerdict(rows);
  const [n, ei, ie] = v.perClass;
  assert.equal(n!.vsBaseline, 'better by 1.00 ± 0.00');
  assert.deepEqual(ei!.margin!.map((x) => Number(x.toFixed(3))), [-0.5, 1.323]);
  assert.equal(ei!.vsBaseline, 'better by 0.50 ± 1.32, within 1 sd');
  assert.equal(ie!.vsBaseline, 'better by 2.00 ± 0.50');
  assert.match(v.summary, /on 3 of 3 \(by more than one fold sd on 2\)/);
});

test('nested selection: candidates on the inner validation split only, chosen members recorded, same seed same run', async () => {
  const o = { limit: 90, cv: 2, epochs: 1, seed: 2, select: true } as const;
  const r = (await runSplice(o))!;
  assert.equal(r.protocol.select, true);
  for (const f of r.folds) {
    const s = f.selection!;
    assert.equal(f.networks, SELECT_GRID.length + 2);
    assert.equal(s.candidates.length, SELECT_GRID.length + 1);
    assert.ok([1, 3].includes(s.ensemble));
    assert.equal(f.members.length, s.ensemble);
    assert.equal(s.members.length, s.ensemble);
    const single = s.candidates.slice(0, SELECT_GRID.length);
    const best = single.reduce((a, b) => (b.valError < a.valError || (b.valError === a.valError && b.valLoss < a.valLoss) ? b : a));
    assert.deepEqual([s.pooling, s.hidden], [best.pooling, best.hidden]);
  }
  assert.match(r.table, /nested selection per fold/);
  assert.match(formatSpliceSummary(r), /nested selection \(on each fold's inner validation split; 12 networks trained in all\)/);
  const again = (await runSplice(o))!;
  assert.deepEqual(again.folds.map((f) => f.selection), r.folds.map((f) => f.selection));
  assert.deepEqual(again.systems.map((s) => s.perClassError), r.systems.map((s) => s.perClassError));
});

test('fold mean ± sd per class in the result and the table', async () => {
  const r = (await runSplice({ limit: 60, cv: 3, epochs: 1, hidden: 2, ensemble: 1, seed: 1 }))!;
  for (const s of r.systems) {
    for (const [k, c] of (['EI', 'IE', 'N'] as const).entries()) {
      const v = s.foldErrors.map((e) => e[k]!);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      assert.ok(Math.abs(s.foldMean[c] - m) < 1e-9);
      assert.ok(Math.abs(s.foldSd[c] - Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1))) < 1e-9);
    }
  }
  assert.match(r.table, /per-fold error, mean ± sd over the 3 folds:\n/);
  const m = r.systems[0]!;
  const line = r.table.split('\n').filter((l) => l.startsWith(m.label))[1]!;
  assert.deepEqual(line.slice(m.label.length).trim().split(/\s+/), (['N', 'EI', 'IE'] as const).map((c) => `${m.foldMean[c].toFixed(2)}±${m.foldSd[c].toFixed(2)}`));
  for (const l of r.table.split('\n')) assert.ok(l.length <= 110, l);
});

test('a run folder from before deduplication (no keepDuplicates key) is rebuilt from the data as read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'splice-old-run-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ task: 'splice', cv: 3, seed: 2 }));
    assert.deepEqual(spliceRunOptions(dir), { cv: 3, seed: 2, keepDuplicates: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ task: 'splice', cv: 3, keepDuplicates: false, select: true }));
    assert.deepEqual(spliceRunOptions(dir), { cv: 3, keepDuplicates: false, select: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: data counts, the published protocol and whether the run matches it, paired margins with their unit', async () => {
  const r = (await runSplice({ limit: 60, cv: 2, epochs: 1, hidden: 2, ensemble: 1, seed: 3 }))!;
  const d = spliceReport({ task: 'splice' }, r);
  const facts = Object.fromEntries(d.facts!);
  assert.match(facts.data!, /^3,190 rows read; \d+ exact duplicates removed; 2 rows of 1 sequence with conflicting labels dropped; \d,\d{3} kept$/);
  assert.equal(d.tables![1]!.title, 'Published systems — 10-fold CV on 1,000 examples; not the published protocol: 60 examples, 2-fold CV');
  assert.match(d.tables![1]!.caption!, /^Not like for like/);
  assert.deepEqual(d.tables![0]!.columns.slice(-3), ['EI fold mean ± sd', 'IE fold mean ± sd', 'N fold mean ± sd']);
  assert.match(d.tables![0]!.verdict![0]!, /: (better|worse) by \d+\.\d\d ± \d+\.\d\d(, within 1 sd)? \(points, mean ± sd over folds of the paired difference\); best published/);
});
