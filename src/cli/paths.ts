/** Where the CLI finds the package (repository or installed copy), its package.json and the data directory. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson { name?: string; version?: string }

let root: { dir: string; pkg: PackageJson } | undefined;

/**
 * The package root: the nearest folder above this file with a package.json named "recur".
 * Walking up (rather than a fixed `../..`) holds for src/cli (tsx), dist/cli (compiled) and
 * node_modules/recur/dist/cli (installed) alike.
 */
function findRoot(): { dir: string; pkg: PackageJson } {
  if (root) return root;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
    if (pkg.name === 'recur') return (root = { dir, pkg });
  }
  throw new Error(`recur: no package.json named "recur" above ${here}`);
}

/** The package root (the repository, or node_modules/recur once installed). */
export function packageRoot(): string {
  return findRoot().dir;
}

/** The package's version. */
export function packageVersion(): string {
  return findRoot().pkg.version ?? 'unknown';
}

/**
 * The data directory: the flag, else $RECUR_DATA_DIR, else ../shared/data beside the repository.
 * Data with unknown licences (e.g. the wind-turbine SCADA file) is read from there, never copied.
 */
export function dataDir(flag?: string): string {
  if (flag) return resolve(flag);
  if (process.env.RECUR_DATA_DIR) return resolve(process.env.RECUR_DATA_DIR);
  return resolve(packageRoot(), '..', 'shared', 'data');
}
