/** How a command talks to the outside: stdout/stderr writers, the working directory, the exit status. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  /** Set by a command's action. */
  exitCode: number;
  /** Print machine-readable JSON instead of tables (the command's --json). */
  json: boolean;
  /** Progress display settings handed to recipes. */
  progress: { progressStream?: NodeJS.WriteStream; tty?: boolean };
}
