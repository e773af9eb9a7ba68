// Cohort page data: subscription retention cells per dimension value (compact rows), and one-off buyers' monthly
// churn by inactivity per dimension value. Either part may be missing; the page says which.
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

const CELLS_SQL = `SELECT dimension, value, cohort, months_since AS k, size, active, round(retention, 5) AS retention,
  round(revenue_retention, 5) AS revenue, round(gross_revenue_retention, 5) AS gross
  FROM cohort_retention ORDER BY dimension, value, cohort, k`;
const BUYERS_SQL = `SELECT dimension, value, month, start, end_count AS "end", lost, new,
  round(churn_rate, 5) AS "churnRate"
  FROM buyer_monthly ORDER BY dimension, value, month`;

await withWarehouse(async (db, meta) => {
  const hasCohorts = await tableExists(db.connection, "cohort_retention");
  const hasBuyers = await tableExists(db.connection, "buyer_monthly");
  if (!hasCohorts && !hasBuyers) {
    return {
      available: false,
      reason:
        "No cohorts: the exports have no subscriptions (acquisition cohorts need subscription start dates) " +
        "and no repeat purchases (buyer churn needs gaps between purchases).",
    };
  }
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    cells: hasCohorts ? await query(db.connection, CELLS_SQL) : [],
    cohortsReason: hasCohorts
      ? null
      : "No subscription cohorts: the exports have no subscriptions, " +
        "and acquisition cohorts need subscription start dates.",
    buyers: hasBuyers ? await query(db.connection, BUYERS_SQL) : [],
    buyerWindow: meta["buyer_inactivity_window"] ?? null,
  };
});
