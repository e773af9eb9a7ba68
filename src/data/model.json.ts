// Model page data: the churn model's card (metrics, curves, importances, backtest, definitions).
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

await withWarehouse(async (db, meta) => {
  if (!(await tableExists(db.connection, "model_card"))) {
    return {
      available: false,
      reason:
        "No churn model: it needs at least 180 days of history and 20 churned and 20 retained customer-snapshots.",
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
