/**
 * Scoring a feature table with a forest: each row's churn probability, its feature contributions (mean Saabas path
 * contributions, forest.ts scoreRows) and its drivers in words (drivers.ts). scoreCustomers splits a large table
 * between the worker threads (models/workers/pool.ts), which receive a copy of the forest; the result is the same
 * as scoring it here, row for row.
 */
import type { FeatureTable } from "./dataset.ts";
import { driverWords } from "./drivers.ts";
import { type ForestModel, scoreRows } from "./forest.ts";
import { runningWorkers, type ScoreResult, scoreInWorkers, workerCount } from "../workers/pool.ts";

/** Below this many rows per worker, scoring on this thread beats sending the forest to the workers. */
const ROWS_PER_WORKER_MIN = 10_000;
/** Starting the workers only to score (worker-code.ts: about 0.3 s each) pays from this many rows. */
export const ROWS_TO_START_WORKERS = 200_000;

/** Score every row of `table` on this thread. */
export function scoreTable(model: ForestModel, table: FeatureTable): ScoreResult {
  const { probabilities, contributions } = scoreRows(model, table);
  const F = table.names.length;
  const topDrivers = new Array<string>(table.rows);
  const driversJson = new Array<string>(table.rows);
  for (let i = 0; i < table.rows; i++) {
    const words = driverWords(table, i, contributions.subarray(i * F, (i + 1) * F));
    topDrivers[i] = words.map((w) => w.text).join("; ");
    driversJson[i] = JSON.stringify(words);
  }
  return { probabilities, contributions, topDrivers, driversJson };
}

/** Rows [from, to) of a table. */
export function sliceTable(table: FeatureTable, from: number, to: number): FeatureTable {
  return { names: table.names, columns: table.columns.map((c) => c.slice(from, to)), rows: to - from };
}

/** Score every row of `table`, split between the worker threads when it is large enough to be worth it. */
export async function scoreCustomers(model: ForestModel, table: FeatureTable): Promise<ScoreResult> {
  const workers = Math.min(workerCount(Number.MAX_SAFE_INTEGER), Math.floor(table.rows / ROWS_PER_WORKER_MIN));
  if (workers < 2 || (runningWorkers() < workers && table.rows < ROWS_TO_START_WORKERS))
    return scoreTable(model, table);
  const bounds = Array.from({ length: workers + 1 }, (_, w) => Math.round((w * table.rows) / workers));
  const parts = await scoreInWorkers(
    model,
    bounds.slice(0, -1).map((from, w) => sliceTable(table, from, bounds[w + 1]!)),
  );
  const F = table.names.length;
  const probabilities = new Float64Array(table.rows);
  const contributions = new Float64Array(table.rows * F);
  parts.forEach((part, w) => {
    probabilities.set(part.probabilities, bounds[w]!);
    contributions.set(part.contributions, bounds[w]! * F);
  });
  return {
    probabilities,
    contributions,
    topDrivers: parts.flatMap((p) => p.topDrivers),
    driversJson: parts.flatMap((p) => p.driversJson),
  };
}
