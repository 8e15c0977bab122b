#!/usr/bin/env node
/**
 * Build the native addon (build/Release/recur_native.node) with node-gyp, offline.
 *
 * Runs as the package's `install` script. It never fails the install: if the addon cannot be
 * built (no compiler, no Node headers, a compile error), it prints ONE warning line and exits 0,
 * and the library falls back to the TypeScript backend ("auto"). The full compiler output is
 * kept in build/native-build.log.
 *
 *   node tools/build-native.mjs            build (about 5–10 s from scratch; ~1 s when nothing changed)
 *   node tools/build-native.mjs --clean    rebuild from scratch (node-gyp rebuild)
 *   RECUR_SKIP_NATIVE=1                     skip the build (warning line, exit 0)
 *   RECUR_NATIVE_STRICT=1                   exit 1 on failure (CI: the addon must build)
 *
 * node-gyp: the copy npm bundles (npm_config_node_gyp when run by npm, else next to npm), or
 * one on PATH. Headers: npm_config_nodedir if set, else the running Node's own include/node
 * (e.g. /usr/include/node) passed as --nodedir, so node-gyp never tries to download them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LOG = join(ROOT, 'build', 'native-build.log');
const strict = process.env.RECUR_NATIVE_STRICT === '1';

function done(ok, reason) {
  if (ok) {
    console.log(`recur: native addon built (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    process.exit(0);
  }
  console.warn(`recur: warning: native addon not built (${reason}); the TypeScript backend will be used`);
  process.exit(strict ? 1 : 0);
}

/** The command that runs node-gyp: [executable, ...leading args]. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return [process.execPath, c];
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['node-gyp'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return [which.stdout.trim().split('\n')[0]];
  return null;
}

/** --nodedir for node-gyp, so that it uses local headers instead of downloading them. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return [`--nodedir=${prefix}`];
  return [];
}

const t0 = Date.now();
if (process.env.RECUR_SKIP_NATIVE === '1') done(false, 'RECUR_SKIP_NATIVE=1');
const gyp = findNodeGyp();
if (!gyp) done(false, 'node-gyp not found');

const jobs = `--jobs=${Math.max(2, availableParallelism())}`;
const clean = process.argv.includes('--clean') || !existsSync(join(ROOT, 'build', 'Makefile'));
// Incremental unless asked (or first build): configure re-reads binding.gyp (and the list of
// native/*.c), then make recompiles what changed.
const steps = clean ? [['rebuild']] : [['configure'], ['build']];
let output = '';
let r = { status: 0 };
for (const step of steps) {
  const args = [...gyp.slice(1), ...step, '--release', jobs, ...nodedirArgs()];
  r = spawnSync(gyp[0], args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' } });
  output += `$ ${gyp[0]} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}\n`;
  if (r.status !== 0) break;
}
try {
  mkdirSync(dirname(LOG), { recursive: true });
  writeFileSync(LOG, output);
} catch {
  /* the log is a convenience */
}
if (r.status === 0 && existsSync(join(ROOT, 'build', 'Release', 'recur_native.node'))) done(true);

// One line: the first compiler error if there is one, else node-gyp's last error line.
const lines = output.split('\n');
const reason =
  lines.find((l) => /\berror\b/.test(l) && !/^gyp ERR!/.test(l)) ??
  lines.filter((l) => /gyp ERR!/.test(l)).slice(-3)[0] ??
  (r.error ? String(r.error) : `node-gyp exited with ${r.status}`);
done(false, `${reason.trim().slice(0, 200)}; see build/native-build.log`);
