/**
 * Typed errors. Every message reads `where: expected X, got Y` so that a user can
 * find the op, key or option at fault without a stack trace.
 */
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
    super('E_SHAPE', `${where}: expected ${expected}, got ${got}`);
  }
}

/** A value is out of its allowed range or of the wrong kind (not a shape problem). */
export class ValueError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_VALUE', `${where}: expected ${expected}, got ${got}`);
  }
}

/** NaN or Inf where finite numbers were required (inputs, losses, gradients). */
export class NonFiniteError extends RecurError {
  constructor(where: string, got: string) {
    super('E_NONFINITE', `${where}: expected finite values, got ${got}`);
  }
}

/** An unknown, misspelled or unsupported option. */
export class OptionError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_OPTION', `${where}: expected ${expected}, got ${got}`);
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
    super('E_FORMAT', `${where}: expected ${expected}, got ${got}`);
  }
}

/** A backend was requested that cannot run here. */
export class BackendError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_BACKEND', `${where}: expected ${expected}, got ${got}`);
  }
}

/** Autograd misuse: backward twice through freed buffers, non-scalar backward without a gradient, ... */
export class GradError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_GRAD', `${where}: expected ${expected}, got ${got}`);
  }
}
