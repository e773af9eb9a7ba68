// At-risk page data: the top of the scored list (the full list is the CSV download) and summaries.
import { query, queryOne, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

export const PAGE_ROWS = 1000;

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
    pageRows: PAGE_ROWS,
    counts,
    rows: await query(
      db.connection,
      `SELECT customer_id, name, segment, plan, status, risk_rank, risk_source, quadrant, tier,
              round(churn_probability, 4) AS churn_probability, round(clv, 2) AS clv,
              round(value_if_retained, 2) AS value_if_retained, round(value_at_risk, 2) AS value_at_risk, health_score,
              health_band, symptoms, top_drivers, recommended_action, offer, round(offer_budget, 2) AS offer_budget,
              next_touch, CAST(next_touch_date AS VARCHAR) AS next_touch_date, channel
       FROM scored_customers ORDER BY risk_rank LIMIT $limit`,
      { limit: PAGE_ROWS },
    ),
    actions: await query(db.connection, "SELECT * FROM action_summary"),
    health: await query(db.connection, "SELECT * FROM health_summary ORDER BY band"),
  };
});
