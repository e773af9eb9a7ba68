/**
 * The forest's worker pool never holds a process open: a command that starts the workers and then fails before its
 * first forest (a bad --input) must exit at once. Node refs a worker again when a 'message' listener is added after
 * unref(); the pool once did that, and such a command never exited (0% CPU, waiting forever).
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
    const parallel = pathToFileURL(join(PROJECT_ROOT, "models", "forest", "parallel.ts")).href;
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
