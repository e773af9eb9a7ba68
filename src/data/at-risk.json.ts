// At-risk page data: counts and summaries (the list itself is at-risk.arrow; the CSV download is at-risk.csv).
import { query, queryOne, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

const BY_ACTION_QUADRANT_SQL = `
  SELECT recommended_action AS action, coalesce(quadrant, '(none)') AS quadrant, count(*)::INTEGER AS customers,
    sum(value_at_risk) AS value_at_risk, sum(clv) AS clv
  FROM scored_customers GROUP BY ALL ORDER BY action, quadrant`;

await withWarehouse(async (db, meta) => {
  if (!(await tableExists(db.connection, "scored_customers"))) {
    return {
      available: false,
      reason: "No at-risk list: `churn build` or `churn score` makes it, from the churn model or else from symptoms.",
    };
  }
  const counts = await queryOne(
    db.connection,
    `SELECT count(*) FILTER (WHERE status = 'active')::INTEGER AS active,
            count(*) FILTER (WHERE status <> 'active')::INTEGER AS churned,
            sum(value_at_risk) FILTER (WHERE status = 'active') AS value_at_risk
     FROM scored_customers`,
  );
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    counts,
    actions: await query(db.connection, "SELECT * FROM action_summary"),
    // Value at risk by action × quadrant (cancelled customers have no quadrant), for the chart beside the table.
    byActionQuadrant: await query(db.connection, BY_ACTION_QUADRANT_SQL),
    health: await query(db.connection, "SELECT * FROM health_summary ORDER BY band"),
  };
});
