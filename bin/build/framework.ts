/**
 * Run the real Observable Framework build (`observable build`) for this project's src/ into `outDir`,
 * with the data loaders reading the warehouse at `dbPath` (environment CHURN_DB).
 *
 * Every build gets its own Framework root: a fresh folder beside src/ whose entries are links to src/'s, so its loader
 * cache (`<root>/.observablehq/cache`) belongs to this build alone. Framework keys that cache on the loader's source,
 * not on the warehouse it reads, so a shared cache would serve one warehouse's data to another build running at the
 * same time. The folder is removed when the build ends, however it ends.
 *
 * Beside Framework, this process runs every data loader against the warehouse (src/data/lib/site-data.ts) and writes
 * their outputs into that root's loader cache, where Framework finds them fresh and uses them as they are; so the
 * warehouse is opened once and no process starts per loader (nor one for them all: the build has tsx, DuckDB and
 * the models loaded already).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { environmentError, UserError } from "../../loaders/errors.ts";
import { type Progress, type ProgressTask, silentProgress } from "../../loaders/progress.ts";
import type { Database } from "../../loaders/db.ts";
import { dataLoaders, type HeldBack, writeSiteData } from "../../src/data/lib/site-data.ts";
import { publishModuleCache, seedModuleCache } from "./module-cache.ts";
import { processAlive } from "./outputs.ts";

export const PROJECT_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** Marker this build writes beside its data files once their writing has ended, however it ended. */
const SITE_DATA_ENDED = ".churn-site-data-ended";
/** Framework's bundles of the site's npm dependencies, shared by this checkout's builds (module-cache.ts). */
const MODULE_CACHE = join(PROJECT_ROOT, "node_modules", ".cache", "churn-site");

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

export interface SiteOptions {
  quiet?: boolean;
  progress?: Progress;
  /**
   * Framework starts at once; the data files are written once this resolves, from what it gives (SiteData). Absent:
   * at once, from `dbPath` opened read-only. `churn build` gives its open warehouse and its last stages' holds.
   */
  dataFrom?: Promise<SiteData>;
  /** Aborting stops the build: the data writing at its next file, Framework's process at once. */
  signal?: AbortSignal;
  /** Called once the data files are all written (or their writing failed): the warehouse is no longer read. */
  onDataEnded?: () => void;
}

/**
 * What the data files are written from: the open warehouse `churn build` is still writing (read through a new
 * connection to it; absent: `dbPath` opened read-only), and one hold per stage still running (heldBack: a data file
 * reading a stage's `tables` waits for its `until`).
 */
export interface SiteData {
  database?: Database;
  heldBack?: HeldBack[];
}

/** `promise`, or its rejection with the signal's reason as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolvePromise, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export async function buildSite(dbPath: string, outDir: string, options: SiteOptions = {}): Promise<void> {
  const root = privateRoot();
  const removeRoot = () => rmSync(root, { recursive: true, force: true });
  process.once("exit", removeRoot);
  const frameworkCache = join(root, ".observablehq", "cache");
  seedModuleCache(MODULE_CACHE, frameworkCache);
  try {
    await runFramework(root, dbPath, outDir, options);
    publishModuleCache(frameworkCache, MODULE_CACHE);
  } finally {
    removeRoot();
    process.off("exit", removeRoot);
  }
}

/** Run a command in the project root; resolve to its exit code and the tail of its output. */
function runTool(
  command: string,
  args: string[],
  env: Record<string, string>,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ code: number; text: string }> {
  const output: string[] = [];
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      ...(signal ? { signal } : {}),
    });
    let partial = "";
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 2000) output.splice(0, output.length - 2000);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    // Aborted, the child is sent SIGTERM and 'error' comes at once, but it may still write into the build's folders
    // until it has exited: settle only on 'close', so the caller removes those folders after it is gone.
    child.on("error", (error) => {
      if (!signal?.aborted) reject(error);
    });
    child.on("close", (c) =>
      signal?.aborted ? reject(signal.reason) : resolveRun({ code: c ?? 1, text: output.join("") }),
    );
  });
}

async function runFramework(root: string, dbPath: string, outDir: string, options: SiteOptions): Promise<void> {
  const progress = options.progress ?? silentProgress;
  const cache = join(root, ".observablehq", "cache", "data");
  const env = {
    // A loader Framework runs itself (it reached the file first) waits for this build's copy instead of computing it
    // again (bin/build/site-loader.mjs); the marker, written below, tells it to stop waiting.
    CHURN_SITE_DATA_WAIT: cache,
    CHURN_SITE_DATA_ENDED: join(cache, SITE_DATA_ENDED),
    CHURN_SITE_DATA_PID: String(process.pid),
    CHURN_DB: resolve(dbPath),
    CHURN_SITE_OUT: resolve(outDir),
    CHURN_SITE_ROOT: relative(PROJECT_ROOT, root),
    // Framework's CLI reports usage to observablehq.com unless told not to; nothing about a build leaves the machine.
    OBSERVABLE_TELEMETRY_DISABLE: "1",
  };
  const fail = (what: string, code: number, text: string) => {
    const lines = text.trim().split("\n");
    const tail = lines.slice(-25).join("\n");
    // A full disk or a denied permission in Framework's own output is said as such (loaders/errors.ts).
    const refused = lines.map((line) => environmentError(new Error(line.trim()))).find((e) => e !== undefined);
    if (refused) return refused;
    return new UserError(`${what} failed with exit code ${code}.`, { hint: `Last lines of its output:\n${tail}` });
  };
  // The data loaders and Framework start together: Framework spends its first seconds loading its own modules and
  // the pages, and reads the data files only when it copies them. Should it reach a file before it is written, it
  // runs that loader itself, which waits for this build's copy and prints it (bin/build/site-loader.mjs): the
  // race never decides the result, and costs a bare Node process that waits rather than the file computed twice.
  // The count shows from the data's start (Framework started early would otherwise show an ETA while it waits); the
  // pages Framework loaded before then are counted in at once.
  const pageCount = readdirSync(join(PROJECT_ROOT, "src")).filter((f) => f.endsWith(".md")).length;
  let task: ProgressTask | null = null;
  let pagesBefore = 0;
  const tick = () => (task ? task.tick() : pagesBefore++);
  const observable = join(PROJECT_ROOT, "node_modules", ".bin", "observable");
  const ended = () => writeFileSync(join(cache, SITE_DATA_ENDED), "");
  const from = options.dataFrom ?? Promise.resolve<SiteData>({});
  const data = untilAborted(from, options.signal)
    .then(({ database, heldBack }) => {
      task = progress("site: data files and pages", dataLoaders().length + pageCount);
      if (pagesBefore > 0) task.tick(pagesBefore);
      return writeSiteData(cache, resolve(dbPath), tick, {
        ...(database ? { database } : {}),
        ...(heldBack ? { heldBack } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    })
    .then(
      () => null,
      (error: Error) => {
        mkdirSync(cache, { recursive: true });
        return error;
      },
    )
    .finally(() => {
      ended();
      options.onDataEnded?.();
    });
  let site: { code: number; text: string };
  try {
    site = await runTool(
      observable,
      ["build"],
      env,
      (line) => {
        if (/^load \//.test(line)) tick();
      },
      options.signal,
    );
  } finally {
    // The data writing ends before the build's root is removed, whatever stopped Framework.
    await data;
    (task as ProgressTask | null)?.done();
  }
  const dataError = await data;
  options.signal?.throwIfAborted();
  if (!options.quiet && process.env["CHURN_DEBUG_SITE"]) process.stderr.write(site.text);
  if (dataError) {
    throw new UserError(`The site's data loaders failed: ${dataError.message}`, {
      hint: "Run churn build again; if it fails the same way, report this message (a loader should never fail).",
    });
  }
  if (site.code !== 0) throw fail("The site build (observable build)", site.code, site.text);
}
