/**
 * The PyTorch-verified suites on the wasm backend: the golden fixtures of nn.RNN / nn.LSTM / nn.GRU
 * (outputs, states, every gradient, float32), the PyTorch interop fixtures, and the gradient checks
 * (float64, which every compiled backend routes to the reference), run in a child process with
 * RECUR_BACKEND=wasm — an explicit backend, so the child fails at import if the kernels do not load
 * instead of falling back; on the threaded build (RECUR_NUM_THREADS=3) where it was built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { needWasm, wasmSkip as skip } from './wasm-helpers.js';

const ROOT = join(import.meta.dirname, '..');
const SUITES = ['golden', 'interop', 'recurrent-gradcheck', 'core-ops.gradcheck', 'ops-extra.gradcheck', 'recurrent-modules'];

test(`RECUR_BACKEND=wasm: ${SUITES.join(', ')} pass`, { skip }, () => {
  needWasm();
  const files = SUITES.map((s) => join('test', `${s}.test.ts`));
  const check = "import('./src/index.ts').then((m) => { if (m.getBackend().name !== 'wasm') process.exit(3); })";
  // RECUR_NUM_THREADS=3: the threaded build (wasm/recur-mt.wasm) with two workers, where it was built
  const env: NodeJS.ProcessEnv = { ...process.env, RECUR_BACKEND: 'wasm', RECUR_NUM_THREADS: '3' };
  delete env.NODE_TEST_CONTEXT; // else the child test runner reports to this one instead of running
  assert.equal(spawnSync(process.execPath, ['--import', 'tsx', '-e', check], { cwd: ROOT, env }).status, 0, 'the child does not run on wasm');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`.slice(-4000));
  const count = (k: string): number => Number(new RegExp(`ℹ ${k} (\\d+)`).exec(r.stdout)?.[1] ?? NaN);
  assert.ok(count('pass') >= 200 && count('fail') === 0 && count('skipped') === 0, r.stdout.slice(-600));
});
