/**
 * The `recur` command: train, eval, predict, report, info. Built on commander; each command's
 * `--help` has examples. Errors print as `recur: <message>` (typed library errors already read
 * `where: expected X, got Y`), with exit status 2 for bad options and 1 for everything else.
 * Users never see a stack trace: an error that is not a typed one is a bug in recur and prints
 * one line asking for a report (the stack with RECUR_DEBUG=1).
 */
import { Command, CommanderError } from 'commander';
import { OptionError, RecurError, clipText, fileError, isSystemError } from '../index.js';
import { exportCommand } from './commands/export.js';
import { analyzeCommand } from './commands/analyze.js';
import { infoCommand } from './commands/info.js';
import type { Io } from './commands/io.js';
import { evalCommand, predictCommand, reportCommand } from './commands/run-commands.js';
import { trainCommand } from './commands/train.js';
import { sweepCommand } from './commands/sweep.js';
import { workerCommand } from './commands/worker.js';
import { packageVersion } from './paths.js';

/** Build the program (exposed for tests). */
export function program(io: Io): Command {
  const p = new Command('recur')
    .description('recurrent networks for Node.js: train, evaluate and report on sequence models')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s.startsWith('error') ? `recur: ${s}` : s) })
    .exitOverride();
  for (const c of [trainCommand(io), evalCommand(io), predictCommand(io), reportCommand(io), exportCommand(io), analyzeCommand(io), sweepCommand(io), workerCommand(io), infoCommand(io)]) {
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
    return reportError(e, io);
  }
}

/** Print an error thrown by a command; returns the exit status. */
function reportError(e: unknown, io: Io): number {
  // A filesystem failure the command did not name (disk full, permissions on a run folder).
  if (isSystemError(e) && typeof e.path === 'string') e = fileError(e, e.path, `a path recur can ${e.syscall ?? 'use'}`);
  if (e instanceof RecurError) {
    io.err(`recur: ${clipText(e.message, 1000)}\n`);
    return e instanceof OptionError ? 2 : 1;
  }
  const message = clipText(e instanceof Error ? `${e.name}: ${e.message}` : String(e), 300).split('\n')[0];
  io.err(`recur: internal error: ${message}\n(this is a bug in recur; please report it with the command that caused it. RECUR_DEBUG=1 prints the stack.)\n`);
  if (process.env.RECUR_DEBUG) io.err(`${e instanceof Error ? e.stack : String(e)}\n`);
  return 1;
}
