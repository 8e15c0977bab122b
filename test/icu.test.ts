/**
 * ICU recipe: metrics and the logistic baseline on hand cases, long-format parsing with
 * located errors, GRU-D inputs (δ, last observation), GRU-D beating GRU-Mean on synthetic
 * series with informative missingness, and a tiny `recur train --task irregular` run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_CONFIG, auprc, bestEvent1Threshold, binHourly, event1, fitLogistic, fitScaler, parseLongFormat, parseTime, predictLogistic,
  runIcu, sequenceInputs, syntheticIrregular, toLongCsv, meanStd, mergeResults, verdicts, pairedDiff,
  type FoldResult, type IcuResults, type IrregularData, type MethodKind,
} from '../src/recipes/icu/index.js';
import { runInProcess, runsIn, tempDir } from './cli-helpers.js';

test('auprc: average precision on hand cases (ties enter together)', () => {
  // Ranked 1,0,1,0: precision at the positives 1 and 2/3 → AP = (1 + 2/3)/2.
  assert.ok(Math.abs(auprc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) - (1 + 2 / 3) / 2) < 1e-12);
  assert.equal(auprc([0.9, 0.8, 0.1], [1, 1, 0]), 1);
  // All tied: one threshold, precision = prevalence.
  assert.ok(Math.abs(auprc([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0]) - 0.25) < 1e-12);
});

test('event-1 score = min(Se, +P) at a threshold; the best threshold on a hand case', () => {
  const s = [0.9, 0.8, 0.7, 0.6, 0.2, 0.1];
  const y = [1, 0, 1, 0, 1, 0];
  const e = event1(s, y, 0.7); // predicted positive: 0.9, 0.8, 0.7 → tp 2, fp 1, fn 1
  assert.deepEqual([e.se, e.ppv, e.score].map((v) => +v.toFixed(6)), [+(2 / 3).toFixed(6), +(2 / 3).toFixed(6), +(2 / 3).toFixed(6)]);
  assert.equal(bestEvent1Threshold(s, y), 0.7);
  assert.equal(event1(s, y, 2).score, 0); // nothing predicted positive
});

test('L2 logistic regression: the fitted weights satisfy the optimality condition Xᵀ(p − y)/n + λw = 0', () => {
  const rows: Float64Array[] = [];
  const y: number[] = [];
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  for (let i = 0; i < 200; i++) {
    const x = Float64Array.from([rnd() * 4, rnd() * 4, rnd() * 4]);
    rows.push(x);
    y.push(x[0]! - 0.5 * x[1]! + rnd() * 2 > 0 ? 1 : 0);
  }
  const lambda = 0.01;
  const m = fitLogistic(rows, y, lambda);
  const p = predictLogistic(m, rows);
  for (let j = 0; j < 3; j++) {
    let g = lambda * m.w[j]!;
    for (let i = 0; i < rows.length; i++) g += ((p[i]! - y[i]!) * rows[i]![j]!) / rows.length;
    assert.ok(Math.abs(g) < 1e-8, `gradient ${j}: ${g}`);
  }
  let gb = 0;
  for (let i = 0; i < rows.length; i++) gb += (p[i]! - y[i]!) / rows.length;
  assert.ok(Math.abs(gb) < 1e-8, 'intercept gradient');
  assert.ok(m.w[0]! > 0 && m.w[1]! < 0 && Math.abs(m.w[2]!) < Math.abs(m.w[1]!), 'signs of the generating rule');
});

test('long format: HH:MM times, header descriptors, −1 as missing, located errors', () => {
  assert.equal(parseTime('01:30'), 1.5);
  assert.equal(parseTime('2.25'), 2.25);
  assert.ok(Number.isNaN(parseTime('1:75')));
  const text = 'RecordID,Time,Parameter,Value\n1,00:00,RecordID,1\n1,00:00,Age,54\n1,00:00,Weight,-1\n1,00:07,HR,73\n1,01:10,HR,80\n1,02:00,Weight,70\n1,49:00,HR,99\n';
  const p = parseLongFormat(text, 'f.csv', { staticNames: ['Age', 'Weight'], headerOnlyStatics: ['Weight'], ignore: ['RecordID'], missingValues: [-1], hours: 48 });
  const r = p.byId.get('1')!;
  assert.deepEqual(p.variables, ['HR', 'Weight']);
  assert.equal(r.statics[0], 54);
  assert.ok(Number.isNaN(r.statics[1]!), 'header Weight −1 is missing');
  assert.deepEqual(r.obs.map((o) => [o.t, o.v, o.value]), [[7 / 60, 0, 73], [70 / 60, 0, 80], [2, 1, 70]]);
  assert.throws(() => parseLongFormat('id,time,variable,value\n1,00:00,HR,abc\n', 'g.csv'), /g\.csv:2:12/);
  assert.throws(() => parseLongFormat('id,time,variable,value\n1,xx,HR,3\n', 'g.csv'), /g\.csv:2:3/);
  assert.throws(() => parseLongFormat('a,b\n', 'h.csv'), /h\.csv:1:1/);
});

test('GRU-D inputs: hourly bins, δ as Che et al. (1 + δ after a miss), last observation carried', () => {
  const d: IrregularData = {
    variables: ['v'], staticNames: [], categorical: {}, hours: 4,
    stays: [{ id: 'a', label: 0, statics: [], obs: [{ t: 0.2, v: 0, value: 1 }, { t: 0.7, v: 0, value: 3 }, { t: 3.5, v: 0, value: 5 }] }],
  };
  const b = binHourly(d);
  assert.deepEqual(Array.from(b.values[0]!).map((x) => (Number.isNaN(x) ? null : x)), [2, null, null, 5]);
  const s = fitScaler(d.stays, [0], 1);
  const q = sequenceInputs(b, 0, s);
  assert.deepEqual(Array.from(q.mask), [1, 0, 0, 1]);
  assert.deepEqual(Array.from(q.delta), [0, 1, 2, 3]);
  const z2 = (2 - s.mean[0]!) / s.std[0]!;
  assert.ok(Math.abs(q.xLast[1]! - z2) < 1e-6 && Math.abs(q.xLast[3]! - z2) < 1e-6 && q.xLast[0] === 0);
});

test('informative missingness (synthetic, seeded): GRU-D beats GRU-Mean by ≥ 0.03 AUROC', () => {
  const data = syntheticIrregular({ n: 400, hours: 12, variables: 2, seed: 3 });
  const r = runIcu(data, { ...DEFAULT_CONFIG, methods: ['gru-mean', 'grud'], folds: 2, foldsToRun: 1, hidden: 8, epochs: 8, patience: 8, batchSize: 32, lr: 1e-2, dropout: 0 });
  const auc = (m: string): number => r.folds.find((f) => f.method === m)!.auroc;
  assert.ok(auc('grud') - auc('gru-mean') >= 0.03, `GRU-D ${auc('grud').toFixed(3)} vs GRU-Mean ${auc('gru-mean').toFixed(3)}`);
  assert.ok(auc('grud') > 0.75, `GRU-D reads the sampling rate: ${auc('grud').toFixed(3)}`);
});

test('recur train --task irregular on a small long-format CSV writes a run with report and results', async () => {
  const dir = tempDir('recur-icu-');
  const { csv, labels } = toLongCsv(syntheticIrregular({ n: 120, hours: 6, seed: 2 }));
  writeFileSync(join(dir, 'series.csv'), csv);
  writeFileSync(join(dir, 'labels.csv'), labels);
  const args = ['train', '--task', 'irregular', '--csv', 'series.csv', '--labels', 'labels.csv', '--static', 'noise', '--hours', '6',
    '--methods', 'logistic,gru-mean,grud', '--folds', '3', '--folds-to-run', '1', '--epochs', '1', '--hidden', '4', '--quiet', '--name', 'icu'];
  const res = await runInProcess(args, dir);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /GRU-D/);
  assert.deepEqual(runsIn(join(dir, 'runs')), ['icu']);
  for (const f of ['report.html', 'results.json', 'metrics.json', 'table.txt']) assert.ok(existsSync(join(dir, 'runs', 'icu', f)), f);
  const m = JSON.parse(readFileSync(join(dir, 'runs', 'icu', 'metrics.json'), 'utf8')) as { folds: { auroc: number }[] };
  assert.equal(m.folds.length, 3);
  const bad = await runInProcess(['train', '--task', 'irregular', '--csv', 'series.csv', '--quiet'], dir);
  assert.equal(bad.code, 2, bad.stderr);
  writeFileSync(join(dir, 'broken.csv'), 'id,time,variable,value\ns0,00:00,HR,x\n');
  const broken = await runInProcess(['train', '--task', 'irregular', '--csv', 'broken.csv', '--labels', 'labels.csv', '--quiet'], dir);
  assert.equal(broken.code, 1, broken.stderr);
  assert.match(broken.stderr, /broken\.csv:2:/);
  assert.ok(meanStd([1, 3]).std > 1.4);
});

function fakeResults(methods: MethodKind[], aucs: Record<string, number[]>): IcuResults {
  const folds: FoldResult[] = methods.flatMap((m) => aucs[m]!.map((auroc, fold) => ({
    method: m, fold, auroc, auprc: 0.4, event1: 0.4, se: 0.4, ppv: 0.4, threshold: 0.2, valAuroc: 0.8, epochs: 1, seconds: 1,
  })));
  return { config: { ...DEFAULT_CONFIG, methods }, folds, oof: Object.fromEntries(methods.map((m) => [m, [0.1, 0.9]])), labels: [0, 1], n: 2, positives: 1 };
}

test('merging split runs and the worded verdicts: "does not beat" when the paired differences say so', () => {
  const a = fakeResults(['logistic', 'gru-mean'], { logistic: [0.85, 0.86, 0.84], 'gru-mean': [0.82, 0.83, 0.81] });
  const b = fakeResults(['grud'], { grud: [0.84, 0.87, 0.83] });
  const r = mergeResults([a, b]);
  assert.deepEqual(r.config.methods, ['logistic', 'gru-mean', 'grud']);
  assert.deepEqual(pairedDiff(r, 'grud', 'logistic').map((x) => +x.toFixed(4)), [-0.01, 0.01, -0.01]);
  const v = verdicts(r).join(' ');
  assert.match(v, /GRU-D vs the logistic baseline: Δ AUROC -0\.0033/);
  assert.match(v, /do not beat the summary-feature baseline/);
  assert.match(v, /not met/);
  assert.match(v, /GRU-D − GRU-Mean: Δ AUROC \+0\.0267 ± 0\.0115 \(better on 3\/3 folds\)/);
  const win = mergeResults([a, fakeResults(['grud'], { grud: [0.87, 0.88, 0.86] })]);
  assert.match(verdicts(win).join(' '), /beats the summary-feature baseline on every fold.*met \(0\.8700\)/);
});
