// Value and segments page data: model parameters, CLV distribution, P(alive) grid, holdout and tracking, quadrants,
// tiers.
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

const CLV_HISTOGRAM_SQL = `
  WITH v AS (SELECT kind, clv FROM customer_value WHERE active),
       edges AS (SELECT quantile_cont(clv, 0.99) AS top FROM v)
  SELECT kind, floor(least(clv, top) / (top / 40)) * (top / 40) AS bin_start, top / 40 AS bin_width,
         count(*)::INTEGER AS customers
  FROM v, edges WHERE top > 0 GROUP BY ALL ORDER BY kind, bin_start`;

const PALIVE_GRID_SQL = `
  SELECT least(frequency, 20)::INTEGER AS frequency, (floor(recency / 4) * 4)::INTEGER AS recency_weeks,
         avg(p_alive) AS p_alive, count(*)::INTEGER AS customers
  FROM customer_value WHERE kind = 'buyer' GROUP BY ALL ORDER BY 1, 2`;

// Binned (half months × 10 bins per e-fold of CLV) so the page stays small at any scale.
const SCATTER_SQL = `
  SELECT quadrant, round(loyalty_months * 2) / 2 AS loyalty_months,
         round(exp(round(ln(clv + 1) * 10) / 10) - 1, 2) AS clv,
         count(*)::INTEGER AS customers
  FROM customer_value WHERE active GROUP BY ALL`;

await withWarehouse(async (db, meta) => {
  if (!(await tableExists(db.connection, "customer_value"))) {
    return {
      available: false,
      reason: "No customer values: they need transactions of one-off buyers (BG/NBD) or subscriptions (survival).",
    };
  }
  const model = Object.fromEntries(
    (await query<{ key: string; value: string }>(db.connection, "SELECT key, value FROM value_model")).map((r) => [
      r.key,
      JSON.parse(r.value),
    ]),
  );
  const has = async (t: string) => tableExists(db.connection, t);
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    model,
    totals: await query(
      db.connection,
      `SELECT kind, count(*)::INTEGER AS customers, count(*) FILTER (WHERE active)::INTEGER AS active,
              sum(clv) FILTER (WHERE active) AS clv
       FROM customer_value GROUP BY kind ORDER BY kind`,
    ),
    histogram: await query(db.connection, CLV_HISTOGRAM_SQL),
    pAliveGrid: await query(db.connection, PALIVE_GRID_SQL),
    holdout: (await has("value_holdout")) ? await query(db.connection, "SELECT * FROM value_holdout") : [],
    tracking: (await has("value_tracking"))
      ? await query(db.connection, "SELECT * FROM value_tracking ORDER BY week")
      : [],
    quadrants: await query(db.connection, "SELECT * FROM value_quadrants ORDER BY total_clv DESC"),
    tiers: await query(
      db.connection,
      `SELECT tier, count(*)::INTEGER AS customers, sum(clv) AS clv, min(clv) AS min_clv, max(clv) AS max_clv
       FROM customer_value WHERE active GROUP BY tier ORDER BY min_clv DESC`,
    ),
    scatter: await query(db.connection, SCATTER_SQL),
  };
});
