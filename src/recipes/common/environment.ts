/** What produced a run: the recur version, the compute backend and its threads, the seed. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo } from '../../index.js';

export interface RunEnvironment {
  recur: string;
  backend: string;
  threads: number;
  seed: number | string;
}

/** The version in recur's package.json (found by walking up from this file: src/ and dist/ layouts differ). */
export function recurVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (!existsSync(p)) continue;
    const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'recur' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

/** The environment of the run now in progress. */
export function runEnvironment(seed: number | string): RunEnvironment {
  const b = backendInfo();
  return { recur: recurVersion(), backend: b.name, threads: b.threads, seed };
}
