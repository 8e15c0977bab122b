/**
 * Typed errors. Every message reads `where: expected X, got Y` so that a user can
 * find the op, key or option at fault without a stack trace.
 */

/** Longest `got` part kept in a message: a 10 MB cell must not be echoed to the terminal. */
const MAX_GOT = 200;

/**
 * A short printable form of a user's value for messages: JSON-quoted strings, at most `max`
 * characters, cut with "…".
 * @example showValue('x'.repeat(1000)) // '"xxxx…" (1002 characters)'
 */
export function showValue(v: unknown, max = 60): string {
  let s: string;
  try {
    s = typeof v === 'bigint' || typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return clipText(s, max);
}

/** `s` cut to `max` characters with "…" and the full length (unchanged when short). */
export function clipText(s: string, max = MAX_GOT): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}… (${s.length} characters)`;
}

export class RecurError extends Error {
  /** Stable machine-readable code, e.g. `E_SHAPE`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A tensor has the wrong rank, shape or size. */
export class ShapeError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_SHAPE', `${where}: expected ${expected}, got ${clipText(got)}`);
  }
}

/** A value is out of its allowed range or of the wrong kind (not a shape problem). */
export class ValueError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_VALUE', `${where}: expected ${expected}, got ${clipText(got)}`);
  }
}

/** NaN or Inf where finite numbers were required (inputs, losses, gradients). */
export class NonFiniteError extends RecurError {
  constructor(where: string, got: string) {
    super('E_NONFINITE', `${where}: expected finite values, got ${clipText(got)}`);
  }
}

/** An unknown, misspelled or unsupported option. */
export class OptionError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_OPTION', `${where}: expected ${expected}, got ${clipText(got)}`);
  }
}

/** A state dict does not match a module: missing, unexpected or mis-shaped keys. */
export class StateDictError extends RecurError {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly misShaped: string[];
  constructor(where: string, detail: { missing?: string[]; unexpected?: string[]; misShaped?: string[] }) {
    const parts: string[] = [];
    if (detail.missing?.length) parts.push(`missing keys [${detail.missing.join(', ')}]`);
    if (detail.unexpected?.length) parts.push(`unexpected keys [${detail.unexpected.join(', ')}]`);
    if (detail.misShaped?.length) parts.push(`mis-shaped keys [${detail.misShaped.join('; ')}]`);
    super('E_STATE_DICT', `${where}: expected a state dict matching the module, got ${parts.join(', ')}`);
    this.missing = detail.missing ?? [];
    this.unexpected = detail.unexpected ?? [];
    this.misShaped = detail.misShaped ?? [];
  }
}

/** A file in a known format (safetensors, CSV, FASTA, JSON) is malformed. */
export class FormatError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_FORMAT', `${where}: expected ${expected}, got ${clipText(got)}`);
  }
}

/** A backend was requested that cannot run here. */
export class BackendError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_BACKEND', `${where}: expected ${expected}, got ${clipText(got)}`);
  }
}

/** Autograd misuse: backward twice through freed buffers, non-scalar backward without a gradient, ... */
export class GradError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_GRAD', `${where}: expected ${expected}, got ${clipText(got)}`);
  }
}

/** What a filesystem error code means, in words. */
const ERRNO: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'a folder, not a file',
  ENOTDIR: 'a path through something that is not a folder',
  ENOTEMPTY: 'a folder that is not empty',
  EEXIST: 'something that already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'a read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'a name that is too long',
  ELOOP: 'a loop of symbolic links',
};

/** A file or folder could not be read or written (ENOENT, EACCES, EISDIR, ...). */
export class FileError extends RecurError {
  readonly path: string;
  constructor(path: string, expected: string, got: string) {
    super('E_FILE', `${path}: expected ${expected}, got ${clipText(got)}`);
    this.path = path;
  }
}

/** A Node system error (with an errno `code` such as ENOENT), or null for anything else. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!);
}

/**
 * A typed {@link FileError} for a system error at `path` (`expected` says what should have been
 * there); any other error is returned unchanged.
 * @example try { readFileSync(p) } catch (e) { throw fileError(e, p, 'a readable CSV file') }
 */
export function fileError(e: unknown, path: string, expected: string): unknown {
  if (!isSystemError(e)) return e;
  return new FileError(path, expected, ERRNO[e.code] ?? `${e.code} (${e.message})`);
}
