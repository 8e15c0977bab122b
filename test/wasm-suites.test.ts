/**
 * The PyTorch-verified suites on the wasm backend: the golden fixtures of nn.RNN / nn.LSTM / nn.GRU
 * (outputs, states, every gradient, float32), the PyTorch interop fixtures, and the gradient checks
 * (float64, which every compiled backend routes to the reference), run in a child process with
 * RECUR_BACKEND=wasm — an explicit backend, so the child fails at import if the kernels do not load
 * instead of falling back; on the threaded build (RECUR_NUM_THREADS=3) where it was built; then again on
 * the relaxed-SIMD builds (node --experimental-wasm-relaxed-simd), whose FMA changes the last bits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { needWasm, wasmSkip as skip } from './wasm-helpers.js';
import { relaxedSimd } from '../src/kernels/wasm/relaxed.js';

const ROOT = join(import.meta.dirname, '..');
const SUITES = ['golden', 'interop', 'recurrent-gradcheck', 'core-ops.gradcheck', 'ops-extra.gradcheck', 'recurrent-modules'];

/**
 * The suites in a child on RECUR_BACKEND=wasm, threaded (RECUR_NUM_THREADS=3: recur-mt[-relaxed].wasm with
 * two workers, where it was built); `flags`: extra node flags; `path`: the build the child must be on.
 */
function suites(flags: string[], path: string, extra: string[] = []): void {
  needWasm();
  const files = [...SUITES, ...extra].map((s) => join('test', `${s}.test.ts`));
  const check = `import('./src/index.ts').then((m) => { const b = m.backendInfo(); if (b.name !== 'wasm' || b.cpuPath !== '${path}') process.exit(3); })`;
  const env: NodeJS.ProcessEnv = { ...process.env, RECUR_BACKEND: 'wasm', RECUR_NUM_THREADS: '3' };
  delete env.NODE_TEST_CONTEXT; // else the child test runner reports to this one instead of running
  assert.equal(spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', check], { cwd: ROOT, env }).status, 0, `the child does not run on wasm (${path})`);
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--test', '--test-reporter=spec', ...files], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`.slice(-4000));
  const count = (k: string): number => Number(new RegExp(`ℹ ${k} (\\d+)`).exec(r.stdout)?.[1] ?? NaN);
  assert.ok(count('pass') >= 200 && count('fail') === 0 && count('skipped') === 0, r.stdout.slice(-600));
}

test(`RECUR_BACKEND=wasm: ${SUITES.join(', ')} pass`, { skip }, () => suites([], 'wasm-simd128'));

// The relaxed-SIMD builds (FMA in the GEMM micro-kernel): Node 20 validates relaxed SIMD only with the flag.
// Also the kernel-level checks: against the reference (wasm-recurrent) and threaded = single, bit for bit (wasm-threads).
const RELAXED_EXTRA = ['wasm-recurrent', 'wasm-threads'];
test(`RECUR_BACKEND=wasm, relaxed-SIMD builds (--experimental-wasm-relaxed-simd): ${[...SUITES, ...RELAXED_EXTRA].join(', ')} pass`, { skip }, () => {
  assert.equal(relaxedSimd(), false, 'Node 20 without the flag has no relaxed SIMD: the plain build loads');
  suites(['--experimental-wasm-relaxed-simd'], 'wasm-relaxed-simd', RELAXED_EXTRA);
});
