/**
 * Every data file of the site from one process: runs each data loader src/data/NAME.EXT.ts in turn inside this
 * process (`churn build` calls writeSiteData itself, beside Framework), with one read-only warehouse shared by all
 * (see openWarehouse), collects the file the loader writes (output(): what Framework would read from its stdout) and
 * writes it where Framework keeps a loader's output (<root>/.observablehq/cache/data/NAME.EXT). Framework then finds
 * each output newer than its loader ("fresh") and does not run the loader again: no process and one warehouse open
 * instead of one of each per loader.
 * A loader takes part by being a file src/data/NAME.EXT.ts that writes its file with output() (withWarehouse, or
 * openWarehouse and output); nothing else to register. It must not call process.exit.
 *   tsx src/data/lib/site-data.ts OUT_DIR [--progress]     (by hand; CHURN_DB names the warehouse)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Database } from "../../../loaders/db.ts";
import { collectOutput, shareWarehouse, warehousePath } from "./warehouse.ts";

const DATA_DIR = resolve(fileURLToPath(new URL("..", import.meta.url)));

/**
 * The data files in the order Framework copies them: page by page in the order of their names, each page's files
 * linked from its HTML (href="…data/NAME.EXT", a download) first, then those its code reads, each group in the order
 * the page mentions them (Framework's build.js adds a page's assets before its FileAttachments). Framework waits at
 * the first file not written yet, so writing them in its order keeps it from waiting on a small file while a big one
 * is written.
 */
function pageOrder(dir: string): string[] {
  const pages = resolve(dir, "..");
  const mentioned: string[] = [];
  for (const page of readdirSync(pages)
    .filter((f) => f.endsWith(".md"))
    .sort()) {
    const text = readFileSync(join(pages, page), "utf8");
    const linked = [...text.matchAll(/\b(?:href|src)="(?:\.\/)?data\/([\w.-]+\.[a-z0-9]+)"/gi)].map((m) => m[1]!);
    const all = [...text.matchAll(/data\/([\w.-]+\.[a-z0-9]+)\b/gi)].map((m) => m[1]!);
    for (const name of [...linked, ...all]) if (!mentioned.includes(name)) mentioned.push(name);
  }
  return mentioned;
}

/**
 * The data loaders: files NAME.EXT.ts directly in src/data (lib/ holds helpers), in the order the pages mention them
 * (pageOrder), then any other by name.
 */
export function dataLoaders(dir = DATA_DIR): { file: string; output: string }[] {
  const order = pageOrder(dir);
  const rank = (output: string) => (order.includes(output) ? order.indexOf(output) : order.length);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /^[^.].*\.[a-z0-9]+\.ts$/i.test(e.name))
    .map((e) => ({ file: join(dir, e.name), output: e.name.replace(/\.ts$/, "") }))
    .sort((a, b) => rank(a.output) - rank(b.output) || (a.output < b.output ? -1 : 1));
}

type Loader = ReturnType<typeof dataLoaders>[number];

let runs = 0;

/**
 * Run one loader module in this process and return the file it output(). The module is imported afresh each run (a
 * query on its URL), so a second build in the same process runs every loader again.
 */
function capture(file: string, run: number): Promise<Buffer> {
  return collectOutput(() => import(`${pathToFileURL(file).href}?run=${run}`));
}

/**
 * Tables still being written when the data writing starts (`churn build` starts the site beside its last stages),
 * one entry per stage: the loaders that may read one of its tables (readsAny) wait for its `until` and run after the
 * others; `until` rejecting stops the writing with its error.
 */
export interface HeldBack {
  tables: string[];
  until: Promise<void>;
}

/**
 * Might the loader read any of these tables? True when its source, or a module of this project it imports (relative
 * imports but type-only ones, followed through), names one after FROM or JOIN or as a quoted string (a table name
 * passed to a helper, or the warehouse_meta key of the same name). Errs on the safe side: such a mention anywhere
 * holds the loader back.
 */
export function readsAny(file: string, tables: string[]): boolean {
  const words = tables.map((t) => {
    const name = t.replace(/[^\w]/g, "");
    return new RegExp(`(?:\\bFROM|\\bJOIN)\\s+"?${name}\\b|["'\`]${name}["'\`]`, "i");
  });
  const seen = new Set<string>();
  const visit = (path: string): boolean => {
    if (seen.has(path) || !existsSync(path)) return false;
    seen.add(path);
    const source = readFileSync(path, "utf8");
    if (words.some((w) => w.test(source))) return true;
    // Type-only imports (`import type … from`) carry no code, so no query.
    for (const [, typeOnly, spec] of source.matchAll(
      /\b(?:import|export)(\s+type\b)?[^;]*?\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g,
    ))
      if (!typeOnly && visit(resolve(dirname(path), spec!))) return true;
    return false;
  };
  return visit(file);
}

/**
 * Write every loader's output into outDir (Framework's cache folder for data/). Reports each loader to `progress`.
 * Throws naming the loader that failed. `options.database`: read through a new connection to this open warehouse
 * instead of opening `dbPath` read-only; `options.heldBack`: loaders reading tables not written yet wait for them,
 * after the others, in the order of the stages writing them (then the pages' order); `options.signal`: aborting
 * stops the writing before its next file.
 */
export async function writeSiteData(
  outDir: string,
  dbPath: string,
  progress: (done: number, total: number, name: string) => void = () => {},
  options: { database?: Database; heldBack?: HeldBack[]; signal?: AbortSignal } = {},
): Promise<string[]> {
  const held = options.heldBack ?? [];
  // Each loader's holds, and the last of them (−1: none); loaders sort by it, stably, so the pages' order stays
  // within each group.
  const holds = new Map(dataLoaders().map((l) => [l, held.filter((h) => readsAny(l.file, h.tables))] as const));
  const last = (l: Loader) => Math.max(-1, ...holds.get(l)!.map((h) => held.indexOf(h)));
  const loaders = [...holds.keys()].sort((a, b) => last(a) - last(b));
  mkdirSync(outDir, { recursive: true });
  const release = await shareWarehouse(dbPath, options.database);
  const run = ++runs;
  try {
    for (const [k, loader] of loaders.entries()) {
      options.signal?.throwIfAborted();
      // A loader waits for every stage whose tables it may read (a later stage's hold implies nothing of an earlier).
      await Promise.all(holds.get(loader)!.map((h) => h.until));
      let bytes: Buffer;
      try {
        bytes = await capture(loader.file, run);
      } catch (error) {
        throw new Error(`data loader src/data/${loader.output}.ts failed: ${(error as Error).message}`);
      }
      const target = join(outDir, loader.output);
      writeFileSync(`${target}.${process.pid}.tmp`, bytes);
      renameSync(`${target}.${process.pid}.tmp`, target);
      progress(k + 1, loaders.length, loader.output);
    }
  } finally {
    release();
  }
  return loaders.map((l) => l.output);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write("usage: tsx src/data/lib/site-data.ts OUT_DIR [--progress]\n");
    process.exit(2);
  }
  const showProgress = process.argv.includes("--progress");
  await writeSiteData(out, warehousePath(), (done, total, name) => {
    if (showProgress) process.stderr.write(`PROGRESS ${done} ${total} ${name}\n`);
  });
}
