import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import { decodeBlock, loadRunDecoders, loadRecording, r2, rowsOf, samplesOf } from '../src/recipes/bmi/index.js';
import { runInProcess, tempDir } from './cli-helpers.js';

/**
 * A linear-Gaussian recording: velocity v_t = 0.9 v_{t−1} + N(0, I) (2-D), N units
 * z_t = C v_t + N(0, 0.5²); rows `vel_x, vel_y, unit0…`. `units` renames or adds columns.
 */
function recording(path: string, T: number, N: number, seed: number, opts: { units?: number; badCell?: boolean; drop?: string } = {}): void {
  const rng = new Rng(99);
  const C = Array.from({ length: N }, () => [rng.normal(), rng.normal()]);
  const noise = new Rng(seed);
  const M = opts.units ?? N;
  const names = ['vel_x', 'vel_y', ...Array.from({ length: M }, (_, i) => `unit${i}`)];
  const keep = names.map((n) => n !== opts.drop);
  const rows = [names.filter((_, j) => keep[j]).join(',')];
  let v = [0, 0];
  for (let t = 0; t < T; t++) {
    v = [0.9 * v[0]! + noise.normal(), 0.9 * v[1]! + noise.normal()];
    const z = Array.from({ length: M }, (_, n) => (n < N ? C[n]![0]! * v[0]! + C[n]![1]! * v[1]! : 0) + 0.5 * noise.normal());
    rows.push([...v, ...z].map((x) => x.toFixed(4)).filter((_, j) => keep[j]).join(','));
  }
  if (opts.badCell) rows[7] = rows[7]!.replace(/,[^,]+$/, ',n/a?');
  writeFileSync(path, `${rows.join('\n')}\n`);
}

const N = 6;
const LAGS = 2;

async function trainRun(dir: string): Promise<string> {
  const csv = join(dir, 'train.csv');
  recording(csv, 300, N, 1);
  const r = await runInProcess([
    'train', '--task', 'decode', '--csv', csv, '--cv', '3', '--lags', String(LAGS), '--epochs', '4', '--seeds', '2', '--cells', 'lstm',
    '--hidden', '8', '--dropout', '0', '--quiet', '--name', 'lg', '--runs-dir', join(dir, 'runs'),
  ], dir);
  assert.equal(r.code, 0, r.stderr);
  return join(dir, 'runs', 'lg');
}

test('decode run: eval re-scores the folds from the saved decoders, eval --csv scores a new recording, predict streams it (round trip)', async () => {
  const dir = tempDir('recur-bmi-run-');
  const run = await trainRun(dir);
  // Without --csv: each fold's saved decoders on its own test block give the R² of training.
  const own = await runInProcess(['eval', '--run', run, '--json'], dir);
  assert.equal(own.code, 0, own.stderr);
  const got = JSON.parse(own.stdout) as { scores: { split: string; name: string; mean: number }[] };
  const folds = [0, 1, 2].map((f) => JSON.parse(readFileSync(join(run, `fold-cv-${f}.json`), 'utf8')) as { wiener: { test: number }; kalman: { test: number }; rnn: { ensemble: number; blend: { test: number } }[] });
  const mean = (pick: (f: (typeof folds)[number]) => number): number => folds.reduce((a, f) => a + pick(f), 0) / folds.length;
  const want = { Wiener: mean((f) => f.wiener.test), Kalman: mean((f) => f.kalman.test), LSTM: mean((f) => f.rnn[0]!.ensemble), 'LSTM+W': mean((f) => f.rnn[0]!.blend.test) };
  for (const [name, v] of Object.entries(want)) assert.ok(Math.abs(got.scores.find((s) => s.name === name)!.mean - v) < 1e-5, `${name}: ${got.scores.find((s) => s.name === name)!.mean} vs ${v}`);

  // A new recording of the same units: the Wiener filter is near the best linear decoder.
  const other = join(dir, 'other.csv');
  recording(other, 200, N, 2);
  const ev = await runInProcess(['eval', '--run', run, '--csv', other, '--json'], dir);
  assert.equal(ev.code, 0, ev.stderr);
  const scores = (JSON.parse(ev.stdout) as { scores: { name: string; mean: number; perTarget: number[] }[] }).scores;
  assert.deepEqual(scores.map((s) => s.name), ['Wiener', 'Kalman', 'LSTM', 'LSTM+W']);
  assert.ok(scores[0]!.mean > 0.8, `Wiener R² ${scores[0]!.mean} on 6 units with noise sd 0.5`);
  assert.ok(scores[1]!.mean > 0.8, `Kalman R² ${scores[1]!.mean}`);

  // predict: one row per bin; the streamed LSTM columns equal the window decode of the saved decoders.
  const out = join(dir, 'pred.csv');
  const p = await runInProcess(['predict', '--run', run, '--csv', other, '--out', out], dir);
  assert.equal(p.code, 0, p.stderr);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'bin,lstm_vel_x,lstm_vel_y,lstm+wiener_vel_x,lstm+wiener_vel_y,wiener_vel_x,wiener_vel_y,kalman_vel_x,kalman_vel_y');
  assert.equal(lines.length, 201);
  assert.match(lines[1]!, /^0,,,,,,,-?\d/);
  const pred = lines.slice(1 + LAGS).map((l) => l.split(',').slice(1).map(Number));
  const dec = loadRunDecoders(run, [{ name: 'cv' }]);
  const rec = loadRecording(other, 'unit*', 'vel_x,vel_y', 1);
  const block = decodeBlock(dec.folds[0]!.f, rec, { start: 0, end: rec.T });
  const ref = dec.folds.map((x) => decodeBlock(x.f, rec, { start: 0, end: rec.T }).rnn[0]!.avg);
  pred.forEach((row, i) => [0, 1].forEach((k) => {
    const w = ref.reduce((a, q) => a + q[i * 2 + k]!, 0) / ref.length;
    assert.ok(Math.abs(row[k]! - w) < 1e-4 * Math.max(1, Math.abs(w)), `bin ${i + LAGS} target ${k}: stream ${row[k]} vs window ${w}`);
  }));
  assert.equal(block.wiener.length, pred.length * 2);
  // The streamed LSTM column scores what eval reported.
  const truth = rowsOf(rec.Y, 2, samplesOf({ start: 0, end: rec.T }, LAGS));
  const lstm = r2(truth, Float64Array.from(pred.flatMap((row) => [row[0]!, row[1]!])), 2).mean;
  assert.ok(Math.abs(lstm - scores[2]!.mean) < 1e-4, `predict ${lstm} vs eval ${scores[2]!.mean}`);
});

test('decode run: bad recordings give typed errors with file:line:col (exit 1), bad options exit 2', async () => {
  const dir = tempDir('recur-bmi-bad-');
  const run = await trainRun(dir);
  const cases: { name: string; opts: Parameters<typeof recording>[4]; where: RegExp; what: RegExp }[] = [
    { name: 'missing.csv', opts: { drop: 'unit3' }, where: /missing\.csv:1:\d+/, what: /unit3/ },
    { name: 'more-units.csv', opts: { units: N + 3 }, where: /more-units\.csv:1/, what: /other units/ },
    { name: 'cell.csv', opts: { badCell: true }, where: /cell\.csv:8:\d+/, what: /finite number/ },
    { name: 'no-target.csv', opts: { drop: 'vel_y' }, where: /no-target\.csv:1:\d+/, what: /vel_y/ },
  ];
  for (const c of cases) {
    const f = join(dir, c.name);
    recording(f, 60, N, 3, c.opts);
    for (const cmd of [['eval', '--run', run, '--csv', f], ['predict', '--run', run, '--csv', f]]) {
      const r = await runInProcess(cmd, dir);
      assert.equal(r.code, 1, `${cmd[0]} ${c.name}: ${r.stderr}`);
      assert.match(r.stderr, c.where, `${cmd[0]} ${c.name}`);
      assert.match(r.stderr, c.what, `${cmd[0]} ${c.name}`);
      assert.doesNotMatch(r.stderr, /internal error|    at /);
    }
  }
  const noCsv = await runInProcess(['predict', '--run', run], dir);
  assert.equal(noCsv.code, 2, noCsv.stderr);
  assert.match(noCsv.stderr, /--csv/);
  const part = await runInProcess(['eval', '--run', run, '--part', 'val'], dir);
  assert.equal(part.code, 2, part.stderr);
  rmSync(join(run, 'fold-cv-1.safetensors'));
  const old = await runInProcess(['eval', '--run', run], dir);
  assert.equal(old.code, 1, old.stderr);
  assert.match(old.stderr, /fold-cv-1\.safetensors/);
});
