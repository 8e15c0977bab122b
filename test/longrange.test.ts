import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, Tensor, ValueError, noGrad } from '../src/index.js';
import {
  ACCEPTOR, CNN_RF, DONOR, MODEL_KINDS, acceptorIndex, averagePrecision, flowProbe, makeModel, modelInput, oneHot, runLongRange,
  sequenceText, seqLength, spliceBatch, topKAccuracy, MODES,
} from '../src/recipes/longrange/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

const count = (s: string, motif: string): number => {
  let n = 0;
  for (let i = s.indexOf(motif); i >= 0; i = s.indexOf(motif, i + 1)) n++;
  return n;
};

test('generator: one consensus donor d/2…d upstream in positives, none in decoys; the same acceptor everywhere; seeded', () => {
  const d = 300;
  const b = spliceBatch(d, 40, new Rng(5));
  const g = acceptorIndex(d);
  assert.equal(b.T, seqLength(d));
  const pos = b.labels.reduce((a, v) => a + v, 0);
  assert.ok(pos > 5 && pos < 35, `balanced-ish classes: ${pos}/40`);
  for (let r = 0; r < b.B; r++) {
    const s = sequenceText(b, r);
    assert.equal(s.slice(g - ACCEPTOR.length + 1, g + 1), ACCEPTOR);
    assert.ok(b.dist[r]! >= d / 2 && b.dist[r]! <= d);
    const at = g - b.dist[r]!;
    assert.equal(s.slice(at, at + 2), 'GT', 'donor or decoy starts with GT');
    assert.equal(count(s, DONOR), b.labels[r] ? 1 : 0, `row ${r}: consensus donors`);
    if (b.labels[r]) assert.equal(s.indexOf(DONOR), at);
    const track = Array.from({ length: b.T }, (_, t) => b.donor[t * b.B + r]!);
    assert.deepEqual(track.flatMap((v, t) => (v ? [t] : [])), b.labels[r] ? [at + DONOR.length - 1] : []);
  }
  assert.deepEqual(spliceBatch(d, 40, new Rng(5)).bases, b.bases);
  assert.notDeepEqual(spliceBatch(d, 40, new Rng(6)).bases, b.bases);
  assert.throws(() => spliceBatch(10, 4, new Rng(0)), ValueError);
});

test('top-k accuracy and average precision: known answers', () => {
  assert.equal(topKAccuracy([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]), 1);
  assert.equal(topKAccuracy([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]), 0);
  assert.equal(topKAccuracy([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0]), 0.25, 'ties: the base rate');
  assert.ok(Math.abs(averagePrecision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) - (0.5 * 1 + 0.5 * (2 / 3))) < 1e-12);
  assert.equal(averagePrecision([0.3, 0.3], [1, 0]), 0.5);
});

test('models: parameter budgets within 15 % of each other', () => {
  const n = MODEL_KINDS.map((k) => makeModel(k, 200, new Rng(1)).numParameters());
  assert.ok(Math.max(...n) / Math.min(...n) < 1.15, n.join(', '));
});

/** The acceptor logit of `kind` for each of two inputs that differ at one position `lag` before the site. */
function logitsWithChange(kind: (typeof MODEL_KINDS)[number], lag: number, uniform = false): [number, number] {
  const d = 600;
  const m = makeModel(kind, seqLength(d), new Rng(2));
  const b = spliceBatch(d, 1, new Rng(3));
  if (uniform) b.bases.fill(0);
  const g = acceptorIndex(d);
  const alt = { ...b, bases: Uint8Array.from(b.bases) };
  alt.bases[g - lag] = (alt.bases[g - lag]! + 1) % 4;
  return noGrad(() => [b, alt].map((x) => m.forward(new Tensor(oneHot(x), [x.T, 1, 4]), g).acceptor.data[0]!)) as [number, number];
}

test('receptive fields: the CNN sees exactly 321 nt up to the site; gated recurrent and attention models see further', () => {
  // On an all-A sequence every pooled position has the same features, so a change at the
  // window's first base shows in the max (the CNN max-pools: elsewhere it may be masked).
  const [a0, a1] = logitsWithChange('cnn', CNN_RF - 1, true);
  assert.notEqual(a0, a1, 'the base at site − 320 is inside');
  const [b0, b1] = logitsWithChange('cnn', CNN_RF, true);
  assert.equal(b0, b1, 'the base at site − 321 is outside');
  const [c0, c1] = logitsWithChange('cnn', CNN_RF + 100);
  assert.equal(c0, c1, 'and so is one further back in a random sequence');
  for (const k of ['bigru', 'bilstm', 'attention'] as const) {
    const [c0, c1] = logitsWithChange(k, 550);
    assert.notEqual(c0, c1, `${k} reads 550 nt back`);
  }
  // The untrained tanh RNN (PyTorch init) contracts: 550 steps back is below float32 resolution.
  assert.deepEqual(new Set(logitsWithChange('birnn', 550)).size, 1);
  assert.deepEqual(new Set(logitsWithChange('birnn', 3)).size, 2);
});

test("the CNN's cropped input gives the full sequence's acceptor logit", () => {
  const d = 2000;
  const m = makeModel('cnn', seqLength(d), new Rng(4));
  const b = spliceBatch(d, 3, new Rng(4));
  const inp = modelInput(m, b);
  assert.ok(inp.x.shape[0]! < b.T);
  noGrad(() => {
    const full = m.forward(new Tensor(oneHot(b), [b.T, b.B, 4]), acceptorIndex(d)).acceptor.data;
    const crop = m.forward(inp.x, inp.site).acceptor.data;
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(full[i]! - crop[i]!) < 1e-5);
  });
});

test('gradient flow: a vanilla tanh RNN loses the gradient within ~30 steps; a chrono-initialised GRU keeps it', () => {
  const d = 60;
  const rnn = flowProbe(makeModel('birnn', seqLength(d), new Rng(7)), d, 2, new Rng(8));
  const gru = flowProbe(makeModel('bigru', seqLength(d), new Rng(7)), d, 2, new Rng(8));
  const at30 = (f: typeof rnn): number => f.relGrad[f.lags.indexOf(30)]!;
  assert.ok(at30(rnn) < 1e-2, `RNN: ${at30(rnn)}`);
  assert.ok(at30(gru) > 0.1, `GRU: ${at30(gru)}`);
  assert.ok(Math.max(...rnn.donorLog10) < Math.min(...gru.donorLog10));
});

test('the site-attention model learns the pairing at d = 40 in 40 updates (chance is 0.5)', async () => {
  const r = await runLongRange({ ...MODES.quick, models: ['attention'], distances: [40], warmup: 40, seed: 1, flowSequences: 0 });
  assert.ok(r.complete);
  assert.ok(r.cells[0]!.topK[0]! >= 0.85, `top-k ${r.cells[0]!.topK[0]}`);
  assert.ok(r.cells[0]!.prAuc[0]! >= 0.85);
});

test('recur train --task longrange: a run folder with metrics and report; bad options exit 2', async () => {
  const cwd = tempDir('recur-longrange-');
  const args = ['train', '--task', 'longrange', '--models', 'cnn,bigru', '--distances', '40,80', '--warmup', '3', '--updates', '1', '--test-size', '16', '--quiet', '--name', 'lr'];
  const r = await runInProcess(args, cwd);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(cwd, 'runs', 'lr');
  for (const f of ['config.json', 'metrics.json', 'table.txt', 'report.html']) assert.ok(existsSync(join(dir, f)), f);
  const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  assert.equal(m.cells.length, 4);
  assert.ok(m.cells.every((c: { topK: number[] }) => c.topK.length === 1 && c.topK[0]! >= 0 && c.topK[0]! <= 1));
  assert.match(r.stdout, /bigru\s+80/);
  for (const bad of [['--distances', '10'], ['--distances', '40,,80'], ['--models', 'transformer'], ['--warmup', '0'], ['--scale', 'huge']]) {
    const e = await runInProcess(['train', '--task', 'longrange', ...bad, '--runs-dir', join(cwd, 'bad')], cwd);
    assert.equal(e.code, 2, `${bad.join(' ')}: ${e.stderr}`);
    assert.match(e.stderr, new RegExp(bad[0]!));
  }
  const p = await runInProcess(['train', '--preset', 'splice-longrange', '--models', 'attention', '--distances', '40', '--warmup', '2', '--test-size', '8', '--quiet', '--name', 'p'], cwd);
  assert.equal(p.code, 0, p.stderr);
});

test('two runs with one seed give the same accuracy', async () => {
  const o = { ...MODES.quick, models: ['bigru' as const], distances: [40], warmup: 3, updates: 1, testSize: 16, flowSequences: 0, seed: 9 };
  const [a, b] = [await runLongRange(o), await runLongRange(o)];
  assert.deepEqual(a.cells[0]!.topK, b.cells[0]!.topK);
  assert.deepEqual(a.cells[0]!.lossCurve, b.cells[0]!.lossCurve);
});

test('--merge: runs of disjoint models combine into the same cells as one run of both', async () => {
  const cwd = tempDir('recur-longrange-merge-');
  const base = ['train', '--task', 'longrange', '--distances', '40,80', '--warmup', '3', '--updates', '1', '--test-size', '16', '--quiet'];
  for (const [models, name] of [['cnn', 'a'], ['bigru', 'b'], ['cnn,bigru', 'both']]) {
    assert.equal((await runInProcess([...base, '--models', models!, '--name', name!], cwd)).code, 0);
  }
  const m = await runInProcess(['train', '--task', 'longrange', '--merge', 'runs/b,runs/a', '--quiet', '--name', 'merged'], cwd);
  assert.equal(m.code, 0, m.stderr);
  const cells = (n: string): unknown => JSON.parse(readFileSync(join(cwd, 'runs', n, 'metrics.json'), 'utf8')).cells.map((c: { model: string; d: number; topK: number[]; prAuc: number[] }) => [c.model, c.d, c.topK, c.prAuc]);
  assert.deepEqual(cells('merged'), cells('both'));
  assert.ok(existsSync(join(cwd, 'runs', 'merged', 'report.html')));
  assert.equal((await runInProcess([...base, '--models', 'attention', '--seed', '5', '--name', 'c'], cwd)).code, 0);
  const bad = await runInProcess(['train', '--task', 'longrange', '--merge', 'runs/a,runs/c', '--quiet'], cwd);
  assert.equal(bad.code, 1, 'different settings apart from --models');
  assert.match(bad.stderr, /runs\/c/);
  assert.equal((await runInProcess(['train', '--task', 'longrange', '--merge', 'runs/a,runs/a', '--quiet'], cwd)).code, 1, 'a model twice');
});
