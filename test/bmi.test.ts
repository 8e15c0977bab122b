import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, Tensor, noGrad } from '../src/index.js';
import {
  StreamingDecoder, WindowDecoder, contiguousFolds, decode, kalmanFilter, kalmanFit, kalmanRunner, laggedDesign, linearPredict, matchColumns, r2, ridgeFit, samplesOf, summarise,
  type KalmanModel,
} from '../src/recipes/bmi/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

/** Solve S x = b by Gauss–Jordan with partial pivoting (independent of the recipe's Cholesky). */
function gaussJordan(S: number[][], B: number[][]): number[][] {
  const n = S.length;
  const M = S.map((row, i) => [...row, ...B[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    const d = M[c]![c]!;
    M[c] = M[c]!.map((v) => v / d);
    for (let r = 0; r < n; r++) if (r !== c) M[r] = M[r]!.map((v, j) => v - M[r]![c]! * M[c]![j]!);
  }
  return M.map((row) => row.slice(n));
}

/** y = x·Wᵀ + noise with x ~ N(0, I): design (n, p + 1) with intercept, targets (n, K). */
function linearGaussian(n: number, p: number, K: number, sigma: number, rng: Rng, W: number[][]): { A: Float64Array; Y: Float64Array } {
  const A = new Float64Array(n * (p + 1));
  const Y = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) A[i * (p + 1) + j] = rng.normal();
    A[i * (p + 1) + p] = 1;
    for (let k = 0; k < K; k++) {
      let s = 0.5;
      for (let j = 0; j < p; j++) s += W[k]![j]! * A[i * (p + 1) + j]!;
      Y[i * K + k] = s + sigma * rng.normal();
    }
  }
  return { A, Y };
}

test('Wiener filter = the closed-form ridge solution; R² reaches the analytic optimum on a linear-Gaussian case', () => {
  const rng = new Rng(1);
  const p = 6;
  const K = 2;
  const W = [[1, -0.5, 0.3, 0, 0.8, -1], [0.2, 0.9, -0.7, 0.4, 0, 0.5]];
  const { A, Y } = linearGaussian(3000, p, K, 1, rng, W);
  const lambda = 25;
  const got = ridgeFit(A, p + 1, Y, K, lambda);
  const cols = p + 1;
  const S = Array.from({ length: cols }, (_, a) => Array.from({ length: cols }, (_, b) => {
    let s = a === b && a < p ? lambda : 0;
    for (let i = 0; i < 3000; i++) s += A[i * cols + a]! * A[i * cols + b]!;
    return s;
  }));
  const B = Array.from({ length: cols }, (_, a) => Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let i = 0; i < 3000; i++) s += A[i * cols + a]! * Y[i * K + k]!;
    return s;
  }));
  const want = gaussJordan(S, B);
  for (let a = 0; a < cols; a++) for (let k = 0; k < K; k++) assert.ok(Math.abs(got[a * K + k]! - want[a]![k]!) < 1e-8, `W[${a},${k}]`);
  // Optimum R² per target: var(signal) / (var(signal) + σ²), signal variance = ||w_k||².
  const opt = W.map((w) => {
    const v = w.reduce((s, x) => s + x * x, 0);
    return v / (v + 1);
  });
  const test = linearGaussian(20000, p, K, 1, rng, W);
  const score = r2(test.Y, linearPredict(test.A, cols, got, K), K);
  score.perTarget.forEach((r, k) => assert.ok(Math.abs(r - opt[k]!) < 0.02, `target ${k}: R² ${r} vs optimum ${opt[k]}`));
});

test('laggedDesign rows are [X(t−L) … X(t), 1]', () => {
  const N = 3;
  const X = Float64Array.from({ length: 10 * N }, (_, i) => i);
  const row = laggedDesign(X, N, 2, [5]);
  assert.deepEqual([...row], [9, 10, 11, 12, 13, 14, 15, 16, 17, 1]);
});

/** A 2-D linear-Gaussian state space: rotation-damped dynamics, N noisy linear observations. */
function stateSpace(T: number, N: number, rng: Rng, h?: Float64Array): { m: KalmanModel; S: Float64Array; Z: Float64Array } {
  const a = 0.95;
  const th = 0.2;
  const A = Float64Array.from([a * Math.cos(th), -a * Math.sin(th), a * Math.sin(th), a * Math.cos(th)]);
  const Wd = 0.1;
  const H = h ?? Float64Array.from({ length: N * 2 }, () => rng.normal());
  const q = 4;
  const S = new Float64Array(T * 2);
  const Z = new Float64Array(T * N);
  let x = [0, 0];
  for (let t = 0; t < T; t++) {
    x = [A[0]! * x[0]! + A[1]! * x[1]! + Math.sqrt(Wd) * rng.normal(), A[2]! * x[0]! + A[3]! * x[1]! + Math.sqrt(Wd) * rng.normal()];
    S.set(x, t * 2);
    for (let i = 0; i < N; i++) Z[t * N + i] = H[i * 2]! * x[0]! + H[i * 2 + 1]! * x[1]! + Math.sqrt(q) * rng.normal();
  }
  const Q = new Float64Array(N * N);
  for (let i = 0; i < N; i++) Q[i * N + i] = q;
  // Stationary state covariance: P = A P Aᵀ + W, iterated.
  let P = [0, 0, 0, 0];
  for (let it = 0; it < 2000; it++) {
    const AP = [A[0]! * P[0]! + A[1]! * P[2]!, A[0]! * P[1]! + A[1]! * P[3]!, A[2]! * P[0]! + A[3]! * P[2]!, A[2]! * P[1]! + A[3]! * P[3]!];
    P = [AP[0]! * A[0]! + AP[1]! * A[1]! + Wd, AP[0]! * A[2]! + AP[1]! * A[3]!, AP[2]! * A[0]! + AP[3]! * A[1]!, AP[2]! * A[2]! + AP[3]! * A[3]! + Wd];
  }
  return { m: { K: 2, N, A, W: Float64Array.from([Wd, 0, 0, Wd]), H, Q, P0: Float64Array.from(P) }, S, Z };
}

function mse(a: Float64Array, b: Float64Array): number {
  return a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;
}

test('Kalman filter: the true-parameter filter reaches the steady-state Riccati error; the least-squares fit matches it', () => {
  const rng = new Rng(7);
  const N = 6;
  const train = stateSpace(20000, N, rng);
  const { m, S, Z: z } = stateSpace(8000, N, new Rng(8), train.m.H);
  const trueRun = kalmanRunner(m);
  const best = mse(kalmanFilter(trueRun, z, 0, 8000).subarray(400), S.subarray(400));
  // Steady-state posterior covariance: P⁻ = A P Aᵀ + W, P = (P⁻⁻¹ + HᵀQ⁻¹H)⁻¹; per-dimension MSE = trace(P) / 2.
  let P = Float64Array.from(m.P0);
  const inv2 = (M: ArrayLike<number>): number[] => {
    const d = M[0]! * M[3]! - M[1]! * M[2]!;
    return [M[3]! / d, -M[1]! / d, -M[2]! / d, M[0]! / d];
  };
  for (let it = 0; it < 500; it++) {
    const A = m.A;
    const AP = [A[0]! * P[0]! + A[1]! * P[2]!, A[0]! * P[1]! + A[1]! * P[3]!, A[2]! * P[0]! + A[3]! * P[2]!, A[2]! * P[1]! + A[3]! * P[3]!];
    const Pp = [AP[0]! * A[0]! + AP[1]! * A[1]! + m.W[0]!, AP[0]! * A[2]! + AP[1]! * A[3]!, AP[2]! * A[0]! + AP[3]! * A[1]!, AP[2]! * A[2]! + AP[3]! * A[3]! + m.W[3]!];
    const info = inv2(Pp).map((v, i) => v + trueRun.HtQiH[i]!);
    P = Float64Array.from(inv2(info));
  }
  const riccati = (P[0]! + P[3]!) / 2;
  assert.ok(Math.abs(best / riccati - 1) < 0.06, `empirical ${best} vs Riccati ${riccati}`);
  const fit = kalmanFit(train.S, 2, train.Z, N, [{ start: 0, end: 20000 }], 0);
  fit.A.forEach((v, i) => assert.ok(Math.abs(v - m.A[i]!) < 0.02, `A[${i}] ${v} vs ${m.A[i]}`));
  const fitted = mse(kalmanFilter(kalmanRunner(fit), z, 0, 8000).subarray(400), S.subarray(400));
  assert.ok(fitted / best < 1.02, `fitted ${fitted} vs optimum ${best}`);
  // Optimality: any other gain does worse, e.g. the same filter with a mis-scaled transition noise.
  for (const c of [0.25, 4]) assert.ok(mse(kalmanFilter(trueRun, z, 0, 8000, c).subarray(400), S.subarray(400)) > best, `c = ${c} beats the optimum`);
});

test('contiguous folds: blocks are disjoint and cover all bins, validation is the next block, no window crosses into validation or test', () => {
  const T = 1003;
  const L = 5;
  const folds = contiguousFolds(T, 10);
  assert.equal(folds.length, 10);
  const tests = folds.map((f) => f.test);
  tests.forEach((b, i) => i && assert.equal(b.start, tests[i - 1]!.end));
  assert.equal(tests[0]!.start, 0);
  assert.equal(tests[9]!.end, T);
  for (const f of folds) {
    assert.deepEqual(f.val, tests[(f.fold + 1) % 10]);
    const owner = new Int8Array(T);
    for (const b of [...f.train, f.val, f.test]) for (let t = b.start; t < b.end; t++) owner[t]! += 1;
    assert.ok(owner.every((c) => c === 1), 'every bin in exactly one of train/val/test');
    const heldOut = (t: number): boolean => (t >= f.val.start && t < f.val.end) || (t >= f.test.start && t < f.test.end);
    for (const t of f.train.flatMap((b) => samplesOf(b, L))) for (let s = t - L; s <= t; s++) assert.ok(!heldOut(s), `fold ${f.fold}: training window of bin ${t} reaches held-out bin ${s}`);
    for (const t of samplesOf(f.test, L)) assert.ok(t - L >= f.test.start && t < f.test.end);
  }
});

test('streaming decode with carried state (T = 1 per bin) equals the window decoder, GRU and LSTM', () => {
  for (const cell of ['gru', 'lstm'] as const) {
    const rng = new Rng(3);
    const N = 5;
    const L = 4;
    const T = 40;
    const X = Float32Array.from({ length: T * N }, () => rng.normal());
    const model = new WindowDecoder({ cell, inputs: N, hidden: 8, targets: 2, dropout: 0.3 }, rng);
    const s = { X, Y: new Float32Array(T * 2), N, K: 2, lags: L };
    const ts = Array.from({ length: T - L }, (_, i) => i + L);
    const ref = decode(model, s, ts);
    const sd = new StreamingDecoder(model, L);
    const got: number[] = [];
    for (let t = 0; t < T; t++) {
      const y = sd.push(X.subarray(t * N, (t + 1) * N));
      assert.equal(y === null, t < L);
      if (y) got.push(...y);
    }
    assert.equal(got.length, ref.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 1e-5, `${cell} ${i}: ${v} vs ${ref[i]}`));
    noGrad(() => assert.ok(model.forward(new Tensor(new Float32Array((L + 1) * N), [L + 1, 1, N])).shape[1] === 2));
  }
});

test('matchColumns expands globs in header order and refuses a pattern that matches nothing', () => {
  assert.deepEqual(matchColumns(['t', 'vel_x', 'unit0', 'unit1', 'x'], 'unit*', '--input-cols'), ['unit0', 'unit1']);
  assert.throws(() => matchColumns(['a'], 'unit*', '--input-cols'), /--input-cols/);
});

/** Cosine-tuned Poisson neurons driven by a smooth 2-D velocity. */
function syntheticCsv(path: string, T: number, N: number, rng: Rng, bad = false): void {
  const pref = Array.from({ length: N }, () => rng.uniform(0, 2 * Math.PI));
  const rows = ['target,vel_x,vel_y,' + Array.from({ length: N }, (_, i) => `unit${i}`).join(',')];
  let v = [0, 0];
  for (let t = 0; t < T; t++) {
    v = [0.9 * v[0]! + rng.normal(), 0.9 * v[1]! + rng.normal()];
    const counts = pref.map((p) => {
      const rate = Math.exp(0.5 + 0.3 * (v[0]! * Math.cos(p) + v[1]! * Math.sin(p)));
      let k = 0;
      for (let u = Math.exp(-Math.min(rate, 30)), s = u, x = rng.random(); x > s && k < 60; ) s += (u *= Math.min(rate, 30) / ++k);
      return k;
    });
    rows.push([0, v[0]!.toFixed(4), v[1]!.toFixed(4), ...counts].join(','));
  }
  if (bad) rows[5] = rows[5]!.replace(/,(\d+)$/, ',oops');
  writeFileSync(path, rows.join('\n') + '\n');
}

test('recur train --task decode on a synthetic CSV exits 0 with a report; bad cells exit 1 with file:line:col, unknown columns exit 2', async () => {
  const dir = tempDir('recur-bmi-');
  const csv = join(dir, 'rec.csv');
  syntheticCsv(csv, 240, 8, new Rng(5));
  const args = ['train', '--task', 'decode', '--csv', csv, '--target-cols', 'vel_x,vel_y', '--input-cols', 'unit*', '--cv', '3', '--lags', '2', '--epochs', '2', '--seeds', '1', '--cells', 'gru', '--hidden', '8', '--dropout', '0', '--quiet', '--name', 'syn', '--runs-dir', join(dir, 'runs')];
  const r = await runInProcess(args, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Wiener\s+0\.\d+/);
  const metrics = JSON.parse(readFileSync(join(dir, 'runs', 'syn', 'metrics.json'), 'utf8')) as { summary: { systems: { name: string; mean: number }[] }[] };
  const wiener = metrics.summary[0]!.systems.find((s) => s.name === 'Wiener')!;
  assert.ok(wiener.mean > 0.3, `the Wiener filter decodes cosine-tuned neurons (R² ${wiener.mean})`);
  assert.ok(existsSync(join(dir, 'runs', 'syn', 'report.html')));
  const badCsv = join(dir, 'bad.csv');
  syntheticCsv(badCsv, 240, 8, new Rng(5), true);
  const b = await runInProcess([...args.slice(0, 4), badCsv, ...args.slice(5, -4), '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(b.code, 1, b.stderr);
  assert.match(b.stderr, /bad\.csv:6:\d+/);
  const u = await runInProcess(['train', '--task', 'decode', '--csv', csv, '--input-cols', 'neuron*', '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(u.code, 2, u.stderr);
  assert.match(u.stderr, /--input-cols/);
});

test('summarise: recurrent rows score the seed average, blend rows the blend; wins and the paired difference to Wiener with its SEM', () => {
  const fold = (f: number, w: number, k: number, ens: number, blend: number) => ({
    split: 's', fold: f, bins: { train: 1, val: 1, test: 1 }, wiener: { lambda: 1, val: 0, test: w, perTarget: [w] }, kalman: { c: 1, val: 0, test: k, perTarget: [k] },
    rnn: [{ cell: 'lstm' as const, hidden: 8, dropout: 0, grid: [], test: [ens - 0.1, ens - 0.05], ensemble: ens, perTarget: [ens], blend: { alpha: 0.5, val: 0, test: blend }, epochs: [1, 1] }],
    streaming: { latencies: [0.1], maxAbsDiff: 0 }, trace: { bins: [], truth: [], wiener: [], kalman: [], rnn: [] }, ms: 0,
  });
  const [s] = summarise([{ name: 's', kind: 'cv' }], [fold(0, 0.5, 0.4, 0.6, 0.55), fold(1, 0.5, 0.6, 0.4, 0.52), fold(2, 0.5, 0.3, 0.7, 0.6)], ['lstm']);
  assert.deepEqual(s!.systems.map((y) => y.name), ['Wiener', 'Kalman', 'LSTM', 'LSTM+W']);
  assert.ok(Math.abs(s!.systems[2]!.mean - 0.5667) < 1e-4);
  const lstm = s!.wins.find((x) => x.decoder === 'LSTM')!;
  assert.deepEqual([lstm.vsWiener, lstm.vsKalman], [2, 2]);
  // Differences 0.1, −0.1, 0.2: mean 0.0667, sd 0.1528, SEM 0.0882.
  assert.ok(Math.abs(lstm.diff - 0.0667) < 1e-4 && Math.abs(lstm.sem - 0.0882) < 1e-4, `${lstm.diff} ± ${lstm.sem}`);
  const blend = s!.wins.find((x) => x.decoder === 'LSTM+W')!;
  assert.deepEqual([blend.vsWiener, blend.vsKalman], [3, 2]);
  assert.match(s!.verdict[0]!, /beats Wiener on 2 of 3 folds \(paired difference \+0\.067 ± 0\.088 SEM\)/);
});
