/**
 * Run the real Observable Framework build (`observable build`) for this project's src/ into `outDir`,
 * with the data loaders reading the warehouse at `dbPath` (environment CHURN_DB).
 *
 * Every build gets its own Framework root: a fresh folder beside src/ whose entries are links to src/'s, so its loader
 * cache (`<root>/.observablehq/cache`) belongs to this build alone. Framework keys that cache on the loader's source,
 * not on the warehouse it reads, so a shared cache would serve one warehouse's data to another build running at the
 * same time. The folder is removed when the build ends, however it ends.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../loaders/errors.ts";
import { processAlive } from "./outputs.ts";

export const PROJECT_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

let builds = 0;

/** A private Framework root for one build: links to every entry of src/ except Framework's own cache folder. */
function privateRoot(): string {
  for (const entry of readdirSync(PROJECT_ROOT)) {
    const pid = /^\.churn-site-root-(\d+)-\d+$/.exec(entry)?.[1];
    if (pid && !processAlive(Number(pid))) rmSync(join(PROJECT_ROOT, entry), { recursive: true, force: true });
  }
  const root = join(PROJECT_ROOT, `.churn-site-root-${process.pid}-${++builds}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root);
  for (const entry of readdirSync(join(PROJECT_ROOT, "src"))) {
    if (entry !== ".observablehq") symlinkSync(join("..", "src", entry), join(root, entry));
  }
  return root;
}

export async function buildSite(dbPath: string, outDir: string, options: { quiet?: boolean } = {}): Promise<void> {
  const root = privateRoot();
  const removeRoot = () => rmSync(root, { recursive: true, force: true });
  process.once("exit", removeRoot);
  try {
    await runFramework(root, dbPath, outDir, options);
  } finally {
    removeRoot();
    process.off("exit", removeRoot);
  }
}

async function runFramework(root: string, dbPath: string, outDir: string, options: { quiet?: boolean }): Promise<void> {
  const observable = join(PROJECT_ROOT, "node_modules", ".bin", "observable");
  const output: string[] = [];
  const code = await new Promise<number>((resolveCode, reject) => {
    const child = spawn(observable, ["build"], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CHURN_DB: resolve(dbPath),
        CHURN_SITE_OUT: resolve(outDir),
        CHURN_SITE_ROOT: relative(PROJECT_ROOT, root),
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
