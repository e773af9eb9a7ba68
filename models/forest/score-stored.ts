/**
 * Scoring the customers active at the as-of date with a trained forest: probabilities and drivers in words (mean
 * Saabas path contributions, drivers.ts) in one walk per tree and customer, written to churn_predictions.
 * analyzeForest scores its freshly trained forest through writePredictions; `churn score` reuses the forest stored in
 * churn_model (serialize.ts) through scoreWithStoredModel when it was trained at the same as-of date, after checking
 * that the stored encoder still reads the features the warehouse gives (else the model is stale and is retrained).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendMapped } from "../../loaders/append.ts";
import { queryOne, run, tableExists } from "../../loaders/db.ts";
import type { AnalysisContext } from "../context.ts";
import { buyerWindow } from "../cohorts/active.ts";
import type { FeatureTable } from "./dataset.ts";
import { kindColumn, snapshotFeatures, type Snapshot } from "./features.ts";
import type { ForestModel } from "./forest.ts";
import { CHURN_HORIZON_DAYS } from "./label.ts";
import type { ScoreResult } from "../workers/pool.ts";
import { scoreCustomers } from "./scored.ts";
import { deserializeForest } from "./serialize.ts";

const PREDICTIONS_SQL = `CREATE OR REPLACE TABLE churn_predictions (customer_id VARCHAR, kind VARCHAR,
  churn_probability DOUBLE, probability_source VARCHAR, top_drivers VARCHAR, drivers_json VARCHAR)`;
const STORED_MODEL_SQL = "SELECT trained_at_as_of AS a, model AS m FROM churn_model";

/** Replace churn_predictions with the model's scores of the snapshot's customers; returns the probabilities. */
export async function writePredictions(
  conn: DuckDBConnection,
  model: ForestModel,
  current: Snapshot,
  scoring: Promise<ScoreResult> = scoreCustomers(model, current.table),
): Promise<Float64Array> {
  // Large lists are scored on the forest's worker threads (scored.ts); `scoring` may have been started earlier.
  const { probabilities, topDrivers, driversJson } = await scoring;
  const kinds = kindColumn(current.table);
  await run(conn, PREDICTIONS_SQL);
  await appendMapped(
    conn,
    "churn_predictions",
    ["varchar", "varchar", "double", "varchar", "varchar", "varchar"],
    current.ids,
    // Every probability is the forest's (no BG/NBD mixed in); the column says so per customer.
    (id, i) => [id, kinds[i], probabilities[i], "forest", topDrivers[i], driversJson[i]],
  );
  return probabilities;
}

/**
 * Why the model cannot score this table, or null when it can: the same feature names in the same order, each
 * categorical in the model exactly where the table has text, and one set of bin edges per feature.
 */
export function modelMismatch(model: ForestModel, table: FeatureTable): string | null {
  const { names, categories, edges } = model.encoder;
  if (names.length !== table.names.length || names.some((n, f) => n !== table.names[f])) {
    const missing = table.names.filter((n) => !names.includes(n));
    const extra = names.filter((n) => !table.names.includes(n));
    const parts = [
      missing.length ? `the warehouse now gives ${missing.join(", ")}` : "",
      extra.length ? `the model reads ${extra.join(", ")}, which the warehouse no longer gives` : "",
    ].filter(Boolean);
    return `its features differ from the warehouse's (${parts.join("; ") || "same names in another order"})`;
  }
  const kindDiffers = names.filter((_, f) => (categories[f] != null) === table.columns[f] instanceof Float64Array);
  if (kindDiffers.length) return `numeric and categorical features differ (${kindDiffers.join(", ")})`;
  if (edges.length !== names.length || categories.length !== names.length)
    return "its encoder does not cover every feature";
  return null;
}

/** Customers scored, or why the model could not score them (nothing written then). */
export type ModelScoring = { ok: true; scored: number } | { ok: false; reason: string };

/**
 * Score the customers active at ctx.asOf with `model` (their features built as analyzeForest builds them) and write
 * churn_predictions; when the model does not fit the snapshot, write nothing and say why.
 */
export async function scoreWithModel(ctx: AnalysisContext, model: ForestModel): Promise<ModelScoring> {
  const window = await buyerWindow(ctx.conn, ctx.asOf);
  const current = await snapshotFeatures(ctx.conn, ctx.asOf, CHURN_HORIZON_DAYS, window.days);
  const mismatch = modelMismatch(model, current.table);
  if (mismatch) return { ok: false, reason: mismatch };
  await writePredictions(ctx.conn, model, current);
  return { ok: true, scored: current.ids.length };
}

/**
 * Score with the forest stored in churn_model when it was trained as of ctx.asOf and still fits the warehouse;
 * otherwise nothing is written and `reason` says why the model must be trained anew.
 */
export async function scoreWithStoredModel(ctx: AnalysisContext): Promise<ModelScoring> {
  if (!(await tableExists(ctx.conn, "churn_model"))) return { ok: false, reason: "the warehouse has no stored model" };
  const row = await queryOne<{ a: string; m: string }>(ctx.conn, STORED_MODEL_SQL);
  if (!row) return { ok: false, reason: "the stored model table is empty" };
  if (row.a !== ctx.asOf) return { ok: false, reason: `the stored model was trained as of ${row.a}` };
  let model: ForestModel;
  try {
    model = deserializeForest(row.m);
  } catch (error) {
    return { ok: false, reason: `the stored model cannot be read (${(error as Error).message})` };
  }
  return scoreWithModel(ctx, model);
}

/** Remove a stored model that cannot be used, so no stage mistakes the predictions beside it for current ones. */
export async function discardStoredModel(conn: DuckDBConnection): Promise<void> {
  await run(conn, "DROP TABLE IF EXISTS churn_model");
}
