#!/usr/bin/env node
// The `recur` command. Until a compiled dist/ ships, the TypeScript sources run through tsx's
// loader (a runtime dependency), registered in this process so that signals (Ctrl-C) and exit
// codes behave as in a plain Node program.
import { register } from 'tsx/esm/api';

register();
// A closed pipe (`recur predict | head`) ends output quietly instead of crashing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
