/**
 * The protein-stability recipe on small synthetic data with known answers: metrics, parsing and
 * its errors, split disjointness, the ridge baseline recovering a pair table, the BiGRU beating
 * ridge when the rule needs context wider than ridge's ±3 window, the confounder demonstration,
 * checkpoints and the saturation map, and the CLI's predict and error paths.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FormatError, Rng, parseCsv } from '../src/index.js';
import {
  AMINO, DEFAULT_SPEC, confounderDemo, fitNet, fitRidge, innerSplit, loadNets, modelData, parseStability, pearson, perProtein, predictRows,
  proteinFolds, randomFolds, ridgePredict, saturationCsv, saturationMap, saveNet, simulateStability, spearman, type StabilityData,
} from '../src/recipes/protein/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

const all = (d: StabilityData): number[] => Array.from({ length: d.ddg.length }, (_, i) => i);
const truthOf = (d: StabilityData, rows: readonly number[]): Float64Array => Float64Array.from(rows, (r) => d.ddg[r]!);

test('pearson, spearman and the per-protein mean (offsets between proteins are free)', () => {
  assert.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
  assert.equal(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  // Two proteins with 10 rows each: the prediction is the truth plus a different offset per protein.
  const protein = Int32Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1));
  const truth = Float64Array.from({ length: 20 }, (_, i) => Math.sin(i));
  const pred = Float64Array.from(truth, (v, i) => v + (i < 10 ? 5 : -5));
  const rows = Array.from({ length: 20 }, (_, i) => i);
  assert.ok(pearson(pred, truth) < 0.5);
  const pp = perProtein(rows, protein, pred, truth);
  assert.equal(pp.proteins, 2);
  assert.ok(Math.abs(pp.pearson - 1) < 1e-12 && Math.abs(pp.spearman - 1) < 1e-12);
});

const SEQS = new Map([['p1', 'ACDEFGHIKL'], ['p2', 'MNPQRSTVWY']]);
const HEADER = 'dataset,subset,protein_id,mutation,ddG_kcal_per_mol,RSA_percent,secondary_structure,pred_PoPMuSiC';

test('parseStability reads mutations against their sequences and fills RSA', () => {
  const t = parseCsv(`${HEADER}\nD,D100,p1,A1C,0.5,20,X,0\nD,D100,p1,C2A,-1,,X,0\nL,L,p2,Y10A,2,80,X,\n`, { file: 'm.csv' });
  const d = parseStability(t, SEQS);
  assert.deepEqual([d.proteins.length, d.ddg.length], [2, 3]);
  assert.deepEqual([d.pos[1], d.wt[1], d.mut[1]], [1, AMINO.indexOf('C'), AMINO.indexOf('A')]);
  assert.ok(Math.abs(d.rsa[0]! - 0.2) < 1e-9);
  // The empty RSA takes the protein's mean of the measured positions (only 0.2 here).
  assert.ok(Math.abs(d.rsa[1]! - 0.2) < 1e-6);
  assert.equal(d.proteins[1]!.dataset, 'L');
});

test('parseStability names the bad cell (file:line:col) for a wrong wild type, unknown protein or bad ΔΔG', () => {
  const bad = (row: string, where: RegExp): void => {
    assert.throws(() => parseStability(parseCsv(`${HEADER}\n${row}\n`, { file: 'm.csv' }), SEQS), (e: unknown) => e instanceof FormatError && where.test((e as Error).message));
  };
  bad('D,D100,p1,C1A,0.5,20,X,0', /m\.csv:2:\d+.*wild-type/);
  bad('D,D100,p1,A11C,0.5,20,X,0', /m\.csv:2:\d+/);
  bad('D,D100,zz,A1C,0.5,20,X,0', /m\.csv:2:\d+.*protein_id/);
  bad('D,D100,p1,A1C,oops,20,X,0', /m\.csv:2:\d+.*ΔΔG/);
});

test('splits: grouped folds never share a protein; every row is tested exactly once', () => {
  const { data } = simulateStability({ proteins: 12, perProtein: 20, rng: new Rng(1) });
  const rows = all(data);
  for (const folds of [proteinFolds(data, rows, 4, new Rng(2)), randomFolds(rows, 4, new Rng(2))]) {
    const tested = folds.flatMap((f) => f.test).sort((a, b) => a - b);
    assert.deepEqual(tested, rows);
    for (const f of folds) assert.equal(f.train.length + f.test.length, rows.length);
  }
  for (const f of proteinFolds(data, rows, 4, new Rng(2))) {
    const train = new Set(f.train.map((r) => data.protein[r]));
    assert.ok(f.test.every((r) => !train.has(data.protein[r]!)));
  }
  const inner = innerSplit(data, rows, true, 0.25, new Rng(3));
  const held = new Set(inner.test.map((r) => data.protein[r]));
  assert.ok(held.size === 3 && inner.train.every((r) => !held.has(data.protein[r]!)));
});

test('ridge recovers a pure (wild-type, mutant) pair rule on unseen proteins', () => {
  const { data } = simulateStability({ proteins: 30, perProtein: 200, burialWeight: 0, siteSd: 0, noiseSd: 0.05, rng: new Rng(4) });
  const [f] = proteinFolds(data, all(data), 3, new Rng(5));
  const m = fitRidge(data, f!.train, { rsa: false, grouped: true, rng: new Rng(6) });
  const r = perProtein(f!.test, data.protein, ridgePredict(m, data, f!.test), truthOf(data, f!.test)).pearson;
  assert.ok(r > 0.95, `ridge per-protein r ${r}`);
});

test('the BiGRU beats ridge on unseen proteins when the rule reads residues 4–8 away (outside the ridge ±3 window)', () => {
  const sim = simulateStability({ proteins: 48, minLength: 30, maxLength: 40, perProtein: 150, pairWeight: 0.2, burialWeight: 3, siteSd: 0, noiseSd: 0.1, near: 4, far: 8, rng: new Rng(7) });
  const d = sim.data;
  const [f] = proteinFolds(d, all(d), 4, new Rng(8));
  const truth = truthOf(d, f!.test);
  const ridge = perProtein(f!.test, d.protein, ridgePredict(fitRidge(d, f!.train, { rsa: false, grouped: true, rng: new Rng(9) }), d, f!.test), truth).pearson;
  const inner = innerSplit(d, f!.train, true, 0.2, new Rng(10));
  const fit = fitNet(modelData(d), inner.train, inner.test, { spec: { ...DEFAULT_SPEC, hidden: 24 }, maxEpochs: 25, patience: 5, lr: 1e-2, weightDecay: 1e-4, proteinsPerStep: 4, rng: new Rng(11) });
  const rnn = perProtein(f!.test, d.protein, predictRows(fit, modelData(d), f!.test), truth).pearson;
  const ceiling = perProtein(f!.test, d.protein, Float64Array.from(f!.test, (r) => sim.transferable[r]!), truth).pearson;
  assert.ok(rnn > ridge + 0.2, `BiGRU ${rnn.toFixed(3)} vs ridge ${ridge.toFixed(3)} (ceiling ${ceiling.toFixed(3)})`);
  assert.ok(rnn <= ceiling + 0.02);
});

test('confounder: the site shortcut helps under a random split and is worth nothing on unseen proteins', () => {
  const c = confounderDemo({ seed: 3, proteins: 24, perProtein: 200, folds: 3 });
  const [random, grouped] = c.rows;
  assert.ok(random!.ridgeShortcut - random!.ridge > 0.1, JSON.stringify(random));
  assert.ok(Math.abs(grouped!.ridgeShortcut - grouped!.ridge) < 0.02, JSON.stringify(grouped));
  // Known answer: nothing transferable beyond the rule, so no model on new proteins beats its correlation.
  assert.ok(grouped!.ridge <= grouped!.ceiling + 0.02, JSON.stringify(grouped));
  assert.ok(random!.ridgeShortcut > random!.ceiling, 'the shortcut lets a random split exceed what is learnable about new proteins');
});

/** A tiny run folder of the stability task: config, metrics and saved seq networks. */
function fakeRun(dir: string, d: StabilityData, dataSource: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ task: 'stability', dataSource }));
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ task: 'stability' }));
  for (const seed of [0, 1]) {
    const fit = fitNet(modelData(d), all(d).slice(0, 300), all(d).slice(300), { spec: { ...DEFAULT_SPEC, hidden: 8, head: 8 }, maxEpochs: 1, patience: 1, lr: 1e-2, weightDecay: 0, proteinsPerStep: 4, rng: new Rng(seed) });
    saveNet(dir, 'seq', seed, fit);
  }
}

/** Write simulated proteins in the layout of the protein-stability folder. */
function writeDataFolder(dir: string, d: StabilityData): void {
  mkdirSync(dir, { recursive: true });
  const rows = all(d).map((r) => `D,D100,${d.proteins[d.protein[r]!]!.id},${AMINO[d.wt[r]!]}${d.pos[r]! + 1}${AMINO[d.mut[r]!]},${d.ddg[r]!.toFixed(4)},${(100 * d.rsa[r]!).toFixed(1)},X,0`);
  writeFileSync(join(dir, 'ddg_mutations.csv.gz'), gzipSync(`${HEADER}\n${rows.join('\n')}\n`));
  writeFileSync(join(dir, 'sequences.fasta'), d.proteins.map((p) => `>${p.id}\n${p.sequence}\n`).join(''));
}

test('saved networks reload to the same predictions; the saturation map is L × 20 with 0 at the wild type', () => {
  const { data } = simulateStability({ proteins: 6, perProtein: 60, rng: new Rng(12) });
  const dir = join(tempDir('recur-protein-'), 'run');
  fakeRun(dir, data, '');
  const nets = loadNets(dir, 'seq');
  assert.equal(nets.length, 2);
  const p = data.proteins[0]!;
  const m = saturationMap(nets, p.id, p.sequence, p);
  assert.equal(m.ddg.length, p.sequence.length * 20);
  for (let i = 0; i < p.sequence.length; i++) assert.equal(m.ddg[i * 20 + p.residues[i]!], 0);
  const rows = all(data).filter((r) => data.protein[r] === 0);
  const y = rows.map((r) => nets.reduce((a, n) => a + predictRows(n, modelData(data), [r])[0]! / nets.length, 0));
  rows.forEach((r, i) => assert.ok(Math.abs(m.ddg[data.pos[r]! * 20 + data.mut[r]!]! - y[i]!) < 1e-5));
  const csv = saturationCsv(m).trim().split('\n');
  assert.equal(csv.length, p.sequence.length + 1);
  assert.equal(csv[0], `position,wt,${[...AMINO].join(',')}`);
});

test('recur predict maps a protein of a stability run (CSV + heatmap) and refuses bad input', async () => {
  const { data } = simulateStability({ proteins: 6, perProtein: 60, rng: new Rng(13) });
  const cwd = tempDir('recur-protein-cli-');
  writeDataFolder(join(cwd, 'data'), data);
  fakeRun(join(cwd, 'runs', 'st'), data, join(cwd, 'data'));
  const run = join(cwd, 'runs', 'st');
  const ok = await runInProcess(['predict', '--run', run, '--protein', 'sim2', '--out', 'sim2.csv'], cwd);
  assert.equal(ok.code, 0, ok.stderr);
  const lines = readFileSync(join(cwd, 'sim2.csv'), 'utf8').trim().split('\n');
  assert.equal(lines.length, data.proteins[2]!.sequence.length + 1);
  assert.match(readFileSync(join(cwd, 'sim2.html'), 'utf8'), /table class="heatmap"/);
  writeFileSync(join(cwd, 'q.fa'), '>q\nACDXK\n');
  const badFasta = await runInProcess(['predict', '--run', run, '--fasta', 'q.fa'], cwd);
  assert.equal(badFasta.code, 1);
  assert.match(badFasta.stderr, /q\.fa:2.*residue 4/);
  const unknown = await runInProcess(['predict', '--run', run, '--protein', 'nope'], cwd);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /--protein.*"nope"/);
  const rsa = await runInProcess(['predict', '--run', run, '--fasta', 'q.fa', '--variant', 'rsa'], cwd);
  assert.equal(rsa.code, 2);
  const noData = await runInProcess(['train', '--preset', 'protein-stability', '--data-dir', join(cwd, 'missing')], cwd);
  assert.equal(noData.code, 1);
  assert.match(noData.stderr, /ddg_mutations\.csv\.gz/);
  const badSplit = await runInProcess(['train', '--task', 'stability', '--splits', 'bogus', '--data-dir', join(cwd, 'data')], cwd);
  assert.equal(badSplit.code, 2);
});
