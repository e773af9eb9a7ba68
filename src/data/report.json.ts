// The monthly churn report's data: warehouse facts and the monthly metrics of the whole base (aggregates only).
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

const COUNTS_SQL = `
  SELECT (SELECT count(*) FROM customers)::INTEGER AS customers,
         (SELECT count(DISTINCT customer_id) FROM subscriptions)::INTEGER AS subscribers,
         (SELECT count(DISTINCT customer_id) FROM transactions)::INTEGER AS buyers,
         (SELECT count(*) FROM transactions)::INTEGER AS transactions`;

const MONTHLY_SQL = `
  SELECT month, start, end_count AS "end", lost, new, reactivated,
         churn_rate AS "churnRate", retention_rate AS "retentionRate",
         mrr_start AS "mrrStart", mrr_end AS "mrrEnd", mrr_new AS "mrrNew", mrr_expansion AS "mrrExpansion",
         mrr_contraction AS "mrrContraction", mrr_churned AS "mrrChurned", mrr_reactivation AS "mrrReactivation",
         grr, nrr
  FROM monthly_metrics WHERE dimension = 'all' ORDER BY month`;

await withWarehouse(async (db, meta) => {
  const [counts] = await query(db.connection, COUNTS_SQL);
  const hasMonthly = await tableExists(db.connection, "monthly_metrics");
  const has = (t: string) => tableExists(db.connection, t);
  const value = (await has("customer_value"))
    ? await query(
        db.connection,
        `SELECT sum(clv) FILTER (WHERE active) AS total_clv, count(*) FILTER (WHERE active)::INTEGER AS active
         FROM customer_value`,
      )
    : [];
  const risk = (await has("scored_customers"))
    ? await query(
        db.connection,
        `SELECT sum(value_at_risk) AS value_at_risk,
                count(*) FILTER (WHERE health_band = 'red' AND status = 'active')::INTEGER AS red
         FROM scored_customers`,
      )
    : [];
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    missingSources: meta["missing_sources"] ?? [],
    counts,
    monthly: hasMonthly ? await query(db.connection, MONTHLY_SQL) : [],
    value: value[0] ?? null,
    risk: risk[0] ?? null,
    symptoms: (await has("symptom_summary"))
      ? await query(db.connection, "SELECT * FROM symptom_summary ORDER BY customers DESC LIMIT 10")
      : [],
    buyerMonthly: (await has("buyer_monthly"))
      ? await query(
          db.connection,
          `SELECT month, start, end_count AS "end", lost, new, churn_rate AS "churnRate"
           FROM buyer_monthly WHERE dimension = 'all' ORDER BY month`,
        )
      : [],
    buyerWindow: meta["buyer_inactivity_window"] ?? null,
    // Acquisition economics per channel and signup cohort (models/value/acquisition.ts), and the retention ROI of any
    // campaign read out with `churn readout` (table campaign_readout).
    acquisition: (await has("acquisition_economics"))
      ? await query(
          db.connection,
          `SELECT dimension, value, customers, customers_with_cost AS "customersWithCost",
                  acquisition_spend AS "acquisitionSpend", cac, ltv, ltv_to_cac AS "ltvToCac",
                  payback_months AS "paybackMonths", months_observed AS "monthsObserved", note
           FROM acquisition_economics ORDER BY dimension, value`,
        )
      : [],
    acquisitionMeta: meta["acquisition_economics"] ?? null,
    retention: (await has("campaign_readout"))
      ? await query(db.connection, "SELECT * FROM campaign_readout ORDER BY campaign")
      : [],
    forecast: (await has("forecast"))
      ? await query(db.connection, "SELECT * FROM forecast ORDER BY scenario <> 'baseline', scenario, month")
      : [],
    // Six months ago we forecast X; it was Y: the forecast's backtest (models/forecast/backtest.ts).
    forecastBacktest: (await has("forecast_backtest"))
      ? await query(db.connection, "SELECT * FROM forecast_backtest ORDER BY month")
      : [],
    forecastMeta: meta["forecast"] ?? null,
    monthlyReason: hasMonthly
      ? null
      : "The exports have no subscriptions, so there are no monthly churn and MRR figures " +
        "(they need subscription start and end dates).",
  };
});
