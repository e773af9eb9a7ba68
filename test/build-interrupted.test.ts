/**
 * `kill -9` at any point of a rebuild leaves the previous warehouse and site byte-identical, and the next run cleans
 * up after the killed one. Real processes: the churn command line is started, killed with SIGKILL (its whole process
 * group, so the Framework build dies too) at spread-out moments of a rebuild, and the outputs are hashed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processAlive } from "../bin/build/outputs.ts";
import { runChurn } from "./helpers/cli.ts";
import { hashTree } from "./helpers/files.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const dir = mkdtempSync(join(tmpdir(), "churn-killed-"));
const source = join(dir, "exports");
const db = join(dir, "w.duckdb");
const site = join(dir, "site");
const buildArgs = ["build", "--source", source, "--db", db, "--out", site, "--quiet"];

const snapshot = () => ({ db: hashTree(dir)["w.duckdb"], wal: existsSync(`${db}.wal`), site: hashTree(site) });

/** Start a rebuild and SIGKILL its process group after `ms`; resolves when it is gone. */
function killRebuildAfter(ms: number): Promise<void> {
  const tsx = join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
  const child = spawn(tsx, [join(PROJECT_ROOT, "bin", "churn.ts"), ...buildArgs], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: "ignore",
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already finished
      }
    }, ms);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

let fullSeconds = 0;
let before: ReturnType<typeof snapshot>;

beforeAll(() => {
  const generated = runChurn(["generate", "--customers", "300", "--seed", "7", "--out", source]);
  if (generated.code !== 0) throw new Error(generated.stderr);
  const started = performance.now();
  const first = runChurn(buildArgs, { timeoutMs: 900_000 });
  fullSeconds = (performance.now() - started) / 1000;
  if (first.code !== 0) throw new Error(first.stderr);
  before = snapshot();
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a rebuild killed with SIGKILL", () => {
  it("leaves the previous warehouse and site byte-identical wherever it is killed", async () => {
    expect(Object.keys(before.site)).toContain("index.html");
    // Spread over the whole run: ingest, the analyses, the site build, and close to the swap at the end.
    for (const share of [0.1, 0.5, 0.85, 0.97]) {
      await killRebuildAfter(Math.round(share * fullSeconds * 1000));
      const after = snapshot();
      if (after.db !== before.db) {
        // The run got through its swap before the kill: then both outputs are the new pair (the site's marker,
        // which holds the build time, changed with the warehouse), never one new and one old.
        expect(after.site[".churn-site"]).not.toBe(before.site[".churn-site"]);
        before = after;
        continue;
      }
      expect(after).toEqual(before);
    }
  }, 900_000);

  it("the next run removes what the killed ones left and builds normally", () => {
    const next = runChurn(buildArgs, { timeoutMs: 900_000 });
    expect(next.code, next.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["exports", "site", "w.duckdb"]);
    // Private Framework roots of killed runs are gone (those of other live builds, e.g. parallel tests, may exist).
    const deadRoots = readdirSync(PROJECT_ROOT).filter((f) => {
      const pid = /^\.churn-site-root-(\d+)-/.exec(f)?.[1];
      return pid !== undefined && !processAlive(Number(pid));
    });
    expect(deadRoots).toEqual([]);
  }, 600_000);
});
