/**
 * `recur analyze`: on tiny trained runs of both tasks and on PyTorch state dicts the command
 * exits 0 and analysis.json holds every instrument's result with sane invariants; on a
 * constructed near-linear contracting RNN the numbers match the known ones (log |eigenvalues|)
 * and the readings say so; bad runs, weights and options give typed errors with exit 1 or 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LSTM, RNN, Rng, Tensor, analysis, saveStateDictFile } from '../src/index.js';
import {
  BUDGETS, analyzeSubject, fmt, gradientRatio, type AnalysisDocument, type Budget,
} from '../src/recipes/analyze/index.js';
import { FIX, runInProcess, smallForecastArgs, tempDir } from './cli-helpers.js';

const INTEROP = join(import.meta.dirname, 'fixtures', 'interop');
const readDoc = (dir: string): AnalysisDocument => JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8')) as AnalysisDocument;

/** Invariants every analysis must satisfy, whatever the model. */
function checkInvariants(doc: AnalysisDocument): void {
  const { gradientFlow: g, lyapunov: l, fixedPoints: f, dmd: d } = doc.results;
  assert.equal(g.gradNorm.length, g.steps);
  assert.deepEqual(g.lags, Array.from({ length: g.steps }, (_, t) => g.steps - 1 - t));
  for (const v of [...g.gradNorm, g.initialGradNorm]) assert.ok(Number.isFinite(v) && v >= 0, `gradient norm ${v}`);
  assert.ok(g.gradNorm.at(-1)! > 0, 'the loss depends on the last state');
  for (const logs of g.logSingularValues) for (let i = 1; i < logs.length; i++) assert.ok(logs[i - 1] === null || logs[i]! === null || logs[i - 1]! >= logs[i]! - 1e-9, 'σ descending');
  assert.ok(l.exponents.length >= 1 && l.exponents.length <= doc.subject.stateSize);
  for (let i = 0; i < l.exponents.length; i++) {
    assert.ok(l.exponents[i] === null || Number.isFinite(l.exponents[i]!), `exponent ${i} finite (or −∞, stored as null)`);
    if (i && l.exponents[i] !== null) assert.ok(l.exponents[i - 1]! >= l.exponents[i]! - 1e-9, 'exponents sorted descending');
  }
  for (const p of f.points) {
    assert.ok(p.q <= f.tolSlow, `residual q ${p.q} ≤ ${f.tolSlow}`);
    if (p.kind === 'fixed') assert.ok(p.q <= f.tolFixed);
    if (p.stability === 'stable') assert.ok(p.moduli[0]! < 1, 'a stable point has every |λ| < 1');
    for (let i = 1; i < p.moduli.length; i++) assert.ok(p.moduli[i - 1]! >= p.moduli[i]! - 1e-12);
  }
  if (!('skipped' in d)) {
    assert.ok(d.rank >= 1 && d.rank <= d.stateSize);
    assert.ok(d.r2Change <= 1 && d.r2State <= 1 && d.r2WithInput <= 1);
    assert.ok(d.r2WithInput >= d.r2Change - 1e-6, 'adding the input to a least-squares fit cannot explain less than DMD\'s rank-limited map');
    for (let i = 1; i < d.eigenvalues.length; i++) assert.ok(d.eigenvalues[i - 1]!.modulus >= d.eigenvalues[i]!.modulus - 1e-12);
  }
  // Readings quote the measured numbers.
  if (l.exponents[0] !== null) assert.ok(doc.readings.lyapunov[0]!.includes(fmt(l.exponents[0]!)), doc.readings.lyapunov[0]);
  for (const k of ['gradientFlow', 'lyapunov', 'fixedPoints', 'dmd'] as const) assert.ok(doc.readings[k].length >= 1 && doc.readings[k].every((s) => s.length > 10), k);
}

test('recur analyze on a forecasting run: held-out windows, the task loss, any layer', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const tr = await runInProcess([...smallForecastArgs(runs, 'fc'), '--epochs', '1', '--hidden', '4', '--layers', '2', '--cell', 'lstm', '--quiet'], cwd);
  assert.equal(tr.code, 0, tr.stderr);
  const run = join(runs, 'fc');
  const r = await runInProcess(['analyze', '--run', run, '--budget', 'quick'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Lyapunov spectrum\n {2}- largest Lyapunov exponent -?\d/);
  const html = readFileSync(join(run, 'analysis.html'), 'utf8');
  for (const t of ['Gradient flow through time: ‖∂L/∂s_t‖ by lag', 'Lyapunov spectrum (input-driven)', 'DMD eigenvalues of the state trajectory']) assert.ok(html.includes(t), t);
  assert.ok(html.includes('uPlot') && !/\b(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), 'offline: the charting library inlined');
  const doc = readDoc(run);
  checkInvariants(doc);
  assert.equal(doc.subject.stateSize, 8, 'LSTM state [h, c]');
  assert.match(doc.results.gradientFlow.lossLabel, /training loss \(mse\)/);
  assert.ok(doc.results.gradientFlow.cGradNorm, 'LSTM: the cell-state gradient too');
  assert.match(doc.subject.inputs, /windows of 12 steps from the run's test part/);

  const top = await runInProcess(['analyze', '--run', run, '--layer', '1', '--inputs', 'train', '--budget', 'quick', '--out', 'top', '--json'], cwd);
  assert.equal(top.code, 0, top.stderr);
  const printed = JSON.parse(top.stdout) as AnalysisDocument;
  assert.equal(printed.subject.layer, 1);
  assert.equal(printed.results.fixedPoints.input.length, 4, 'layer 1 reads layer 0\'s hidden state');
  assert.deepEqual(readDoc(join(cwd, 'top')).readings, printed.readings);
  checkInvariants(printed);

  const csv = await runInProcess(['analyze', '--run', run, '--inputs', join(FIX, 'series.csv'), '--budget', 'quick', '--out', 'csv'], cwd);
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(readDoc(join(cwd, 'csv')).subject.inputs, /from series\.csv/);

  for (const [args, code, msg] of [
    [['--layer', '2'], 2, /--layer: expected a layer in 0…1, got 2/],
    [['--cell', 'gru'], 2, /--cell: expected an option used with --weights/],
    [['--direction', 'reverse'], 2, /--direction: expected forward \(the module is unidirectional\)/],
    [['--inputs', 'missing.csv'], 1, /missing\.csv: expected an input file, got no such file/],
    [['--budget', 'huge'], 2, /argument 'huge' is invalid/],
    [['--inputs', 'random'], 2, /--inputs: expected heldout, train or a file for a run/],
  ] as const) {
    const bad = await runInProcess(['analyze', '--run', run, ...args], cwd);
    assert.equal(bad.code, code, `${args.join(' ')}: ${bad.stderr}`);
    assert.match(bad.stderr, msg);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('recur analyze on a splice run: fold 1\'s test sequences, either direction', async () => {
  const cwd = tempDir();
  const tr = await runInProcess(['train', '--limit', '60', '--epochs', '1', '--hidden', '3', '--ensemble', '1', '--quiet', '--name', 'sp'], cwd);
  assert.equal(tr.code, 0, tr.stderr);
  const run = join(cwd, 'runs', 'sp');
  const folds = (JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as { folds: { test: number; train: number; val: number }[] }).folds;
  for (const direction of ['forward', 'reverse']) {
    const r = await runInProcess(['analyze', '--run', run, '--direction', direction, '--budget', 'quick'], cwd);
    assert.equal(r.code, 0, r.stderr);
    const doc = readDoc(run);
    checkInvariants(doc);
    assert.match(doc.subject.description, new RegExp(`bidirectional GRU 3, ${direction} direction`));
    assert.ok(doc.subject.inputs.includes(`all ${folds[0]!.test} of them`), `${doc.subject.inputs}: the held-out fold's size`);
  }
  const train = await runInProcess(['analyze', '--run', run, '--inputs', 'train', '--budget', 'quick', '--json'], cwd);
  assert.equal(train.code, 0, train.stderr);
  assert.ok((JSON.parse(train.stdout) as AnalysisDocument).subject.inputs.includes(`all ${folds[0]!.train + folds[0]!.val} of them`));
  const seqs = Array.from({ length: 5 }, (_, i) => `>s${i}\n${'ACGT'.repeat(15).slice(i)}${'ACGT'.slice(0, i)}`);
  writeFileSync(join(cwd, 'new.fa'), `${seqs.join('\n')}\n`);
  const fa = await runInProcess(['analyze', '--run', run, '--inputs', 'new.fa', '--budget', 'quick', '--out', 'fa'], cwd);
  assert.equal(fa.code, 0, fa.stderr);
  assert.match(readDoc(join(cwd, 'fa')).subject.inputs, /^5 sequences of 60 nt from new\.fa/);
  writeFileSync(join(cwd, 'short.fa'), '>a\nACGT\n');
  const short = await runInProcess(['analyze', '--run', run, '--inputs', 'short.fa'], cwd);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /short\.fa: expected sequences of 60 nucleotides, got 4/);
  const notRun = await runInProcess(['analyze', '--run', cwd], cwd);
  assert.equal(notRun.code, 2);
  assert.match(notRun.stderr, /expected a run folder/);
});

/** An RNN whose step is h' = tanh(W h + U x), W = Q diag(eigs) Qᵀ; with inputs of 1e-4 it is linear to ~1e-8. */
function nearlyLinearRnn(eigs: number[], I: number, rng: Rng): { model: RNN; W: number[][] } {
  const H = eigs.length;
  const { Q } = analysis.qr({ rows: H, cols: H, data: Float64Array.from({ length: H * H }, () => rng.normal()) });
  const W = Array.from({ length: H }, (_, i) => Array.from({ length: H }, (_, j) => eigs.reduce((a, e, k) => a + Q.data[i * H + k]! * e * Q.data[j * H + k]!, 0)));
  const model = new RNN(I, H, { rng });
  model.loadStateDict({
    weight_ih_l0: new Tensor(Float32Array.from({ length: H * I }, () => rng.normal()), [H, I]),
    weight_hh_l0: new Tensor(Float32Array.from(W.flat()), [H, H]),
    bias_ih_l0: new Tensor(new Float32Array(H), [H]), bias_hh_l0: new Tensor(new Float32Array(H), [H]),
  });
  return { model, W: W.map((r) => r.map((v) => Math.fround(v))) };
}

test('readings on a contracting (nearly linear) RNN: the known exponents, gradient ratios and spectra', () => {
  const rng = new Rng(3);
  const eigs = [0.9, 0.7, -0.5, 0.3];
  const { model, W } = nearlyLinearRnn(eigs, 4, rng);
  const noise = (n: number): Float64Array => Float64Array.from({ length: n }, () => 1e-4 * rng.normal());
  const [T, B, N] = [24, 8, 3000];
  const budget: Budget = { ...BUDGETS.normal, batch: B, seeds: 16, iterations: 400 };
  const doc = analyzeSubject({
    model, layer: 0, batch: new Tensor(noise(T * B * 4), [T, B, 4]), drive: new Tensor(noise(N * 4), [N, 1, 4]),
    lossLabel: 'Σ of the last output', description: 'constructed RNN', inputsLabel: 'noise 1e-4',
  }, budget, new Rng(0));
  checkInvariants(doc);
  const known = eigs.map((e) => Math.log(Math.abs(e))).sort((a, b) => b - a);
  doc.results.lyapunov.exponents.forEach((e, i) => assert.ok(Math.abs(e - known[i]!) < 2e-3, `λ${i + 1} = ${e}, known ${known[i]}`));
  assert.match(doc.readings.lyapunov[0]!, new RegExp(`^largest Lyapunov exponent ${fmt(doc.results.lyapunov.exponents[0]!)} per step: contracting`));
  assert.match(fmt(doc.results.lyapunov.exponents[0]!), /^-0\.10[45]$/, 'log 0.9 = −0.1054');
  assert.ok(doc.results.lyapunov.converged && doc.readings.lyapunov.includes('converged: every exponent changed by less than 1e-5 over the last window'));

  // ∂L/∂h_t = (Wᵀ)^k·1/B for every sequence (L = Σ h_T / B): the ratio to the last step is ‖W^k 1‖/‖1‖.
  const g = doc.results.gradientFlow;
  let v = W.map(() => 1);
  for (let k = 1; k < T; k++) {
    v = W.map((row) => row.reduce((a, w, j) => a + w * v[j]!, 0));
    const want = Math.hypot(...v) / 2;
    assert.ok(Math.abs(gradientRatio(g, k) / want - 1) < 1e-4, `lag ${k}: ${gradientRatio(g, k)} vs ${want}`);
  }
  assert.ok(doc.readings.gradientFlow[0]!.startsWith(`gradients reaching 10 steps back: ${fmt(gradientRatio(g, 10))} of the last step's`));
  assert.match(doc.readings.gradientFlow.join('\n'), /vanishing: on average ×0\.\d+ per step/);
  // Jacobian products are W^k: singular values |e_i|^k.
  g.spans.forEach((k, j) => g.logSingularValues[j]!.forEach((l, i) => assert.ok(Math.abs(l - k * known[i]!) < 1e-5 * k, `span ${k} σ${i + 1}`)));

  const f = doc.results.fixedPoints;
  assert.equal(f.points.length, 1);
  assert.equal(f.points[0]!.stability, 'stable');
  f.points[0]!.moduli.forEach((m, i) => assert.ok(Math.abs(m - Math.exp(known[i]!)) < 1e-6, `fixed point |λ${i + 1}| = ${m}`));
  assert.match(doc.readings.fixedPoints.join('\n'), /slowest mode \|λ\| = 0\.9 \(time constant 9\.49 steps\)/);

  // DMD of the driven states estimates W (the inputs are white noise, uncorrelated with the state).
  const d = doc.results.dmd;
  assert.ok(!('skipped' in d));
  assert.equal(d.rank, 4);
  assert.ok(d.r2WithInput > 0.9999, `the dynamics are linear in (state, input) to ~1e-8: R² ${d.r2WithInput}`);
  assert.ok(d.r2Change < 0.9, `without the input a linear map of the state misses the input's push: R² ${d.r2Change}`);
  d.eigenvalues.forEach((e, i) => assert.ok(Math.abs(e.modulus - Math.exp(known[i]!)) < 0.06, `DMD |λ${i + 1}| = ${e.modulus}`));
});

test('readings follow the numbers: an orthogonal RNN is neutral, a high-gain random RNN expands', () => {
  const rng = new Rng(11);
  const budget: Budget = { ...BUDGETS.quick, batch: 4, seeds: 8, iterations: 200 };
  const run = (model: RNN, scale: number, H: number): AnalysisDocument => analyzeSubject({
    model, layer: 0, batch: new Tensor(Float64Array.from({ length: 20 * 4 * H }, () => scale * rng.normal()), [20, 4, H]),
    drive: new Tensor(Float64Array.from({ length: 2000 * H }, () => scale * rng.normal()), [2000, 1, H]),
    lossLabel: 'Σ of the last output', description: 'constructed', inputsLabel: 'noise',
  }, budget, new Rng(0));
  // Orthogonal W, inputs of 1e-5: the Jacobian is W to ~1e-8, every exponent ≈ 0.
  const neutral = nearlyLinearRnn([1, 1, 1, 1], 4, rng).model;
  const n = run(neutral, 1e-5, 4);
  for (const e of n.results.lyapunov.exponents) assert.ok(Math.abs(e) < 1e-4, `exponent ${e} ≈ 0`);
  assert.match(n.readings.lyapunov[0]!, /per step: neutral \(within ±0\.005\)/);
  assert.match(n.readings.gradientFlow.join('\n'), /roughly preserved/);
  // Gain 3 (W ~ N(0, 9/H)): chaotic for large H (Sompolinsky, Crisanti & Sommers 1988).
  const H = 48;
  const chaotic = new RNN(H, H, { rng });
  chaotic.loadStateDict({
    weight_ih_l0: new Tensor(Float32Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? 1 : 0)), [H, H]),
    weight_hh_l0: new Tensor(Float32Array.from({ length: H * H }, () => (3 / Math.sqrt(H)) * rng.normal()), [H, H]),
    bias_ih_l0: new Tensor(new Float32Array(H), [H]), bias_hh_l0: new Tensor(new Float32Array(H), [H]),
  });
  const c = run(chaotic, 0.1, H);
  assert.ok(c.results.lyapunov.exponents[0]! > 0.005, `λ1 = ${c.results.lyapunov.exponents[0]}`);
  assert.match(c.readings.lyapunov[0]!, new RegExp(`^largest Lyapunov exponent ${fmt(c.results.lyapunov.exponents[0]!)}.* per step: expanding \\(chaotic\\)`));
});

test('recur analyze --weights: PyTorch state dicts (bidirectional GRU, ReLU RNN, a prefix); bad weights refused', async () => {
  const cwd = tempDir();
  const gru = await runInProcess(['analyze', '--weights', join(INTEROP, 'gru.safetensors'), '--cell', 'gru', '--layer', '1', '--direction', 'reverse', '--budget', 'quick', '--out', 'g'], cwd);
  assert.equal(gru.code, 0, gru.stderr);
  const g = readDoc(join(cwd, 'g'));
  checkInvariants(g);
  assert.deepEqual([g.subject.mode, g.subject.layer, g.subject.layers, g.subject.inputSize, g.subject.hiddenSize], ['gru', 1, 2, 18, 9]);
  assert.match(g.subject.inputs, /Gaussian noise/);

  const rnn = await runInProcess(['analyze', '--weights', join(INTEROP, 'rnn.safetensors'), '--cell', 'rnn', '--nonlinearity', 'relu', '--input-size', '5', '--hidden', '4', '--layers', '3', '--budget', 'quick', '--out', 'r', '--seed', '4'], cwd);
  assert.equal(rnn.code, 0, rnn.stderr);
  checkInvariants(readDoc(join(cwd, 'r')));
  assert.equal(readDoc(join(cwd, 'r')).subject.mode, 'rnn_relu');

  // A state dict under a prefix (a module inside a bigger model), fed a CSV of inputs.
  const lstm = new LSTM(3, 5, { rng: new Rng(1) });
  const sd = Object.fromEntries(Object.entries(lstm.stateDict()).map(([k, t]) => [`encoder.lstm.${k}`, t]));
  await saveStateDictFile(join(cwd, 'enc.safetensors'), { ...sd, 'head.weight': new Tensor(new Float32Array(10), [2, 5]) });
  const rows = Array.from({ length: 120 }, (_, t) => `${Math.sin(t / 5).toFixed(4)},${Math.cos(t / 7).toFixed(4)},${(t % 3) - 1}`);
  writeFileSync(join(cwd, 'in.csv'), `a,b,c\n${rows.join('\n')}\n`);
  const enc = await runInProcess(['analyze', '--weights', 'enc.safetensors', '--inputs', 'in.csv', '--steps', '20', '--budget', 'quick', '--out', 'e', '--json'], cwd);
  assert.equal(enc.code, 0, enc.stderr);
  const e = JSON.parse(enc.stdout) as AnalysisDocument;
  checkInvariants(e);
  assert.deepEqual([e.subject.mode, e.subject.stateSize, e.results.gradientFlow.steps, e.results.gradientFlow.batch], ['lstm', 10, 20, 6]);

  await saveStateDictFile(join(cwd, 'two.safetensors'), { ...sd, ...Object.fromEntries(Object.entries(sd).map(([k, t]) => [k.replace('encoder', 'decoder'), t])) });
  for (const [args, code, msg] of [
    [['--weights', join(INTEROP, 'lstm.safetensors')], 1, /weight_hr_l0: expected an LSTM without projection/],
    [['--weights', join(INTEROP, 'gru.safetensors'), '--cell', 'lstm'], 1, /expected the --cell given \(lstm\), got gru in the file/],
    [['--weights', join(INTEROP, 'gru.safetensors'), '--hidden', '8'], 1, /expected the --hidden given \(8\), got 9 in the file/],
    [['--weights', 'nope.safetensors'], 1, /nope\.safetensors: expected a safetensors file, got no such file/],
    [['--weights', join(FIX, 'series.csv')], 1, /series\.csv/],
    [['--weights', 'two.safetensors'], 2, /--prefix: expected one of "decoder\.lstm\.", "encoder\.lstm\."/],
    [['--weights', 'enc.safetensors', '--inputs', join(FIX, 'series.csv')], 1, /expected 3 numeric columns \(the model's input size\), got 4/],
    [['--weights', join(INTEROP, 'gru.safetensors'), '--nonlinearity', 'relu'], 2, /--nonlinearity: expected an RNN state dict/],
    [[], 2, /expected one model: --run DIR or --weights FILE, got neither/],
    [['--weights', 'enc.safetensors', '--inputs', 'heldout'], 2, /--inputs: expected random or a CSV file with --weights/],
  ] as const) {
    const bad = await runInProcess(['analyze', ...args], cwd);
    assert.equal(bad.code, code, `${args.join(' ')}: ${bad.stderr}`);
    assert.match(bad.stderr, msg);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('recur analyze --help explains the instruments, with examples', async () => {
  const r = await runInProcess(['analyze', '--help'], tempDir());
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: recur analyze/);
  assert.match(r.stdout, /Examples:\n {2}\$ recur analyze --run /);
  assert.match(r.stdout, /--weights model\.safetensors --cell lstm/);
});
