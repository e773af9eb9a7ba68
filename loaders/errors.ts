/**
 * Errors a user can act on. A `UserError` is an expected failure (bad flag, missing column, empty file):
 * the command line prints its message and hint without a stack trace and exits with `exitCode`.
 * Anything else is a bug and is printed with its stack.
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UserError";
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Where in an input file something was found: 1-based line (counting the header as line 1) and column name. */
export interface FilePosition {
  file: string;
  line?: number;
  column?: string;
}

/** "customers.csv, line 12, column signup_date" */
export function formatPosition(pos: FilePosition): string {
  const parts = [pos.file];
  if (pos.line !== undefined) parts.push(`line ${pos.line}`);
  if (pos.column !== undefined) parts.push(`column ${pos.column}`);
  return parts.join(", ");
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
