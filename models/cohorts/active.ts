/**
 * One definition of "active" for the whole workspace (monthly report, churn label, scored population, segments):
 * on day $d, a **subscriber** (a customer with a subscription started on or before $d) is active when a subscription
 * covers $d (start ≤ $d, no end or end > $d); a **one-off buyer** (no subscription started by $d) is active when they
 * bought (amount ≥ 0, refunds are not purchases) in the $w days up to $d, i.e. on a day in ($d − $w, $d]. $w is the
 * inactivity window W the build chooses from the purchase gaps (inactivity.ts; warehouse_meta
 * `buyer_inactivity_window`).
 * Churned at a horizon H after $d = active on $d and not active on $d + H by the same rule.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryColumns, queryOne, tableExists } from "../../loaders/db.ts";
import { inactivityWindow } from "./inactivity.ts";

/**
 * Customers active on each day d of `dates` (a relation with one DATE column d) by the rule above (bind $w):
 * (d, customer_id, kind ('subscriber' or 'buyer')). The relation is SQL text written by this module, never a value.
 */
const activeOn = (dates: string) => `
  SELECT DISTINCT d, customer_id, 'subscriber' AS kind FROM subscriptions
  JOIN ${dates} ON start_date <= d AND (end_date IS NULL OR end_date > d)
  UNION ALL
  SELECT b.d, b.customer_id, 'buyer' AS kind FROM (
    SELECT DISTINCT d, t.customer_id FROM transactions t
    JOIN ${dates} ON t.date <= d AND t.date > d - $w::INTEGER AND t.amount >= 0
  ) b
  LEFT JOIN (SELECT customer_id, min(start_date) AS first_start FROM subscriptions GROUP BY customer_id) f
    ON f.customer_id = b.customer_id
  WHERE f.first_start IS NULL OR f.first_start > b.d`;

/** Customers active on $d by the rule above (bind $d and $w), with their kind ('subscriber' or 'buyer'). */
export const ACTIVE_ON_SQL = `SELECT customer_id, kind FROM (${activeOn("(SELECT $d::DATE AS d)")})`;

/** The days of a snapshot list: bind $dates to ISO dates joined by commas (one parameter, never pasted). */
export const SNAPSHOT_DATES = "(SELECT CAST(unnest(string_split($dates, ',')) AS DATE) AS d)";

/** Customers active on each of the days $dates (see SNAPSHOT_DATES) by the rule above: (d, customer_id, kind). */
export const ACTIVE_ON_DATES_SQL = activeOn(SNAPSHOT_DATES);

/**
 * Customers active $h days after each of the days $dates, by the rule above: (d = that later day, customer_id,
 * kind). The churn label's "active at the horizon".
 */
export const ACTIVE_AFTER_DATES_SQL = activeOn(
  "(SELECT CAST(unnest(string_split($dates, ',')) AS DATE) + $h::INTEGER AS d)",
);

/** The ids of the customers active on `date` (a window of `windowDays` for one-off buyers). */
export async function activeCustomers(conn: DuckDBConnection, date: string, windowDays: number): Promise<Set<string>> {
  const c = await queryColumns(conn, ACTIVE_ON_SQL, { d: date, w: windowDays });
  return new Set((c["customer_id"] ?? []) as string[]);
}

/** The window used when a business has no repeat purchases to choose one from: the longest W allowed. */
export const FALLBACK_WINDOW_DAYS = 365;

/**
 * The buyers' inactivity window W of this warehouse: the one `churn build` recorded in warehouse_meta
 * (`buyer_inactivity_window`), else chosen now by the same rule (inactivity.ts), else 365 days when there are no
 * repeat purchase gaps to choose from (`rule` says which).
 */
export async function buyerWindow(conn: DuckDBConnection, asOf: string): Promise<{ days: number; rule: string }> {
  if (await tableExists(conn, "warehouse_meta")) {
    const row = await queryOne<{ value: string }>(
      conn,
      "SELECT value FROM warehouse_meta WHERE key = 'buyer_inactivity_window'",
    );
    if (row) {
      const meta = JSON.parse(row.value) as { days: number; rule: string };
      return { days: meta.days, rule: meta.rule };
    }
  }
  const chosen = await inactivityWindow(conn, asOf);
  if (chosen) return { days: chosen.days, rule: chosen.rule };
  return { days: FALLBACK_WINDOW_DAYS, rule: "no repeat purchases to choose a window from: 365 days, the longest" };
}
