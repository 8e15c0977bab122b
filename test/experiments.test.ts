/**
 * The issue-5 experiments (src/recipes/dynamics) end to end on their `tiny` configuration: each
 * trains for a few steps, runs its analysis and writes report.md, its SVG figures and result.json.
 * Only the shape of the results is checked (the tiny runs learn nothing), plus the launcher's
 * argument handling. E3 reads a small synthetic text through `dataDir`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { EXPERIMENTS, runE1, runE2, runE3, runE4, runE5, runE6, type RunInfo } from '../src/recipes/dynamics/index.js';
import { matchGruWidth, paramCount, type E6Row } from '../src/recipes/dynamics/e6.js';
import { run as runE8, spearman } from '../src/recipes/dynamics/e8.js';
import { run as runE9 } from '../src/recipes/dynamics/e9.js';

const root = mkdtempSync(join(tmpdir(), 'recur-exp-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const opts = (id: string) => ({ tiny: true, seed: 1, outDir: join(root, id) });
const finite = (a: readonly number[]): boolean => a.every(Number.isFinite);

function checkReport(r: RunInfo, id: string): void {
  assert.equal(r.id, id);
  assert.equal(r.config, 'tiny');
  assert.ok(r.seconds >= 0 && typeof r.backend === 'string');
  const files = readdirSync(r.outDir);
  assert.ok(files.includes('report.md') && files.includes('result.json'), files.join(','));
  const md = readFileSync(join(r.outDir, 'report.md'), 'utf8');
  for (const m of md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
    const svg = readFileSync(join(r.outDir, m[1]!), 'utf8');
    assert.match(svg, /^<svg [^>]*>[\s\S]*<\/svg>$/, `${m[1]} is an SVG document`);
  }
  assert.equal(JSON.parse(readFileSync(join(r.outDir, 'result.json'), 'utf8')).id, id);
}

test('E1: a row per model and T, gradient norms per lag of length T, the explode/clip runs', async () => {
  const r = await runE1(opts('e1'));
  checkReport(r, 'e1');
  assert.equal(r.rows.length, 4 + 2 * 4); // the grid (T = 5) on the first seed, the long T = 8 on both
  assert.deepEqual(r.seeds, [1, 2]);
  assert.equal(r.findings.length, 4 + 3);
  for (const row of r.rows) {
    assert.ok(row.valMse >= 0 && Number.isFinite(row.gradRatioInit) && Number.isFinite(row.gradRatioTrained), JSON.stringify(row));
    assert.equal(row.learned, row.valMse < 0.01);
  }
  for (const k of ['rnn', 'lstm', 'lstm-fb1', 'gru'] as const) {
    const g = r.gradNormPerLag[k]!;
    assert.equal(g.init.length, r.flowT);
    assert.equal(g.trained.length, r.flowT);
    assert.ok(finite(g.init) && finite(g.trained) && g.init.every((v) => v >= 0));
  }
  assert.equal(r.explode.runs.length, 3);
  assert.equal(r.explode.gradNormPerLagInit.length, r.explode.T);
  assert.ok(finite(r.explode.gradNormPerLagInit));
  assert.deepEqual(r.explode.runs.map((x) => x.clip), [null, null, 1]);
});

test('E2: forward and bidirectional rows with accuracies in [0, 1], gradient ratios of the forward model', async () => {
  const r = await runE2(opts('e2'));
  checkReport(r, 'e2');
  assert.deepEqual(r.rows.map((x) => x.model), ['forward', 'bidirectional']);
  for (const x of r.rows) assert.ok(x.valAccuracy >= 0 && x.valAccuracy <= 1);
  assert.equal(r.forwardGradRatio.length, 1);
  assert.ok(Number.isFinite(r.forwardGradRatio[0]!.init) && Number.isFinite(r.forwardGradRatio[0]!.trained));
});

test('E3: rate choice on validation, test BPC over seeds and paired differences per method (synthetic text); a missing data file throws', async () => {
  const dataDir = join(root, 'data');
  mkdirSync(join(dataDir, 'tinyshakespeare'), { recursive: true });
  const line = 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n';
  writeFileSync(join(dataDir, 'tinyshakespeare', 'input.txt'), line.repeat(60));
  const r = await runE3({ ...opts('e3'), dataDir });
  checkReport(r, 'e3');
  assert.deepEqual(r.rows.map((x) => x.method), ['none', 'per-step', 'variational', 'variational+hidden']);
  for (const x of r.rows) {
    assert.equal(x.n, 2);
    assert.ok(x.testBpc.mean > 0 && x.testBpc.mean < 20 && x.valBpc.mean > 0 && x.trainBpc.mean > 0, JSON.stringify(x));
    assert.ok(Number.isFinite(x.testBpc.ci95));
  }
  assert.equal(r.runs.length, 8);
  assert.equal(r.tuning.length, 4);
  for (const x of r.runs.filter((u) => u.seed === 0)) assert.ok(r.tuning.includes(x)); // seed 0 is the tuning run
  assert.equal(r.diffs.length, 6);
  for (const d of r.diffs) assert.ok(Number.isFinite(d.mean) && d.verdict.length > 0, JSON.stringify(d));
  assert.equal(r.vocab, new Set(line).size);
  await assert.rejects(runE3({ ...opts('e3-missing'), dataDir: join(root, 'nowhere') }), /not found.*RECUR_DATA_DIR/);
});

test('E4: per seed, plain, EWC and OGD rows with forgetting = MSE on A after B − after A, and the joint bound', async () => {
  const r = await runE4(opts('e4'));
  checkReport(r, 'e4');
  assert.deepEqual(r.seeds.map((s) => s.seed), [1, 2]);
  for (const s of r.seeds) {
    assert.deepEqual(s.rows.map((x) => x.method), ['plain', 'EWC λ=10', 'OGD k=4']);
    for (const x of s.rows) {
      assert.ok(Number.isFinite(x.mseA) && Number.isFinite(x.mseB), JSON.stringify(x));
      assert.ok(Math.abs(x.forgetting - (x.mseA - s.mseAAfterA)) < 1e-3);
    }
    assert.ok(Number.isFinite(s.joint.mseA) && Number.isFinite(s.joint.mseB));
    assert.equal(s.basisSize, 4);
  }
});

test('E5: the finder returns classified fixed points with eigenvalues; the line-attractor summary is filled', async () => {
  const r = await runE5(opts('e5'));
  checkReport(r, 'e5');
  const f = r.flipflop;
  assert.ok(f.points.length >= 1, 'at least one fixed point');
  for (const p of f.points) {
    assert.equal(p.eigenvalueModuli.length, p.state.length);
    assert.ok(finite(p.eigenvalueModuli) && p.q < 1e-8);
    assert.ok(['stable', 'unstable', 'saddle', 'marginal'].includes(p.stability));
    assert.equal(p.readout.length, 3);
  }
  assert.equal(f.stable + f.saddles.reduce((s, x) => s + x.count, 0) + f.points.filter((p) => p.stability === 'marginal').length, f.fixedPoints);
  assert.ok(f.stablePatterns <= 8);
  assert.equal(r.lineAttractor.length, 1);
  assert.equal(typeof r.lineAttractor[0]!.isLineAttractor, "boolean");
  assert.ok(r.lineAttractor[0]!.slowPoints >= 0 && r.lineAttractorCount <= 1);
});

test('E6: three cells per task at (nearly) equal parameter counts; the lr sweep on the first seed, then the other seeds', async () => {
  const r = await runE6(opts('e6'));
  checkReport(r, 'e6');
  assert.equal(r.rows.length, 6);
  for (let i = 0; i < 6; i += 3) {
    const [l, f, g] = r.rows.slice(i, i + 3) as [E6Row, E6Row, E6Row];
    assert.deepEqual([l.cell, f.cell, g.cell], ['lstm', 'lstm-fb1', 'gru']);
    assert.ok(Math.abs(l.params - g.params) / l.params < 0.15 && l.params === f.params, `${l.params} vs ${g.params}`);
    for (const x of [l, f, g]) assert.ok(x.testAccuracy.mean >= 0 && x.testAccuracy.mean <= 1 && x.testAccuracy.n === 2 && r.lrs.includes(x.lr));
  }
  assert.equal(r.runs.length, 2 * 3 * (r.lrs.length + 1));
  assert.equal(r.findings.length, 6);
  assert.equal(paramCount('lstm', 2, 48, 1), 10033);
  assert.equal(matchGruWidth(2, 48, 1), 56);
});

test('E8: checkpoints with λ1 driven and autonomous, full spectra at init and trained, a summary per model', async () => {
  const r = await runE8(opts('e8'));
  checkReport(r, 'e8');
  assert.equal(r.runs.length, 4 * 2);
  for (const x of r.runs) {
    assert.deepEqual(x.checkpoints.map((c) => c.step), [0, 2, 4]);
    assert.ok(x.checkpoints.every((c) => Number.isFinite(c.lambdaDriven) && Number.isFinite(c.lambdaAuto) && c.valMse >= 0));
    const S = x.model === 'lstm' ? 8 : 4;
    assert.equal(x.spectrumInit.length, S);
    assert.equal(x.spectrumTrained.length, S);
    assert.equal(x.spectrumInit[0], x.checkpoints[0]!.lambdaDriven);
  }
  assert.deepEqual(r.summary.map((x) => x.model), ['rnn', 'lstm', 'gru', 'rnn-gain2']);
  assert.ok(Math.abs(r.spearmanAll) <= 1);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 20, 40]), spearman([1, 2, 3, 4], [1, 2, 2, 3]));
  assert.equal(spearman([1, 2, 3], [3, 2, 1]), -1);
});

test('E9: per variant and seed, fixed points, relaxed-orbit shares summing to ≤ 1 and a mechanism', async () => {
  const r = await runE9(opts('e9'));
  checkReport(r, 'e9');
  assert.deepEqual(r.runs.map((x) => x.variant), ['default init', 'identity W_hh', 'weight decay', 'default init', 'identity W_hh', 'weight decay']);
  for (const x of r.runs) {
    assert.ok(x.period1Share >= 0 && x.period2Share >= 0 && x.period1Share + x.period2Share <= 1 + 1e-9, JSON.stringify(x));
    assert.ok(x.stablePatterns <= Math.min(8, x.stable) && x.period2Patterns <= 8 && x.flipUnstable <= x.fixedPoints);
    assert.ok(['fixed points', 'period-2 orbits', 'mixed'].includes(x.mechanism));
  }
  assert.equal(r.findings.length, 3);
});

test('launcher: lists the six experiments, rejects unknown arguments', () => {
  assert.deepEqual(EXPERIMENTS.map((e) => e.id), ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'experiments', 'run.ts'), 'e10'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown argument "e10"[\s\S]*usage/);
  assert.match(bad.stderr, /e7\|e8\|e9\|all/);
  assert.ok(existsSync(join(import.meta.dirname, '..', 'docs', 'experiments.md')));
});
