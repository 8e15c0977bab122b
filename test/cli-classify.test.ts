/**
 * `recur train --task classify` from the command line: a small run on a synthetic FASTA, then
 * `eval` and `predict` on it; and every bad input we know, in the style of cli-bad-input.test.ts:
 * the documented exit status, one clean `recur: …` line with file:line:col where there is one,
 * and no run folder left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import { runInProcess, runsIn, tempDir, type CliResult } from './cli-helpers.js';

function clean(r: CliResult, code: number, says: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, /^recur: /);
  assert.match(r.stderr, says);
  assert.ok(r.stderr.length <= 600, r.stderr);
  for (const bad of [/\n\s+at /, /TypeError/, /RangeError/, /node:internal/]) assert.doesNotMatch(r.stderr, bad);
}

/** 40 DNA sequences of 12 nt; the "yes" half hold TTAA at position 3. */
function fasta(): string {
  const rng = new Rng(3);
  return Array.from({ length: 40 }, (_, i) => {
    let s = Array.from({ length: 12 }, () => 'ACGT'[rng.int(4)]!).join('');
    if (i % 2) s = `${s.slice(0, 3)}TTAA${s.slice(7)}`;
    return `>s${i} label=${i % 2 ? 'yes' : 'no'}\n${s}\n`;
  }).join('');
}

const small = ['--cv', '2', '--epochs', '1', '--ensemble', '1', '--hidden', '4', '--quiet'];

test('classify: train on a FASTA, then eval and predict with the saved run', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'f.fa'), fasta());
  const r = await runInProcess(['train', '--task', 'classify', '--fasta', 'f.fa', ...small, '--runs-dir', 'runs', '--name', 'c'], cwd);
  assert.equal(r.code, 0, r.stderr);
  const run = join(cwd, 'runs', 'c');
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as { task: string; classes: string[] };
  assert.equal(metrics.task, 'classify');
  assert.deepEqual(metrics.classes, ['no', 'yes']);
  assert.ok(existsSync(join(run, 'fold-2.member-1.safetensors')) && existsSync(join(run, 'report.html')));
  assert.match(r.stdout, /err no +err yes +accuracy/);

  const e = await runInProcess(['eval', '--run', run], cwd);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(e.stdout, readFileSync(join(run, 'table.txt'), 'utf8'), 'eval gives the training table again');

  writeFileSync(join(cwd, 'new.fa'), '>a\nACGTTAAGGCCA\n>b\nacgtacgtacgtac\n');
  const p = await runInProcess(['predict', '--run', run, '--fasta', 'new.fa'], cwd);
  assert.equal(p.code, 0, p.stderr);
  const lines = p.stdout.trim().split('\n');
  assert.equal(lines[0], 'id,label,p_no,p_yes');
  assert.equal(lines.length, 3);
  const probs = lines[1]!.split(',').slice(2).map(Number);
  assert.ok(Math.abs(probs[0]! + probs[1]! - 1) < 1e-4);

  // A stopped run (no metrics.json, the last network missing): --resume retrains it, same table.
  const copy = join(cwd, 'runs', 'c2');
  cpSync(run, copy, { recursive: true });
  rmSync(join(copy, 'metrics.json'));
  rmSync(join(copy, 'fold-2.member-1.safetensors'));
  const again = await runInProcess(['train', '--resume', copy, '--quiet'], cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(copy, 'table.txt'), 'utf8'), readFileSync(join(run, 'table.txt'), 'utf8'));

  writeFileSync(join(cwd, 'bad.csv'), 'name,s\nx,ACGT\ny,ACJT\n');
  clean(await runInProcess(['predict', '--run', run, '--csv', 'bad.csv', '--seq-col', 's'], cwd), 1, /bad\.csv:3:5: expected a DNA symbol .*got 'J'/);
});

const CSV = 'id,seq,cls,grp\n1,ACGTAC,a,g1\n2,ACGTTT,b,g1\n3,GGGTAC,a,g2\n4,ACCCAC,b,g2\n5,TTGTAC,a,g3\n6,ACGAAA,b,g3\n';

const cases: { name: string; files: Record<string, string>; args: string[]; code: number; says: RegExp }[] = [
  { name: 'a missing column', files: { 'd.csv': CSV }, args: ['--csv', 'd.csv', '--seq-col', 'sequence', '--label-col', 'cls'], code: 1, says: /d\.csv:1:1: expected a sequence column \(--seq-col\) named "sequence", got no such column; the columns are "id", "seq", "cls", "grp"/ },
  { name: 'an empty sequence', files: { 'd.csv': CSV.replace('2,ACGTTT', '2,') }, args: ['--csv', 'd.csv', '--seq-col', 'seq', '--label-col', 'cls'], code: 1, says: /d\.csv:3:3: expected a sequence in column "seq", got an empty cell/ },
  { name: 'an unknown letter in a CSV', files: { 'd.csv': CSV.replace('GGGTAC', 'GGGTJC') }, args: ['--csv', 'd.csv', '--seq-col', 'seq', '--label-col', 'cls'], code: 1, says: /d\.csv:4:7: expected a DNA symbol .*got 'J'/ },
  { name: 'an unknown letter in a FASTA', files: { 'f.fa': '>a label=x\nACGT\n>b label=y\nAC\nGTZ\n' }, args: ['--fasta', 'f.fa'], code: 1, says: /f\.fa:5:3: expected a DNA symbol .*got 'Z'/ },
  { name: 'a protein letter in an RNA file', files: { 'f.fa': '>a label=x\nACGU\n>b label=y\nACGT\n' }, args: ['--fasta', 'f.fa', '--alphabet', 'rna'], code: 1, says: /f\.fa:4:4: expected an RNA symbol .*got 'T'/ },
  { name: 'one class only', files: { 'd.csv': CSV.replace(/,b,/g, ',a,') }, args: ['--csv', 'd.csv', '--seq-col', 'seq', '--label-col', 'cls'], code: 1, says: /d\.csv: expected at least two classes to tell apart, got only "a" \(6 sequences\)/ },
  { name: 'a class of one sequence', files: { 'd.csv': CSV.replace('6,ACGAAA,b', '6,ACGAAA,c') }, args: ['--csv', 'd.csv', '--seq-col', 'seq', '--label-col', 'cls'], code: 1, says: /at least 2 sequences of every class .*got 1 of class "c"/ },
  { name: 'a FASTA header without a label', files: { 'f.fa': '>a label=x\nACGT\n>b\nACGT\n' }, args: ['--fasta', 'f.fa'], code: 1, says: /f\.fa:3:2: expected a label in the header/ },
  { name: 'a FASTA id missing from --labels', files: { 'f.fa': '>a\nACGT\n>b\nACGA\n>c\nAAAA\n', 'l.csv': 'id,y\na,1\nb,2\n' }, args: ['--fasta', 'f.fa', '--labels', 'l.csv'], code: 1, says: /f\.fa:5:2: expected a row for every FASTA id in .*l\.csv, got none for "c"/ },
  { name: 'a --labels id not in the FASTA', files: { 'f.fa': '>a\nACGT\n>b\nACGA\n', 'l.csv': 'id,y\na,1\nb,2\nzz,1\n' }, args: ['--fasta', 'f.fa', '--labels', 'l.csv'], code: 1, says: /l\.csv:4:1: expected ids of .*f\.fa, got "zz", which is not in the FASTA file/ },
  { name: 'fewer groups than folds', files: { 'd.csv': CSV }, args: ['--csv', 'd.csv', '--seq-col', 'seq', '--label-col', 'cls', '--group-col', 'grp', '--cv', '4'], code: 1, says: /expected at least 4 groups \(--group-col\) for 4 folds, got 3/ },
  { name: 'a training fold of one group', files: { 'd.csv': CSV.replace(/g3/g, 'g2') }, args: ['--csv', 'd.csv', '--seq-col', 'seq', '--label-col', 'cls', '--group-col', 'grp', '--cv', '2'], code: 1, says: /expected at least 2 groups \(--group-col\) in every training fold .*got 1 in fold 1/ },
  { name: '--csv without --seq-col', files: { 'd.csv': CSV }, args: ['--csv', 'd.csv', '--label-col', 'cls'], code: 2, says: /--seq-col: expected the column of --csv holding the sequences, got none/ },
  { name: '--fasta and --csv together', files: { 'd.csv': CSV }, args: ['--csv', 'd.csv', '--fasta', 'x.fa', '--seq-col', 'seq', '--label-col', 'cls'], code: 2, says: /expected one input: --fasta FILE, or --csv FILE --seq-col S --label-col L, got both/ },
  { name: 'center pooling on sequences of different lengths', files: { 'f.fa': '>a label=x\nACGT\n>b label=y\nACG\n>c label=x\nACGG\n>d label=y\nACGA\n' }, args: ['--fasta', 'f.fa', '--pooling', 'center'], code: 2, says: /--pooling: expected max, mean, last or max\+last for sequences of different lengths \(3 to 4\), got center/ },
  { name: 'an unknown alphabet', files: {}, args: ['--fasta', 'f.fa', '--alphabet', 'dan'], code: 2, says: /argument 'dan' is invalid/ },
];

for (const c of cases) {
  test(`classify, bad input: ${c.name} → exit ${c.code}, one clean line, nothing written`, async () => {
    const cwd = tempDir();
    for (const [name, text] of Object.entries(c.files)) writeFileSync(join(cwd, name), text);
    const r = await runInProcess(['train', '--task', 'classify', ...c.args, '--epochs', '1', '--quiet', '--runs-dir', 'runs', '--name', 'bad'], cwd);
    clean(r, c.code, c.says);
    assert.deepEqual(runsIn(join(cwd, 'runs')), []);
  });
}

test('classify-only flags without --task choose the classify task; with --task splice they are refused', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'd.csv'), CSV);
  clean(await runInProcess(['train', '--task', 'classify', '--csv', 'd.csv', '--seq-col', 'nope', '--label-col', 'cls', '--quiet', '--runs-dir', 'runs'], cwd), 1, /sequence column \(--seq-col\) named "nope"/);
  clean(await runInProcess(['train', '--task', 'splice', '--fasta', 'f.fa', '--quiet', '--runs-dir', 'runs'], cwd), 2, /--fasta: expected an option of the splice task, got an option of the classify task \(add --task classify\?\)/);
});
