/** `recur info`: versions, where recur is installed, the backend in use, CPU features, the data directory. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import * as recur from '../../index.js';
import { dataDir, packageRoot, packageVersion } from '../paths.js';
import type { Io } from './io.js';

const FEATURES = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'amx_tile', 'asimd', 'sve'];

/** CPU feature flags relevant to the kernels (Linux /proc/cpuinfo; empty elsewhere). */
export function cpuFeatures(): string[] {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^(flags|Features)\s*:\s*(.*)$/m.exec(text);
    const have = new Set(line?.[2]?.split(/\s+/) ?? []);
    return FEATURES.filter((f) => have.has(f));
  } catch {
    return [];
  }
}

function depVersion(name: string): string {
  try {
    // Walk up from the package's entry point: not every package exports its package.json.
    let dir = dirname(createRequire(`${packageRoot()}/package.json`).resolve(name));
    for (; dir !== dirname(dir); dir = dirname(dir)) {
      const pj = join(dir, 'package.json');
      if (!existsSync(pj)) continue;
      const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    }
    return 'unknown';
  } catch {
    return 'missing';
  }
}

/** Everything `recur info` reports. */
export function collectInfo(backend?: recur.BackendName): Record<string, unknown> {
  if (backend) recur.setBackend(backend);
  const cpu = cpus();
  const dir = dataDir();
  return {
    recur: packageVersion(), installedAt: packageRoot(), node: process.versions.node, v8: process.versions.v8, platform: `${process.platform}-${process.arch}`,
    backend: recur.getBackend().name, backendInfo: recur.backendInfo(),
    cpu: { model: cpu[0]?.model ?? 'unknown', cores: cpu.length, features: cpuFeatures(), memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)) },
    dataDir: { path: dir, exists: existsSync(dir) },
    dependencies: Object.fromEntries(['commander', 'zod', 'yaml', 'uplot'].map((d) => [d, depVersion(d)])),
  };
}

/** The backend line(s): what runs, and in plain words why it is not native when it is not. */
function backendLines(b: recur.BackendInfo): string[] {
  if (b.name === 'native') {
    return [`backend: native (${b.cpuPath}, ${b.threads} threads${b.nativeRecurrent ? ', fused recurrent kernels' : ''})`];
  }
  const why = b.requested === 'auto' ? 'the native backend did not load' : `requested: ${b.requested}`;
  const lines = [`backend: ${b.name} (${b.name === 'ref' ? 'TypeScript reference; ' : b.cpuPath ? `${b.cpuPath}, ${b.threads} threads; ` : ''}${why})`];
  if (b.fallback) lines.push(`native backend: ${b.fallback}`);
  return lines;
}

export function infoCommand(io: Io): Command {
  return new Command('info')
    .description('print versions, the compute backend in use, CPU features and the data directory')
    .option('--json', 'as JSON')
    .addOption(new Option('--backend <name>', 'select this backend first (shows whether it loads)').choices(['auto', 'native', 'wasm', 'ref']))
    .addHelpText('after', `
Examples:
  $ recur info
  $ recur info --backend native --json`)
    .action((o: { json?: boolean; backend?: recur.BackendName }) => {
      const info = collectInfo(o.backend);
      if (o.json) io.out(`${JSON.stringify(info, null, 2)}\n`);
      else {
        const cpu = info.cpu as { model: string; cores: number; features: string[]; memoryGiB: number };
        const deps = info.dependencies as Record<string, string>;
        const data = info.dataDir as { path: string; exists: boolean };
        io.out([
          `recur ${info.recur}  (node ${info.node}, v8 ${info.v8}, ${info.platform})`,
          `installed at: ${info.installedAt}`,
          ...backendLines(info.backendInfo as recur.BackendInfo),
          `cpu: ${cpu.model}, ${cpu.cores} cores, ${cpu.memoryGiB} GiB; features: ${cpu.features.join(' ') || 'unknown'}`,
          `data dir: ${data.path}${data.exists ? '' : ' (missing)'}`,
          `libraries: ${Object.entries(deps).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        ].join('\n') + '\n');
      }
      io.exitCode = 0;
    });
}
