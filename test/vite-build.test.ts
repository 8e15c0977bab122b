/**
 * `import … from 'recur'` in Vite: an app whose entry re-exports everything of 'recur' (so nothing is
 * tree-shaken away) builds with web/recur-source.ts, which resolves 'recur' to the browser entry,
 * applies package.json's "browser" field and fails the build on any Node built-in. Budget (issue 12):
 * core JS + wasm (the larger of the two builds, one of which a page loads) ≤ 300 KB gzipped, printed. The Node entry (src/index.ts: files, the CLI, the native
 * loader) must fail the same build, which shows the check can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Rollup } from 'vite';
import { recurSource } from '../web/recur-source.js';

const ROOT = join(import.meta.dirname, '..');

async function viteBuild(dir: string, entryText: string): Promise<Rollup.RollupOutput['output']> {
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, entryText);
  const r = await build({
    configFile: false, root: dir, logLevel: 'silent', plugins: [recurSource()],
    build: { write: false, target: 'es2022', rollupOptions: { input: entry, preserveEntrySignatures: 'strict' } },
  });
  return (Array.isArray(r) ? r[0]! : (r as Rollup.RollupOutput)).output;
}

test('vite: import from "recur" builds with no Node built-in; core JS + wasm ≤ 300 KB gzipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-vite-'));
  try {
    const out = await viteBuild(dir, "export * from 'recur';\n");
    const js = out.filter((o) => o.type === 'chunk'), wasm = out.filter((o) => o.fileName.endsWith('.wasm'));
    // initWasm's four default URLs: recur.wasm (one thread), recur-mt.wasm (threads, cross-origin isolated
    // pages, with recur.wasm for the small calls) and their -relaxed builds (engines with relaxed SIMD); a
    // page downloads recur[-relaxed].wasm and maybe recur-mt[-relaxed].wasm, so the budget counts the larger pair.
    const name = (w: { fileName: string }): string => w.fileName.replace(/^assets\/|-[\w-]{8}\.wasm$/g, '');
    assert.deepEqual(wasm.map(name).sort(), ['recur', 'recur-mt', 'recur-mt-relaxed', 'recur-relaxed'], `wasm assets: ${out.map((o) => o.fileName).join(', ')}`);
    const code = js.map((c) => (c as Rollup.OutputChunk).code).join('\n');
    assert.match(code, /initWasm|fetchCheckpoint/); // the entry's exports survived
    const gz = (n: string): number => gzipSync((wasm.find((w) => name(w) === n) as Rollup.OutputAsset).source).length;
    const jsGz = gzipSync(code).length, wasmGz = Math.max(gz('recur') + gz('recur-mt'), gz('recur-relaxed') + gz('recur-mt-relaxed'));
    console.log(`vite build: core JS ${(code.length / 1024).toFixed(0)} KB minified, ${(jsGz / 1024).toFixed(0)} KB gzipped; wasm ${(wasmGz / 1024).toFixed(0)} KB gzipped (the larger pair a threaded page loads); total ${((jsGz + wasmGz) / 1024).toFixed(0)} KB`);
    assert.ok(jsGz + wasmGz <= 300 * 1024, `${jsGz + wasmGz} bytes gzipped > 300 KB`);
    await assert.rejects(viteBuild(dir, `export * from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};\n`), /imports the Node built-in "node:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
