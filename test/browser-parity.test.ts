/**
 * Parity in Chromium: every PyTorch golden fixture and interop fixture (outputs, states, all gradients;
 * float32) passes on the wasm backend in a page (test/browser/parity.ts, built by Vite with
 * web/recur-source.ts), as it does in Node — on the single-thread build and on the threaded build with two
 * threads (the page is served cross-origin isolated, so it gets SharedArrayBuffer and a Web Worker), each
 * as the plain SIMD128 build and as the relaxed-SIMD build (FMA; Chromium has relaxed SIMD) —
 * and float64 gradient checks of RNN, LSTM and GRU pass there too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recurSource } from '../web/recur-source.js';
import { chromiumSkip, serveInChromium } from '../tools/chromium.js';
import type { GoldenIndex } from './golden-check.js';

const ROOT = join(import.meta.dirname, '..');
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
type Fixture = { file: string; worst: number; error?: string };
interface Parity { isolated: boolean; bigSame: boolean[]; relaxedMaxDiff: number; runs: { backend: string; cpuPath: string; threads: number; golden: Fixture[]; interop: Fixture[] }[]; gradchecks: { name: string; ok: boolean; worst: string }[]; error?: string }

test('Chromium, wasm backend (plain and relaxed-SIMD builds) on 1 and 2 threads: the PyTorch golden and interop fixtures and recurrent gradchecks pass', { skip: chromiumSkip, timeout: 420_000 }, async () => {
  const root = join(ROOT, 'test', 'browser');
  const s = await serveInChromium({
    configFile: false, root, plugins: [recurSource()], preview: { headers: ISOLATION },
    build: { target: 'es2022', rollupOptions: { input: join(root, 'parity.html') } },
  }, '/parity.html');
  try {
    await s.page.waitForFunction(() => (window as any).parity?.done, null, { timeout: 400_000 });
    const p = await s.page.evaluate(() => (window as any).parity) as Parity;
    assert.equal(p.error, undefined);
    assert.equal(p.isolated, true);
    const index = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'recurrent', 'INDEX.json'), 'utf8')) as GoldenIndex;
    const runs = [['wasm-simd128', 1], ['wasm-simd128', 2], ['wasm-relaxed-simd', 1], ['wasm-relaxed-simd', 2]];
    assert.deepEqual(p.runs.map((r) => [r.backend, r.cpuPath, r.threads]), runs.map(([path, t]) => ['wasm', path, t]));
    for (const r of p.runs) {
      assert.equal(r.golden.length, index.files.length);
      assert.equal(r.interop.length, 3);
      const bad = [...r.golden, ...r.interop].filter((g) => !(g.worst <= 1));
      assert.deepEqual(bad, [], `${bad.length} fixtures differ from PyTorch in Chromium on ${r.cpuPath}, ${r.threads} thread(s)`);
      const worst = Math.max(...[...r.golden, ...r.interop].map((g) => g.worst));
      console.log(`chromium ${r.cpuPath}, ${r.threads} thread(s): ${r.golden.length} golden + ${r.interop.length} interop fixtures pass (worst ${worst.toFixed(3)}× the tolerance)`);
    }
    assert.deepEqual(p.bigSame, [true, true], 'a sliced LSTM forward / backward differs between 1 and 2 threads (plain, relaxed build)');
    console.log(`chromium: the sliced LSTM's outputs and gradients, relaxed vs plain build: max |diff| ${p.relaxedMaxDiff.toExponential(2)}`);
    assert.equal(p.gradchecks.length, 3);
    for (const g of p.gradchecks) assert.ok(g.ok, `gradcheck ${g.name}: ${g.worst}`);
    console.log(`chromium: gradchecks ${p.gradchecks.map((g) => g.name).join(', ')} pass`);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
