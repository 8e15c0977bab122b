/**
 * `npm run bench:browser`: W1, W3, W5 and W4 in headless Chromium, recur's wasm kernels against TF.js
 * (wasm backend) and, for W5 and W4, ONNX Runtime Web running recur's own model exported to ONNX —
 * all in one page, one thread each (bench/browser/bench.ts). Prints figures, ratios and the issue's
 * targets; --json writes the raw runs.
 *
 *   npm run bench:browser -- [--workloads W1,W3,W5,W4] [--reps 5] [--warmup 1] [--steps 2000] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromiumPath, serveInChromium } from '../tools/chromium.js';
import { recurSource } from '../web/recur-source.js';
import { SHAPES, WORKLOADS, figureOf, median, speedRatio, unitOf, type WorkloadId } from './workloads.js';
import type { BenchConfig, BenchState } from './browser/types.js';

/** The issue's targets in Chromium: recur / peer speed ratio at least `min`. */
const TARGETS: Partial<Record<WorkloadId, { vs: 'tfjs-wasm' | 'ort-web'; min: number }[]>> = {
  W1: [{ vs: 'tfjs-wasm', min: 5 }],
  W3: [{ vs: 'tfjs-wasm', min: 5 }],
  W5: [{ vs: 'tfjs-wasm', min: 2 }, { vs: 'ort-web', min: 1 }],
  W4: [{ vs: 'ort-web', min: 1 }],
};

const { values: v } = parseArgs({
  options: { workloads: { type: 'string', default: 'W1,W3,W5,W4' }, reps: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' }, steps: { type: 'string', default: '2000' }, json: { type: 'string' } },
});
if (!chromiumPath) throw new Error('bench:browser: no chromium binary (install Debian\'s chromium or set CHROMIUM_PATH)');
const ids = v.workloads!.split(',').map((w) => w.trim().toUpperCase()) as WorkloadId[];
for (const w of ids) if (!WORKLOADS.includes(w)) throw new Error(`--workloads: unknown "${w}"`);
const config: BenchConfig = { workloads: ids.map((id) => ({ id, shape: SHAPES[id] })), warmup: Number(v.warmup), reps: Number(v.reps), steps: Number(v.steps) };

// Not cross-origin isolated: everyone runs on one thread (recur's wasm kernels have one), and TF.js's
// threaded wasm build, which it picks when isolated, fails to start its workers from a bundle.
const root = join(import.meta.dirname, 'browser');
const s = await serveInChromium({
  configFile: false, root, plugins: [recurSource({ dependencies: 'lenient' })],
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, rollupOptions: { input: join(root, 'bench.html') } },
}, `/bench.html?config=${encodeURIComponent(JSON.stringify(config))}`);
s.page.on('console', (m) => process.stderr.write(`  [page ${m.type()}] ${m.text()}\n`));
try {
  for (let last = ''; !(await s.page.evaluate(() => (window as unknown as { bench?: { done: boolean } }).bench?.done));) {
    const now = (await s.page.textContent('#out')) ?? '';
    if (now !== last) process.stderr.write(`  ${(last = now)}\n`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  const r = await s.page.evaluate(() => (window as unknown as { bench: unknown }).bench) as BenchState;
  if (r.error) throw new Error(`bench page: ${r.error}`);
  if (s.errors.length) console.warn(`console errors on the page:\n  ${s.errors.join('\n  ')}`);
  console.log(`Chromium ${await s.browser.version()}, one thread each; ${JSON.stringify(r.info)}`);
  console.log(`medians of ${config.reps} repetitions after ${config.warmup} warm-up (W4: ${config.steps} steps per repetition)\n`);
  const fig = (w: WorkloadId, peer: string): number => {
    const run = r.runs.find((x) => x.workload === w && x.peer === peer);
    return run && !run.error ? figureOf(SHAPES[w], median(run.times_s), run) : NaN;
  };
  for (const w of ids) {
    const sh = SHAPES[w], mine = fig(w, 'recur-wasm');
    const cells = (['tfjs-wasm', 'ort-web'] as const).map((p) => {
      const f = fig(w, p);
      if (Number.isNaN(f)) return `${p} ${r.runs.find((x) => x.workload === w && x.peer === p)?.error ?? '—'}`;
      const ratio = speedRatio(sh, mine, f), t = TARGETS[w]?.find((x) => x.vs === p);
      return `${p} ${f.toFixed(1)} → recur ${ratio.toFixed(2)}×${t ? ` (target ≥ ${t.min}×: ${ratio >= t.min ? 'met' : 'NOT met'})` : ''}`;
    });
    console.log(`${w} ${unitOf(sh)}: recur-wasm ${mine.toFixed(1)} | ${cells.join(' | ')}`);
  }
  if (v.json) writeFileSync(v.json, `${JSON.stringify({ config, ...r }, null, 2)}\n`);
} finally {
  await s.close();
}
