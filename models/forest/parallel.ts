/**
 * Train a forest's trees on two worker threads (the machine's two cores). The binned matrix and labels are shared
 * through SharedArrayBuffers; each worker grows the trees t ≡ w (mod workers), and every tree uses its own seeded
 * stream (forest seed + 7919·t), so the forest is the same whatever the number of workers.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Tree, TreeOptions } from "./tree.ts";

export interface GrowRequest {
  bins: Uint8Array;
  labels: Uint8Array;
  rows: number;
  features: number;
  edges: Float64Array[];
  trainRows: Uint32Array;
  classWeight: [number, number];
  options: TreeOptions;
  seed: number;
  trees: number;
}

const shared = <T extends Uint8Array | Uint32Array>(a: T, make: (b: SharedArrayBuffer) => T): T => {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const copy = make(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
};

export function workerCount(trees: number): number {
  const env = Number(process.env["CHURN_FOREST_WORKERS"]);
  const n = Number.isInteger(env) && env >= 1 ? env : Math.min(2, availableParallelism());
  return Math.max(1, Math.min(n, trees));
}

/** Grow the trees in `workers` threads; resolves to the trees in index order. */
export async function growTreesInWorkers(req: GrowRequest, workers: number): Promise<Tree[]> {
  const bins = shared(req.bins, (b) => new Uint8Array(b));
  const labels = shared(req.labels, (b) => new Uint8Array(b));
  const trainRows = shared(req.trainRows, (b) => new Uint32Array(b));
  const results: Tree[] = new Array(req.trees);
  await Promise.all(
    Array.from(
      { length: workers },
      (_, w) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), {
            workerData: { ...req, bins, labels, trainRows, worker: w, workers },
          });
          worker.on("message", (msg: { index: number; tree: Tree }) => (results[msg.index] = msg.tree));
          worker.on("error", reject);
          worker.on("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`forest worker exited with code ${code}`)),
          );
        }),
    ),
  );
  return results;
}
