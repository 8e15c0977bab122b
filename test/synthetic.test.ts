/**
 * Synthetic tasks: shapes, the documented statistics (adding problem target = sum of the two
 * marked values, trivial-predictor MSE ≈ 1/6), task semantics (copy, flip-flop, delayed
 * response, first token), seeded determinism and argument checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, addingProblem, copyTask, delayedResponse, firstTokenTask, flipFlop } from '../src/index.js';

test('adding problem: two markers (one per half), target = sum of the marked values, baseline MSE ≈ 1/6', () => {
  const [T, B] = [50, 4000];
  const { x, y, positions, baselineMse } = addingProblem(T, B, { rng: new Rng(1) });
  assert.deepEqual([...x.shape], [T, B, 2]);
  assert.deepEqual([...y.shape], [B, 1]);
  let mse = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    let marks = 0;
    for (let t = 0; t < T; t++) {
      const v = x.data[(t * B + b) * 2]!;
      assert.ok(v >= 0 && v < 1);
      if (x.data[(t * B + b) * 2 + 1] === 1) {
        marks++;
        s += v;
      }
    }
    assert.equal(marks, 2);
    assert.ok(positions[2 * b]! < T / 2 && positions[2 * b + 1]! >= Math.floor(T / 2));
    assert.ok(Math.abs(y.data[b]! - s) < 1e-6);
    mse += (y.data[b]! - 1) ** 2;
  }
  mse /= B;
  assert.ok(Math.abs(mse - baselineMse) < 0.01, `trivial MSE ${mse}`);
});

test('copy task: layout, targets repeat the symbols after the marker, baseline loss', () => {
  const [delay, B, L, K] = [20, 16, 5, 6];
  const c = copyTask(delay, B, { rng: new Rng(2), length: L, alphabet: K, dtype: 'float64' });
  assert.equal(c.T, delay + 2 * L);
  assert.deepEqual([...c.x.shape], [c.T, B, K + 2]);
  assert.equal(c.x.dtype, 'float64');
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < c.T; t++) {
      const tok = c.tokens[t * B + b]!;
      assert.equal(c.x.data[(t * B + b) * (K + 2) + tok], 1);
      if (t < L) assert.ok(tok >= 1 && tok <= K);
      else assert.equal(tok, t === L + delay - 1 ? K + 1 : 0);
      assert.equal(c.targets[t * B + b], t >= c.T - L ? c.tokens[(t - (c.T - L)) * B + b] : 0);
    }
  }
  assert.ok(Math.abs(c.baselineLoss - (L * Math.log(K)) / c.T) < 1e-12);
});

test('flip-flop: targets hold the sign of the last pulse per channel', () => {
  const [T, B, bits] = [200, 8, 3];
  const { x, y } = flipFlop(T, B, { rng: new Rng(3), bits, pulseProb: 0.1 });
  let pulses = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < bits; c++) {
      let last = 0;
      for (let t = 0; t < T; t++) {
        const v = x.data[(t * B + b) * bits + c]!;
        assert.ok(v === 0 || v === 1 || v === -1);
        if (v !== 0) {
          last = v;
          pulses++;
        }
        assert.equal(y.data[(t * B + b) * bits + c], last);
      }
    }
  }
  const rate = pulses / (T * B * bits);
  assert.ok(Math.abs(rate - 0.1) < 0.02, `pulse rate ${rate}`);
});

test('delayed response: cue value held until the go signal, then output', () => {
  const [T, B] = [40, 32];
  const d = delayedResponse(T, B, { rng: new Rng(4), cueSteps: 3, minDelay: 5, maxDelay: 15 });
  for (let b = 0; b < B; b++) {
    const go = d.goTimes[b]!;
    const v = d.values[b]!;
    assert.ok(go >= 8 && go <= 18 && v >= -1 && v <= 1);
    for (let t = 0; t < T; t++) {
      assert.ok(Math.abs(d.x.data[(t * B + b) * 2]! - (t < 3 ? v : 0)) < 1e-6);
      assert.equal(d.x.data[(t * B + b) * 2 + 1], t === go ? 1 : 0);
      assert.ok(Math.abs(d.y.data[t * B + b]! - (t >= go ? v : 0)) < 1e-6);
      assert.equal(d.mask.data[t * B + b], t >= go ? 1 : 0);
    }
  }
  assert.throws(() => delayedResponse(18, 1, { rng: new Rng(0), cueSteps: 3, maxDelay: 15 }), /T an integer/);
});

test('first token decides the label; generators are deterministic per seed', () => {
  const [T, B] = [100, 500];
  const f = firstTokenTask(T, B, { rng: new Rng(5), numClasses: 3, vocab: 10 });
  assert.deepEqual([...f.x.shape], [T, B, 10]);
  const counts = [0, 0, 0];
  for (let b = 0; b < B; b++) {
    assert.equal(f.labels[b], f.tokens[b]);
    assert.equal(f.x.data[b * 10 + f.labels[b]!], 1);
    counts[f.labels[b]!]!++;
  }
  assert.ok(counts.every((c) => Math.abs(c / B - 1 / 3) < 0.07), `${counts}`);
  assert.equal(f.chanceAccuracy, 1 / 3);
  const a1 = addingProblem(10, 3, { rng: new Rng(9) });
  const a2 = addingProblem(10, 3, { rng: new Rng(9) });
  assert.deepEqual(Array.from(a1.x.data), Array.from(a2.x.data));
  assert.throws(() => addingProblem(1, 3, { rng: new Rng(0) }), /T an integer >= 2/);
  assert.throws(() => firstTokenTask(5, 2, { rng: new Rng(0), numClasses: 4, vocab: 3 }), /vocab/);
  assert.throws(() => flipFlop(5, 2, { rng: new Rng(0), pulse: 0.2 } as never), /unknown option "pulse"/);
});
