/**
 * Tenure to churn of subscription customers, from the warehouse: duration = days from the customer's first
 * subscription start to the end of their last subscription when no subscription is active at the as-of date
 * (event = 1, churned), or to the as-of date otherwise (censored, event = 0). Gaps between a churn and a later
 * reactivation count as tenure (the customer-level view). Subscriptions starting after the as-of date are ignored,
 * and ends after the as-of date are not yet known (censored).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, queryColumns } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { quoteIdent } from "../../loaders/read-source.ts";

export const GROUPINGS = ["plan", "segment", "region", "acquisition_channel"] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** Each subscriber's first start, first plan, whether a subscription is active at $as_of, and the last end. */
const PER_CUSTOMER_CTE = `
  WITH subs AS (
    SELECT customer_id, start_date, CASE WHEN end_date <= $as_of THEN end_date END AS end_date, plan
    FROM subscriptions WHERE start_date <= $as_of
  ), per_customer AS (
    SELECT customer_id, min(start_date) AS first_start, arg_min(plan, start_date) AS first_plan,
           bool_or(end_date IS NULL) AS active, max(end_date) AS last_end
    FROM subs GROUP BY customer_id
  )`;
const DAYS_AND_EVENT = `
         CAST(date_diff('day', p.first_start, CASE WHEN p.active THEN $as_of::DATE ELSE p.last_end END) AS DOUBLE)
           AS days,
         CASE WHEN p.active THEN 0 ELSE 1 END AS event`;

/** Only what a survival curve needs (valuation.ts values every subscriber from it, several times in a build). */
const TENURE_DAYS_SQL = `${PER_CUSTOMER_CTE}
  SELECT p.customer_id, ${DAYS_AND_EVENT} FROM per_customer p ORDER BY p.customer_id`;

const TENURE_SQL = `${PER_CUSTOMER_CTE}
  SELECT p.customer_id, ${DAYS_AND_EVENT},
         coalesce(p.first_plan, '(none)') AS plan,
         coalesce(c.segment, '(none)') AS segment,
         coalesce(c.region, '(none)') AS region,
         coalesce(c.acquisition_channel, '(none)') AS acquisition_channel,
         (SELECT coalesce(sum(mrr), 0) FROM subscriptions s
            WHERE s.customer_id = p.customer_id AND s.start_date = p.first_start) AS start_mrr,
         (SELECT count(*) FROM interactions i WHERE i.customer_id = p.customer_id AND i.type = 'complaint'
            AND i.date >= p.first_start AND i.date < p.first_start + 90 AND i.date <= $as_of) AS complaints_first_90d
  FROM per_customer p LEFT JOIN customers c USING (customer_id)
  ORDER BY p.customer_id`;

export interface TenureData {
  customerIds: string[];
  days: Float64Array;
  events: Uint8Array;
  groups: Record<Grouping, string[]>;
  startMrr: Float64Array;
  complaintsFirst90d: Float64Array;
}

/** Tenure and churn event of every subscriber, without the covariates of tenureToChurn (the same rows and values). */
export async function tenureDays(
  conn: DuckDBConnection,
  asOf: string,
): Promise<Pick<TenureData, "customerIds" | "days" | "events">> {
  const cols = await queryColumns(conn, TENURE_DAYS_SQL, { as_of: asOf });
  return {
    customerIds: (cols["customer_id"] ?? []) as string[],
    days: Float64Array.from((cols["days"] ?? []) as number[]),
    events: Uint8Array.from((cols["event"] ?? []) as number[]),
  };
}

export async function tenureToChurn(conn: DuckDBConnection, asOf: string): Promise<TenureData> {
  const cols = await queryColumns(conn, TENURE_SQL, { as_of: asOf });
  const ids = (cols["customer_id"] ?? []) as string[];
  return {
    customerIds: ids,
    days: Float64Array.from((cols["days"] ?? []) as number[]),
    events: Uint8Array.from((cols["event"] ?? []) as number[]),
    groups: Object.fromEntries(GROUPINGS.map((g) => [g, (cols[g] ?? []) as string[]])) as Record<Grouping, string[]>,
    startMrr: Float64Array.from((cols["start_mrr"] ?? []) as number[]),
    complaintsFirst90d: Float64Array.from((cols["complaints_first_90d"] ?? []) as number[]),
  };
}

/**
 * Follow-up from a landmark date (landmark analysis: Anderson, Cain & Gelber 1983, J Clin Oncol 1:710): the customers
 * with a subscription active on the landmark, each followed from the landmark to churn (days to the end of their last
 * subscription when none is active at the as-of date, event = 1) or censored at the as-of date (event = 0). The same
 * customer-level view as tenure to churn: a lapse followed by a reactivation before the as-of date is not a churn.
 */
const FOLLOW_UP_SQL = `
  WITH at_landmark AS (
    SELECT DISTINCT customer_id FROM subscriptions
    WHERE start_date <= $landmark AND (end_date IS NULL OR end_date > $landmark)
  ), per_customer AS (
    SELECT customer_id, bool_or(end_date IS NULL OR end_date > $as_of) AS active,
           max(end_date) FILTER (WHERE end_date <= $as_of) AS last_end
    FROM subscriptions
    WHERE start_date <= $as_of AND customer_id IN (SELECT customer_id FROM at_landmark)
    GROUP BY customer_id
  )
  SELECT customer_id,
         CAST(date_diff('day', $landmark::DATE, CASE WHEN active THEN $as_of::DATE ELSE last_end END) AS DOUBLE)
           AS days,
         CASE WHEN active THEN 0 ELSE 1 END AS event
  FROM per_customer ORDER BY customer_id`;

export interface FollowUp {
  customerIds: string[];
  days: Float64Array;
  events: Uint8Array;
}

export async function followUpFromLandmark(conn: DuckDBConnection, landmark: string, asOf: string): Promise<FollowUp> {
  const cols = await queryColumns(conn, FOLLOW_UP_SQL, { landmark, as_of: asOf });
  return {
    customerIds: (cols["customer_id"] ?? []) as string[],
    days: Float64Array.from((cols["days"] ?? []) as number[]),
    events: Uint8Array.from((cols["event"] ?? []) as number[]),
  };
}

/**
 * One label per customer from a column of the customers table (blank = "(none)"). The column must exist there: it
 * is checked against the table's columns and quoted, never pasted from user text.
 */
export async function customerColumnLabels(
  conn: DuckDBConnection,
  customerIds: readonly string[],
  column: string,
): Promise<string[]> {
  const columns = (
    await query<{ name: string }>(
      conn,
      `SELECT column_name AS name FROM information_schema.columns
       WHERE table_name = 'customers' ORDER BY ordinal_position`,
    )
  ).map((r) => r.name);
  if (!columns.includes(column)) {
    const others = columns.filter((c) => c !== "customer_id" && c !== "plan");
    throw new UserError(`The customers table has no column "${column}".`, {
      hint: `Group by one of: ${["plan (at first subscription)", "quadrant", ...others].join(", ")}.`,
    });
  }
  const rows = await query<{ id: string; label: string | null }>(
    conn,
    `SELECT customer_id AS id, nullif(trim(CAST(${quoteIdent(column)} AS VARCHAR)), '') AS label FROM customers`,
  );
  const byId = new Map(rows.map((r) => [r.id, r.label ?? "(none)"]));
  return customerIds.map((id) => byId.get(id) ?? "(none)");
}
