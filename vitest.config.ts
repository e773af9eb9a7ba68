import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // DuckDB files, worker threads and the Framework build: keep files in separate processes, two at a time (2 cores).
    pool: "forks",
    maxWorkers: 2,
  },
});
