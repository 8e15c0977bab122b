import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileError, FormatError, Rng } from '../src/index.js';
import {
  CHANNELS, Segmenter, calibrated, dependencyFlow, detectSteps, f1Of, fitSegmenter, labelsOf, loadGait, matchSteps, matchedGruHidden, paired,
  paramCount, predictSeq, reachOf, runsOf, shifted, stepsFromProbs, subjectFolds, t975, tuneDetector, verdict, windowStarts,
  type Interval, type Seq, type Trial, type WindowSummary,
} from '../src/recipes/gait/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

/**
 * A synthetic foot-IMU trial with known steps: every `period` samples each foot swings for
 * `len` samples (the right foot half a period later); during a swing the gyroscope spins at up to
 * 4 rad/s and the accelerometer departs from gravity, between swings only noise.
 */
function synthTrial(name: string, subject: number, T: number, rng: Rng, period = 110, len = 45): Trial {
  const C = CHANNELS.length;
  const X = new Float32Array(T * C);
  const steps: Record<'lf' | 'rf', Interval[]> = { lf: [], rf: [] };
  const first = 60 + rng.int(20);
  (['lf', 'rf'] as const).forEach((f, k) => {
    for (let s = first + (k * period) / 2; s + len < T - 20; s += period + rng.int(7) - 3) steps[f].push([Math.round(s), Math.round(s) + len - 1]);
  });
  for (let t = 0; t < T; t++) {
    (['lf', 'rf'] as const).forEach((f, k) => {
      const st = steps[f].find(([a, b]) => t >= a && t <= b);
      const ph = st ? Math.sin((Math.PI * (t - st[0])) / len) : 0;
      const o = t * C + k * 6;
      X[o] = 9.81 + 3 * ph + 0.05 * rng.normal();
      X[o + 1] = 0.05 * rng.normal();
      X[o + 2] = 0.05 * rng.normal();
      X[o + 3] = 0.03 * rng.normal();
      X[o + 4] = 4 * ph + 0.03 * rng.normal();
      X[o + 5] = 0.03 * rng.normal();
    });
  }
  return { name, subject, T, X, steps };
}

test('runsOf finds runs of at least minLen samples, with inclusive ends', () => {
  const on = [0, 1, 1, 1, 0, 1, 0, 1, 1];
  assert.deepEqual(runsOf(on.length, (t) => on[t] === 1, 1), [[1, 3], [5, 5], [7, 8]]);
  assert.deepEqual(runsOf(on.length, (t) => on[t] === 1, 2), [[1, 3], [7, 8]]);
});

test('matchSteps: both ends within the tolerance, one to one, closest pairs first', () => {
  const truth: Interval[] = [[10, 50], [120, 160]];
  assert.deepEqual(matchSteps([[12, 48], [125, 170]], truth, 5), { tp: 1, detected: 2, annotated: 2 }); // end 170 is 10 off
  assert.equal(matchSteps([[12, 48], [125, 170]], truth, 10).tp, 2);
  // two detections near one annotated step: only one counts
  assert.deepEqual(matchSteps([[10, 50], [11, 51]], [[10, 50]], 3), { tp: 1, detected: 2, annotated: 1 });
  assert.equal(f1Of({ tp: 1, detected: 2, annotated: 1 }), 2 / 3);
  assert.equal(f1Of({ tp: 0, detected: 0, annotated: 0 }), 1);
});

test('calibrated recovers a constant offset between detections and annotations', () => {
  const truth: Interval[] = Array.from({ length: 20 }, (_, i) => [100 * i + 10, 100 * i + 50]);
  const late = truth.map(([a, b]): Interval => [a + 7, b + 12]);
  assert.equal(f1Of(matchSteps(late, truth, 5)), 0);
  const c = calibrated([late], [{ T: 3000, truth }], 5);
  assert.deepEqual([c.shiftStart, c.shiftEnd, c.f1], [-7, -12, 1]);
  assert.deepEqual(shifted([[0, 5], [8, 9]], -2, 3, 11), [[0, 8], [6, 10]]);
});

test('the zero-velocity detector finds the known steps of a synthetic IMU trial, and tuning on one trial carries to another', () => {
  const rng = new Rng(3);
  const tr = synthTrial('1-1', 1, 1500, rng);
  const found = detectSteps(tr, 'lf', { gyrThr: 0.5, accThr: 1000, smooth: 1, minLen: 5, shiftStart: 0, shiftEnd: 0 });
  assert.ok(tr.steps.lf.length >= 10);
  assert.ok(f1Of(matchSteps(found, tr.steps.lf, 5)) > 0.95, JSON.stringify(found.slice(0, 3)));
  const grid = { gyrThr: [0.05, 0.5, 5], accThr: [1000, 1], smooth: [1, 5], minLen: [5, 60] };
  const tuned = tuneDetector([tr], 3, grid);
  assert.ok(tuned.f1 > 0.95);
  assert.equal(tuned.params.minLen, 5); // 60 would drop every 45-sample step
  const other = synthTrial('2-1', 2, 1500, new Rng(4));
  const c = (['lf', 'rf'] as const).reduce((a, f) => a + matchSteps(detectSteps(other, f, tuned.params), other.steps[f], 3).tp, 0);
  assert.ok(c / (other.steps.lf.length + other.steps.rf.length) > 0.9);
});

test('equal parameter budget: LSTM H=24 vs GRU H=29 on 12 inputs and 2 outputs', () => {
  // LSTM: 4(H(I+H) + 2H) + head H·2 + 2; GRU: 3(…)
  assert.equal(paramCount('lstm', 24), 4 * (24 * 36 + 48) + 50);
  assert.equal(paramCount('gru', 29), 3 * (29 * 41 + 58) + 60);
  assert.equal(matchedGruHidden(24), 29);
  assert.ok(Math.abs(paramCount('gru', 29) - paramCount('lstm', 24)) < Math.abs(paramCount('gru', 28) - paramCount('lstm', 24)));
});

test('windowStarts and predictSeq cover every sample of a sequence', () => {
  for (const [T, W] of [[100, 25], [101, 25], [57, 10], [20, 50], [9, 3]] as const) {
    const s = windowStarts(T, W);
    assert.equal(s[0], 0);
    assert.equal(s[s.length - 1], Math.max(0, T - W));
  }
  const rng = new Rng(1);
  const m = new Segmenter('gru', 4, rng, 3, 2);
  for (const T of [61, 64, 7]) {
    const seq: Seq = { T, X: Float32Array.from({ length: T * 3 }, () => rng.normal()), Y: new Float32Array(T * 2) };
    const p = predictSeq(m, seq, 11);
    assert.ok(p.every((v) => v > 0 && v < 1), `T=${T}: some sample was not predicted`);
  }
});

/** Impulses at step starts; the label stays on for `len` samples after each: only memory can tell. */
function impulseSeq(T: number, rng: Rng, len = 8): { seq: Seq; steps: Interval[] } {
  const X = new Float32Array(T);
  const Y = new Float32Array(T * 2);
  const steps: Interval[] = [];
  for (let s = 5 + rng.int(10); s + len < T; s += 20 + rng.int(10)) {
    X[s] = 1;
    steps.push([s, s + len - 1]);
    for (let t = s; t < s + len; t++) Y[t * 2] = Y[t * 2 + 1] = 1;
  }
  return { seq: { T, X, Y }, steps };
}

test('a tiny GRU learns a synthetic periodic segmentation that needs memory of the last impulse', async () => {
  const rng = new Rng(7);
  const train = Array.from({ length: 8 }, () => impulseSeq(300, rng).seq);
  const val = Array.from({ length: 2 }, () => impulseSeq(300, rng).seq);
  const test = impulseSeq(400, rng);
  const m = new Segmenter('gru', 8, new Rng(1), 1, 2);
  const score = (): number => f1Of(matchSteps(stepsFromProbs(predictSeq(m, test.seq, 40), test.seq.T, { threshold: 0.5, minLen: 3, shiftStart: 0, shiftEnd: 0 })[0]!, test.steps, 1));
  const before = score();
  const fit = await fitSegmenter(m, train, val, { W: 40, lr: 0.03, epochs: 25, patience: 25, stepsPerEpoch: 2000, batchSteps: 640, rng: new Rng(2) });
  assert.ok(fit && fit.history[fit.bestEpoch]!.valLoss < fit.history[0]!.valLoss);
  const after = score();
  assert.ok(after > 0.9 && after > before, `F1 before ${before.toFixed(3)}, after ${after.toFixed(3)}`);
  const flow = dependencyFlow(m, [test.seq], 40, 4, new Rng(5))!;
  assert.equal(flow.ratio.length, 40);
  assert.equal(flow.ratio[0], 1);
  assert.ok(flow.reach10 <= flow.reach1);
});

test('reachOf: the first lag below a level, or the length', () => {
  assert.equal(reachOf([1, 0.5, 0.05, 0.2, 0.001], 0.1), 2);
  assert.equal(reachOf([1, 0.5, 0.05, 0.2, 0.001], 0.01), 4);
  assert.equal(reachOf([1, 0.5], 0.01), 2);
});

test('subjectFolds: test groups partition the subjects, validation subjects come from the training side', () => {
  const subjects = Array.from({ length: 19 }, (_, i) => i + 1);
  const folds = subjectFolds(subjects, 5, 3, new Rng(0));
  assert.deepEqual(folds.flatMap((f) => f.test).sort((a, b) => a - b), subjects);
  for (const f of folds) {
    assert.equal(f.val.length, 3);
    assert.equal(new Set([...f.test, ...f.val, ...f.train]).size, 19);
    assert.ok(f.val.every((s) => !f.test.includes(s)));
  }
});

test('paired differences: mean and 95 % t interval', () => {
  assert.equal(t975(18), 2.101);
  const p = paired([1, 2, 3]);
  assert.equal(p.mean, 2);
  assert.ok(Math.abs(p.hi - (2 + (4.303 * 1) / Math.sqrt(3))) < 1e-12);
});

function win(W: number, diff: [number, number], best: [number, number]): WindowSummary {
  const st = { mean: 0.8, sd: 0.1, n: 19, reach1: 10, reach10: 5, lr: [0.01] };
  return { W, models: { lstm: st, gru: st }, classical: { mean: 0.8, sd: 0.05, n: 19 }, lstmMinusGru: { mean: (diff[0] + diff[1]) / 2, sd: 0.1, n: 19, lo: diff[0], hi: diff[1] }, bestMinusClassical: { cell: 'lstm', mean: (best[0] + best[1]) / 2, sd: 0.1, n: 19, lo: best[0], hi: best[1] } };
}

test('the verdict follows the intervals: advantage only where the LSTM − GRU interval is above 0', () => {
  const v = verdict([win(25, [-0.05, 0.02], [-0.1, -0.01]), win(200, [0.01, 0.04], [-0.02, 0.03]), win(400, [0.02, 0.06], [0.01, 0.05])], 10);
  assert.match(v[0]!, /appears at W = 200, 400 samples/);
  assert.match(v[0]!, /first at W = 200/);
  assert.match(v[1]!, /beats it at W = 400/);
  assert.match(v[1]!, /falls below it at W = 25/);
  assert.match(v[1]!, /does not differ from it conclusively .* at W = 200\./);
  const none = verdict([win(25, [-0.05, -0.01], [0, 0.1])], 10);
  assert.match(none[0]!, /No window length shows an LSTM advantage.*GRU better at W = 25/);
});

/** A gait-imu folder in the published layout, from synthetic trials. */
function writeDataDir(dir: string, trials: Trial[], { badCell = false } = {}): void {
  mkdirSync(join(dir, 'gait-imu'), { recursive: true });
  const lines = [['trial', 'sample', ...CHANNELS, 'lf_step', 'rf_step'].join(',')];
  for (const tr of trials) {
    const y = labelsOf(tr);
    for (let t = 0; t < tr.T; t++) lines.push([tr.name, t, ...Array.from(tr.X.subarray(t * 12, t * 12 + 12), (v) => v.toFixed(3)), y[t * 2], y[t * 2 + 1]].join(','));
  }
  if (badCell) lines[3] = lines[3]!.replace(/,[^,]+,/, ',oops,');
  writeFileSync(join(dir, 'gait-imu', 'gait_imu_feet.csv.gz'), gzipSync(`${lines.join('\n')}\n`));
  const meta = trials.map((tr) => ({ Subject: tr.subject, Filename: tr.name, Weight: NaN, LeftFootEvents: [...tr.steps.lf, [tr.T + 5, tr.T + 40]], RightFootEvents: tr.steps.rf }));
  writeFileSync(join(dir, 'gait-imu', 'gait_metadata.json'), JSON.stringify(meta).replaceAll('null', 'NaN'));
}

test('loadGait reads trials and steps (steps past the recording dropped); bad cells and missing files are typed errors', () => {
  const dir = tempDir('recur-gait-');
  const trials = [synthTrial('1-1', 1, 400, new Rng(1)), synthTrial('2-1', 2, 300, new Rng(2))];
  writeDataDir(dir, trials);
  const csv = join(dir, 'gait-imu', 'gait_imu_feet.csv.gz');
  const meta = join(dir, 'gait-imu', 'gait_metadata.json');
  const got = loadGait(csv, meta);
  assert.deepEqual(got.map((t) => [t.name, t.subject, t.T]), [['1-1', 1, 400], ['2-1', 2, 300]]);
  assert.deepEqual(got[0]!.steps, trials[0]!.steps);
  assert.ok(Math.abs(got[1]!.X[5]! - trials[1]!.X[5]!) < 1e-3);
  writeDataDir(dir, trials, { badCell: true });
  assert.throws(() => loadGait(csv, meta), (e: unknown) => e instanceof FormatError && /gait_imu_feet\.csv\.gz:4:5: expected a number/.test(e.message));
  assert.throws(() => loadGait(join(dir, 'none.csv.gz'), meta), FileError);
});

test('recur train --preset gait: a tiny end-to-end run on synthetic data writes the table and report; bad options exit 2', async () => {
  const dir = tempDir('recur-gait-cli-');
  writeDataDir(dir, Array.from({ length: 8 }, (_, i) => synthTrial(`${i + 1}-1`, i + 1, 500, new Rng(10 + i))));
  const args = ['train', '--preset', 'gait', '--data-dir', dir, '--folds', '2', '--only-folds', '1', '--windows', '20', '--seeds', '1', '--epochs', '1', '--steps-per-epoch', '400', '--name', 'g', '--quiet'];
  const r = await runInProcess(args, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /LSTM − GRU/);
  const m = JSON.parse(readFileSync(join(dir, 'runs', 'g', 'metrics.json'), 'utf8'));
  assert.equal(m.settings.params.lstm, paramCount('lstm', 24));
  assert.equal(m.folds[0].rnn.length, 2);
  assert.ok(readFileSync(join(dir, 'runs', 'g', 'report.html'), 'utf8').includes('gait'));
  assert.equal((await runInProcess(['train', '--preset', 'gait', '--data-dir', dir, '--only-folds', '9'], dir)).code, 2);
  assert.equal((await runInProcess(['train', '--preset', 'gait', '--data-dir', dir, '--csv', 'x.csv'], dir)).code, 2);
  assert.equal((await runInProcess(['train', '--preset', 'gait', '--data-dir', join(dir, 'nothing')], dir)).code, 1);
});
