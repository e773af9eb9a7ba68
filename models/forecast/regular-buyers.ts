/**
 * Buyers who buy like clockwork: the buyers' forecast draws purchase times from BG/NBD, a Poisson process while a
 * customer is alive, which spreads the gaps between purchases far more than a monthly invoice does. For such buyers
 * it predicts too few of them active at each month's end (the bundled sample without its subscriptions export, whose
 * subscribers' invoices then read as purchases: the backtest missed by 18.7%, a flat forecast by 8.5%). This check
 * counts them, so the forecast can say so beside its backtest.
 *
 * Regular: at least MIN_GAPS gaps between purchase days, their standard deviation at most MAX_CV of their mean (a
 * Poisson process's gaps have a coefficient of variation of 1), among the buyers active at the as-of date (a purchase
 * in the W days up to it).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne } from "../../loaders/db.ts";
import { buyerDaysUpTo } from "../value/buyer-days.ts";

const MIN_GAPS = 4;
const MAX_CV = 0.25;
/** Share of active buyers from which the forecast says so. */
const NOTE_SHARE = 0.2;

const REGULAR_SQL = (days: string) => `
  WITH d AS (${days}),
  recent AS (SELECT DISTINCT customer_id FROM d WHERE date > $as_of::DATE - $window_days::INTEGER),
  gaps AS (
    SELECT customer_id, date - lag(date) OVER (PARTITION BY customer_id ORDER BY date) AS gap
    FROM d WHERE customer_id IN (SELECT customer_id FROM recent)
  ),
  per AS (
    SELECT customer_id, count(gap) AS n, avg(gap) AS mean, stddev_samp(gap) AS sd FROM gaps GROUP BY customer_id
  )
  SELECT count(*)::BIGINT AS active,
         count(*) FILTER (WHERE n >= $min_gaps AND sd <= $max_cv * mean)::BIGINT AS regular
  FROM per`;

/** A note when at least NOTE_SHARE of the active buyers buy at regular intervals, else null. */
export async function regularBuyersNote(
  conn: DuckDBConnection,
  asOf: string,
  windowDays: number,
): Promise<string | null> {
  const row = await queryOne<{ active: number; regular: number }>(conn, REGULAR_SQL(buyerDaysUpTo(conn, "as_of")), {
    as_of: asOf,
    window_days: windowDays,
    min_gaps: MIN_GAPS,
    max_cv: MAX_CV,
  });
  if (!row || row.active === 0 || row.regular < NOTE_SHARE * row.active) return null;
  const share = Math.round((100 * row.regular) / row.active);
  const count = (n: number) => n.toLocaleString("en-US");
  return (
    `${count(row.regular)} of the ${count(row.active)} active one-off buyers (${share}%) buy at regular intervals, ` +
    "like invoices of a subscription: the buyers' forecast assumes irregular (Poisson) purchase times and will " +
    "undercount how many stay active (see its backtest); if they are subscribers, add the subscriptions export"
  );
}
