/**
 * The CLI on bad input, every error path we know: the documented exit status (2 bad options,
 * 1 bad data or failure), a typed one-line message with file:line:col where there is one,
 * bounded length, no stack trace, and no run folder (not even a hidden staging one) left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../src/index.js';
import type { Io } from '../src/cli/commands/io.js';
import { main } from '../src/cli/main.js';
import { FIX, runInProcess, runsIn, smallForecastArgs, tempDir, type CliResult } from './cli-helpers.js';

/** Longest stderr a user-facing error may print. */
const MAX_ERR = 600;

/** The exit status, one clean `recur: …` message (no stack), bounded, matching `says`. */
function clean(r: CliResult, code: number, says: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, /^recur: /);
  assert.match(r.stderr, says);
  assert.ok(r.stderr.length <= MAX_ERR, `stderr of ${r.stderr.length} characters: ${r.stderr.slice(0, 300)}`);
  for (const bad of [/\n\s+at /, /TypeError/, /RangeError/, /node:internal/, /internal error/]) assert.doesNotMatch(r.stderr, bad);
}

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
    clean(r, 1, /./);
    assert.ok(r.stderr.startsWith(`recur: ${file}${c.where}: `), r.stderr);
    assert.ok(r.stderr.includes(c.says), r.stderr);
    assert.deepEqual(runsIn(runs), []);
  });
}

test('bad input: --fill linear gets past the NaN gap (then the windows check speaks)', async () => {
  const cwd = tempDir();
  const file = join(FIX, 'nan-gap.csv');
  const r = await runInProcess(base(file, join(cwd, 'runs'), ['--fill', 'linear', '--lookback', '5', '--horizon', '2']), cwd);
  clean(r, 1, /./);
  assert.match(r.stderr, /nan-gap\.csv:7:1: expected at least 7 data rows/);
});

test('bad options: unknown config key (with suggestion), bad value, YAML syntax, unknown flag → exit 2', async () => {
  const cwd = tempDir();
  const yaml = join(cwd, 'cfg.yaml');
  writeFileSync(yaml, `task: forecast\ncsv: ${join(FIX, 'series.csv')}\ntarget: load\nlookbak: 12\n`);
  let r = await runInProcess(['train', '--config', yaml, '--runs-dir', join(cwd, 'runs')], cwd);
  clean(r, 2, /./);
  assert.match(r.stderr, /cfg\.yaml:4:1: expected a known option \(did you mean "lookback"\?\), got unknown key "lookbak"/);

  writeFileSync(yaml, `task: forecast\ncsv: series.csv\ntarget: load\nhorizon: -1\n`);
  r = await runInProcess(['train', '--config', yaml], cwd);
  clean(r, 2, /./);
  assert.match(r.stderr, /cfg\.yaml:4:1: "horizon": expected a number >= 1, got -1/);

  writeFileSync(yaml, `task: forecast\ncsv: [unclosed\n`);
  r = await runInProcess(['train', '--config', yaml], cwd);
  clean(r, 1, /./);
  assert.match(r.stderr, /cfg\.yaml:\d+:\d+: expected valid YAML/);

  const json = join(cwd, 'cfg.json');
  writeFileSync(json, '{"task": "forecast",\n "csv": }');
  r = await runInProcess(['train', '--config', json], cwd);
  clean(r, 1, /./);
  assert.match(r.stderr, /cfg\.json:2:\d+: expected valid JSON/);

  r = await runInProcess(['train', '--task', 'forecast', '--lookbak', '3'], cwd);
  clean(r, 2, /./);
  assert.match(r.stderr, /unknown option '--lookbak'[\s\S]*Did you mean --lookback\?/);

  r = await runInProcess(['train', '--task', 'forecast', '--csv', 'x.csv'], cwd);
  clean(r, 2, /./);
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
  clean(r, 1, /./);
  assert.match(r.stderr, /expected finite values, got a loss of (NaN|Infinity)/);
  assert.deepEqual(runsIn(runs), []);
});

// ---------------------------------------------------------------------------------------------
// Data that parses but is nonsense, binary files, huge cells

const dataCases: { name: string; csv: string | Buffer; more?: string[]; says: RegExp }[] = [
  { name: '1e400 (overflows to Infinity)', csv: 'time,y,x\n1,1,2\n2,1e400,3\n3,3,4\n4,4,5\n', says: /:3:3: expected a finite number in column "y".*"1e400", which overflows to Infinity/ },
  { name: 'a 400-digit number', csv: `time,y,x\n1,1,2\n2,2,3\n3,3,${'9'.repeat(400)}\n4,4,5\n`, says: /:4:5: expected a finite number in column "x".*"99999.*…/ },
  { name: 'a 10 MB cell', csv: `time,y,x\n1,1,2\n2,${'z'.repeat(10_000_000)},3\n3,3,4\n`, says: /:3:3: expected a number in column "y", got "zzz.*…/ },
  { name: 'a binary file', csv: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x22, 0x0a, 0x00]), says: /:1:2: expected a text CSV file \(UTF-8\), got byte 0x8b \(not UTF-8\) at byte 1.*not a text CSV file/ },
  { name: 'a NUL byte inside a quoted field', csv: Buffer.from('time,y,x\n1,"\u0000",2\n'), says: /:2:4: expected a text CSV file/ },
  { name: 'a constant target', csv: `time,y,x\n${Array.from({ length: 30 }, (_, i) => `${i},7,${i % 3}`).join('\n')}\n`, says: /:2:1: expected a target column "y" that varies.*got the constant 7/ },
  { name: 'a 1e30 outlier', csv: `time,y,x\n${Array.from({ length: 30 }, (_, i) => `${i},${i === 9 ? '1e30' : Math.sin(i).toFixed(3)},${i % 3}`).join('\n')}\n`, says: /:11:3: expected values on the scale of the rest of column "y".*sentinel/ },
];

for (const c of dataCases) {
  test(`bad data: ${c.name} → exit 1, located, bounded, no run folder`, async () => {
    const cwd = tempDir();
    const file = join(cwd, 'data.csv');
    writeFileSync(file, c.csv);
    const r = await runInProcess(base(file, join(cwd, 'runs'), c.more), cwd);
    clean(r, 1, new RegExp(`^recur: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}${c.says.source}`));
    assert.deepEqual(runsIn(join(cwd, 'runs')), []);
  });
}

// ---------------------------------------------------------------------------------------------
// Options: out-of-range values are usage errors naming the flag; missing files name the path

test('out-of-range option values → exit 2 naming the flag (not the function that would fail)', async () => {
  const cwd = tempDir();
  const cases: [string[], RegExp][] = [
    [['train', '--epochs', '-1'], /^recur: --epochs: expected a number >= 1, got -1\n$/],
    [['train', '--lr', '2'], /^recur: --lr: expected a number < 1, got 2\n$/],
    [['train', '--limit', '5'], /^recur: --limit: expected a number >= 30, got 5\n$/],
    [['train', '--val-fraction', '0.9'], /^recur: --val-fraction: expected a number < 0.5, got 0.9\n$/],
    [['train', '--task', 'forecast', '--csv', 'x.csv', '--target', 'y', '--epochs', '-1'], /^recur: --epochs: expected a number >= 0, got -1\n$/],
    [['train', '--task', 'forecast', '--csv', 'x.csv', '--target', 'y', '--hidden', '0'], /^recur: --hidden: expected a number >= 1, got 0\n$/],
  ];
  for (const [args, says] of cases) {
    const r = await runInProcess([...args, '--runs-dir', join(cwd, 'runs')], cwd);
    clean(r, 2, says);
    assert.doesNotMatch(r.stderr, /runSplice/);
  }
  const r = await runInProcess(['train', '--epochs', 'many'], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--epochs <n>' argument 'many' is invalid. expected an integer/);
  assert.equal((await runInProcess(['frobnicate'], cwd)).code, 2);
  assert.deepEqual(runsIn(join(cwd, 'runs')), []);
});

test('missing files and folders → exit 1 naming the path and what was expected', async () => {
  const cwd = tempDir();
  const missing = join(cwd, 'nope');
  clean(await runInProcess(['train', '--data-path', join(missing, 'splice.data'), '--limit', '40', '--epochs', '1', '--runs-dir', join(cwd, 'runs')], cwd), 1,
    /^recur: .*nope\/splice\.data: expected a readable splice\.data file \(--data-path\), got no such file or folder\n$/);
  clean(await runInProcess(base(join(missing, 'x.csv'), join(cwd, 'runs')), cwd), 1, /^recur: .*nope\/x\.csv: expected a readable CSV file, got no such file or folder\n$/);
  clean(await runInProcess(base(cwd, join(cwd, 'runs')), cwd), 1, /: expected a readable CSV file, got a folder, not a file\n$/);
  clean(await runInProcess(['train', '--config', join(missing, 'c.yaml')], cwd), 1, /nope\/c\.yaml: expected a readable config file/);
  writeFileSync(join(cwd, 'afile'), 'x');
  clean(await runInProcess([...base(join(FIX, 'series.csv'), join(cwd, 'afile', 'runs')).map((a) => (a === 'time' ? 'timestamp' : a === 'y' ? 'load' : a === 'x' ? 'temp' : a))], cwd), 1,
    /afile\/runs.*: expected a path recur can \w+, got a path through something that is not a folder\n$/);
  assert.deepEqual(runsIn(join(cwd, 'runs')), []);
});

test('an unexpected (non-typed) error prints one line asking for a report, not a stack', async () => {
  let stderr = '';
  const io: Io = {
    out: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'lambda')");
    },
    err: (s) => void (stderr += s), cwd: tempDir(), exitCode: 0, json: false, progress: { tty: false },
  };
  assert.equal(await main(['info'], io), 1);
  assert.match(stderr, /^recur: internal error: TypeError: Cannot read properties of undefined \(reading 'lambda'\)\n\(this is a bug in recur; please report it.*RECUR_DEBUG=1 prints the stack\.\)\n$/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

// ---------------------------------------------------------------------------------------------
// A finished run's files, damaged: eval/predict/report refuse them cleanly

/** One small finished forecasting run, shared by the tests below (copied before damaging). */
let finished: Promise<{ cwd: string; run: string }> | null = null;
function finishedRun(): Promise<{ cwd: string; run: string }> {
  finished ??= (async () => {
    const cwd = tempDir();
    const r = await runInProcess([...smallForecastArgs(join(cwd, 'runs'), 'ok'), '--epochs', '1', '--quiet'], cwd);
    assert.equal(r.code, 0, r.stderr);
    return { cwd, run: join(cwd, 'runs', 'ok') };
  })();
  return finished;
}

async function damagedRun(name: string, damage: (checkpoint: string) => void): Promise<{ cwd: string; run: string; ck: string }> {
  const { cwd, run } = await finishedRun();
  const copy = join(cwd, 'runs', name);
  cpSync(run, copy, { recursive: true });
  const ck = join(copy, 'checkpoint.safetensors');
  damage(ck);
  return { cwd, run: copy, ck };
}

/** Rewrite the checkpoint's `extra` metadata. */
function editExtra(ck: string, edit: (x: Record<string, unknown>) => void): void {
  const f = decodeSafetensors(readFileSync(ck), ck);
  const x = JSON.parse(f.metadata.extra!) as Record<string, unknown>;
  edit(x);
  writeFileSync(ck, encodeSafetensors(f.tensors, { ...f.metadata, extra: JSON.stringify(x) }));
}

const checkpointCases: { name: string; damage: (ck: string) => void; says: RegExp }[] = [
  { name: 'claims hidden 14,000 beside small tensors', damage: (ck) => editExtra(ck, (x) => ((x.spec as { hidden: number }).hidden = 14_000)), says: /: extra\.spec: expected sizes matching tensor "model\.rnn\.weight_ih_l0" of shape \[24, 4\], got \{"cell":"gru","features":4,"hidden":14000.*which needs \[42000, 4\]/ },
  { name: 'claims hidden 1e9 (out of bounds)', damage: (ck) => editExtra(ck, (x) => ((x.spec as { hidden: number }).hidden = 1e9)), says: /: extra\.spec\.hidden: expected a number <= 100000, got 1000000000/ },
  { name: 'misses the normaliser', damage: (ck) => editExtra(ck, (x) => delete x.normaliser), says: /: extra\.normaliser: expected a value \(a required field\), got nothing \(missing\)/ },
  { name: 'has an unknown field', damage: (ck) => editExtra(ck, (x) => (x.surprise = 1)), says: /: extra: expected only known fields, got unknown field "surprise"/ },
  { name: 'has a std of 0', damage: (ck) => editExtra(ck, (x) => ((x.normaliser as { std: number[] }).std[0] = 0)), says: /: extra\.normaliser\.std\[0\]: expected a positive number, got 0/ },
  { name: 'is truncated', damage: (ck) => writeFileSync(ck, readFileSync(ck).subarray(0, 100)), says: /: expected a header length of at most 92 bytes/ },
  {
    name: 'has a header nested 5,000 deep',
    damage: (ck) => {
      const h = Buffer.from(`{"__metadata__":${'['.repeat(5000)}${']'.repeat(5000)}}`);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(h.length));
      writeFileSync(ck, Buffer.concat([len, h]));
    },
    says: /: byte 39: expected JSON nested at most 16 levels deep, got deeper nesting/,
  },
  { name: 'is empty', damage: (ck) => writeFileSync(ck, ''), says: /: expected at least 8 bytes \(the header length\), got 0 bytes\n$/ },
  { name: 'is missing', damage: (ck) => rmSync(ck), says: /: expected a readable safetensors file, got no such file or folder\n$/ },
  { name: 'is a folder', damage: (ck) => (rmSync(ck), mkdirSync(ck)), says: /: expected a readable safetensors file, got a folder, not a file\n$/ },
];

for (const c of checkpointCases) {
  test(`a checkpoint that ${c.name} → eval and predict exit 1 naming the file and field`, async () => {
    const { cwd, run, ck } = await damagedRun(c.name.replace(/\W+/g, '-'), c.damage);
    for (const cmd of ['eval', 'predict']) {
      const r = await runInProcess([cmd, '--run', run], cwd);
      clean(r, 1, new RegExp(`^recur: ${ck.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      assert.match(r.stderr, c.says);
    }
  });
}

test('--out into a missing folder, and a binary --csv, on a finished run → exit 1 naming the path', async () => {
  const { cwd, run } = await finishedRun();
  const out = join(cwd, 'no', 'such', 'dir', 'x');
  const where = /^recur: .*no\/such\/dir\/x: expected a writable file path in an existing folder, got no such file or folder\n$/;
  clean(await runInProcess(['predict', '--run', run, '--out', out], cwd), 1, where);
  clean(await runInProcess(['eval', '--run', run, '--out', out], cwd), 1, where);
  clean(await runInProcess(['report', '--run', run, '--out', out], cwd), 1, where);
  const bin = join(cwd, 'bin.csv');
  writeFileSync(bin, Buffer.concat([Buffer.from('timestamp,load\n2024,'), Buffer.from([0xff, 0xfe, 0x00])]));
  clean(await runInProcess(['predict', '--run', run, '--csv', bin], cwd), 1, /bin\.csv:2:6: expected a text CSV file \(UTF-8\), got byte 0xff/);
  clean(await runInProcess([...smallForecastArgs(join(cwd, 'runs'), 'ok'), '--quiet'], cwd), 1, /^recur: --name: expected a run name not taken/);
});

test('config files: every problem at file:line:col (binary, aliases, collection keys, repeated JSON keys, 1e400, __proto__)', async () => {
  const cwd = tempDir();
  const head = `task: forecast\ncsv: x.csv\ntarget: y\n`;
  const cases: [string, string | Buffer, number, RegExp][] = [
    ['c.yaml', Buffer.concat([Buffer.from(head), Buffer.from([0x00, 0x01])]), 1, /c\.yaml:4:1: expected a text config file \(UTF-8\), got a NUL byte/],
    ['c.yaml', `${head}lookback: *later\n`, 1, /c\.yaml:4:11: expected valid YAML, got Unresolved alias/],
    ['c.yaml', `${head}? {a: 1}\n: 2\n`, 1, /c\.yaml:4:3: expected valid YAML with plain keys \(option names\), got a mapping or list as a key/],
    ['c.json', '{"task": "forecast",\n "csv": "x.csv", "target": "y",\n "lr": 0.1, "lr": 5}', 1, /c\.json:3:13: expected valid JSON with unique keys/],
    ['c.yaml', `${head}lookback: 1e400\n`, 2, /c\.yaml:4:1: "lookback": expected a finite number, got Infinity/],
    ['c.json', '{"task": "forecast", "csv": "x.csv", "target": "y",\n"__proto__": {"lr": 5}}', 2, /c\.json:2:1: expected a known option, got unknown key "__proto__"/],
    ['c.yaml', `${head}split: [0.7, 0.2, 0.2]\n`, 2, /c\.yaml:4:1: "split": expected train, validation and test fractions must add up to 1/],
  ];
  for (const [name, text, code, says] of cases) {
    writeFileSync(join(cwd, name), text);
    clean(await runInProcess(['train', '--config', join(cwd, name), '--runs-dir', join(cwd, 'runs')], cwd), code, says);
  }
  assert.deepEqual(runsIn(join(cwd, 'runs')), []);
});

test("a finished run's config.json with a bad or unknown field → exit 1 naming the file and field", async () => {
  for (const [edit, says] of [
    [(c: Record<string, unknown>) => (c.lookback = -3), /config\.json: config\.lookback: expected a number >= 1, got -3\n$/],
    [(c: Record<string, unknown>) => (c.surprise = true), /config\.json: config: expected only known fields, got unknown field "surprise"\n$/],
  ] as const) {
    const { cwd, run } = await damagedRun(`config-${String(says).length}`, (ck) => {
      const path = join(ck, '..', 'config.json');
      const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      edit(c);
      writeFileSync(path, JSON.stringify(c));
    });
    clean(await runInProcess(['eval', '--run', run], cwd), 1, says);
  }
});
