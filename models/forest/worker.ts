/** Pool worker body: for each job, grow the trees t ≡ worker (mod workers), post each back, then say done. */
import { parentPort } from "node:worker_threads";
import { createRandom } from "../../loaders/random.ts";
import { bootstrapWeights } from "./bootstrap.ts";
import type { GrowJob } from "./parallel.ts";
import { growTree } from "./tree.ts";

let weights = new Float64Array(0);
parentPort!.on("message", (req: GrowJob) => {
  const data = { bins: req.bins, rows: req.rows, features: req.features, edges: req.edges, labels: req.labels };
  if (weights.length !== req.rows) weights = new Float64Array(req.rows);
  for (let t = req.worker; t < req.trees; t += req.workers) {
    const rng = createRandom(req.seed + 7919 * t);
    bootstrapWeights(rng, req.trainRows, req.labels, req.classWeight, weights);
    const tree = growTree(data, weights, req.options, rng);
    parentPort!.postMessage({ job: req.job, index: t, tree });
  }
  parentPort!.postMessage({ job: req.job, done: true });
});
