/**
 * The dashboard (web/, `npm run web`) in real Chromium: it trains the flip-flop for 60 steps, the loss
 * falls, every chart has pixels in its data's colours, a splice network saved the way `recur train`
 * saves it runs in the page with the same logits as in Node, a truncated checkpoint is refused with a
 * FormatError on the page, and the console stays free of errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Tensor, noGrad, oneHot } from '../src/index.js';
import { buildNet, saveMember } from '../src/recipes/splice/checkpoint.js';
import { SPLICE_DATA_PATH, parseSplice } from '../src/recipes/splice/data.js';
import { chromiumSkip, serveInChromium } from '../tools/chromium.js';

const ROOT = join(import.meta.dirname, '..');

/**
 * Per chart, the pixels within 60 (summed over RGB) of each colour in its data-colors. A string: tsx
 * would wrap the functions of a test-file closure in helpers the page does not have.
 */
const COUNT_PIXELS = `['loss-chart', 'flow-chart', 'pca-chart', 'eig-chart'].map((id) => {
  const el = document.getElementById(id);
  const canvas = el instanceof HTMLCanvasElement ? el : el.querySelector('canvas');
  const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  return (el.dataset.colors || '').split(' ').filter(Boolean).map((c) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 200 && Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 60) n++;
    return { id, colour: c, n };
  });
})`;

test('web dashboard in Chromium: trains, draws every chart, runs a recur train checkpoint', { skip: chromiumSkip, timeout: 120_000 }, async () => {
  const s = await serveInChromium({ configFile: join(ROOT, 'web', 'vite.config.ts') });
  const dir = mkdtempSync(join(tmpdir(), 'recur-dash-'));
  try {
    const { page } = s;
    await page.waitForFunction(() => (window as any).recurDashboard?.ready, null, { timeout: 30_000 });
    assert.match(await page.textContent('#status') ?? '', /backend: wasm/);
    await page.selectOption('#task', 'flipflop');
    await page.fill('#steps', '60');
    await page.fill('#every', '30');
    await page.click('#train');
    await page.waitForFunction(() => { const d = (window as any).recurDashboard; return !d.running && (d.losses.length === 60 || d.error); }, null, { timeout: 90_000 });
    const d = await page.evaluate(() => (window as any).recurDashboard);
    assert.equal(d.error, null);
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    const first = mean(d.losses.slice(0, 10)), last = mean(d.losses.slice(-10));
    assert.ok(last < 0.8 * first, `loss fell too little: first 10 steps ${first}, last 10 ${last}`);
    const pixels = await page.evaluate(COUNT_PIXELS) as { id: string; colour: string; n: number }[][];
    for (const [i, chart] of pixels.entries()) {
      assert.ok(chart.length > 0, `chart ${i} names no data colours`);
      for (const c of chart) assert.ok(c.n >= 20, `${c.id}: ${c.n} pixels of ${c.colour}`);
    }

    // A splice network as `recur train` saves it (saveMember), run in the page and here.
    const spec = { cell: 'gru' as const, hidden: 8, pooling: 'center' as const, convChannels: 0, dropout: 0.2 };
    const net = buildNet(spec, new Rng(4));
    const file = join(dir, 'fold-1.member-1.safetensors');
    saveMember(file, net, { kind: 'splice-member', fold: 0, member: 0, classes: ['EI', 'IE', 'N'], steps: 60, net: spec, bestEpoch: 1, epochsRun: 1, history: [] });
    await page.setInputFiles('#checkpoint', file);
    await page.waitForFunction(() => { const r = (window as any).recurDashboard; return r.checkpoint || r.error; }, null, { timeout: 60_000 });
    const ck = await page.evaluate(() => { const r = (window as any).recurDashboard; return { ck: r.checkpoint, error: r.error }; });
    assert.equal(ck.error, null);
    const data = parseSplice(readFileSync(SPLICE_DATA_PATH, 'utf8'));
    assert.equal(ck.ck.n, data.sequences.length);
    assert.equal(ck.ck.perClass.reduce((a: number, c: { correct: number }) => a + c.correct, 0), Math.round(ck.ck.accuracy * ck.ck.n));
    const x = new Float32Array(60 * 8 * 4);
    data.sequences.slice(0, 8).forEach((seq, b) => { const h = oneHot(seq, 'dna'); for (let t = 0; t < 60; t++) x.set(h.subarray(t * 4, t * 4 + 4), (t * 8 + b) * 4); });
    const want = noGrad(() => net.eval().forward(new Tensor(x, [60, 8, 4])).data);
    ck.ck.firstLogits.flat().forEach((v: number, i: number) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `logit ${i}: page ${v}, node ${want[i]}`));

    const bytes = readFileSync(file);
    writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 7));
    await page.setInputFiles('#checkpoint', join(dir, 'cut.safetensors'));
    await page.waitForFunction(() => (window as any).recurDashboard.error, null, { timeout: 30_000 });
    assert.match(await page.textContent('#ck-status') ?? '', /^cut\.safetensors: .*expected/);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
