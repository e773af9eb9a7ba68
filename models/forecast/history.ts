/**
 * What the forecast reads from the warehouse, with data up to one date only (the as-of date, or the backtest's
 * cut-off): subscription spells (a customer's overlapping or touching subscriptions merged; an end date after the
 * date is not known yet, so the spell is open), the subscribers' churn hazard bands of recent months, monthly arrivals
 * (first spells, later spells = reactivations, first purchases of buyers), and customers active on given days by the
 * README's two rules. Every query takes the date as a parameter; nothing after it is read.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addDays, addMonths } from "../../loaders/dates.ts";
import { query, run } from "../../loaders/db.ts";
import { buyerDaysUpTo } from "../value/buyer-days.ts";
import { type HazardBand, TENURE_BANDS } from "./hazards.ts";

/** Spells as of $as_of into the temp table forecast_spells (customer_id, spell, start, end, first_mrr, mrr_now). */
const SPELLS_SQL = `
  CREATE OR REPLACE TEMP TABLE forecast_spells AS
  WITH subs AS (
    SELECT customer_id, start_date AS s, CASE WHEN end_date > $as_of THEN NULL ELSE end_date END AS e,
           coalesce(mrr, 0) AS mrr
    FROM subscriptions WHERE start_date <= $as_of AND (end_date IS NULL OR end_date > start_date)
  ), ordered AS (
    SELECT *, max(coalesce(e, DATE '9999-12-31')) OVER (PARTITION BY customer_id ORDER BY s, e NULLS LAST
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
    FROM subs
  ), numbered AS (
    SELECT *, sum(CASE WHEN prev_end IS NULL OR s > prev_end THEN 1 ELSE 0 END)
             OVER (PARTITION BY customer_id ORDER BY s, e NULLS LAST ROWS UNBOUNDED PRECEDING) AS spell
    FROM ordered
  )
  SELECT customer_id, spell, min(s) AS start, CASE WHEN bool_or(e IS NULL) THEN NULL ELSE max(e) END AS "end",
         arg_min(mrr, s) AS first_mrr, coalesce(sum(mrr) FILTER (WHERE e IS NULL), 0) AS mrr_now
  FROM numbered GROUP BY customer_id, spell`;

const ACTIVE_SUBSCRIBERS_SQL = `
  SELECT customer_id AS id, date_diff('day', start, $as_of::DATE)::INTEGER AS tenure, mrr_now AS mrr
  FROM forecast_spells WHERE "end" IS NULL ORDER BY customer_id`;

const bandValues = TENURE_BANDS.map((lo, j) => `(${lo}, ${TENURE_BANDS[j + 1] ?? 1e9})`).join(", ");
/** Per tenure band: spells ended in (w0, as_of] with tenure at end in (lo, hi]; customer-days at risk in [lo, hi). */
const HAZARD_SQL = `
  WITH sp AS (
    SELECT date_diff('day', start, greatest(start, $w0::DATE)) AS t0,
           date_diff('day', start, coalesce("end", $as_of::DATE)) AS t1, "end" IS NOT NULL AS ended
    FROM forecast_spells WHERE "end" IS NULL OR "end" > $w0
  ), bands(lo, hi) AS (VALUES ${bandValues})
  SELECT lo::INTEGER AS start,
         count(*) FILTER (WHERE ended AND t1 > lo AND t1 <= hi)::INTEGER AS events,
         coalesce(sum(CASE WHEN t1 IS NULL THEN 0 ELSE greatest(0, least(t1, hi) - greatest(t0, lo)) END), 0)::DOUBLE
           AS exposure
  FROM bands LEFT JOIN sp ON true GROUP BY lo ORDER BY lo`;

const arrivalsSql = (conn: DuckDBConnection) => `
  WITH months AS (
    SELECT CAST(d AS DATE) AS m FROM generate_series($first::TIMESTAMP, $last::TIMESTAMP, INTERVAL 1 MONTH) g(d)
  ), spells AS (
    SELECT date_trunc('month', start) AS m, spell = 1 AS first_time, first_mrr FROM forecast_spells
  ), buyers AS (
    SELECT date_trunc('month', min(date)) AS m FROM (${buyerDaysUpTo(conn, "as_of")}) GROUP BY customer_id
  )
  SELECT strftime(months.m, '%Y-%m') AS month,
         (SELECT count(*) FROM spells s WHERE s.m = months.m AND s.first_time)::INTEGER AS new_subscribers,
         (SELECT count(*) FROM spells s WHERE s.m = months.m AND NOT s.first_time)::INTEGER AS reactivations,
         (SELECT count(*) FROM buyers b WHERE b.m = months.m)::INTEGER AS new_buyers,
         (SELECT coalesce(sum(first_mrr), 0) FROM spells s WHERE s.m = months.m AND s.first_time)::DOUBLE AS new_mrr,
         (SELECT coalesce(sum(first_mrr), 0) FROM spells s WHERE s.m = months.m AND NOT s.first_time)::DOUBLE
           AS reactivation_mrr
  FROM months ORDER BY months.m`;

/**
 * Customers active on each first-of-month day from $first to $last, with data up to $data_to: subscribers by their
 * subscriptions (start ≤ day < end), one-off buyers (no subscription started by $data_to) by a purchase in the
 * $window days up to the day. The same counts as monthly_metrics.end_count and buyer_monthly.end_count.
 */
const activeCountsSql = (conn: DuckDBConnection) => `
  WITH days AS (
    SELECT CAST(d AS DATE) AS day FROM generate_series($first::TIMESTAMP, $last::TIMESTAMP, INTERVAL 1 MONTH) g(d)
  ), subs AS (
    SELECT days.day, count(DISTINCT customer_id) AS n FROM days JOIN subscriptions
      ON start_date <= days.day AND start_date <= $data_to AND (end_date IS NULL OR end_date > days.day)
    GROUP BY days.day
  ), purchases AS (
    ${buyerDaysUpTo(conn, "data_to")}
  ), buys AS (
    SELECT days.day, count(DISTINCT customer_id) AS n FROM days JOIN purchases
      ON purchases.date > days.day - $window AND purchases.date <= days.day
    GROUP BY days.day
  )
  SELECT strftime(days.day, '%Y-%m-%d') AS day, coalesce(subs.n, 0)::INTEGER AS subscribers,
         coalesce(buys.n, 0)::INTEGER AS buyers
  FROM days LEFT JOIN subs USING (day) LEFT JOIN buys USING (day) ORDER BY days.day`;

export type ActiveSubscriber = {
  id: string;
  /** Days since the spell started. */
  tenure: number;
  mrr: number;
};

export interface MonthlyArrivals {
  month: string;
  newSubscribers: number;
  reactivations: number;
  newBuyers: number;
  newMrr: number;
  reactivationMrr: number;
}

export interface SubscriptionHistory {
  active: ActiveSubscriber[];
  hazardBands: HazardBand[];
  /** Whether any subscription started by the date. */
  any: boolean;
}

export const monthOf = (iso: string) => iso.slice(0, 7);
export const firstDay = (month: string) => `${month}-01`;
export const nextMonth = (month: string) => monthOf(addMonths(firstDay(month), 1));

/** The complete calendar months up to `asOf` (the last `count`), oldest first. */
export function completeMonthsBefore(asOf: string, count: number): string[] {
  const last = monthOf(addMonths(firstDay(monthOf(addDays(asOf, 1))), -1));
  return Array.from({ length: count }, (_, i) => monthOf(addMonths(firstDay(last), i - count + 1)));
}

export async function loadSubscriptionHistory(
  conn: DuckDBConnection,
  asOf: string,
  hazardMonths: number,
): Promise<SubscriptionHistory> {
  await run(conn, SPELLS_SQL, { as_of: asOf });
  const active = await query<ActiveSubscriber>(conn, ACTIVE_SUBSCRIBERS_SQL, { as_of: asOf });
  const w0 = addMonths(asOf, -hazardMonths);
  const hazardBands: HazardBand[] = (
    await query<{ start: number; events: number; exposure: number }>(conn, HAZARD_SQL, { as_of: asOf, w0 })
  ).map((b) => ({ ...b }));
  const any = (await query<{ n: number }>(conn, "SELECT count(*)::INTEGER AS n FROM forecast_spells"))[0]!.n > 0;
  return { active, hazardBands, any };
}

const FIRST_DATE_SQL = `
  SELECT CAST(least((SELECT min(date) FROM transactions WHERE date <= $as_of),
                    (SELECT min(start_date) FROM subscriptions WHERE start_date <= $as_of)) AS VARCHAR) AS first`;

/** The first date in the data up to `asOf` (null: none). */
export async function firstDataDate(conn: DuckDBConnection, asOf: string): Promise<string | null> {
  return (await query<{ first: string | null }>(conn, FIRST_DATE_SQL, { as_of: asOf }))[0]?.first ?? null;
}

/**
 * Arrivals in each of the last `months` complete months (needs loadSubscriptionHistory first, for the spells). The
 * data's first month and any month before it are left out: everyone seen then looks new, which would inflate rates.
 */
export async function loadArrivals(conn: DuckDBConnection, asOf: string, months: number): Promise<MonthlyArrivals[]> {
  const first = await firstDataDate(conn, asOf);
  const list = completeMonthsBefore(asOf, months).filter((m) => first !== null && m > monthOf(first));
  if (list.length === 0) return [];
  const rows = await query<{
    month: string;
    new_subscribers: number;
    reactivations: number;
    new_buyers: number;
    new_mrr: number;
    reactivation_mrr: number;
  }>(conn, arrivalsSql(conn), { as_of: asOf, first: firstDay(list[0]!), last: firstDay(list.at(-1)!) });
  return rows.map((r) => ({
    month: r.month,
    newSubscribers: r.new_subscribers,
    reactivations: r.reactivations,
    newBuyers: r.new_buyers,
    newMrr: r.new_mrr,
    reactivationMrr: r.reactivation_mrr,
  }));
}

export type ActiveCount = {
  day: string;
  subscribers: number;
  buyers: number;
};

/** Customers active on the first days of months from `first` to `last` (YYYY-MM-DD), with data up to `dataTo`. */
export async function activeCounts(
  conn: DuckDBConnection,
  dataTo: string,
  first: string,
  last: string,
  windowDays: number | null,
): Promise<ActiveCount[]> {
  return query<ActiveCount>(conn, activeCountsSql(conn), {
    data_to: dataTo,
    first,
    last,
    window: windowDays ?? 0,
  });
}
