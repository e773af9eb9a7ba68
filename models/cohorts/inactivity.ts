/**
 * Churn of one-off buyers (customers with no subscription started by the as-of date, the same rule as customer value),
 * who never cancel: a buyer is active on day d when they made a purchase in the `window` days up to d, and counts as
 * lost in month M when active on its first day but not on the next month's first day. The default window is chosen from
 * the data: the 90th percentile of the gaps between consecutive purchase days of repeat buyers, rounded up to whole
 * days, kept within [30, 365] days. Rates as for subscriptions:
 * churnRate = lost / start, retentionRate = (end − new) / start, for the whole base and for each plan, segment, region
 * and acquisition channel (from the customers table). (The probabilistic view, P(alive), is in customer value.)
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, queryOne } from "../../loaders/db.ts";
import { buyerDaysUpTo } from "../value/buyer-days.ts";
import { byGroupedDimension } from "./grouping-sets.ts";
import { filterValue } from "./subscription-states.ts";

const gapP90Sql = (conn: DuckDBConnection) => `
  WITH days AS (${buyerDaysUpTo(conn, "as_of")}), gaps AS (
    SELECT date_diff('day', lag(date) OVER (PARTITION BY customer_id ORDER BY date), date) AS gap FROM days
  )
  SELECT quantile_cont(gap, 0.9) AS p90, count(gap)::BIGINT AS gaps FROM gaps WHERE gap IS NOT NULL`;

export interface InactivityWindow {
  days: number;
  rule: string;
  gaps: number;
}

export async function inactivityWindow(conn: DuckDBConnection, asOf: string): Promise<InactivityWindow | null> {
  const row = await queryOne<{ p90: number | null; gaps: number }>(conn, gapP90Sql(conn), { as_of: asOf });
  if (!row || row.p90 === null || row.gaps === 0) return null;
  const days = Math.min(365, Math.max(30, Math.ceil(row.p90)));
  return {
    days,
    gaps: row.gaps,
    rule:
      `90th percentile of ${row.gaps} gaps between repeat purchase days (${Math.ceil(row.p90)} days), ` +
      "kept within 30–365 days",
  };
}

/** Filter dimensions of buyers, from the customers table (buyers have no subscription plan: plan is the customer's). */
export const BUYER_DIMENSIONS = {
  plan: filterValue("c.plan", "customers", "plan"),
  segment: filterValue("c.segment", "customers", "segment"),
  region: filterValue("c.region", "customers", "region"),
  acquisition_channel: filterValue("c.acquisition_channel", "customers", "acquisition_channel"),
} as const;
const DIMENSION_KEYS = Object.keys(BUYER_DIMENSIONS) as (keyof typeof BUYER_DIMENSIONS)[];

/**
 * Per month and buyer: a0 = active on the month's first day d0 (a purchase in (d0 − window, d0]), a1 = active on the
 * next month's first day d1 (a purchase in (d1 − window, d1]). Counted for everyone and for each value of every
 * dimension in one pass (GROUPING SETS); every (dimension, value) gets every month, zeros included.
 */
const buyerMonthlySql = (conn: DuckDBConnection) => `
  WITH days AS (${buyerDaysUpTo(conn, "as_of")}), months AS (
    SELECT CAST(d AS DATE) AS d0, CAST(d + INTERVAL 1 MONTH AS DATE) AS d1
    FROM generate_series(CAST(date_trunc('month', (SELECT min(date) FROM days)) + INTERVAL 1 MONTH AS TIMESTAMP),
                         CAST($as_of::DATE + INTERVAL 1 DAY - INTERVAL 1 MONTH AS TIMESTAMP), INTERVAL 1 MONTH) g(d)
    WHERE d + INTERVAL 1 MONTH <= $as_of::DATE + INTERVAL 1 DAY
  ), flags AS (
    SELECT m.d0, x.customer_id, bool_or(x.date <= m.d0) AS a0, bool_or(x.date > m.d1 - $window) AS a1
    FROM months m JOIN days x ON x.date > m.d0 - $window AND x.date <= m.d1
    GROUP BY ALL
  ), dims AS (
    SELECT customer_id, ${DIMENSION_KEYS.map((d) => `${BUYER_DIMENSIONS[d]} AS dim_${d}`).join(", ")}
    FROM customers c
  ), labelled AS (
    -- Filter values once per customer, not per customer and month; a buyer with no customers row is "(none)".
    SELECT f.d0, f.a0, f.a1, ${DIMENSION_KEYS.map((d) => `coalesce(x.dim_${d}, '(none)') AS dim_${d}`).join(", ")}
    FROM flags f LEFT JOIN dims x USING (customer_id)
  ), agg AS (
    SELECT d0,
           ${byGroupedDimension(
             DIMENSION_KEYS,
             (d) => `dim_${d}`,
             (d) => `'${d}'`,
             "'all'",
           )} AS dimension,
           ${byGroupedDimension(
             DIMENSION_KEYS,
             (d) => `dim_${d}`,
             (d) => `dim_${d}`,
             "'all'",
           )} AS value,
           count(*) FILTER (WHERE a0)::INTEGER AS start, count(*) FILTER (WHERE a1)::INTEGER AS "end",
           count(*) FILTER (WHERE a0 AND NOT a1)::INTEGER AS lost, count(*) FILTER (WHERE a1 AND NOT a0)::INTEGER AS new
    FROM labelled
    GROUP BY GROUPING SETS ((d0), ${DIMENSION_KEYS.map((d) => `(d0, dim_${d})`).join(", ")})
  ), keys AS (SELECT DISTINCT dimension, value FROM agg)
  SELECT k.dimension, k.value, strftime(m.d0, '%Y-%m') AS month,
         coalesce(a.start, 0) AS start, coalesce(a."end", 0) AS "end", coalesce(a.lost, 0) AS lost,
         coalesce(a.new, 0) AS new
  FROM months m CROSS JOIN keys k LEFT JOIN agg a ON a.d0 = m.d0 AND a.dimension = k.dimension AND a.value = k.value
  ORDER BY k.dimension = 'all' DESC, k.dimension, k.value, month`;

export interface BuyerMonth {
  /** 'all', or the dimension whose value this row counts (plan, segment, region, acquisition_channel). */
  dimension: string;
  value: string;
  month: string;
  start: number;
  end: number;
  lost: number;
  new: number;
  churnRate: number | null;
  retentionRate: number | null;
}

export async function buyerMonthly(conn: DuckDBConnection, asOf: string, windowDays: number): Promise<BuyerMonth[]> {
  const rows = await query<Omit<BuyerMonth, "churnRate" | "retentionRate">>(conn, buyerMonthlySql(conn), {
    as_of: asOf,
    window: windowDays,
  });
  return rows.map((r) => ({
    ...r,
    churnRate: r.start ? r.lost / r.start : null,
    retentionRate: r.start ? (r.end - r.new) / r.start : null,
  }));
}
