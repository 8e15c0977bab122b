#!/usr/bin/env node
/**
 * Build the WebAssembly kernels from the same C sources as the native addon: every native/*.c except the
 * N-API layer (addon.c, *_napi.c, napi_util.c) and the pthread pool (pool.c), plus native/wasm/*.c (the
 * SIMD128 micro-kernel, the exports, one of the two pools). wasm32-wasi with SIMD128, libc and libm from
 * wasi-libc (malloc, exp, log …). Two files, one kernel source:
 *
 *   wasm/recur.wasm     one thread (pool_single.c), its own memory, no imports
 *   wasm/recur-mt.wasm  threads (pool_threads.c, -DRC_WASM_THREADS): atomics, an imported shared memory
 *                       (env.memory, MT_MEMORY pages below, mirrored in src/kernels/wasm/threads.ts),
 *                       exports __stack_pointer / __wasm_init_tls so that each worker's instance gets its
 *                       own stack and TLS block. Needs cross-origin isolation in a browser.
 *
 * Runs from the package's `prepare` script (so the .wasm ships in the npm tarball; users never build
 * it). Like tools/build-native.mjs it never fails the script unless asked: one warning line, exit 0,
 * and the `wasm` backend is then unavailable. The compiler output goes to wasm/build.log.
 *
 *   node tools/build-wasm.mjs          build (~5 s each)
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
const OUT_MT = join(ROOT, 'wasm', 'recur-mt.wasm');
const LOG = join(ROOT, 'wasm', 'build.log');
const strict = process.env.RECUR_WASM_STRICT === '1';
const t0 = Date.now();

function done(ok, reason) {
  if (ok) {
    console.log(`recur: wasm kernels built (${(statSync(OUT).size / 1024).toFixed(0)} KB, threaded ${(statSync(OUT_MT).size / 1024).toFixed(0)} KB, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
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
const common = readdirSync(native).filter((f) => f.endsWith('.c') && !NAPI_ONLY.has(f) && !f.endsWith('_napi.c')).sort().map((f) => join(native, f));
const wasmDir = (skip) => readdirSync(join(native, 'wasm')).filter((f) => f.endsWith('.c') && f !== skip).sort().map((f) => join(native, 'wasm', f));
const flags = [
  '--target=wasm32-wasi', `--sysroot=${process.env.RECUR_WASM_SYSROOT ?? '/usr'}`,
  '-O3', '-std=c11', '-ffp-contract=off', '-msimd128', '-mbulk-memory', '-mnontrapping-fptoint', '-DRC_WASM', '-DRC_NO_NAPI',
  // native/wasm first: its pthread.h stands in for the one wasi-libc lacks.
  `-I${join(native, 'wasm')}`, '-Wall', '-Wno-unused-function', '-Wno-unused-variable',
  // A library, not a program: no _start, exports from export_name attributes (native/wasm/api.c).
  '-nostartfiles', '-Wl,--no-entry', '-Wl,--strip-all', '-Wl,-z,stack-size=1048576',
];
/** Shared memory: 16 MiB at start, at most 2 GiB (src/kernels/wasm/threads.ts creates it with these). */
const MT_MEMORY = { initial: 256, maximum: 32768 };
const builds = [
  { out: OUT, args: [...flags, ...common, ...wasmDir('pool_threads.c')] },
  {
    out: OUT_MT,
    args: [
      ...flags, '-matomics', '-ftls-model=local-exec', '-DRC_WASM_THREADS',
      '-Wl,--shared-memory', '-Wl,--import-memory', `-Wl,--initial-memory=${MT_MEMORY.initial * 65536}`, `-Wl,--max-memory=${MT_MEMORY.maximum * 65536}`,
      // Debian's wasi-libc is built without atomics, which wasm-ld refuses next to a shared memory: its
      // malloc has no lock, so every malloc / free here runs under RC_ALLOC_LOCK (native/wasm/pthread.h).
      '-Wl,--no-check-features',
      ...['__stack_pointer', '__wasm_init_tls', '__tls_size', '__tls_align'].map((n) => `-Wl,--export=${n}`),
      ...common, ...wasmDir('pool_single.c'),
    ],
  },
];

mkdirSync(dirname(OUT), { recursive: true });
const cc = findCompiler();
if (!cc) {
  writeFileSync(LOG, 'no clang on PATH\n');
  done(false, 'clang not found');
}
let log = '';
for (const { out, args } of builds) {
  const r = spawnSync(cc, [...args, '-o', out], { cwd: ROOT, encoding: 'utf8' });
  log += `$ ${cc} ${args.join(' ')} -o ${out}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}\n`;
  writeFileSync(LOG, log);
  if (r.status !== 0 || !existsSync(out)) done(false, `${cc} failed on ${out} (exit ${r.status})`);
}
done(true);
