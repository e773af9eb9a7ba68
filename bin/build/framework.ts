/**
 * Run the real Observable Framework build (`observable build`) for this project's src/ into `outDir`,
 * with the data loaders reading the warehouse at `dbPath` (environment CHURN_DB).
 * The loader cache is cleared first: Framework keys it on the loader's source, not on the warehouse it reads.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../loaders/errors.ts";

export const PROJECT_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export async function buildSite(dbPath: string, outDir: string, options: { quiet?: boolean } = {}): Promise<void> {
  rmSync(join(PROJECT_ROOT, "src", ".observablehq", "cache"), { recursive: true, force: true });
  const observable = join(PROJECT_ROOT, "node_modules", ".bin", "observable");
  const output: string[] = [];
  const code = await new Promise<number>((resolveCode, reject) => {
    const child = spawn(observable, ["build"], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CHURN_DB: resolve(dbPath),
        CHURN_SITE_OUT: resolve(outDir),
        NO_COLOR: "1",
        FORCE_COLOR: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 2000) output.splice(0, output.length - 2000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (c) => resolveCode(c ?? 1));
  });
  const text = output.join("");
  if (!options.quiet && process.env["CHURN_DEBUG_SITE"]) process.stderr.write(text);
  if (code !== 0) {
    const tail = text.trim().split("\n").slice(-25).join("\n");
    throw new UserError(`The site build (observable build) failed with exit code ${code}.`, {
      hint: `Last lines of its output:\n${tail}`,
    });
  }
}
