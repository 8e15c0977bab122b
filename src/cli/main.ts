/**
 * The `recur` command: train, eval, predict, report, info. Built on commander; each command's
 * `--help` has examples. Errors print as `recur: <message>` (typed library errors already read
 * `where: expected X, got Y`), with exit status 2 for bad options and 1 for everything else.
 */
import { Command, CommanderError } from 'commander';
import { OptionError, RecurError } from '../index.js';
import { analyzeCommand } from './commands/analyze.js';
import { infoCommand } from './commands/info.js';
import type { Io } from './commands/io.js';
import { evalCommand, predictCommand, reportCommand } from './commands/run-commands.js';
import { trainCommand } from './commands/train.js';
import { packageVersion } from './paths.js';

/** Build the program (exposed for tests). */
export function program(io: Io): Command {
  const p = new Command('recur')
    .description('recurrent networks for Node.js: train, evaluate and report on sequence models')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s.startsWith('error') ? `recur: ${s}` : s) })
    .exitOverride();
  for (const c of [trainCommand(io), evalCommand(io), predictCommand(io), reportCommand(io), analyzeCommand(io), infoCommand(io)]) {
    c.exitOverride().showSuggestionAfterError(true).configureOutput(p.configureOutput());
    p.addCommand(c);
  }
  p.addHelpText('after', `
Examples:
  $ recur info
  $ recur train --task forecast --preset wind-t1 --max-rows 5000 --epochs 2
  $ recur eval --run runs/<name>
  $ recur predict --run runs/<name> --out forecasts.csv
  $ recur report --run runs/<name>
Run "recur <command> --help" for a command's options.`);
  return p;
}

function defaultIo(): Io {
  return {
    out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s), cwd: process.cwd(), exitCode: 0, json: false,
    progress: { progressStream: process.stderr, tty: !!process.stderr.isTTY },
  };
}

/**
 * Run the CLI with `argv` (without node and the script); returns the exit status.
 * @example process.exitCode = await main(['info']);
 */
export async function main(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  const p = program(io);
  if (argv.length === 0) {
    p.outputHelp();
    return 0;
  }
  io.json = argv.includes('--json');
  try {
    await p.parseAsync([...argv], { from: 'user' });
    return io.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof RecurError) {
      io.err(`recur: ${e.message}\n`);
      return e instanceof OptionError ? 2 : 1;
    }
    io.err(`recur: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
