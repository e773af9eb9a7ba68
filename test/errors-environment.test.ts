/**
 * A full disk, a denied permission or a read-only disk is the machine's refusal, not a bug: the command line says what
 * happened and what to do (loaders/errors.ts environmentError), instead of "unexpected failure" with a stack.
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { environmentError, UserError } from "../loaders/errors.ts";

/** The error Node throws for a real write to /dev/full (Linux: every write fails with ENOSPC). */
function diskFullError(): unknown {
  try {
    writeFileSync("/dev/full", "x");
  } catch (error) {
    return error;
  }
  throw new Error("writing /dev/full did not fail");
}

describe("environmentError", () => {
  it("says a full disk as the system said it, and tells the user where to point --db and --out", () => {
    const said = environmentError(diskFullError());
    expect(said).toBeInstanceOf(UserError);
    expect(said?.message).toBe("the disk is full (ENOSPC: no space left on device, write).");
    expect(said?.hint).toMatch(/--db and --out/);
    expect(said?.exitCode).toBe(1);
  });

  it("reads DuckDB's and Framework's messages, which carry no code", () => {
    const duckdb = new Error(
      'TransactionContext Error: Failed to commit: Could not write file "/m/w.wal": No space left on device',
    );
    expect(environmentError(duckdb)?.message).toBe(
      'the disk is full (Failed to commit: Could not write file "/m/w.wal": No space left on device).',
    );
    expect(environmentError(new Error('IO Error: Cannot open file "/x": Permission denied'))?.message).toMatch(
      /^permission denied/,
    );
    expect(
      environmentError(new Error("Out of Memory Error: failed to allocate data of size 1.0 GiB"))?.message,
    ).toMatch(/^the machine ran out of memory/);
  });

  it("leaves everything else alone: a bug stays a bug, a UserError is not said twice", () => {
    expect(environmentError(new TypeError("x is undefined"))).toBeUndefined();
    expect(environmentError(new UserError("the disk is full (x)."))).toBeUndefined();
    expect(environmentError("No space left on device")).toBeUndefined();
  });
});
