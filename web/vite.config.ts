/** `npm run web`: the dashboard (web/) on Vite's dev server; `vite build web` for a static build. */
import { join } from 'node:path';
import { defineConfig } from 'vite';
import { recurSource } from './recur-source.js';

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: import.meta.dirname,
  plugins: [recurSource()],
  // 800 kB: the chunk holds the splice data (319 kB of text)
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  // cross-origin isolation, so that a page may share memory with workers (SharedArrayBuffer)
  // the wasm file and the splice data live outside web/
  server: { headers: ISOLATION, fs: { allow: [join(import.meta.dirname, '..')] } },
  preview: { headers: ISOLATION },
});
