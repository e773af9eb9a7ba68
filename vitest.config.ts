import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // DuckDB files, worker threads and the Framework build: keep files in separate processes, two at a time (2 cores).
    pool: "forks",
    maxWorkers: 2,
    // A worker that does not shut down is killed after this, instead of holding its slot.
    teardownTimeout: 20_000,
    // The watchdog names a stalled file and fails the run fast (test/helpers/watchdog-reporter.ts).
    reporters: ["default", "./test/helpers/watchdog-reporter.ts"],
  },
});
