/**
 * `npm run bench:browser`: W1, W3, W5 and W4 in headless Chromium, recur's wasm kernels against TF.js
 * (wasm backend) and, for W5 and W4, ONNX Runtime Web running recur's own model exported to ONNX — all
 * in one page (bench/browser/bench.ts), served cross-origin isolated, repetitions interleaved. One page
 * load per thread count of --threads: recur (1: wasm/recur.wasm; more: wasm/recur-mt.wasm + Web Workers)
 * and ONNX Runtime Web (numThreads) on that count, TF.js on one (bench/browser/peers.ts); recur twice
 * where Chromium has relaxed SIMD (recur-wasm: the plain builds, recur-relaxed: the -relaxed ones). Prints figures,
 * ratios (recur against each peer on the same page) and the issue's targets, and /proc/loadavg before
 * and after; --json writes the raw runs.
 *
 *   npm run bench:browser -- [--workloads W1,W3,W5,W4] [--threads 1,2] [--reps 5] [--warmup 1] [--steps 2000] [--json out.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromiumPath, serveInChromium } from '../tools/chromium.js';
import { recurSource } from '../web/recur-source.js';
import { SHAPES, WORKLOADS, figureOf, median, speedRatio, unitOf, type WorkloadId } from './workloads.js';
import type { BenchConfig, BenchRun, BenchState } from './browser/types.js';

/** The issue's targets in Chromium: recur / peer speed ratio at least `min`. */
const TARGETS: Partial<Record<WorkloadId, { vs: 'tfjs-wasm' | 'ort-web'; min: number }[]>> = {
  W1: [{ vs: 'tfjs-wasm', min: 5 }],
  W3: [{ vs: 'tfjs-wasm', min: 5 }],
  W5: [{ vs: 'tfjs-wasm', min: 2 }, { vs: 'ort-web', min: 1 }],
  W4: [{ vs: 'ort-web', min: 1 }],
};

const { values: v } = parseArgs({
  options: { workloads: { type: 'string', default: 'W1,W3,W5,W4' }, threads: { type: 'string', default: '1,2' }, reps: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' }, steps: { type: 'string', default: '2000' }, json: { type: 'string' } },
});
if (!chromiumPath) throw new Error('bench:browser: no chromium binary (install Debian\'s chromium or set CHROMIUM_PATH)');
const ids = v.workloads!.split(',').map((w) => w.trim().toUpperCase()) as WorkloadId[];
for (const w of ids) if (!WORKLOADS.includes(w)) throw new Error(`--workloads: unknown "${w}"`);
const threads = v.threads!.split(',').map(Number);
for (const t of threads) if (!Number.isInteger(t) || t < 1 || t > 64) throw new Error(`--threads: "${v.threads}" is not a list of integers in [1, 64]`);
const base = { workloads: ids.map((id) => ({ id, shape: SHAPES[id] })), warmup: Number(v.warmup), reps: Number(v.reps), steps: Number(v.steps) };
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').trim();

// Cross-origin isolated (SharedArrayBuffer): recur's and ONNX Runtime Web's workers need it.
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const root = join(import.meta.dirname, 'browser');
const s = await serveInChromium({
  configFile: false, root, plugins: [recurSource({ dependencies: 'lenient' })], preview: { headers: ISOLATION },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, rollupOptions: { input: join(root, 'bench.html') } },
}, '/bench.html?config=null');
s.page.on('console', (m) => process.stderr.write(`  [page ${m.type()}] ${m.text()}\n`));

async function runPage(config: BenchConfig): Promise<BenchState> {
  await s.page.goto(new URL(`/bench.html?config=${encodeURIComponent(JSON.stringify(config))}`, s.url).href);
  for (let last = ''; !(await s.page.evaluate(() => (window as unknown as { bench?: { done: boolean } }).bench?.done));) {
    // The page's jobs are synchronous: on a loaded machine one repetition may hold its thread for minutes.
    const now = (await s.page.textContent('#out', { timeout: 0 })) ?? '';
    if (now !== last) process.stderr.write(`  ${(last = now)}\n`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  const r = await s.page.evaluate(() => (window as unknown as { bench: unknown }).bench) as BenchState;
  if (r.error) throw new Error(`bench page: ${r.error}`);
  return r;
}

try {
  const before = loadavg(), runs: BenchRun[] = [], infos: Record<string, unknown>[] = [];
  for (const t of threads) {
    const r = await runPage({ ...base, threads: t });
    runs.push(...r.runs);
    infos.push(r.info);
  }
  if (s.errors.length) console.warn(`console errors on the page:\n  ${s.errors.join('\n  ')}`);
  console.log(`Chromium ${await s.browser.version()}; ${JSON.stringify(infos[0])}`);
  console.log(`/proc/loadavg before ${before}, after ${loadavg()}`);
  console.log(`medians of ${base.reps} interleaved repetitions after ${base.warmup} warm-up (W4: ${base.steps} steps per repetition); threads ${threads.join(', ')}\n`);
  const find = (w: WorkloadId, peer: string, page: number): BenchRun | undefined => runs.find((x) => x.workload === w && x.peer === peer && x.page === page);
  const fig = (w: WorkloadId, peer: string, page: number): number => {
    const run = find(w, peer, page);
    return run && !run.error && run.times_s.length ? figureOf(SHAPES[w], median(run.times_s), run) : NaN;
  };
  for (const w of ids) {
    const sh = SHAPES[w];
    for (const t of threads) {
      for (const me of ['recur-wasm', 'recur-relaxed'] as const) {
        const mine = fig(w, me, t);
        if (me === 'recur-relaxed' && !find(w, me, t)) continue; // no relaxed SIMD in this engine
        const cells = (['tfjs-wasm', 'ort-web'] as const).map((p) => {
          const run = find(w, p, t), pt = run?.threads ?? t, f = fig(w, p, t);
          if (Number.isNaN(f)) return `${p} ${run?.error ?? '—'}`;
          const ratio = speedRatio(sh, mine, f), tg = TARGETS[w]?.find((x) => x.vs === p);
          return `${p} ×${pt} ${f.toFixed(1)} → ${me} ${ratio.toFixed(2)}×${tg ? ` (target ≥ ${tg.min}×: ${ratio >= tg.min ? 'met' : 'NOT met'})` : ''}`;
        });
        const one = fig(w, me, 1), scale = t > 1 && threads.includes(1) ? ` (${speedRatio(sh, mine, one).toFixed(2)}× ×1)` : '';
        const vsPlain = me === 'recur-relaxed' ? ` (${speedRatio(sh, mine, fig(w, 'recur-wasm', t)).toFixed(2)}× recur-wasm)` : '';
        console.log(`${w} ${unitOf(sh)}: ${me} ×${t} ${mine.toFixed(1)}${scale}${vsPlain} | ${cells.join(' | ')}`);
      }
    }
  }
  if (v.json) writeFileSync(v.json, `${JSON.stringify({ config: { ...base, threads }, loadavg: { before, after: loadavg() }, infos, runs }, null, 2)}\n`);
} finally {
  await s.close();
}
