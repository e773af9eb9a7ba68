/**
 * The pool of worker threads (the machine's two cores) and the jobs they run (worker.ts is their body):
 * - a forest's trees: the binned matrix and labels are shared through SharedArrayBuffers; each worker takes the next
 *   tree from a shared counter, and every tree uses its own seeded stream (forest seed + 7919·t), so the forest is the
 *   same whatever the number of workers and whichever grows which tree;
 * - scoring large lists (forest/scored.ts), the forecast's simulations (simulateOnWorker) and BG/NBD fits on large
 *   summaries (fitBgNbdOnWorker).
 * The workers are started once per process and reused by every later job (the folds of a cross-validation, the
 * backtest and final models of a build); worker-code.ts says how they start. An idle pool does not keep the process
 * alive.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { createRandom } from "../../loaders/random.ts";
import type { ForecastInputs, ScenarioInput } from "../forecast/model.ts";
import { type SimulatedPaths, simulateForecast } from "../forecast/simulate.ts";
import type { FeatureTable } from "../forest/dataset.ts";
import type { Tree, TreeOptions } from "../forest/tree.ts";
import { type BgNbdFit, fitBgNbd, type RfmArrays } from "../value/bgnbd.ts";
import { UserError } from "../../loaders/errors.ts";
import type { ForestModel } from "../forest/forest.ts";
import { newPoolWorker } from "./worker-code.ts";

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

/**
 * What a pool worker is sent: a request, the job's number, and the training's tree counter, shared by its workers:
 * each takes the next tree's index from it (Atomics.add) until every tree is taken, so a worker slowed by other work
 * (this thread's evaluation, DuckDB) grows fewer trees instead of holding the training up. Tree t is grown from its
 * own seed (seed + 7919·t) and returned under its index, so the forest is the same whichever worker grows it.
 */
export interface GrowJob extends GrowRequest {
  kind: "grow";
  job: number;
  next: Int32Array;
}

/**
 * A scoring job: a forest (plain data: typed arrays, arrays and Maps, copied to the worker by structured clone) and a
 * slice of the rows to score (scored.ts does the work).
 */
export interface ScoreJob {
  kind: "score";
  job: number;
  model: ForestModel;
  table: FeatureTable;
}

/** A forecast simulation (forecast/simulate.ts), run whole on one worker. */
export interface SimulateJob {
  kind: "simulate";
  job: number;
  inputs: ForecastInputs;
  scenarios: ScenarioInput[];
  runs: number;
  seed: number;
}

/** What a scoring job sends back: probabilities, row-major contributions, and the drivers in words per row. */
export interface ScoreResult {
  probabilities: Float64Array;
  contributions: Float64Array;
  topDrivers: string[];
  driversJson: string[];
}

/** A BG/NBD fit (value/bgnbd.ts fitBgNbd), run whole on one worker. */
export interface FitJob {
  kind: "fit";
  job: number;
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  covariance: boolean;
}

/** A fit that failed on a worker: its message, and its hint when it was a UserError. */
export interface FitFailure {
  message: string;
  user: boolean;
  hint?: string;
}

type WorkerMessage =
  | { job: number; index: number; tree: Tree }
  | { job: number; done: true }
  | { job: number; done: true; scored: ScoreResult }
  | { job: number; done: true; simulated: SimulatedPaths }
  | { job: number; done: true; fitted: BgNbdFit }
  | { job: number; done: true; failed: FitFailure };

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

interface PoolWorker {
  worker: Worker;
  /** The job running on this worker: its message handler and failure callback. */
  busy: { onMessage: (m: WorkerMessage) => void; fail: (e: Error) => void } | null;
}

const pool = new Map<number, PoolWorker>();
let nextJob = 1;

function poolWorker(w: number): PoolWorker {
  const existing = pool.get(w);
  if (existing) return existing;
  const entry: PoolWorker = { worker: newPoolWorker(), busy: null };
  entry.worker.on("message", (m: WorkerMessage) => entry.busy?.onMessage(m));
  const drop = (error: Error) => {
    if (pool.get(w) === entry) pool.delete(w);
    entry.busy?.fail(error);
  };
  entry.worker.on("error", drop);
  entry.worker.on("exit", (code) => drop(new Error(`forest worker exited with code ${code}`)));
  // After the listeners: Node refs a worker again when a 'message' listener is added, so an unref() before them
  // would leave an idle pool holding the process open (a command that failed before its first forest never exited).
  entry.worker.unref();
  pool.set(w, entry);
  return entry;
}

/**
 * Stop the pool's idle workers (after a large scoring: an idle worker never collects its garbage, so the tables it was
 * sent and the lists it built stay resident until its next job). A worker with a job (the forecast's backtest
 * simulation, started early by `churn build`) keeps running. A later job starts the stopped ones again.
 */
export async function stopForestWorkers(): Promise<void> {
  const idle = [...pool].filter(([, e]) => !e.busy);
  for (const [w] of idle) pool.delete(w);
  await Promise.all(idle.map(([, e]) => e.worker.terminate()));
}

/** How many pool workers are running. */
export function runningWorkers(): number {
  return pool.size;
}

/**
 * Start the pool's workers now (the forest's first training would), so their start-up (worker-code.ts)
 * overlaps other work instead of delaying the first forest.
 */
export function startForestWorkers(trees: number): void {
  const workers = workerCount(trees);
  if (workers > 1) for (let w = 0; w < workers; w++) poolWorker(w);
}

/**
 * Run one job on pool worker `w`: wait until the worker is free (one job at a time per worker), post the message built
 * for the job's number, and pass the worker's messages for that job to `handle`, which calls `done` with the result
 * when the job is over.
 */
async function runOnWorker<T>(
  w: number,
  message: (job: number) => GrowJob | ScoreJob | SimulateJob | FitJob,
  handle: (m: WorkerMessage, done: (result: T) => void) => void,
): Promise<T> {
  let entry = poolWorker(w);
  // Wait until the worker is free; one stopped meanwhile (stopForestWorkers) is started again.
  while (entry.busy || pool.get(w) !== entry) {
    if (pool.get(w) !== entry) entry = poolWorker(w);
    else await new Promise((r) => setTimeout(r, 5));
  }
  const job = nextJob++;
  return new Promise<T>((resolve, reject) => {
    const release = () => {
      entry.busy = null;
      entry.worker.unref();
    };
    entry.busy = {
      onMessage: (m) => {
        if (m.job !== job) return;
        handle(m, (result) => {
          release();
          resolve(result);
        });
      },
      fail: (e) => {
        release();
        reject(e);
      },
    };
    entry.worker.ref();
    entry.worker.postMessage(message(job));
  });
}

/** Grow the trees in `workers` pooled threads; resolves to the trees in index order. */
export async function growTreesInWorkers(
  req: GrowRequest,
  workers: number,
  onTrees: (grown: number) => void = () => {},
): Promise<Tree[]> {
  const bins = shared(req.bins, (b) => new Uint8Array(b));
  const labels = shared(req.labels, (b) => new Uint8Array(b));
  const trainRows = shared(req.trainRows, (b) => new Uint32Array(b));
  const results: Tree[] = new Array(req.trees);
  const next = new Int32Array(new SharedArrayBuffer(4));
  await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      runOnWorker<void>(
        w,
        (job) => ({ ...req, kind: "grow", bins, labels, trainRows, job, next }),
        (m, done) => {
          if ("tree" in m) {
            results[m.index] = m.tree;
            onTrees(1);
          } else done();
        },
      ),
    ),
  );
  return results;
}

/**
 * Score tables on the pool's workers, one table per worker (the slices of one list), each with a copy of the
 * forest; resolves to their results in order. A worker busy with a forest is waited for.
 */
export async function scoreInWorkers(model: ForestModel, tables: FeatureTable[]): Promise<ScoreResult[]> {
  return Promise.all(
    tables.map((table, w) =>
      runOnWorker<ScoreResult>(
        w,
        (job) => ({ kind: "score", job, model, table }),
        (m, done) => {
          if ("scored" in m) done(m.scored);
        },
      ),
    ),
  );
}

/**
 * simulateForecast(inputs, scenarios, runs, createRandom(seed)) on pool worker `worker` (0 or 1), so this thread can do
 * other work meanwhile (the forecast stage simulates today's futures on one worker and its backtest's on the other,
 * while `churn build` writes the site's data on this thread). The same function and seed give the same numbers
 * wherever they run; with one core it runs here.
 */
export function simulateOnWorker(
  inputs: ForecastInputs,
  scenarios: ScenarioInput[],
  runs: number,
  seed: number,
  worker = 0,
): Promise<SimulatedPaths> {
  if (workerCount(2) < 2) return Promise.resolve(simulateForecast(inputs, scenarios, runs, createRandom(seed)));
  return runOnWorker<SimulatedPaths>(
    worker % workerCount(2),
    (job) => ({ kind: "simulate", job, inputs, scenarios, runs, seed }),
    (m, done) => {
      if ("simulated" in m) done(m.simulated);
    },
  );
}

let fits = 0;
/**
 * Fits of fewer customers run in this thread: the fit is short (0.3 s at 54,000 buyers) and the hand-over costs more.
 * Measured: the bundled sample's value stage 0.4 s longer on the pool; the 100k business's value stage (alone) 2.2
 * -> 2.6 s with this bound at 20,000.
 */
const WORKER_FIT_MIN_CUSTOMERS = 100_000;

/**
 * fitBgNbd(data, { covariance }) on a pool worker (alternately 0 and 1), so this thread works on meanwhile: the value
 * stage values its customers while its holdout's fit runs, and the forecast's fits run beside the value stage. The
 * same function of the same data gives the same fit wherever it runs; a UserError comes back as one. With one core,
 * or fewer than `minCustomers` customers, it runs here.
 */
export function fitBgNbdOnWorker(
  data: RfmArrays,
  covariance = true,
  minCustomers = WORKER_FIT_MIN_CUSTOMERS,
): Promise<BgNbdFit> {
  const workers = workerCount(2);
  if (workers < 2 || data.frequency.length < minCustomers) {
    try {
      return Promise.resolve(fitBgNbd(data, { covariance }));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const { frequency, recency, T } = data;
  return runOnWorker<BgNbdFit | FitFailure>(
    fits++ % workers,
    (job) => ({ kind: "fit", job, frequency, recency, T, covariance }),
    (m, done) => {
      if ("fitted" in m) done(m.fitted);
      else if ("failed" in m) done(m.failed);
    },
  ).then((result) => {
    if (!("message" in result)) return result;
    throw result.user
      ? new UserError(result.message, result.hint ? { hint: result.hint } : {})
      : new Error(result.message);
  });
}
