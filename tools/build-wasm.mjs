#!/usr/bin/env node
/**
 * Build the WebAssembly kernels (wasm/recur.wasm) from the same C sources as the native addon: every
 * native/*.c except the N-API layer (addon.c, *_napi.c, napi_util.c) and the pthread pool (pool.c),
 * plus native/wasm/*.c (single-thread pool, SIMD128 micro-kernel, the exports). wasm32-wasi with
 * SIMD128, no threads, libc and libm from wasi-libc (malloc, exp, log …), no imports.
 *
 * Runs from the package's `prepare` script (so the .wasm ships in the npm tarball; users never build
 * it). Like tools/build-native.mjs it never fails the script unless asked: one warning line, exit 0,
 * and the `wasm` backend is then unavailable. The compiler output goes to wasm/build.log.
 *
 *   node tools/build-wasm.mjs          build (~5 s)
 *   RECUR_WASM_STRICT=1                 exit 1 on failure (CI: the .wasm must build)
 *   RECUR_WASM_CC=clang-16              the compiler (default: clang, then clang-19 … clang-14 on PATH)
 *   RECUR_WASM_SYSROOT=/path            wasi sysroot (default /usr: Debian's wasi-libc package)
 *
 * Toolchain (Debian): apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 (see .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'wasm', 'recur.wasm');
const LOG = join(ROOT, 'wasm', 'build.log');
const strict = process.env.RECUR_WASM_STRICT === '1';
const t0 = Date.now();

function done(ok, reason) {
  if (ok) {
    console.log(`recur: wasm kernels built (${(statSync(OUT).size / 1024).toFixed(0)} KB, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    process.exit(0);
  }
  console.warn(`recur: warning: wasm kernels not built (${reason}); see ${LOG}`);
  process.exit(strict ? 1 : 0);
}

function findCompiler() {
  const names = process.env.RECUR_WASM_CC ? [process.env.RECUR_WASM_CC] : ['clang', 'clang-19', 'clang-18', 'clang-17', 'clang-16', 'clang-15', 'clang-14'];
  for (const cc of names) if (spawnSync(cc, ['--version'], { encoding: 'utf8' }).status === 0) return cc;
  return null;
}

const native = join(ROOT, 'native');
const NAPI_ONLY = new Set(['addon.c', 'napi_util.c', 'pool.c']);
const sources = [
  ...readdirSync(native).filter((f) => f.endsWith('.c') && !NAPI_ONLY.has(f) && !f.endsWith('_napi.c')).sort().map((f) => join(native, f)),
  ...readdirSync(join(native, 'wasm')).filter((f) => f.endsWith('.c')).sort().map((f) => join(native, 'wasm', f)),
];
const args = [
  '--target=wasm32-wasi', `--sysroot=${process.env.RECUR_WASM_SYSROOT ?? '/usr'}`,
  '-O3', '-std=c11', '-ffp-contract=off', '-msimd128', '-mbulk-memory', '-mnontrapping-fptoint', '-DRC_WASM', '-DRC_NO_NAPI',
  // native/wasm first: its pthread.h stands in for the one wasi-libc lacks (single thread).
  `-I${join(native, 'wasm')}`, '-Wall', '-Wno-unused-function',
  // A library, not a program: no _start, exports from export_name attributes (native/wasm/api.c).
  '-nostartfiles', '-Wl,--no-entry', '-Wl,--strip-all', '-Wl,-z,stack-size=1048576',
  ...sources, '-o', OUT,
];

mkdirSync(dirname(OUT), { recursive: true });
const cc = findCompiler();
if (!cc) {
  writeFileSync(LOG, 'no clang on PATH\n');
  done(false, 'clang not found');
}
const r = spawnSync(cc, args, { cwd: ROOT, encoding: 'utf8' });
writeFileSync(LOG, `$ ${cc} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}\n`);
if (r.status !== 0 || !existsSync(OUT)) done(false, `${cc} failed (exit ${r.status})`);
done(true);
