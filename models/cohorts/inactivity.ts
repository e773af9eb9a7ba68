/**
 * Churn of one-off buyers (customers with no subscription), who never cancel: a buyer is active on day d when they made
 * a purchase in the `window` days up to d, and counts as lost in month M when active on its first day but not on the next
 * month's first day. The default window is chosen from the data: the 90th percentile of the gaps between consecutive
 * purchase days of repeat buyers, rounded up to whole days, kept within [30, 365] days. Rates as for subscriptions:
 * churnRate = lost / start, retentionRate = (end − new) / start. (The probabilistic view, P(alive), is in customer value.)
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, queryOne } from "../../loaders/db.ts";

const GAP_P90_SQL = `
  WITH days AS (
    SELECT DISTINCT customer_id, date FROM transactions
    WHERE amount >= 0 AND date <= $as_of AND customer_id NOT IN (SELECT customer_id FROM subscriptions)
  ), gaps AS (
    SELECT date_diff('day', lag(date) OVER (PARTITION BY customer_id ORDER BY date), date) AS gap FROM days
  )
  SELECT quantile_cont(gap, 0.9) AS p90, count(gap)::BIGINT AS gaps FROM gaps WHERE gap IS NOT NULL`;

export interface InactivityWindow {
  days: number;
  rule: string;
  gaps: number;
}

export async function inactivityWindow(conn: DuckDBConnection, asOf: string): Promise<InactivityWindow | null> {
  const row = await queryOne<{ p90: number | null; gaps: number }>(conn, GAP_P90_SQL, { as_of: asOf });
  if (!row || row.p90 === null || row.gaps === 0) return null;
  const days = Math.min(365, Math.max(30, Math.ceil(row.p90)));
  return { days, gaps: row.gaps, rule: `90th percentile of ${row.gaps} gaps between repeat purchase days (${Math.ceil(row.p90)} days), kept within 30–365 days` };
}

const BUYER_MONTHLY_SQL = `
  WITH days AS (
    SELECT DISTINCT customer_id, date FROM transactions
    WHERE amount >= 0 AND date <= $as_of AND customer_id NOT IN (SELECT customer_id FROM subscriptions)
  ), months AS (
    SELECT CAST(d AS DATE) AS d0, CAST(d + INTERVAL 1 MONTH AS DATE) AS d1
    FROM generate_series(CAST(date_trunc('month', (SELECT min(date) FROM days)) + INTERVAL 1 MONTH AS TIMESTAMP),
                         CAST($as_of::DATE + INTERVAL 1 DAY - INTERVAL 1 MONTH AS TIMESTAMP), INTERVAL 1 MONTH) g(d)
    WHERE d + INTERVAL 1 MONTH <= $as_of::DATE + INTERVAL 1 DAY
  ), a0 AS (
    SELECT DISTINCT m.d0, x.customer_id FROM months m JOIN days x ON x.date <= m.d0 AND x.date > m.d0 - $window
  ), a1 AS (
    SELECT DISTINCT m.d0, x.customer_id FROM months m JOIN days x ON x.date <= m.d1 AND x.date > m.d1 - $window
  )
  SELECT strftime(m.d0, '%Y-%m') AS month,
    (SELECT count(*) FROM a0 WHERE a0.d0 = m.d0)::INTEGER AS start,
    (SELECT count(*) FROM a1 WHERE a1.d0 = m.d0)::INTEGER AS "end",
    (SELECT count(*) FROM a0 WHERE a0.d0 = m.d0 AND NOT EXISTS (SELECT 1 FROM a1 WHERE a1.d0 = a0.d0 AND a1.customer_id = a0.customer_id))::INTEGER AS lost,
    (SELECT count(*) FROM a1 WHERE a1.d0 = m.d0 AND NOT EXISTS (SELECT 1 FROM a0 WHERE a0.d0 = a1.d0 AND a0.customer_id = a1.customer_id))::INTEGER AS new
  FROM months m ORDER BY 1`;

export interface BuyerMonth {
  month: string;
  start: number;
  end: number;
  lost: number;
  new: number;
  churnRate: number | null;
  retentionRate: number | null;
}

export async function buyerMonthly(conn: DuckDBConnection, asOf: string, windowDays: number): Promise<BuyerMonth[]> {
  const rows = await query<{ month: string; start: number; end: number; lost: number; new: number }>(conn, BUYER_MONTHLY_SQL, { as_of: asOf, window: windowDays });
  return rows.map((r) => ({ ...r, churnRate: r.start ? r.lost / r.start : null, retentionRate: r.start ? (r.end - r.new) / r.start : null }));
}
