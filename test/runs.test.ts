/**
 * Run folders end to end through the CLI: splice checkpoints with eval/predict/report, Ctrl-C
 * (a real SIGINT to a child process) and --resume with results equal to an uninterrupted run,
 * kill -9 (SIGKILL) leaving a staging folder that new runs warn about and --resume adopts, the
 * per-name lock, and typed errors (no stack traces) for runs that are stopped, partial or not runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpointSync } from '../src/index.js';
import { runInProcess, runSpawned, runsIn, smallForecastArgs, tempDir, type CliResult } from './cli-helpers.js';

/** A tiny splice config: 3 folds × 2 networks, long enough per network for a signal to land mid-run. */
const SPLICE = ['train', '--limit', '200', '--cv', '3', '--ensemble', '2', '--epochs', '6', '--hidden', '16', '--patience', '10', '--seed', '5'];
const members = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => /^fold-\d+\.member-\d+\.safetensors$/.test(f)).sort() : []);
const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

/** What must not depend on an interruption: every result but the timings, and the weights. */
function outcome(run: string): unknown {
  const m = json(join(run, 'metrics.json')) as { systems: unknown; folds: { members: { history: { ms?: number }[] }[] }[]; parameters: number; comparison: unknown };
  const folds = m.folds.map((f) => f.members.map((x) => ({ ...x, history: x.history.map(({ ms: _ms, ...h }) => h) })));
  const weights = members(run).map((f) => Object.entries(loadCheckpointSync(join(run, f)).model).map(([k, t]) => [k, Array.from(t.data)]));
  return { systems: m.systems, comparison: m.comparison, parameters: m.parameters, folds, weights, table: readFileSync(join(run, 'table.txt'), 'utf8') };
}

/** Spawn `recur …` and send `signal` once `ready()` holds (polled). */
function spawnAndSignal(args: string[], cwd: string, ready: () => boolean, signal: NodeJS.Signals): Promise<CliResult & { sent: boolean; pid: number }> {
  let sent = false;
  let pid = 0;
  return runSpawned(args, cwd, {
    onSpawn: (p) => {
      pid = p;
      const poll = setInterval(() => {
        if (!sent && ready()) {
          sent = true;
          process.kill(p, signal);
        }
        if (sent) clearInterval(poll);
      }, 5);
      setTimeout(() => clearInterval(poll), 60_000).unref();
    },
  }).then((r) => ({ ...r, sent, pid }));
}

function noTrace(r: CliResult): void {
  assert.doesNotMatch(r.stderr, /\n\s+at |unexpected error/, `no stack trace: ${r.stderr}`);
}

let reference: { cwd: string; run: string } | null = null;
/** The uninterrupted run every interrupted one is compared with (trained once, in process). */
async function uninterrupted(): Promise<string> {
  if (!reference) {
    const cwd = tempDir();
    const r = await runInProcess([...SPLICE, '--quiet', '--name', 'ref'], cwd);
    assert.equal(r.code, 0, r.stderr);
    reference = { cwd, run: join(cwd, 'runs', 'ref') };
  }
  return reference.run;
}

test('splice run: one checkpoint per network; eval reprints the training table; predict labels FASTA and CSV; report', async () => {
  const run = await uninterrupted();
  assert.deepEqual(members(run), ['fold-1.member-1', 'fold-1.member-2', 'fold-2.member-1', 'fold-2.member-2', 'fold-3.member-1', 'fold-3.member-2'].map((f) => `${f}.safetensors`));
  const cwd = reference!.cwd;
  const ev = await runInProcess(['eval', '--run', run], cwd);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(ev.stdout, readFileSync(join(run, 'table.txt'), 'utf8'), 'eval re-scores the saved networks to the same table');
  const evj = await runInProcess(['eval', '--run', run, '--json'], cwd);
  const metrics = json(join(run, 'metrics.json')) as { systems: unknown };
  assert.deepEqual((JSON.parse(evj.stdout) as { systems: unknown }).systems, metrics.systems);
  const bad = await runInProcess(['eval', '--run', run, '--part', 'val'], cwd);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--part: expected an option for this splice run/);

  const data = readFileSync(join(import.meta.dirname, '..', 'data', 'uci-splice', 'splice.data'), 'latin1').split('\n').slice(0, 4);
  const seqs = data.map((l) => l.split(',').map((f) => f.trim()));
  writeFileSync(join(cwd, 'x.fa'), seqs.map(([, name, s]) => `>${name}\n${s}\n`).join(''));
  const fa = await runInProcess(['predict', '--run', run, '--fasta', 'x.fa'], cwd);
  assert.equal(fa.code, 0, fa.stderr);
  const lines = fa.stdout.trim().split('\n');
  assert.equal(lines[0], 'id,label,p_EI,p_IE,p_N');
  assert.equal(lines.length, 5);
  for (const [i, l] of lines.slice(1).entries()) {
    const [id, label, ...p] = l.split(',');
    assert.equal(id, seqs[i]![1]);
    const probs = p.map(Number);
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4, l);
    assert.equal(label, ['EI', 'IE', 'N'][probs.indexOf(Math.max(...probs))]);
  }
  writeFileSync(join(cwd, 'x.csv'), `name,sequence\n${seqs.map(([, n, s]) => `${n},${s!.toLowerCase()}`).join('\n')}\n`);
  const csv = await runInProcess(['predict', '--run', run, '--csv', 'x.csv', '--seq-col', 'sequence', '--id-col', 'name', '--out', 'p.csv'], cwd);
  assert.equal(csv.code, 0, csv.stderr);
  assert.equal(readFileSync(join(cwd, 'p.csv'), 'utf8'), fa.stdout, 'the same sequences from CSV (lower case) give the same output');
  writeFileSync(join(cwd, 'short.csv'), `sequence\n${seqs[0]![2]}\nACGTN\n`);
  const short = await runInProcess(['predict', '--run', run, '--csv', 'short.csv', '--seq-col', 'sequence'], cwd);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /short\.csv:3:1: expected a sequence of 60 nucleotides .*, got 5/);
  const noCol = await runInProcess(['predict', '--run', run, '--csv', 'x.csv'], cwd);
  assert.equal(noCol.code, 2);
  assert.match(noCol.stderr, /--seq-col: expected the column of --csv/);
  const rep = await runInProcess(['report', '--run', run, '--out', 'r.html'], cwd);
  assert.equal(rep.code, 0, rep.stderr);
  assert.match(readFileSync(join(cwd, 'r.html'), 'utf8'), /Confusion matrix/);
});

test('Ctrl-C (SIGINT) on a splice CV + ensemble run saves the finished networks; --resume ends equal to an uninterrupted run', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const staging = (): string => join(runs, runsIn(runs).find((d) => d.startsWith('.int.partial')) ?? 'none');
  const stopped = await spawnAndSignal([...SPLICE, '--quiet', '--name', 'int'], cwd, () => members(staging()).length >= 1, 'SIGINT');
  assert.ok(stopped.sent, 'the signal was sent');
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /Continue with: recur train --resume .*int/);
  const run = join(runs, 'int');
  const saved = members(run);
  assert.ok(saved.length >= 1 && saved.length < 6, `stopped mid-run with ${saved.length} networks saved`);
  assert.ok(!existsSync(join(run, 'metrics.json')));
  assert.deepEqual(runsIn(runs), ['int'], 'committed to runs/int, no staging folder or lock left');
  const ev = readFileSync(join(run, 'events.jsonl'), 'utf8');
  assert.match(ev, /"type":"run_end","reason":"stopped"/);

  for (const cmd of [['eval', '--run', run], ['predict', '--run', run, '--fasta', 'x.fa'], ['report', '--run', run]]) {
    const r = await runInProcess(cmd, cwd);
    assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`recur ${cmd[0]} --run: expected a finished run, got .*stopped before the end .*recur train --resume`));
    noTrace(r);
  }
  const same = await runInProcess([...SPLICE, '--quiet', '--name', 'int'], cwd);
  assert.equal(same.code, 1);
  assert.match(same.stderr, /got "int", which exists \(a stopped run: continue it with recur train --resume .*int/);
  const epochs = await runInProcess(['train', '--resume', run, '--epochs', '9'], cwd);
  assert.equal(epochs.code, 2);

  const resumed = await runInProcess(['train', '--resume', run, '--quiet'], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(outcome(run), outcome(await uninterrupted()), 'same results and weights as without the interruption');
  const again = await runInProcess(['train', '--resume', run], cwd);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /a finished run \(nothing to continue/);
});

test('kill -9: the staging folder stays; the name is locked while alive; new runs warn; --resume adopts it', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const partial = (): string | undefined => runsIn(runs).find((d) => d.startsWith('.k9.partial-'));
  let blocked = null as CliResult | null;
  const killed = await runSpawned([...SPLICE, '--quiet', '--name', 'k9'], cwd, {
    onSpawn: (pid) => {
      const poll = setInterval(() => {
        const p = partial();
        if (!p || members(join(runs, p)).length < 1 || blocked !== null) return;
        blocked = { code: -1, stdout: '', stderr: '' };
        clearInterval(poll);
        // A second run of the same name while the first is alive: refused at start.
        void runInProcess([...SPLICE, '--quiet', '--name', 'k9'], cwd).then((r) => {
          blocked = r;
          process.kill(pid, 'SIGKILL');
        });
      }, 5);
      setTimeout(() => clearInterval(poll), 60_000).unref();
    },
  });
  assert.equal(killed.code, 128, 'killed by a signal');
  assert.ok(blocked, 'the second run was tried');
  assert.equal(blocked!.code, 1, blocked!.stderr);
  assert.match(blocked!.stderr, /--name: expected a run name not being written by another process, got "k9", locked by process \d+/);
  const left = partial()!;
  assert.ok(left && !existsSync(join(runs, 'k9')), 'only the staging folder exists');
  assert.ok(existsSync(join(runs, '.k9.lock')), 'the killed process left its lock');

  const ev = await runInProcess(['eval', '--run', join(runs, 'k9')], cwd);
  assert.equal(ev.code, 2);
  assert.match(ev.stderr, /an unfinished run in .*\.k9\.partial-\d+ \(its process \d+ was killed; continue it with: recur train --resume /);
  noTrace(ev);
  const direct = await runInProcess(['predict', '--run', join(runs, left), '--fasta', 'x.fa'], cwd);
  assert.equal(direct.code, 2);
  noTrace(direct);
  const same = await runInProcess([...SPLICE, '--quiet', '--name', 'k9'], cwd);
  assert.equal(same.code, 1);
  assert.match(same.stderr, /got "k9", whose unfinished run is in .*\.k9\.partial-\d+ \(continue it with: recur train --resume /);
  const other = await runInProcess(['train', '--limit', '60', '--epochs', '1', '--hidden', '2', '--ensemble', '1', '--quiet', '--name', 'other'], cwd);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, /warning: 1 unfinished run folder\(s\) of killed processes:\n .*\.k9\.partial-\d+ +\(process \d+ is gone; continue: recur train --resume .*k9, or delete it\)/);

  const resumed = await runInProcess(['train', '--resume', join(runs, 'k9'), '--quiet'], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(runsIn(runs).sort(), ['k9', 'other'], 'adopted: renamed into place, lock released');
  assert.deepEqual(outcome(join(runs, 'k9')), outcome(await uninterrupted()));
});

test('eval/predict/report: not a run, a missing folder, a file, a damaged or stopped forecast run: typed errors, exit 2 or 1', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'file.txt'), 'x');
  for (const [dir, got] of [[cwd, 'a folder without config.json'], [join(cwd, 'nope'), 'no such folder'], [join(cwd, 'file.txt'), 'a file, not a folder']] as const) {
    for (const cmd of ['eval', 'predict', 'report']) {
      const r = await runInProcess([cmd, '--run', dir], cwd);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`--run: expected a run folder written by recur train, got .*: ${got}`));
      noTrace(r);
    }
  }
  const runs = join(cwd, 'runs');
  const noData = await runInProcess(['train', '--data-path', 'nope.data', '--quiet', '--name', 'nd'], cwd);
  assert.equal(noData.code, 1);
  assert.match(noData.stderr, /nope\.data: expected a readable splice\.data file \(--data-path\), got no such file/);
  assert.deepEqual(runsIn(runs), [], 'no folder or lock left behind');
  const t = await runInProcess([...smallForecastArgs(runs, 'fc'), '--epochs', '1', '--quiet'], cwd);
  assert.equal(t.code, 0, t.stderr);
  const run = join(runs, 'fc');
  rmSync(join(run, 'checkpoint.safetensors'));
  const damaged = await runInProcess(['eval', '--run', run], cwd);
  assert.equal(damaged.code, 1);
  assert.match(damaged.stderr, /checkpoint\.safetensors: expected a readable safetensors file, got no such file/);
  noTrace(damaged);
  // What a stopped forecast run looks like: config, events and training state, no metrics.json.
  rmSync(join(run, 'metrics.json'));
  for (const cmd of ['eval', 'predict', 'report']) {
    const r = await runInProcess([cmd, '--run', run], cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /expected a finished run, got .*stopped before the end/);
    noTrace(r);
  }
  // While a process holds the run's lock (a resume in progress), the message says so.
  writeFileSync(join(runs, '.fc.lock'), `${process.ppid}\n`);
  const busy = await runInProcess(['eval', '--run', run], cwd);
  assert.equal(busy.code, 2);
  assert.match(busy.stderr, new RegExp(`a run being trained now by process ${process.ppid}`));
  const resumeBusy = await runInProcess(['train', '--resume', run], cwd);
  assert.equal(resumeBusy.code, 1);
  assert.match(resumeBusy.stderr, /locked by process/);
  rmSync(join(runs, '.fc.lock'));
  const resumeNothing = await runInProcess(['train', '--resume', join(runs, 'none')], cwd);
  assert.equal(resumeNothing.code, 2);
  assert.match(resumeNothing.stderr, /--resume: expected a run folder written by recur train .*got ".*none": no such run/);
});

test('a stale lock (its PID gone) is taken over; the lock is released after the run', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const r0 = await runInProcess(['train', '--limit', '60', '--epochs', '1', '--hidden', '2', '--ensemble', '1', '--quiet', '--name', 'st', '--runs-dir', runs], cwd);
  assert.equal(r0.code, 0, r0.stderr);
  writeFileSync(join(runs, '.st2.lock'), `${dead}\n`);
  const r = await runInProcess(['train', '--limit', '60', '--epochs', '1', '--hidden', '2', '--ensemble', '1', '--quiet', '--name', 'st2', '--runs-dir', runs], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(runsIn(runs).sort(), ['st', 'st2']);
});

test('kill -9 on a forecast run: --resume adopts the staging folder and continues from its last epoch checkpoint', async () => {
  const cwd = tempDir();
  const runs = join(cwd, 'runs');
  const partial = (): string => join(runs, runsIn(runs).find((d) => d.startsWith('.fk.partial-')) ?? 'none');
  const args = [...smallForecastArgs(runs, 'fk'), '--epochs', '30', '--patience', '100', '--quiet'];
  const killed = await spawnAndSignal(args, cwd, () => existsSync(join(partial(), 'train-state', 'last.safetensors')), 'SIGKILL');
  assert.equal(killed.code, 128);
  assert.ok(existsSync(join(partial(), 'config.json')) && !existsSync(join(runs, 'fk')));
  const ev0 = readFileSync(join(partial(), 'events.jsonl'), 'utf8');
  const epochsBefore = ev0.match(/"type":"epoch_end"/g)?.length ?? 0;
  assert.ok(epochsBefore >= 1 && epochsBefore < 30, `killed after ${epochsBefore} epochs`);
  const resumed = await runInProcess(['train', '--resume', join(runs, 'fk'), '--epochs', String(epochsBefore + 1)], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(runsIn(runs), ['fk']);
  const ev = readFileSync(join(runs, 'fk', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; resume?: boolean; epoch?: number });
  const after = ev.slice(ev.findIndex((e) => e.type === 'run_start' && e.resume === true)).filter((e) => e.type === 'epoch_end').map((e) => e.epoch!);
  assert.ok(after.length >= 1 && after[0]! >= 1, `continued from a saved epoch, not from the start: ${after}`);
  assert.equal(after.at(-1), epochsBefore, 'and ran to --epochs');
  const e = await runInProcess(['eval', '--run', join(runs, 'fk')], cwd);
  assert.equal(e.code, 0, e.stderr);
});
