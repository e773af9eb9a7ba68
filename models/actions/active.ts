/**
 * The customers active on the as-of date d, by the workspace's one rule (README, "Active customers"): a subscriber
 * when a subscription covers d (start ≤ d < end, or no end); a one-off buyer (no subscription started by d) when they
 * bought in the W days up to d, W the buyers' inactivity window chosen from the purchase gaps
 * (models/cohorts/inactivity.ts), or 365 days when there are no repeat purchases to choose it from.
 * The rules-mode at-risk list ranks exactly these customers.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne, run } from "../../loaders/db.ts";
import { inactivityWindow } from "../cohorts/inactivity.ts";

export const FALLBACK_BUYER_WINDOW_DAYS = 365;

const ACTIVE_SQL = `
  SELECT DISTINCT customer_id, 'subscriber' AS kind FROM subscriptions
  WHERE start_date <= $as_of AND (end_date IS NULL OR end_date > $as_of)
  UNION ALL
  SELECT DISTINCT customer_id, 'buyer' FROM transactions
  WHERE amount > 0 AND date <= $as_of AND date > $as_of::DATE - $window
    AND customer_id NOT IN (SELECT customer_id FROM subscriptions WHERE start_date <= $as_of)`;

export interface ActivePopulation {
  customers: number;
  buyerWindowDays: number;
  rule: string;
}

/** Write the temporary table active_customers (customer_id, kind) for `asOf`. */
export async function activeCustomers(conn: DuckDBConnection, asOf: string): Promise<ActivePopulation> {
  const window = await inactivityWindow(conn, asOf);
  const days = window?.days ?? FALLBACK_BUYER_WINDOW_DAYS;
  await run(conn, `CREATE OR REPLACE TEMP TABLE active_customers AS ${ACTIVE_SQL}`, { as_of: asOf, window: days });
  const n = await queryOne<{ n: number }>(conn, "SELECT count(*)::INTEGER AS n FROM active_customers");
  return {
    customers: n?.n ?? 0,
    buyerWindowDays: days,
    rule: window
      ? `buyers: a purchase in the last ${days} days (${window.rule})`
      : `buyers: a purchase in the last ${days} days (no repeat purchases to choose a window from)`,
  };
}
