// User-facing failures. Anything thrown as a KloopError is printed as one clear message
// (with its location and hint) and exit code 1; anything else is a bug and shows a stack.

export interface Location {
  file: string;
  line?: number;
  column?: number;
}

export function formatLocation(loc: Location): string {
  return loc.line ? `${loc.file}:${loc.line}${loc.column ? `:${loc.column}` : ''}` : loc.file;
}

export class KloopError extends Error {
  readonly hint?: string;
  readonly location?: Location;
  /** further problems reported together with this one (e.g. every config error at once) */
  readonly details: readonly string[];
  readonly exitCode: number;

  constructor(
    message: string,
    options: { hint?: string; location?: Location; details?: string[]; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KloopError';
    this.hint = options.hint;
    this.location = options.location;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A command-line usage error: exit code 2. */
export class UsageError extends KloopError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
    this.name = 'UsageError';
  }
}

export function isKloopError(e: unknown): e is KloopError {
  return e instanceof KloopError;
}
