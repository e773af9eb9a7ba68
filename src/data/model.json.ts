// Model page data: the churn model's card (metrics, curves, importances, backtest, definitions).
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

await withWarehouse(async (db, meta) => {
  if (!(await tableExists(db.connection, "model_card"))) {
    // Why the build trained none, when it recorded it (models/pipeline.ts: churn_model_skipped).
    const skipped = meta["churn_model_skipped"] as { reason?: string } | undefined;
    return {
      available: false,
      reason: skipped?.reason
        ? `No churn model: ${skipped.reason}. The at-risk list is ranked by rules instead.`
        : "No churn model: it needs at least 180 days of history and 20 churned and 20 retained customer-snapshots.",
    };
  }
  const card = Object.fromEntries(
    (await query<{ key: string; value: string }>(db.connection, "SELECT key, value FROM model_card")).map((r) => [
      r.key,
      JSON.parse(r.value),
    ]),
  );
  return { available: true, asOf: meta["as_of"], dataFrom: meta["data_from"], dataTo: meta["data_to"], card };
});
