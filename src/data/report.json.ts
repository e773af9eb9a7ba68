// The monthly churn report's data: warehouse facts and the monthly metrics of the whole base (aggregates only).
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

const COUNTS_SQL = `
  SELECT (SELECT count(*) FROM customers)::INTEGER AS customers,
         (SELECT count(DISTINCT customer_id) FROM subscriptions)::INTEGER AS subscribers,
         (SELECT count(DISTINCT customer_id) FROM transactions)::INTEGER AS buyers,
         (SELECT count(*) FROM transactions)::INTEGER AS transactions`;

const MONTHLY_SQL = `
  SELECT month, start, end_count AS "end", lost, new, reactivated, churn_rate AS "churnRate", retention_rate AS "retentionRate",
         mrr_start AS "mrrStart", mrr_end AS "mrrEnd", mrr_new AS "mrrNew", mrr_expansion AS "mrrExpansion",
         mrr_contraction AS "mrrContraction", mrr_churned AS "mrrChurned", mrr_reactivation AS "mrrReactivation",
         grr, nrr
  FROM monthly_metrics WHERE dimension = 'all' ORDER BY month`;

await withWarehouse(async (db, meta) => {
  const [counts] = await query(db.connection, COUNTS_SQL);
  const hasMonthly = await tableExists(db.connection, "monthly_metrics");
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    missingSources: meta["missing_sources"] ?? [],
    counts,
    monthly: hasMonthly ? await query(db.connection, MONTHLY_SQL) : [],
    monthlyReason: hasMonthly ? null : "The exports have no subscriptions, so there are no monthly churn and MRR figures (they need subscription start and end dates).",
  };
});
