/** src/data: padding, collation, time slicing, batching with a seeded shuffle, splits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import { zeros } from '../src/tensor/create.js';
import { OptionError, ShapeError, ValueError } from '../src/util/errors.js';
import {
  padSequences, collateSequences, sliceTime, batchSizeOf, timeStepsOf, batches, batchIndices, chunkOrder, epochOrder,
  select, splitChronological, randomSplit,
} from '../src/data/index.js';

const SEQS = [[[1, 10], [2, 20], [3, 30]], [[4, 40]], [[5, 50], [6, 60]]];

test('padSequences: time-first layout, lengths, mask and pad value', () => {
  const { x, lengths, mask } = padSequences(SEQS, { padValue: -1 });
  assert.deepEqual(x.shape, [3, 3, 2]);
  assert.deepEqual([...lengths], [3, 1, 2]);
  assert.deepEqual(x.toArray(), [
    [[1, 10], [4, 40], [5, 50]],
    [[2, 20], [-1, -1], [6, 60]],
    [[3, 30], [-1, -1], [-1, -1]],
  ]);
  assert.deepEqual(mask.toArray(), [[1, 1, 1], [1, 0, 1], [1, 0, 0]]);
  assert.equal(x.dtype, 'float32');
});

test('padSequences: batch-first layout, Float32Array steps and float64', () => {
  const seqs = SEQS.map((s) => s.map((st) => Float32Array.from(st)));
  const { x, mask } = padSequences(seqs, { batchFirst: true, dtype: 'float64' });
  assert.deepEqual(x.shape, [3, 3, 2]);
  assert.equal(x.dtype, 'float64');
  assert.deepEqual(x.toArray(), [
    [[1, 10], [2, 20], [3, 30]],
    [[4, 40], [0, 0], [0, 0]],
    [[5, 50], [6, 60], [0, 0]],
  ]);
  assert.deepEqual(mask.toArray(), [[1, 1, 1], [1, 0, 0], [1, 1, 0]]);
});

test('padSequences: typed errors', () => {
  assert.throws(() => padSequences([]), ValueError);
  assert.throws(() => padSequences([[[1]], []]), /empty sequence at index 1/);
  assert.throws(() => padSequences([[[1, 2]], [[1]]]), ShapeError);
  assert.throws(() => padSequences(SEQS, { batchfirst: true } as never), OptionError);
});

test('collateSequences pads x and y alike; sliceTime cuts along time and clamps lengths', () => {
  const examples = SEQS.map((x) => ({ x, y: x.map((s) => [s[0]! * 2]) }));
  for (const batchFirst of [false, true]) {
    const b = collateSequences(examples, { batchFirst });
    assert.equal(batchSizeOf(b), 3);
    assert.equal(timeStepsOf(b), 3);
    assert.deepEqual(b.y.shape, [3, 3, 1]);
    const w = sliceTime(b, 1, 3);
    assert.equal(timeStepsOf(w), 2);
    assert.deepEqual([...w.lengths!], [2, 0, 1]);
    const at = (t: { at(...i: number[]): number }, step: number, seq: number, f: number): number => (batchFirst ? t.at(seq, step, f) : t.at(step, seq, f));
    assert.equal(at(w.x, 0, 0, 1), 20);
    assert.equal(at(w.y, 1, 0, 0), 6);
    assert.equal(at(w.x, 0, 2, 0), 6);
    assert.deepEqual(w.mask!.toArray(), batchFirst ? [[1, 1], [0, 0], [1, 0]] : [[1, 0, 1], [1, 0, 0]]);
  }
  assert.throws(() => collateSequences([{ x: [[1]], y: [[1], [2]] }]), ShapeError);
  const b = collateSequences(examples);
  assert.throws(() => sliceTime(b, 2, 2), ValueError);
  const two = collateSequences(examples.slice(0, 2));
  assert.throws(() => sliceTime({ ...two, y: zeros([2, 1]) }, 0, 1), ShapeError); // a per-sequence target has no time axis
  assert.throws(() => sliceTime({ ...two, y: zeros([2]) }, 0, 1), ShapeError);
});

test('batches: sizes, dropLast, and a shuffle reproduced by the seed and by the rng state', () => {
  const data = Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(batches(data, { batchSize: 4 }), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  assert.deepEqual(batches(data, { batchSize: 4, dropLast: true }), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  const a = batches(data, { batchSize: 3, shuffle: true, rng: new Rng(7) });
  const b = batches(data, { batchSize: 3, shuffle: true, rng: new Rng(7) });
  assert.deepEqual(a, b);
  assert.deepEqual(a.flat().sort((x, y) => x - y), data);
  assert.notDeepEqual(a.flat(), data);
  const rng = new Rng(3);
  batchIndices(10, { batchSize: 2, shuffle: true, rng });
  const saved = rng.getState();
  const next = batchIndices(10, { batchSize: 2, shuffle: true, rng });
  const again = new Rng(999);
  again.setState(saved);
  assert.deepEqual(batchIndices(10, { batchSize: 2, shuffle: true, rng: again }), next);
  assert.deepEqual(chunkOrder(epochOrder(5), 2), [[0, 1], [2, 3], [4]]);
  assert.throws(() => batches(data, { batchSize: 2, shuffle: true }), OptionError);
  assert.throws(() => batches(data, { batchSize: 0 }), ValueError);
  assert.throws(() => batches(data, { batchSize: 2, seed: 1 } as never), OptionError);
  assert.throws(() => select(data, [10]), ValueError);
});

test('splitChronological and randomSplit: sizes as PyTorch random_split, disjoint, seeded', () => {
  assert.deepEqual(splitChronological(10, [0.8, 0.2]), [[0, 1, 2, 3, 4, 5, 6, 7], [8, 9]]);
  const parts = randomSplit(10, [0.33, 0.33, 0.34], new Rng(1));
  assert.deepEqual(parts.map((p) => p.length), [4, 3, 3]);
  assert.deepEqual(parts.flat().sort((x, y) => x - y), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(randomSplit(10, [0.33, 0.33, 0.34], new Rng(1)), parts);
  assert.throws(() => splitChronological(10, [0.5, 0.4]), ValueError);
  assert.throws(() => randomSplit(10, [1.5, -0.5], new Rng(0)), ValueError);
});
