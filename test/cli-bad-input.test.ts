/**
 * `recur train --task forecast` on bad input: every case exits non-zero with a message naming
 * file:line:col, and leaves no run folder (not even a hidden staging one) behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIX, runInProcess, runsIn, tempDir } from './cli-helpers.js';

const base = (csv: string, runs: string, more: string[] = []): string[] => [
  'train', '--task', 'forecast', '--csv', csv, '--time-col', 'time', '--target', 'y', '--covariate', 'x',
  '--lookback', '2', '--horizon', '1', '--epochs', '1', '--quiet', '--runs-dir', runs, '--name', 'bad', ...more,
];

const cases: { name: string; file: string; more?: string[]; where: string; says: string }[] = [
  { name: 'unclosed quote', file: 'unclosed-quote.csv', where: ':3:3', says: 'closing quote' },
  { name: 'stray quote', file: 'stray-quote.csv', where: ':3:4', says: 'no quote inside an unquoted field' },
  { name: 'ragged row', file: 'ragged.csv', where: ':3:6', says: 'expected 3 fields as in the header' },
  { name: 'non-numeric cell', file: 'non-numeric.csv', where: ':4:3', says: 'expected a number in column "y", got "abc"' },
  { name: 'quoted separator in a ; file', file: 'semicolon.csv', where: ':3:3', says: 'got "1;5"' },
  { name: 'NaN gap without --fill', file: 'nan-gap.csv', where: ':3:3', says: '--fill policy' },
  { name: 'empty file', file: 'empty.csv', where: ':1:1', says: 'an empty file' },
  { name: 'header only', file: 'header-only.csv', where: ':2:1', says: 'data rows after the header' },
  { name: 'times not increasing', file: 'time-not-increasing.csv', where: ':4:1', says: 'times increasing' },
  { name: 'windows longer than the data', file: 'short.csv', more: ['--lookback', '4', '--horizon', '3'], where: ':6:1', says: 'at least 7 data rows' },
  { name: 'misspelled target', file: 'short.csv', more: ['--target', 'yy'], where: ':1:6', says: 'did you mean "y" (column 2)?' },
];

for (const c of cases) {
  test(`bad input: ${c.name} → file:line:col, exit 1, nothing written`, async () => {
    const cwd = tempDir();
    const runs = join(cwd, 'runs');
    const file = join(FIX, c.file);
    const r = await runInProcess(base(file, runs, c.more), cwd);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`recur: ${file}${c.where}: `), r.stderr);
    assert.ok(r.stderr.includes(c.says), r.stderr);
    assert.deepEqual(runsIn(runs), []);
  });
}

test('bad input: --fill linear gets past the NaN gap (then the windows check speaks)', async () => {
  const cwd = tempDir();
  const file = join(FIX, 'nan-gap.csv');
  const r = await runInProcess(base(file, join(cwd, 'runs'), ['--fill', 'linear', '--lookback', '5', '--horizon', '2']), cwd);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nan-gap\.csv:7:1: expected at least 7 data rows/);
});

test('bad options: unknown config key (with suggestion), bad value, YAML syntax, unknown flag → exit 2', async () => {
  const cwd = tempDir();
  const yaml = join(cwd, 'cfg.yaml');
  writeFileSync(yaml, `task: forecast\ncsv: ${join(FIX, 'series.csv')}\ntarget: load\nlookbak: 12\n`);
  let r = await runInProcess(['train', '--config', yaml, '--runs-dir', join(cwd, 'runs')], cwd);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cfg\.yaml: expected a known option \(did you mean "lookback"\?\), got unknown key "lookbak"/);

  writeFileSync(yaml, `task: forecast\ncsv: series.csv\ntarget: load\nhorizon: -1\n`);
  r = await runInProcess(['train', '--config', yaml], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cfg\.yaml: "horizon": expected .*got -1/);

  writeFileSync(yaml, `task: forecast\ncsv: [unclosed\n`);
  r = await runInProcess(['train', '--config', yaml], cwd);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cfg\.yaml:\d+:\d+: expected valid YAML/);

  const json = join(cwd, 'cfg.json');
  writeFileSync(json, '{"task": "forecast",\n "csv": }');
  r = await runInProcess(['train', '--config', json], cwd);
  assert.match(r.stderr, /cfg\.json:2:\d+: expected valid JSON/);

  r = await runInProcess(['train', '--task', 'forecast', '--lookbak', '3'], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--lookbak'[\s\S]*Did you mean --lookback\?/);

  r = await runInProcess(['train', '--task', 'forecast', '--csv', 'x.csv'], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"target": expected a value \(required; set --target/);
  assert.deepEqual(runsIn(join(cwd, 'runs')), []);
});

test('a failure during training (NaN loss) removes the staged run folder', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const r = await runInProcess([
    'train', '--task', 'forecast', '--csv', join(FIX, 'series.csv'), '--time-col', 'timestamp', '--target', 'load',
    '--lookback', '4', '--horizon', '2', '--epochs', '3', '--lr', '1e30', '--hidden', '4', '--quiet', '--runs-dir', runs, '--name', 'nan',
  ], cwd);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /expected finite values, got a loss of (NaN|Infinity)/);
  assert.deepEqual(runsIn(runs), []);
});
