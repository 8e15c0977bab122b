#!/usr/bin/env node
/**
 * Build the WebAssembly kernels from the same C sources as the native addon: every native/*.c except the
 * N-API layer (addon.c, *_napi.c, napi_util.c) and the pthread pool (pool.c), plus native/wasm/*.c (the
 * SIMD128 micro-kernel, the exports, one of the two pools). wasm32-wasi with SIMD128, libc and libm from
 * wasi-libc (malloc, exp, log …). Four files, one kernel source:
 *
 *   wasm/recur.wasm     one thread (pool_single.c), its own memory, no imports
 *   wasm/recur-mt.wasm  threads (pool_threads.c, -DRC_WASM_THREADS): atomics, an imported shared memory
 *                       (env.memory, MT_MEMORY pages below, mirrored in src/kernels/wasm/threads.ts),
 *                       exports __stack_pointer / __wasm_init_tls so that each worker's instance gets its
 *                       own stack and TLS block. Needs cross-origin isolation in a browser.
 *   wasm/recur-relaxed.wasm, wasm/recur-mt-relaxed.wasm
 *                       the same two with -mrelaxed-simd: the GEMM micro-kernel's a·b + c is relaxed madd
 *                       (an FMA where the engine has one: native/wasm/kern_simd128.c).
 *                       Loaded where the engine validates relaxed SIMD (src/kernels/wasm/relaxed.ts):
 *                       Chromium ≥ 114; Node 20 only with --experimental-wasm-relaxed-simd.
 *
 * Runs from the package's `prepare` script (so the .wasm ships in the npm tarball; users never build
 * it). Like tools/build-native.mjs it never fails the script unless asked: one warning line, exit 0,
 * and the `wasm` backend is then unavailable. The compiler output goes to wasm/build.log.
 *
 *   node tools/build-wasm.mjs          build (~5 s each)
 *   RECUR_WASM_STRICT=1                 exit 1 on failure (CI: the .wasm must build)
 *   RECUR_WASM_CC=clang-17              the compiler (default: clang-16, clang-17 … clang-19, clang on PATH:
 *                                       the first that is clang ≥ 16)
 *   RECUR_WASM_SYSROOT=/path            wasi sysroot (default /usr: Debian's wasi-libc package)
 *
 * Toolchain (Debian bookworm): apt-get install clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32 (see
 * .ci/run). Why clang ≥ 16: clang 14 encodes relaxed SIMD with the pre-standard opcodes (relaxed madd
 * 0xfd 0xaf) that engines reject; clang 16 emits the standard ones (0xfd 0x105). All four files use the
 * one compiler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const file = (name) => join(ROOT, 'wasm', `${name}.wasm`);
const LOG = join(ROOT, 'wasm', 'build.log');
const strict = process.env.RECUR_WASM_STRICT === '1';
const t0 = Date.now();

function done(ok, reason) {
  if (ok) {
    const kb = (out) => `${(statSync(out).size / 1024).toFixed(0)} KB`;
    console.log(`recur: wasm kernels built with ${cc} (${builds.map((b) => `${b.name} ${kb(b.out)}`).join(', ')}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    process.exit(0);
  }
  console.warn(`recur: warning: wasm kernels not built (${reason}); see ${LOG}`);
  process.exit(strict ? 1 : 0);
}

/** The first clang ≥ 16 of the list (see the header for why 16). */
function findCompiler() {
  const names = process.env.RECUR_WASM_CC ? [process.env.RECUR_WASM_CC] : ['clang-16', 'clang-17', 'clang-18', 'clang-19', 'clang'];
  for (const cc of names) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && Number(/clang version (\d+)/.exec(r.stdout)?.[1]) >= 16) return cc;
  }
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
  `-I${join(native, 'wasm')}`, '-Wall', '-Wno-unused-function', '-Wno-unused-variable', '-Wno-unknown-pragmas',
  // A library, not a program: no _start, exports from export_name attributes (native/wasm/api.c).
  '-nostartfiles', '-Wl,--no-entry', '-Wl,--strip-all', '-Wl,-z,stack-size=1048576',
];
/** Shared memory: 16 MiB at start, at most 2 GiB (src/kernels/wasm/threads.ts creates it with these). */
const MT_MEMORY = { initial: 256, maximum: 32768 };
const plain = [
  { name: 'recur', args: [...flags, ...common, ...wasmDir('pool_threads.c')] },
  {
    name: 'recur-mt',
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
const builds = [
  ...plain.map((b) => ({ ...b, out: file(b.name) })),
  ...plain.map((b) => ({ name: `${b.name}-relaxed`, out: file(`${b.name}-relaxed`), args: [...b.args, '-mrelaxed-simd'] })),
];

mkdirSync(dirname(LOG), { recursive: true });
const cc = findCompiler();
if (!cc) {
  writeFileSync(LOG, 'no clang >= 16 on PATH\n');
  done(false, 'clang >= 16 not found');
}
let log = '';
for (const { out, args } of builds) {
  const r = spawnSync(cc, [...args, '-o', out], { cwd: ROOT, encoding: 'utf8' });
  log += `$ ${cc} ${args.join(' ')} -o ${out}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}\n`;
  writeFileSync(LOG, log);
  if (r.status !== 0 || !existsSync(out)) done(false, `${cc} failed on ${out} (exit ${r.status})`);
}
done(true);
