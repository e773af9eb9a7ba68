/**
 * Pool worker body. A grow job: grow the training's next tree not yet taken (GrowJob.next) until none is left, post
 * each back, then say done. A score job: score the rows it was sent with the forest it was sent (scored.ts) and post
 * the result back. A simulate job: run the forecast simulation it was sent (forecast/simulate.ts) and post the
 * simulated futures back. A fit job: fit BG/NBD on the summary it was sent (value/bgnbd.ts) and post the fit back, or
 * why it failed.
 */
import { parentPort } from "node:worker_threads";
import { createRandom } from "../../loaders/random.ts";
import { bootstrapWeights } from "../forest/bootstrap.ts";
import { simulateForecast } from "../forecast/simulate.ts";
import type { FitFailure, FitJob, GrowJob, ScoreJob, SimulateJob } from "./pool.ts";
import { fitBgNbd } from "../value/bgnbd.ts";
import { isUserError } from "../../loaders/errors.ts";
import { scoreTable } from "../forest/scored.ts";
import { growingData, growTree } from "../forest/tree.ts";

let weights = new Float64Array(0);
parentPort!.on("message", (req: GrowJob | ScoreJob | SimulateJob | FitJob) => {
  if (req.kind === "fit") {
    try {
      const fitted = fitBgNbd(req, { covariance: req.covariance });
      parentPort!.postMessage({ job: req.job, done: true, fitted });
    } catch (error) {
      const user = isUserError(error);
      const failed: FitFailure = {
        message: error instanceof Error ? error.message : String(error),
        user,
        ...(user && error.hint ? { hint: error.hint } : {}),
      };
      parentPort!.postMessage({ job: req.job, done: true, failed });
    }
    return;
  }
  if (req.kind === "simulate") {
    const simulated = simulateForecast(req.inputs, req.scenarios, req.runs, createRandom(req.seed));
    const buffers = [simulated.subscribers, simulated.buyers, simulated.mrr].flatMap((grid) =>
      grid.flatMap((months) => months.map((runs) => runs.buffer as ArrayBuffer)),
    );
    parentPort!.postMessage({ job: req.job, done: true, simulated }, buffers);
    return;
  }
  if (req.kind === "score") {
    const scored = scoreTable(req.model, req.table);
    parentPort!.postMessage({ job: req.job, done: true, scored }, [
      scored.probabilities.buffer as ArrayBuffer,
      scored.contributions.buffer as ArrayBuffer,
    ]);
    return;
  }
  // The job's bins row by row, once for all the trees it grows.
  const { bins, rows, features, edges, labels } = req;
  const data = growingData({ bins, rows, features, edges, labels });
  if (weights.length !== req.rows) weights = new Float64Array(req.rows);
  for (let t = Atomics.add(req.next, 0, 1); t < req.trees; t = Atomics.add(req.next, 0, 1)) {
    const rng = createRandom(req.seed + 7919 * t);
    bootstrapWeights(rng, req.trainRows, req.labels, req.classWeight, weights);
    const tree = growTree(data, weights, req.options, rng);
    parentPort!.postMessage({ job: req.job, index: t, tree });
  }
  parentPort!.postMessage({ job: req.job, done: true });
});
