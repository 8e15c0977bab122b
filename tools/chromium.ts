/**
 * Chromium for the browser tests and bench:browser: Debian's chromium (CI installs it in .ci/run) driven by
 * playwright-core, which downloads no browser. The tests skip, saying why, where none is installed.
 * A page is served by Vite's preview server from a build of web/ (or of another root).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type InlineConfig } from 'vite';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The chromium binary, or undefined. */
export const chromiumPath = CANDIDATES.find((p): p is string => !!p && existsSync(p));
/** node:test's skip for browser tests: false, or the reason. */
export const chromiumSkip: string | false = chromiumPath ? false : 'no chromium binary (install Debian\'s chromium or set CHROMIUM_PATH)';

export interface Served { url: string; browser: Browser; page: Page; errors: string[]; close(): Promise<void> }

/**
 * Build the Vite app of `config`, serve the build, open it in headless Chromium; console errors and
 * uncaught page errors are collected in `errors`.
 */
export async function serveInChromium(config: InlineConfig, path = '/'): Promise<Served> {
  const outDir = mkdtempSync(join(tmpdir(), 'recur-web-'));
  const conf: InlineConfig = { ...config, logLevel: 'warn', build: { ...config.build, outDir, emptyOutDir: true } };
  await build(conf);
  const server = await preview({ ...conf, preview: { ...config.preview, port: 0, host: '127.0.0.1' } });
  const url = server.resolvedUrls!.local[0]!;
  const browser = await chromium.launch({ executablePath: chromiumPath!, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(new URL(path, url).href);
  return {
    url, browser, page, errors,
    async close() {
      await browser.close();
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
