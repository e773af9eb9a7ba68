/**
 * The state of every subscription customer on the first day of every month: the building block of the monthly
 * metrics and the cohort matrix. A customer is active on day d when some subscription has start ≤ d and
 * (no end, or d < end); their MRR on d is the summed MRR of those subscriptions (missing MRR counts as 0).
 * Rows: (customer_id, day, mrr) for each first-of-month day in [first boundary, as-of + 1 day] when active.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { run } from "../../loaders/db.ts";

/**
 * At most this many values of a filter dimension get rows of their own; the rest share one, "(other)". A CRM field
 * with a value per customer (a plan name with the customer's name in it, a city) gave the cohorts page's data 31 MB
 * for 5,000 customers, with a monthly churn rate per customer that no one could read; 25 keeps every value a filter
 * list can show.
 */
export const MAX_FILTER_VALUES = 25;

/**
 * SQL: `expr` as a filter value: '(none)' when missing, itself when among the MAX_FILTER_VALUES most common values of
 * `column` in `table` (ties by value), else '(other)'. Table and column names come from fixed lists, never user text.
 */
export function filterValue(expr: string, table: string, column: string): string {
  const common =
    `SELECT ${column} FROM ${table} WHERE ${column} IS NOT NULL ` +
    `GROUP BY ${column} ORDER BY count(*) DESC, ${column} LIMIT ${MAX_FILTER_VALUES}`;
  return `CASE WHEN ${expr} IS NULL THEN '(none)' WHEN ${expr} IN (${common}) THEN ${expr} ELSE '(other)' END`;
}

/** Dimensions a customer can be filtered by: the column that holds the value for each customer. */
export const DIMENSIONS = {
  all: "'all'",
  plan: filterValue("first_plan", "subscriptions", "plan"),
  segment: filterValue("c.segment", "customers", "segment"),
  region: filterValue("c.region", "customers", "region"),
  acquisition_channel: filterValue("c.acquisition_channel", "customers", "acquisition_channel"),
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

/** Per customer: first subscription start and its plan, and its value of every filter dimension. */
const SUBSCRIBERS_SQL = `
  CREATE OR REPLACE TEMP TABLE cohort_subscribers AS
  WITH firsts AS (
    SELECT customer_id, min(start_date) AS first_start, arg_min(plan, start_date) AS first_plan,
           arg_min(coalesce(mrr, 0), start_date) AS first_mrr
    FROM subscriptions WHERE start_date <= $as_of GROUP BY customer_id
  )
  SELECT f.customer_id, f.first_start, f.first_mrr, strftime(f.first_start, '%Y-%m') AS cohort,
         ${DIMENSION_NAMES.map((d) => `${DIMENSIONS[d]} AS dim_${d}`).join(",\n         ")}
  FROM firsts f LEFT JOIN customers c USING (customer_id)`;

/** First-of-month days at which each subscription is active, summed per customer and day. */
const STATES_SQL = `
  CREATE OR REPLACE TEMP TABLE cohort_states AS
  WITH bounds AS (
    SELECT customer_id, coalesce(mrr, 0) AS mrr,
           CASE WHEN day(start_date) = 1 THEN start_date
                ELSE date_trunc('month', start_date) + INTERVAL 1 MONTH END AS first_day,
           least(coalesce(end_date - INTERVAL 1 DAY, $as_of::DATE + INTERVAL 1 DAY), $as_of::DATE + INTERVAL 1 DAY)
             AS last_day
    FROM subscriptions WHERE start_date <= $as_of
  ), days AS (
    SELECT customer_id, mrr, unnest(generate_series(first_day, last_day, INTERVAL 1 MONTH)) AS day
    FROM bounds WHERE first_day <= last_day
  )
  SELECT customer_id, CAST(day AS DATE) AS day, sum(mrr) AS mrr FROM days GROUP BY ALL`;

/** Build the two temp tables for an as-of date (YYYY-MM-DD). */
export async function buildSubscriptionStates(conn: DuckDBConnection, asOf: string): Promise<void> {
  await run(conn, SUBSCRIBERS_SQL, { as_of: asOf });
  await run(conn, STATES_SQL, { as_of: asOf });
}
