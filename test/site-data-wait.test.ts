/**
 * A data loader that Framework runs itself during `churn build` (it reached the file before the build wrote it)
 * waits for the build's copy and prints it, instead of computing the file a second time (bin/build/site-loader.mjs).
 * Real loader processes, started with the command observablehq.config.ts gives Framework for TypeScript loaders; no
 * warehouse exists, so a loader that computed its file would print {"available":false,…} instead of the build's copy.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import config from "../observablehq.config.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const LOADER = join(PROJECT_ROOT, "src", "data", "risk-source.json.ts");
/** How Framework starts a TypeScript loader: the configured command, then the loader's path. */
const [COMMAND, ...ARGS] = config.interpreters[".ts"];

/** Run the loader with these variables; resolve to what it printed once it exits. */
function runLoader(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(COMMAND!, [...ARGS, LOADER], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CHURN_DB: join(mkdtempSync(join(tmpdir(), "churn-nodb-")), "none.duckdb"), ...env },
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`loader exited with ${code}`))));
  });
}

describe("a loader Framework runs while the build writes the data", () => {
  it("waits for the build's copy and prints it, byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-wait-"));
    const copy = '{"available":true,"source":"model","reason":"written by the build"}';
    const printed = runLoader({ CHURN_SITE_DATA_WAIT: dir, CHURN_SITE_DATA_PID: String(process.pid) });
    // Written after the loader started: it must have waited for it.
    await new Promise((r) => setTimeout(r, 1500));
    writeFileSync(join(dir, "risk-source.json"), copy);
    expect(await printed).toBe(copy);
  }, 60_000);

  it("computes the file itself when the build's data writing ended without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-wait-"));
    const ended = join(dir, ".ended");
    writeFileSync(ended, "");
    const printed = await runLoader({
      CHURN_SITE_DATA_WAIT: dir,
      CHURN_SITE_DATA_ENDED: ended,
      CHURN_SITE_DATA_PID: String(process.pid),
    });
    expect(JSON.parse(printed)).toMatchObject({ available: false });
  }, 60_000);

  it("computes the file itself when the build is gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-wait-"));
    const gone = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => gone.on("close", r));
    const printed = await runLoader({ CHURN_SITE_DATA_WAIT: dir, CHURN_SITE_DATA_PID: String(gone.pid) });
    expect(JSON.parse(printed)).toMatchObject({ available: false });
  }, 60_000);

  it("computes the file itself outside a build, as Framework's own tsx would", async () => {
    const printed = await runLoader({});
    expect(JSON.parse(printed)).toMatchObject({ available: false });
  }, 60_000);
});
