/**
 * A Vite plugin that builds recur from its sources the way a bundler builds the published package:
 * `recur` is src/browser.ts (the "browser" export condition), package.json's "browser" field applies
 * (dist/… → src/…), and any import of a Node built-in fails the build, naming the importer (outside
 * node_modules only with `dependencies: 'lenient'`: the bench page's peers map theirs to nothing through
 * their own "browser" fields). Used by web/vite.config.ts, the browser tests and bench/browser.
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import type { Plugin } from 'vite';

const ROOT = join(import.meta.dirname, '..');
const toSrc = (p: string): string => join(ROOT, p.replace(/^\.\/dist/, 'src').replace(/\.js$/, '.ts'));

export function recurSource(opts: { dependencies?: 'strict' | 'lenient' } = {}): Plugin {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { browser: Record<string, string> };
  const swap = new Map(Object.entries(pkg.browser).map(([from, to]) => [toSrc(from), toSrc(to)]));
  return {
    name: 'recur-source',
    enforce: 'pre',
    async resolveId(id, importer) {
      if (id === 'recur') return join(ROOT, 'src', 'browser.ts');
      const fromDependency = importer?.includes('/node_modules/') && opts.dependencies === 'lenient';
      if (isBuiltin(id) && !fromDependency) this.error(`${importer ?? 'the entry'} imports the Node built-in "${id}", which has no place on the browser path`);
      if (!importer || !id.startsWith('.')) return null;
      const r = await this.resolve(id, importer, { skipSelf: true });
      return r && swap.has(r.id) ? swap.get(r.id)! : null;
    },
  };
}
