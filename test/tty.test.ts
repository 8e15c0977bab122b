/**
 * What a user sees in a terminal. The real CLI runs in a pseudo-terminal (`script`, 40×120), its
 * raw output is replayed on a headless xterm, and the final screen must hold every line of the
 * results and every log line intact — the live bar printed above, through or after none of them.
 * The same command piped must give clean line-based output (no control characters), and the
 * display's ETA must account for early stopping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TrainProgress } from '../src/recipes/common/index.js';
import { BIN, FIX, runInProcess, runSpawned, tempDir } from './cli-helpers.js';

const { Terminal } = createRequire(import.meta.url)('@xterm/headless') as typeof import('@xterm/headless');
const run = promisify(execFile);
const ROWS = 40;
const COLS = 120;

/** Replay raw terminal output on a headless xterm; the screen and scrollback, one string per row. */
function render(raw: string, cols = COLS, rows = ROWS): Promise<string[]> {
  const term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 5000 });
  // `script` records a pty whose output already has \r\n; a bare \n (a test's fake stream) gets one.
  const data = raw.replace(/\r?\n/g, '\r\n');
  return new Promise((resolve) => term.write(data, () => {
    const buf = term.buffer.active;
    resolve(Array.from({ length: buf.length }, (_, i) => buf.getLine(i)!.translateToString(true)));
  }));
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The CLI in a 40×120 pseudo-terminal: its raw output (stdout and stderr interleaved, as a user sees them). */
async function inPty(args: string[], cwd: string): Promise<string> {
  const cmd = `stty rows ${ROWS} cols ${COLS}; ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  const { stdout } = await run('script', ['-qfec', cmd, '/dev/null'], { cwd, maxBuffer: 64 << 20, timeout: 120_000 });
  return stdout;
}

/** Lines that must be intact on the screen: every non-blank line of the piped stdout and stderr. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
}

/** Run piped and in a pty (each in its own runs folder, same name); compare the screen with the piped lines. */
async function checkTask(args: string[], expectLogs: RegExp[]): Promise<void> {
  const cwd = tempDir('recur-tty-');
  const [piped, raw] = await Promise.all([
    runSpawned([...args, '--runs-dir', join(cwd, 'piped'), '--name', 't'], cwd),
    inPty([...args, '--runs-dir', join(cwd, 'pty'), '--name', 't'], cwd),
  ]);
  assert.equal(piped.code, 0, piped.stderr);
  // Piped: plain lines, nothing for a terminal.
  assert.doesNotMatch(piped.stderr + piped.stdout, /[\x1b\r]/, 'no control characters in piped output');
  for (const re of expectLogs) assert.match(piped.stderr, re);
  // The pty run did draw a live bar, and left the cursor shown.
  assert.match(raw, /░/, 'a bar was drawn');
  assert.ok(!raw.includes('\x1b[?25l'), 'the cursor is never hidden (a killed process would leave it so)');
  const screen = await render(raw);
  const onScreen = new Set(screen.map((l) => l.trimEnd()));
  const want = [...lines(piped.stdout).filter((l) => !/^(run|report):/.test(l)), ...lines(piped.stderr)];
  const missing = want.filter((l) => !onScreen.has(l));
  assert.deepEqual(missing, [], `lines garbled or missing on the terminal:\n${screen.join('\n')}`);
  // Each log line once, the run path after the results, and no bar left behind.
  for (const l of lines(piped.stderr)) assert.equal(screen.filter((s) => s.trimEnd() === l).length, 1, `said once: ${l}`);
  assert.ok(onScreen.has(`run:    ${join(cwd, 'pty', 't')}`), 'the run path, intact');
  assert.ok(!screen.some((l) => /[░█]/.test(l)), 'the bar is cleared');
}

test('splice in a terminal: bar above nothing, every log and result line intact', async () => {
  await checkTask(['train', '--limit', '90', '--epochs', '3', '--hidden', '4', '--ensemble', '2', '--batch-size', '16'], [
    /^member 2\/2$/m, /^member 1\/2 epoch 1\/3 done: train loss \S+, val loss \S+, val error/m, /^member 2\/2 restored best epoch \d$/m,
  ]);
});

test('forecasting in a terminal (synthetic CSV, 2 backtest folds): every log and result line intact', async () => {
  await checkTask([
    'train', '--task', 'forecast', '--csv', join(FIX, 'series.csv'), '--time-col', 'timestamp', '--target', 'load', '--covariate', 'temp',
    '--lookback', '8', '--horizon', '3', '--season', '48', '--epochs', '2', '--hidden', '4', '--backtest', '2',
  ], [/^fold 2\/2$/m, /^fold 1\/2 epoch 2\/2 done: train loss/m, /^fold 2\/2 restored best epoch \d$/m]);
});

test('--quiet prints the results only', async () => {
  const cwd = tempDir('recur-tty-');
  const r = await runInProcess(['train', '--limit', '60', '--epochs', '1', '--hidden', '4', '--ensemble', '1', '--quiet', '--runs-dir', join(cwd, 'runs')], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^Splice-junction per-class error/);
  assert.match(r.stdout, /Verdict for /);
});

/** A stand-in for process.stderr that records what is written. */
function fakeStream(tty: boolean, columns = 80): NodeJS.WriteStream & { text: string } {
  const s = { text: '', isTTY: tty, columns, write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

/** Two networks of 4 epochs × 2 steps; the first stops early after 2 epochs. */
function drive(p: TrainProgress): void {
  p.member({ fold: 0, member: 0, stepsPerEpoch: 2 });
  for (let e = 0; e < 2; e++) {
    for (let k = 1; k <= 2; k++) p.step({ epoch: e, inEpoch: k, loss: 1 / (e + k) });
    p.epochEnd({ epoch: e, trainLoss: 0.5, valLoss: 0.6 });
  }
  p.memberEnd({ epochsRun: 2, stoppedEarly: true, bestEpoch: 0, patience: 1 });
  p.member({ fold: 0, member: 1, stepsPerEpoch: 2 });
  p.step({ epoch: 0, inEpoch: 1, loss: 0.4 });
  p.stop();
}

test('the ETA expects later networks to stop as early as the finished ones did (plain lines, no control characters)', () => {
  const s = fakeStream(false);
  drive(new TrainProgress({ folds: 1, members: 2, epochs: 4, batchSize: 8 }, { stream: s, intervalMs: 0 }));
  assert.doesNotMatch(s.text, /[\x1b\r]/);
  assert.match(s.text, /^member 1\/2 early stopping at epoch 2 \(no better validation loss for 1 epoch\)$/m);
  assert.match(s.text, /^member 1\/2 restored best epoch 1$/m);
  // 5 steps done; member 2 is expected to run 2 epochs (4 steps), 1 done: 3 left → 5 / 8.
  assert.match(s.text.trimEnd().split('\n').at(-1)!, /^member 2\/2 epoch 1\/4 step 1\/2 \| loss 0\.4000 \| [\d.]+ ex\/s \| job 62% ETA/);
});

test('a fake 80-column TTY: logs above the bar, the bar cut to the width, nothing left after stop', async () => {
  const s = fakeStream(true, 80);
  drive(new TrainProgress({ folds: 1, members: 2, epochs: 4, batchSize: 8 }, { stream: s }));
  assert.ok(s.text.split(/\r|\n/).every((l) => [...l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')].length < 80), 'no line reaches the last column');
  s.write('RESULTS\n');
  const screen = (await render(s.text, 80, 12)).filter((l) => l.trim() !== '');
  assert.deepEqual(screen, [
    'member 1/2', 'member 1/2 epoch 1/4 done: train loss 0.5000, val loss 0.6000', 'member 1/2 epoch 2/4 done: train loss 0.5000, val loss 0.6000',
    'member 1/2 early stopping at epoch 2 (no better validation loss for 1 epoch)', 'member 1/2 restored best epoch 1', 'member 2/2', 'RESULTS',
  ]);
});
