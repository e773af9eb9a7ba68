/**
 * Where the shared reference data lives (`../shared/data` beside the project, or $CHURN_REFERENCE_DATA).
 * Tests that need it use `describeWithReference`, which skips with a visible reason when the folder is absent.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function referenceDataDir(): string | undefined {
  const fromEnv = process.env["CHURN_REFERENCE_DATA"];
  const candidate = fromEnv ? resolve(fromEnv) : resolve(PROJECT_ROOT, "..", "shared", "data");
  return existsSync(join(candidate, "REFERENCE.md")) ? candidate : undefined;
}

/** Path of a reference file, e.g. referencePath("survival", "g3.csv"). Throws if the folder is absent. */
export function referencePath(...parts: string[]): string {
  const dir = referenceDataDir();
  if (!dir) throw new Error("reference data folder not found");
  return join(dir, ...parts);
}

/**
 * describe() that runs only when the reference data exist, and says so in the test name when skipped.
 * With CHURN_REQUIRE_REFERENCE=1 (set by .ci/run, where the data are always beside the clone) a missing folder is a
 * failing test instead of a skip, so CI can never pass without the reference checks.
 */
export function describeWithReference(name: string, fn: () => void): void {
  if (referenceDataDir()) describe(name, fn);
  else if (process.env["CHURN_REQUIRE_REFERENCE"] === "1") {
    describe(name, () => {
      it("has the reference data", () => {
        throw new Error(
          "CHURN_REQUIRE_REFERENCE=1 but ../shared/data (or $CHURN_REFERENCE_DATA) was not found: " +
            "the reference tests cannot run.",
        );
      });
    });
  } else describe.skip(`${name} [skipped: ../shared/data not found; set CHURN_REFERENCE_DATA]`, fn);
}
