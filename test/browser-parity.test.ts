/**
 * Parity in Chromium: every PyTorch golden fixture (outputs, states, all gradients; float32) passes on
 * the wasm backend in a page (test/browser/parity.ts, built by Vite with web/recur-source.ts), as it
 * does in Node, and float64 gradient checks of RNN, LSTM and GRU pass there too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recurSource } from '../web/recur-source.js';
import { chromiumSkip, serveInChromium } from '../tools/chromium.js';
import type { GoldenIndex } from './golden-check.js';

const ROOT = join(import.meta.dirname, '..');

test('Chromium, wasm backend: the PyTorch golden fixtures and recurrent gradchecks pass', { skip: chromiumSkip, timeout: 120_000 }, async () => {
  const root = join(ROOT, 'test', 'browser');
  const s = await serveInChromium({
    configFile: false, root, plugins: [recurSource()],
    build: { target: 'es2022', rollupOptions: { input: join(root, 'parity.html') } },
  }, '/parity.html');
  try {
    await s.page.waitForFunction(() => (window as any).parity?.done, null, { timeout: 100_000 });
    const p = await s.page.evaluate(() => (window as any).parity) as { backend: string; golden: { file: string; worst: number; error?: string }[]; gradchecks: { name: string; ok: boolean; worst: string }[] };
    assert.equal(p.backend, 'wasm');
    const index = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'recurrent', 'INDEX.json'), 'utf8')) as GoldenIndex;
    assert.equal(p.golden.length, index.files.length);
    const bad = p.golden.filter((g) => !(g.worst <= 1));
    assert.deepEqual(bad, [], `${bad.length} fixtures differ from PyTorch in Chromium`);
    assert.equal(p.gradchecks.length, 3);
    for (const g of p.gradchecks) assert.ok(g.ok, `gradcheck ${g.name}: ${g.worst}`);
    const worst = Math.max(...p.golden.map((g) => g.worst));
    console.log(`chromium wasm: ${p.golden.length} golden fixtures pass (worst ${worst.toFixed(3)}× the tolerance); gradchecks ${p.gradchecks.map((g) => g.name).join(', ')} pass`);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
