/**
 * Which mode ranks the at-risk list, and why: `model` when the churn forest was trained at the as-of date (its
 * churn_predictions are then current), else `rules` (symptoms and value), with the reason in plain words: the model
 * was turned off (--no-model), the forest refused to train (its reason, recorded in warehouse_meta under
 * `churn_model_skipped` by models/pipeline.ts), or no model was trained at this date. The choice is written to
 * warehouse_meta under `risk_source` for the site.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne, tableExists } from "../../loaders/db.ts";
import { readMetaKey, writeMeta } from "../../loaders/meta.ts";
import type { RiskSource } from "./risk.ts";

export interface RiskMode {
  source: RiskSource;
  reason: string;
}

export async function chooseRiskMode(conn: DuckDBConnection, asOf: string, useModel: boolean): Promise<RiskMode> {
  if (!useModel) return { source: "rules", reason: "the churn model was turned off (--no-model)" };
  const trainedAt =
    (await tableExists(conn, "churn_model")) && (await tableExists(conn, "churn_predictions"))
      ? (await queryOne<{ a: string }>(conn, "SELECT trained_at_as_of AS a FROM churn_model"))?.a
      : undefined;
  if (trainedAt === asOf)
    return { source: "model", reason: `the churn forest was trained on the history up to ${asOf}; see the model page` };
  const skipped = (await readMetaKey(conn, "churn_model_skipped")) as { asOf?: string; reason?: string } | undefined;
  const why =
    skipped?.asOf === asOf && skipped.reason
      ? `the churn forest could not be trained — ${skipped.reason}`
      : `no churn model was trained as of ${asOf}`;
  return { source: "rules", reason: why };
}

/** Record the mode for the site (warehouse_meta.risk_source = {"source", "reason", "asOf"}). */
export async function recordRiskMode(conn: DuckDBConnection, asOf: string, mode: RiskMode): Promise<void> {
  await writeMeta(conn, "risk_source", { ...mode, asOf });
}
