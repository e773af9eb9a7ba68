/**
 * One row per stated cancellation reason up to the as-of date, with its category and what was lost.
 *
 * Source: the cancellations export when it has rows up to the as-of date; otherwise the interactions of type
 * cancellation_request that carry a note (the note is the reason), leaving out a request from a customer who then
 * stayed (a subscription that had started by the request still covers the as-of date).
 * Category and group: rules.ts (the export's category wins; else data/rules/reasons.json; else unclassified).
 * Lost MRR: |mrr_lost| when the export gives it (some billing tools write lost MRR as a negative movement); else the
 * customer's MRR on the day before the cancellation (subscriptions with start < date ≤ end, or no end); else the MRR
 * of their latest subscription ended by that date; else 0 (one-off buyers). Lost value: the customer's CLV if won
 * back (customer_value.clv_if_won_back: what they would be worth had they stayed), when customer values exist.
 * Plan: the latest subscription started before the date, else the customer's plan; segment: the customer's.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, queryOne, run, tableExists } from "../../loaders/db.ts";
import { classifyReason, type ReasonRules } from "./rules.ts";

export type ReasonSource = "cancellations" | "interactions" | "none";

const FROM_CANCELLATIONS_SQL = `
  SELECT customer_id, date, reason, category, note, mrr_lost, 'cancellations' AS source
  FROM cancellations WHERE date <= $as_of`;

const FROM_INTERACTIONS_SQL = `
  SELECT i.customer_id, i.date, trim(i.note) AS reason, NULL::VARCHAR AS category, i.note, NULL::DOUBLE AS mrr_lost,
         'interactions' AS source
  FROM interactions i
  WHERE i.type = 'cancellation_request' AND nullif(trim(i.note), '') IS NOT NULL AND i.date <= $as_of
    AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = i.customer_id AND s.start_date <= i.date
                    AND (s.end_date IS NULL OR s.end_date > $as_of))`;

/** Enrich the raw reasons; `{clv}` and `{quadrant}` are fixed SQL fragments chosen by what the warehouse holds. */
const ENRICH_SQL = `
  WITH subs AS (SELECT customer_id, start_date, end_date, plan, coalesce(mrr, 0) AS mrr FROM subscriptions
                WHERE start_date <= $as_of),
  subscribers AS (SELECT DISTINCT customer_id FROM subs)
  SELECT r.customer_id, r.date, strftime(r.date, '%Y-%m') AS month, r.reason, c.category, c.grp AS reason_group,
    r.note, r.source, CASE WHEN k.customer_id IS NULL THEN 'buyer' ELSE 'subscriber' END AS kind,
    coalesce(abs(r.mrr_lost),
      (SELECT sum(s.mrr) FROM subs s WHERE s.customer_id = r.customer_id AND s.start_date < r.date
         AND (s.end_date IS NULL OR s.end_date >= r.date)),
      (SELECT arg_max(s.mrr, s.end_date) FROM subs s WHERE s.customer_id = r.customer_id AND s.end_date <= r.date),
      0)::DOUBLE AS lost_mrr,
    {clv} AS lost_clv,
    coalesce((SELECT arg_max(s.plan, s.start_date) FROM subs s WHERE s.customer_id = r.customer_id
              AND s.start_date < r.date), cu.plan) AS plan,
    cu.segment, {quadrant} AS quadrant
  FROM reason_raw r
  JOIN reason_classes c ON c.reason = r.reason AND c.given IS NOT DISTINCT FROM r.category
  LEFT JOIN subscribers k ON k.customer_id = r.customer_id
  LEFT JOIN customers cu ON cu.customer_id = r.customer_id
  {joins}
  ORDER BY r.date, r.customer_id, r.reason`;

const CLASSES_SQL = `
  CREATE OR REPLACE TEMP TABLE reason_classes AS
  SELECT unnest(from_json($classes::JSON,
    '[{"reason": "VARCHAR", "given": "VARCHAR", "category": "VARCHAR", "grp": "VARCHAR"}]'), recursive := true)`;

export interface ReasonEventsResult {
  source: ReasonSource;
  events: number;
}

/**
 * Write the reason events to `table` (churn_reason_events in a build; a TEMP table for read-only use).
 * `quadrants`: a table (customer_id, quadrant, landmark) of each customer's quadrant on a landmark date, given to
 * the reasons dated after that landmark (an earlier reason was given before the customer was placed).
 */
export async function buildReasonEvents(
  conn: DuckDBConnection,
  asOf: string,
  rules: ReasonRules,
  options: { table: string; temp: boolean; quadrants?: string },
): Promise<ReasonEventsResult> {
  const exported =
    (await tableExists(conn, "cancellations")) &&
    ((
      await queryOne<{ n: number }>(conn, "SELECT count(*)::INTEGER AS n FROM cancellations WHERE date <= $as_of", {
        as_of: asOf,
      })
    )?.n ?? 0) > 0;
  const source: ReasonSource = exported ? "cancellations" : "interactions";
  await run(
    conn,
    `CREATE OR REPLACE TEMP TABLE reason_raw AS ${exported ? FROM_CANCELLATIONS_SQL : FROM_INTERACTIONS_SQL}`,
    { as_of: asOf },
  );
  const pairs = await query<{ reason: string; category: string | null }>(
    conn,
    "SELECT DISTINCT reason, category FROM reason_raw",
  );
  // One JSON parameter rather than the appender, which a read-only connection refuses.
  const classes = pairs.map((p) => {
    const c = classifyReason(p.reason, p.category, rules);
    return { reason: p.reason, given: p.category, category: c.category, grp: c.group };
  });
  await run(conn, CLASSES_SQL, { classes: JSON.stringify(classes) });
  const hasValue = await tableExists(conn, "customer_value");
  const joins = [
    hasValue ? "LEFT JOIN customer_value v ON v.customer_id = r.customer_id" : "",
    options.quadrants ? `LEFT JOIN ${options.quadrants} q ON q.customer_id = r.customer_id` : "",
  ].join("\n  ");
  const sql = ENRICH_SQL.replace("{clv}", hasValue ? "v.clv_if_won_back" : "NULL::DOUBLE")
    .replace("{quadrant}", options.quadrants ? "CASE WHEN r.date > q.landmark THEN q.quadrant END" : "NULL::VARCHAR")
    .replace("{joins}", joins);
  await run(conn, `CREATE OR REPLACE ${options.temp ? "TEMP " : ""}TABLE ${options.table} AS ${sql}`, { as_of: asOf });
  const n = await queryOne<{ n: number }>(conn, `SELECT count(*)::INTEGER AS n FROM ${options.table}`);
  await run(conn, "DROP TABLE reason_raw");
  await run(conn, "DROP TABLE reason_classes");
  const events = n?.n ?? 0;
  return { source: events === 0 && !exported ? "none" : source, events };
}
