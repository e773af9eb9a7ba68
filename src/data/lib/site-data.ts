/**
 * Every data file of the site from one process: runs each data loader src/data/NAME.EXT.ts in turn inside this
 * process, with one read-only warehouse shared by all (see openWarehouse), captures what the loader writes to
 * stdout exactly as Framework would, and writes it where Framework keeps a loader's output
 * (src/.observablehq/cache/data/NAME.EXT). Framework then finds each output newer than its loader ("fresh") and
 * does not run the loader again: one tsx start and one warehouse open instead of one per loader.
 * A loader takes part by being a file src/data/NAME.EXT.ts that writes its file to stdout (withWarehouse, or
 * openWarehouse and process.stdout.write); nothing else to register. It must not call process.exit.
 *   tsx src/data/lib/site-data.ts OUT_DIR [--progress]     (CHURN_DB names the warehouse)
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { shareWarehouse } from "./warehouse.ts";

const DATA_DIR = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** The data loaders: files NAME.EXT.ts directly in src/data (lib/ holds helpers), sorted by name. */
export function dataLoaders(dir = DATA_DIR): { file: string; output: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /^[^.].*\.[a-z0-9]+\.ts$/i.test(e.name))
    .map((e) => ({ file: join(dir, e.name), output: e.name.replace(/\.ts$/, "") }))
    .sort((a, b) => (a.output < b.output ? -1 : 1));
}

type Write = typeof process.stdout.write;

/** Run one loader module in this process and return everything it wrote to stdout. */
async function capture(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const original: Write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    chunks.push(
      typeof chunk === "string"
        ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8")
        : Buffer.from(chunk),
    );
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }) as Write;
  try {
    await import(pathToFileURL(file).href);
  } finally {
    process.stdout.write = original;
  }
  return Buffer.concat(chunks);
}

/**
 * Write every loader's output into outDir (Framework's cache folder for data/). Reports each loader to `progress`.
 * Throws naming the loader that failed.
 */
export async function writeSiteData(
  outDir: string,
  progress: (done: number, total: number, name: string) => void = () => {},
): Promise<string[]> {
  const loaders = dataLoaders();
  mkdirSync(outDir, { recursive: true });
  const release = await shareWarehouse();
  try {
    for (const [k, loader] of loaders.entries()) {
      let bytes: Buffer;
      try {
        bytes = await capture(loader.file);
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
  await writeSiteData(out, (done, total, name) => {
    if (showProgress) process.stderr.write(`PROGRESS ${done} ${total} ${name}\n`);
  });
}
