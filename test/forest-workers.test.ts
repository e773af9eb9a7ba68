/**
 * The forest's worker pool never holds a process open: a command that starts the workers and then fails before its
 * first forest (a bad --input) must exit at once. Node refs a worker again when a 'message' listener is added after
 * unref(); the pool once did that, and such a command never exited (0% CPU, waiting forever).
 * Scoring a list split between the workers gives what scoring it on the main thread gives, row for row.
 * The workers run worker.ts bundled by esbuild (worker-code.ts), not through tsx's loader: the bundle builds here,
 * holds neither esbuild nor zod (what the main thread alone needs), and a worker started from it does a job.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { TSX_LOADER } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

describe("forest worker pool", () => {
  it("lets a process that started the workers, and grew no forest, exit by itself", () => {
    // A script file, as a command is (node -e exits differently).
    const script = join(mkdtempSync(join(tmpdir(), "churn-pool-")), "start.mjs");
    const parallel = pathToFileURL(join(PROJECT_ROOT, "models", "workers", "pool.ts")).href;
    writeFileSync(
      script,
      `const m = await import(${JSON.stringify(parallel)});\nm.startForestWorkers(100);\n` +
        `console.log("started");\n`,
    );
    const started = Date.now();
    const r = spawnSync(process.execPath, ["--import", TSX_LOADER, script], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      timeout: 30_000,
      killSignal: "SIGKILL",
    });
    expect(r.stdout).toContain("started");
    expect(r.signal, "killed after 30 s: the idle pool held the process open").toBeNull();
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe("the workers' code", () => {
  it("is worker.ts bundled without esbuild or zod, and a worker runs it", async () => {
    const { workerBundle, newPoolWorker } = await import("../models/workers/worker-code.ts");
    const code = workerBundle();
    expect(code, "esbuild could not bundle worker.ts: the workers would start through tsx").not.toBeNull();
    expect(code).toContain("parentPort");
    expect(code).not.toMatch(/node_modules[\\/](esbuild|zod)[\\/]/);
    expect(code!.length).toBeLessThan(200_000);
    const worker = newPoolWorker();
    try {
      const reply = await new Promise<{ job: number; done: boolean; failed?: { message: string } }>((resolve) => {
        worker.on("message", resolve);
        worker.postMessage({ kind: "fit", job: 7, frequency: [0], recency: [0], T: [1], covariance: false });
      });
      expect(reply.job).toBe(7);
      expect(reply.done).toBe(true);
    } finally {
      await worker.terminate();
    }
  });
});

describe("scoring on the worker threads", () => {
  it("gives every row the probability, contributions and drivers that scoring on this thread gives", async () => {
    const { syntheticTable } = await import("./helpers/synthetic-table.ts");
    const { trainForest, DEFAULT_FOREST } = await import("../models/forest/forest.ts");
    const { scoreCustomers, scoreTable } = await import("../models/forest/scored.ts");
    const { runningWorkers, startForestWorkers } = await import("../models/workers/pool.ts");
    process.env["CHURN_FOREST_WORKERS"] = "2"; // two workers even on a one-core machine
    const { table, labels } = syntheticTable(24_000, 5);
    const train = Uint32Array.from({ length: 4000 }, (_, i) => i);
    const model = await trainForest(table, labels, train, { ...DEFAULT_FOREST, trees: 20, maxDepth: 6, seed: 3 });
    startForestWorkers(20);
    expect(runningWorkers()).toBe(2);
    const here = scoreTable(model, table);
    const there = await scoreCustomers(model, table);
    expect(there.probabilities).toEqual(here.probabilities);
    expect(there.contributions).toEqual(here.contributions);
    expect(there.topDrivers).toEqual(here.topDrivers);
    expect(there.driversJson).toEqual(here.driversJson);
    expect(new Set(here.topDrivers).size).toBeGreaterThan(1);
  }, 60_000);
});
