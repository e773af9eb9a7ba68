/**
 * One-off buyers' purchase days: one row per customer and day with a purchase (transactions with amount ≥ 0, the
 * day's amounts summed as its spend), kept only on the days before the customer's first subscription started (all of
 * them when they never subscribed), since a customer counts as a buyer on date D only while no subscription of theirs
 * has started by D (rfm.ts populationPredicate). Each row carries
 * - subscribed_from: the first subscription's start (NULL: never), so "a buyer on D" is
 *   `subscribed_from IS NULL OR subscribed_from > D` (the same as `customer_id NOT IN (SELECT customer_id FROM
 *   subscriptions WHERE start_date <= D)`: both columns are required, never NULL);
 * - k: the day's rank among the customer's purchase days (1: their first), which depends only on the days before it,
 *   so on any date D an RFM summary's monetary value is the mean spend of the days with k > 1, with no window per
 *   summary. (A running sum of the repeat spend was tried: DuckDB's windowed sums depend on the rows after each
 *   day in their last bits, and a valuation on a past date must not see the future at all.)
 *
 * Every buyer analysis reads transactions this way: RFM summaries on up to eight dates, the inactivity window, the
 * buyers' monthly activity, the holdout's repeat days, the forecast's buyer arrivals and active counts. `churn build`
 * writes the rows once after its ingest (transactions do not change after it) into an in-memory database attached to
 * the build's DuckDB instance, which every connection of the build reads (at a million customers the eight RFM
 * summaries took 0.56–1.48 s each on their own, 0.13–0.27 s from these rows, written in 1.6–2.1 s). Elsewhere (a
 * command on its own, a test) the same SQL is read as a subquery: the same rows, so the same numbers.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { run, tableExists } from "../../loaders/db.ts";

const BUYER_DAYS_SQL = `
  WITH firsts AS (SELECT customer_id, min(start_date) AS subscribed_from FROM subscriptions GROUP BY customer_id),
  days AS (
    SELECT t.customer_id, t.date, sum(t.amount) AS spend, any_value(f.subscribed_from) AS subscribed_from
    FROM transactions t LEFT JOIN firsts f USING (customer_id)
    WHERE t.amount >= 0 AND (f.subscribed_from IS NULL OR t.date < f.subscribed_from)
    GROUP BY t.customer_id, t.date
  )
  SELECT customer_id, date, spend, subscribed_from, row_number() OVER (PARTITION BY customer_id ORDER BY date) AS k
  FROM days`;

/** The attached in-memory database and its table (fixed names: never user text). */
const SCRATCH = "churn_build_scratch";
const TABLE = `${SCRATCH}.buyer_purchase_days`;

/** Connections on which the build's table is written and current; for each writer, those it shares it with. */
const current = new WeakSet<DuckDBConnection>();
const sharedBy = new WeakMap<DuckDBConnection, DuckDBConnection[]>();

/** The rows, to put after FROM: the build's table on a connection it shares with, else the SQL as a subquery. */
export function buyerDays(conn: DuckDBConnection): string {
  return current.has(conn) ? TABLE : `(${BUYER_DAYS_SQL})`;
}

/** "A buyer on $param": the predicate on buyerDays' rows (the name of a bound DATE parameter, from the caller). */
export function buyerOn(param: string): string {
  return `(subscribed_from IS NULL OR subscribed_from > $${param})`;
}

/**
 * The purchase days (customer_id, date) up to $upTo of the customers who are buyers on $takenOn: the rows the
 * inactivity window, the buyers' monthly counts, the holdout's repeat days and the forecast's buyer history read.
 * Both are names of bound DATE parameters, from the caller; takenOn ≥ upTo (buyerDays keeps a buyer's days only
 * before their first subscription).
 */
export function buyerDaysUpTo(conn: DuckDBConnection, upTo: string, takenOn = upTo): string {
  return `SELECT customer_id, date FROM ${buyerDays(conn)} WHERE date <= $${upTo} AND ${buyerOn(takenOn)}`;
}

/**
 * Write the rows once for a build, after its ingest: nothing may change transactions or subscriptions until
 * `dropBuyerDays`. False (nothing written) when the warehouse lacks either table.
 */
export async function writeBuyerDays(conn: DuckDBConnection): Promise<boolean> {
  if (!(await tableExists(conn, "transactions")) || !(await tableExists(conn, "subscriptions"))) return false;
  await run(conn, `ATTACH IF NOT EXISTS ':memory:' AS ${SCRATCH}`);
  await run(conn, `CREATE OR REPLACE TABLE ${TABLE} AS ${BUYER_DAYS_SQL}`);
  current.add(conn);
  return true;
}

/** Let another connection to the same DuckDB instance read the rows `from` wrote. */
export function shareBuyerDays(from: DuckDBConnection, to: DuckDBConnection): void {
  if (!current.has(from)) return;
  current.add(to);
  sharedBy.set(from, [...(sharedBy.get(from) ?? []), to]);
}

/** Drop the rows (the attached database with them); connections read the subquery again. */
export async function dropBuyerDays(conn: DuckDBConnection): Promise<void> {
  if (!current.has(conn)) return;
  for (const c of [conn, ...(sharedBy.get(conn) ?? [])]) current.delete(c);
  sharedBy.delete(conn);
  await run(conn, `DETACH DATABASE IF EXISTS ${SCRATCH}`);
}
