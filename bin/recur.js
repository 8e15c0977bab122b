#!/usr/bin/env node
// The `recur` command. An installed package runs the compiled dist/ (plain Node). A checkout of
// the repository (src/ is beside bin/; the package ships no src/) runs the TypeScript sources
// through tsx, a devDependency, so the command and the tests never run a stale dist/.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let entry = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(sources)) {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    console.error('recur: this is a checkout of the repository and tsx (a devDependency) is missing: run `npm install`');
    process.exit(1);
  }
  // Registered in this process (not a child), so signals (Ctrl-C) and exit codes behave as in plain Node.
  tsx.register();
  entry = sources;
}
// A closed pipe (`recur predict | head`) ends output quietly instead of crashing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.exit(1); // the stream itself is broken: there is nowhere left to report it
  });
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
