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

/**
 * "Columns found: a, b, c." for a message, at most 25 names of at most 40 characters each: a file read with the wrong
 * delimiter or encoding has one "column" as long as the file.
 */
export function columnsFound(columns: string[]): string {
  const MAX_NAMES = 25;
  const MAX_WIDTH = 40;
  const shown = columns.slice(0, MAX_NAMES).map((c) => (c.length > MAX_WIDTH ? `${c.slice(0, MAX_WIDTH)}…` : c));
  const more = columns.length > MAX_NAMES ? `, … (${columns.length - MAX_NAMES} more)` : "";
  return `Columns found: ${shown.join(", ")}${more}.`;
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** What the machine refused, read from a system or DuckDB error's code or message, with what to do about it. */
const ENVIRONMENT_FAULTS: { test: RegExp; says: string; hint: string }[] = [
  {
    test: /ENOSPC|No space left on device/i,
    says: "the disk is full",
    hint: "Free some space, or point --db and --out at a disk with room. Nothing was replaced.",
  },
  {
    test: /EACCES|EPERM|Permission denied/i,
    says: "permission denied",
    hint: "Check that you may read the exports and write the --db and --out folders. Nothing was replaced.",
  },
  {
    test: /EROFS|Read-only file system/i,
    says: "the file system is read-only",
    hint: "Point --db and --out at a folder you can write. Nothing was replaced.",
  },
  {
    test: /Out of Memory Error|ENOMEM|could not allocate/i,
    says: "the machine ran out of memory",
    hint: "Close other programs or run on a machine with more memory. Nothing was replaced.",
  },
];

/**
 * An error the machine caused (full disk, no permission, read-only disk, no memory) as a UserError naming the path
 * or message it came with, so it is not reported as a bug; undefined for anything else.
 */
export function environmentError(error: unknown): UserError | undefined {
  if (!(error instanceof Error) || error instanceof UserError) return undefined;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const text = `${code} ${error.message}`;
  const fault = ENVIRONMENT_FAULTS.find((f) => f.test.test(text));
  if (!fault) return undefined;
  const path = (error as NodeJS.ErrnoException).path;
  const detail = path ? `${path}: ${code || error.message}` : error.message.replace(/^[\w ]*Error: /, "");
  return new UserError(`${fault.says} (${detail}).`, { hint: fault.hint, exitCode: 1, cause: error });
}
