/**
 * Import-boundary check: keeps ARCHITECTURE.md's folder table true. Every relative import
 * inside src/ must go to the importer's own folder or to one the table allows.
 * Run: npx tsx tools/check-imports.ts (part of `npm test`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** folder → folders it may import (besides itself). `index` is src/index.ts. */
const ALLOWED: Record<string, string[]> = {
  util: [],
  kernels: ['util'],
  tensor: ['util', 'kernels'],
  autograd: ['tensor', 'util'],
  ops: ['tensor', 'autograd', 'kernels', 'util'],
  nn: ['tensor', 'ops', 'autograd', 'util'],
  optim: ['tensor', 'ops', 'autograd', 'util'],
  data: ['tensor', 'util'],
  io: ['tensor', 'nn', 'util'],
  train: ['nn', 'optim', 'data', 'io', 'ops', 'tensor', 'autograd', 'util'],
  analysis: ['tensor', 'ops', 'autograd', 'nn', 'util'],
  index: ['*'],
  recipes: ['index'],
  sweep: ['index', 'recipes'],
  cli: ['index', 'recipes', 'sweep'],
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function folderOf(file: string): string {
  const rel = relative(SRC, file);
  return rel === 'index.ts' || rel === 'browser.ts' || rel === 'core.ts' ? 'index' : rel.split('/')[0]!; // browser.ts: the browser entry
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems: string[] = [];
for (const file of walk(SRC)) {
  if (file.endsWith('.test.ts')) continue; // unit tests may reach into their neighbours
  const from = folderOf(file);
  const allowed = ALLOWED[from];
  if (!allowed) {
    problems.push(`${relative(ROOT, file)}: folder "${from}" is not in ARCHITECTURE.md's table`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(SRC)) {
      problems.push(`${relative(ROOT, file)}: imports "${spec}" outside src/`);
      continue;
    }
    const to = folderOf(target.replace(/\.js$/, '.ts'));
    if (to === from || allowed.includes('*') || allowed.includes(to)) continue;
    problems.push(`${relative(ROOT, file)}: ${from}/ may not import ${to}/ ("${spec}"); allowed: ${allowed.join(', ') || 'nothing'}`);
  }
}
if (problems.length) {
  console.error(`import-boundary check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('import boundaries: ok');
