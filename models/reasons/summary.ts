/**
 * Summaries of the reason events for `churn reasons` and the site: counts per reason and per month, and the share
 * of churned customers who gave no reason.
 *
 * Churned customers: subscribers (a subscription started by the as-of date) with no subscription covering the as-of
 * date; in exports without subscriptions, the one-off buyers the value analysis no longer counts active
 * (P(alive) < 0.5). A churned customer "gave no reason" when they have no reason event at all up to the as-of date.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, queryOne, tableExists } from "../../loaders/db.ts";
import { buildReasonEvents, type ReasonSource } from "./events.ts";
import type { ReasonRules } from "./rules.ts";

const CHURNED_SUBSCRIBERS_SQL = `
  SELECT customer_id, max(end_date) AS left_on FROM subscriptions WHERE start_date <= $as_of GROUP BY customer_id
  HAVING NOT bool_or(end_date IS NULL OR end_date > $as_of)`;

const CHURNED_BUYERS_SQL = `
  SELECT customer_id, NULL::DATE AS left_on FROM customer_value WHERE kind = 'buyer' AND NOT active`;

export interface ChurnedWithoutReason {
  churned: number;
  withoutReason: number;
  /** withoutReason ÷ churned (null when nobody churned). */
  share: number | null;
  definition: string;
}

/** Which churned customers to count: subscribers, else lapsed buyers, else none (SQL and its definition). */
async function churnedSql(conn: DuckDBConnection, asOf: string): Promise<{ sql: string; definition: string } | null> {
  const subscribers = await queryOne<{ n: number }>(
    conn,
    "SELECT count(*)::INTEGER AS n FROM subscriptions WHERE start_date <= $as_of",
    { as_of: asOf },
  );
  if ((subscribers?.n ?? 0) > 0)
    return {
      sql: CHURNED_SUBSCRIBERS_SQL,
      definition: "subscribers with no subscription active on the as-of date",
    };
  if (await tableExists(conn, "customer_value"))
    return { sql: CHURNED_BUYERS_SQL, definition: "one-off buyers no longer counted active (P(alive) < 0.5)" };
  return null;
}

/** Churned customers, and how many of them have no reason in `events` (a table of reason events). */
export async function churnedWithoutReason(
  conn: DuckDBConnection,
  asOf: string,
  events: string,
): Promise<ChurnedWithoutReason | null> {
  const churned = await churnedSql(conn, asOf);
  if (!churned) return null;
  const row = await queryOne<{ churned: number; silent: number }>(
    conn,
    `SELECT count(*)::INTEGER AS churned,
            count(*) FILTER (WHERE customer_id NOT IN (SELECT customer_id FROM ${events}))::INTEGER AS silent
     FROM (${churned.sql})`,
    { as_of: asOf },
  );
  const n = row?.churned ?? 0;
  const silent = row?.silent ?? 0;
  return { churned: n, withoutReason: silent, share: n > 0 ? silent / n : null, definition: churned.definition };
}

/** Churned subscribers per month they left (their last end date), with and without a reason. */
export async function withoutReasonByMonth(
  conn: DuckDBConnection,
  asOf: string,
  events: string,
): Promise<{ month: string; churned: number; withoutReason: number }[]> {
  const churned = await churnedSql(conn, asOf);
  if (!churned || churned.sql !== CHURNED_SUBSCRIBERS_SQL) return [];
  return query(
    conn,
    `SELECT strftime(left_on, '%Y-%m') AS month, count(*)::INTEGER AS churned,
            count(*) FILTER (WHERE customer_id NOT IN (SELECT customer_id FROM ${events}))::INTEGER AS "withoutReason"
     FROM (${churned.sql}) GROUP BY 1 ORDER BY 1`,
    { as_of: asOf },
  );
}

export interface ReasonsSummary {
  asOf: string;
  source: ReasonSource;
  reasons: {
    reason: string;
    category: string;
    group: string | null;
    events: number;
    customers: number;
    lostMrr: number;
  }[];
  months: { month: string; reason: string; events: number }[];
  /** Reason events whose category is unclassified (no category in the export and no rule matched). */
  unclassified: number;
  /** The distinct unclassified reasons, most frequent first: what to add to data/rules/reasons.json. */
  unclassifiedReasons: string[];
  churned: ChurnedWithoutReason | null;
}

const BY_REASON_SQL = `
  SELECT reason, category, any_value(reason_group) AS "group", count(*)::INTEGER AS events,
         count(DISTINCT customer_id)::INTEGER AS customers, round(sum(lost_mrr), 2)::DOUBLE AS "lostMrr"
  FROM {events} GROUP BY reason, category ORDER BY events DESC, reason, category`;

const BY_MONTH_SQL = `
  SELECT month, reason, count(*)::INTEGER AS events FROM {events} GROUP BY ALL ORDER BY month, events DESC, reason`;

/** The reasons up to the as-of date, computed from the raw tables (works on a warehouse opened read-only). */
export async function reasonsSummary(
  conn: DuckDBConnection,
  asOf: string,
  rules: ReasonRules,
): Promise<ReasonsSummary> {
  const table = "reason_events_summary";
  const built = await buildReasonEvents(conn, asOf, rules, { table, temp: true });
  const reasons = await query<ReasonsSummary["reasons"][number]>(conn, BY_REASON_SQL.replace("{events}", table));
  const months = await query<ReasonsSummary["months"][number]>(conn, BY_MONTH_SQL.replace("{events}", table));
  const unclassified = reasons.filter((r) => r.category === "unclassified");
  const churned = await churnedWithoutReason(conn, asOf, table);
  return {
    asOf,
    source: built.source,
    reasons,
    months,
    unclassified: unclassified.reduce((n, r) => n + r.events, 0),
    unclassifiedReasons: unclassified.map((r) => r.reason),
    churned,
  };
}
