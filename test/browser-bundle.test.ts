/**
 * The browser bundle: src/browser.ts (what `import … from 'recur'` gives a bundler under the "browser"
 * export condition) bundled by esbuild for the browser, with package.json's "browser" field applied
 * (kernels/platform → kernels/platform-browser). esbuild cannot resolve a Node built-in for the
 * browser platform, so the build fails if one is reachable. Budget (issue 12): core JS (minified) +
 * wasm/recur.wasm ≤ 300 KB gzipped; the figures are printed. The bundle then runs (here, in Node: it is
 * platform-neutral): initWasm(bytes) selects the wasm backend, an LSTM trains a few steps on it, and a
 * checkpoint written by the Node API loads from bytes (truncated bytes: a FormatError naming the source).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { wasmFilePath } from '../src/kernels/wasm/node.js';
import { needWasm, wasmSkip as skip } from './wasm-helpers.js';
import { LSTM, Rng, encodeCheckpoint, randn } from '../src/index.js';

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { browser: Record<string, string>; exports: Record<string, Record<string, string>> };

/** package.json "browser" replacements (dist/…js) applied to the sources (src/…ts). */
const browserField: Plugin = {
  name: 'browser-field',
  setup(b) {
    const map = new Map(Object.entries(pkg.browser).map(([from, to]) => [join(ROOT, from.replace(/^\.\/dist/, 'src').replace(/\.js$/, '.ts')), join(ROOT, to.replace(/^\.\/dist/, 'src').replace(/\.js$/, '.ts'))]));
    b.onResolve({ filter: /platform\.js$/ }, (a) => {
      const file = join(a.resolveDir, a.path).replace(/\.js$/, '.ts');
      return map.has(file) ? { path: map.get(file)! } : undefined;
    });
  },
};

test('browser bundle: no Node built-in reachable from src/browser.ts; core JS + wasm ≤ 300 KB gzipped', { skip }, async () => {
  needWasm();
  assert.equal(pkg.exports['.']!['browser'], './dist/browser.js');
  const r = await build({
    entryPoints: [join(ROOT, 'src', 'browser.ts')], bundle: true, platform: 'browser', format: 'esm', minify: true,
    write: false, metafile: true, logLevel: 'silent', plugins: [browserField], target: 'es2022',
  });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('platform-browser.ts')) && !inputs.some((f) => /kernels\/platform\.ts$|native\/index\.ts|wasm\/node\.ts/.test(f)), inputs.join('\n'));
  // a page loads recur.wasm, and recur-mt.wasm too when cross-origin isolated (the single-thread build takes
  // the small calls), or the -relaxed pair where the engine has relaxed SIMD; the budget counts the larger pair
  const js = gzipSync(r.outputFiles[0]!.contents).length;
  const gz = (mt: boolean, relaxed: boolean): number => (existsSync(wasmFilePath(mt, relaxed)) ? gzipSync(readFileSync(wasmFilePath(mt, relaxed))).length : 0);
  const wasm = Math.max(...[false, true].map((relaxed) => gz(false, relaxed) + gz(true, relaxed)));
  console.log(`browser bundle: core JS ${(r.outputFiles[0]!.contents.length / 1024).toFixed(0)} KB minified, ${(js / 1024).toFixed(0)} KB gzipped; wasm ${(wasm / 1024).toFixed(0)} KB gzipped (the larger pair a threaded page loads); total ${((js + wasm) / 1024).toFixed(0)} KB`);
  assert.ok(js + wasm <= 300 * 1024, `${js + wasm} bytes gzipped > 300 KB`);
  // Run the bundle: initWasm from bytes, one LSTM training step on the wasm kernels, the loss falls.
  const dir = mkdtempSync(join(tmpdir(), 'recur-bundle-'));
  try {
    const file = join(dir, 'recur.mjs');
    writeFileSync(file, r.outputFiles[0]!.contents);
    const m = await import(pathToFileURL(file).href);
    assert.equal(m.getBackend().name, 'ref'); // nothing loaded until initWasm
    await m.initWasm(new Uint8Array(readFileSync(wasmFilePath())));
    assert.equal(m.getBackend().name, 'wasm');
    const rng = new m.Rng(5);
    const lstm = new m.LSTM(3, 8, { rng }), head = new m.Linear(8, 1, { rng });
    const opt = new m.Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.05 });
    const x = m.randn([5, 4, 3], rng), y = m.randn([5, 4, 1], rng);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      const loss = m.F.mseLoss(head.forward(lstm.forward(x).output), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    assert.ok(losses[4]! < losses[0]!, losses.join(' '));
    // A checkpoint from the Node API, as a fetch would give it (an ArrayBuffer), runs in the bundle.
    const saved = new LSTM(3, 8, { rng: new Rng(9) }), xs = randn([5, 2, 3], new Rng(1));
    const bytes = encodeCheckpoint({ model: saved.stateDict(), extra: { note: 'from node' } });
    const ck = m.decodeCheckpoint(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), 'ck.safetensors');
    assert.deepEqual(ck.extra, { note: 'from node' });
    const loaded = new m.LSTM(3, 8, { rng: new m.Rng(0) });
    loaded.loadStateDict(ck.model);
    const want = saved.forward(xs).output.data, got = loaded.forward(new m.Tensor(new Float32Array(xs.data), xs.shape)).output.data;
    assert.ok(want.every((v, i) => Math.abs(v - got[i]!) < 1e-5), 'outputs of the loaded checkpoint differ');
    assert.throws(() => m.decodeCheckpoint(bytes.subarray(0, bytes.length - 5), 'ck.safetensors'), (e: Error) => e instanceof m.FormatError && /^ck\.safetensors/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
