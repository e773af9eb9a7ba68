/** Worker body: grow the trees t ≡ worker (mod workers) and post each back with its index. */
import { parentPort, workerData } from "node:worker_threads";
import { createRandom } from "../../loaders/random.ts";
import { growTree } from "./tree.ts";
import type { GrowRequest } from "./parallel.ts";

const req = workerData as GrowRequest & { worker: number; workers: number };
const data = { bins: req.bins, rows: req.rows, features: req.features, edges: req.edges, labels: req.labels };
for (let t = req.worker; t < req.trees; t += req.workers) {
  const rng = createRandom(req.seed + 7919 * t);
  const weights = new Float64Array(req.rows);
  for (const i of req.trainRows) weights[i] = rng.poisson(1) * req.classWeight[req.labels[i]!]!;
  const tree = growTree(data, weights, req.options, rng);
  parentPort!.postMessage({ index: t, tree });
}
