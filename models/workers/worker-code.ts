/**
 * How a pool worker (pool.ts) is started. The worker's code, worker.ts and everything it imports, is bundled
 * once per process by esbuild into one CommonJS script that each worker evaluates: no loader hooks, nothing compiled
 * twice. Started from worker-entry.mjs instead, each worker registers tsx's loader (with its own hooks thread) and
 * compiles every module again. Measured on this project's 2-core machine, two workers started and a job done on each:
 * 1.26 s and 1.8 CPU-s under tsx, 0.6 s and 0.9 CPU-s from the bundle, esbuild's build (about 80 ms, once) included.
 * When esbuild cannot run (no binary for the platform), workers start from worker-entry.mjs as before.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/** The bundled worker code; null once bundling failed (then worker-entry.mjs is used). */
let bundled: string | null | undefined;

/** worker.ts bundled with what it imports (built on first call), or null when esbuild cannot run here. */
export function workerBundle(): string | null {
  if (bundled === undefined) {
    try {
      // Required when first needed, not imported: the bundle holds this module (pool.ts imports it), not esbuild.
      const { buildSync } = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
      const built = buildSync({
        entryPoints: [fileURLToPath(new URL("./worker.ts", import.meta.url))],
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node20",
        write: false,
        logLevel: "silent",
      });
      bundled = built.outputFiles[0]?.text ?? null;
    } catch {
      bundled = null;
    }
  }
  return bundled;
}

/** A new pool worker running worker.ts. */
export function newPoolWorker(): Worker {
  const code = workerBundle();
  return code === null ? new Worker(new URL("./worker-entry.mjs", import.meta.url)) : new Worker(code, { eval: true });
}
