/** Where the CLI finds the repository, its package.json and the data directory. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this file is src/cli/paths.ts, or dist/src/cli/paths.js once compiled). */
export function packageRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = here.includes('/dist/') ? '../../..' : '../..';
  return resolve(here, up);
}

/** The package's version. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(resolve(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
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
