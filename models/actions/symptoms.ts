/**
 * Symptoms at the as-of date, evaluated in DuckDB from the rules file. Each rule type is one SQL template; rule
 * values go in as parameters. A fired symptom has the date of its latest triggering evidence and a short detail.
 *   event            ≥ atLeast interactions of a type within the window
 *   mood             ≥ atLeast interactions with a mood within the window
 *   survey_threshold latest answer within the window ≤ atMost
 *   survey_change    latest answer minus the one before ≤ −dropAtLeast (latest within the window)
 *   mrr_drop         MRR on the as-of date below the MRR `withinDays` before (downgrade or lost seats)
 *   purchase_decline spend in the last 90 days ≤ (1 − minDropShare) × spend in the 90 days before (that spend > 0)
 *   inactivity       days since the last purchase > gapMultiple × the customer's mean gap between purchase days
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { run } from "../../loaders/db.ts";
import type { Rules, SymptomRule } from "./rules-config.ts";

export interface SymptomEvent {
  customerId: string;
  symptom: string;
  severity: "critical" | "recapitulative";
  date: string;
  detail: string;
}

function ruleSql(rule: SymptomRule, p: string): string {
  switch (rule.type) {
    case "event":
      return `SELECT customer_id, max(date) AS date, count(*) || ' × ' || $${p}_label AS detail FROM interactions
              WHERE type = $${p}_value AND date <= $as_of AND date > $as_of::DATE - $${p}_days
              GROUP BY customer_id HAVING count(*) >= $${p}_n`;
    case "mood":
      return `SELECT customer_id, max(date) AS date, count(*) || ' × ' || $${p}_label AS detail FROM interactions
              WHERE mood = $${p}_value AND date <= $as_of AND date > $as_of::DATE - $${p}_days
              GROUP BY customer_id HAVING count(*) >= $${p}_n`;
    case "survey_threshold":
      return `SELECT customer_id, date, $${p}_label || ' (' || v || ')' AS detail FROM (
                SELECT customer_id, max(date) AS date, arg_max(${rule.field}, date) AS v FROM surveys
                WHERE ${rule.field} IS NOT NULL AND date <= $as_of AND date > $as_of::DATE - $${p}_days
                GROUP BY customer_id)
              WHERE v <= $${p}_n`;
    case "survey_change":
      // Only customers with an answer within the window can fire (their latest answer must be in it): the lists
      // of everyone's answers were most of the rule's time at a million customers.
      return `SELECT customer_id, date, $${p}_label || ' from ' || vs[2] || ' to ' || vs[1] AS detail FROM (
                SELECT customer_id, max(date) AS date, list(${rule.field} ORDER BY date DESC) AS vs FROM surveys
                WHERE ${rule.field} IS NOT NULL AND date <= $as_of AND customer_id IN (
                  SELECT customer_id FROM surveys WHERE ${rule.field} IS NOT NULL AND date <= $as_of
                    AND date > $as_of::DATE - $${p}_days)
                GROUP BY customer_id)
              WHERE len(vs) >= 2 AND vs[1] - vs[2] <= -$${p}_n AND date > $as_of::DATE - $${p}_days`;
    case "mrr_drop":
      return `SELECT customer_id, $as_of::DATE AS date,
                $${p}_label || ' (' || round(before, 2) || ' → ' || round(now, 2) || ')' AS detail FROM (
                SELECT customer_id,
                  sum(coalesce(mrr, 0))
                    FILTER (WHERE start_date <= $as_of AND (end_date IS NULL OR end_date > $as_of)) AS now,
                  sum(coalesce(mrr, 0))
                    FILTER (WHERE start_date <= $as_of::DATE - $${p}_days
                              AND (end_date IS NULL OR end_date > $as_of::DATE - $${p}_days)) AS before
                FROM subscriptions GROUP BY customer_id)
              WHERE now > 0 AND before > now`;
    case "purchase_decline":
      return `SELECT customer_id, $as_of::DATE AS date,
                $${p}_label || ' (' || round(100 * (1 - recent / previous)) || '% down)' AS detail FROM (
                SELECT customer_id,
                  coalesce(sum(amount) FILTER (WHERE date > $as_of::DATE - 90), 0) AS recent,
                  coalesce(sum(amount) FILTER (WHERE date > $as_of::DATE - 180 AND date <= $as_of::DATE - 90), 0)
                    AS previous
                FROM transactions WHERE date <= $as_of AND date > $as_of::DATE - 180
                  AND customer_id NOT IN (SELECT customer_id FROM subscriptions WHERE start_date <= $as_of)
                GROUP BY customer_id)
              WHERE previous > 0 AND recent <= (1 - $${p}_n) * previous`;
    case "inactivity":
      return `SELECT customer_id, last AS date,
                $${p}_label || ' (' || date_diff('day', last, $as_of::DATE) || ' days, usually ' || round(gap) || ')'
                  AS detail FROM (
                SELECT customer_id, max(date) AS last,
                  date_diff('day', min(date), max(date)) / (count(DISTINCT date) - 1) AS gap
                FROM transactions WHERE date <= $as_of AND amount > 0
                  AND customer_id NOT IN (SELECT customer_id FROM subscriptions WHERE start_date <= $as_of)
                GROUP BY customer_id HAVING count(DISTINCT date) >= 3)
              WHERE date_diff('day', last, $as_of::DATE) > $${p}_n * gap`;
  }
}

function ruleParams(rule: SymptomRule, p: string): Record<string, string | number> {
  const out: Record<string, string | number> = { [`${p}_label`]: rule.label };
  if ("withinDays" in rule) out[`${p}_days`] = rule.withinDays;
  if (rule.type === "event") Object.assign(out, { [`${p}_value`]: rule.interaction, [`${p}_n`]: rule.atLeast });
  if (rule.type === "mood") Object.assign(out, { [`${p}_value`]: rule.mood, [`${p}_n`]: rule.atLeast });
  if (rule.type === "survey_threshold") out[`${p}_n`] = rule.atMost;
  if (rule.type === "survey_change") out[`${p}_n`] = rule.dropAtLeast;
  if (rule.type === "purchase_decline") out[`${p}_n`] = rule.minDropShare;
  if (rule.type === "inactivity") out[`${p}_n`] = rule.gapMultiple;
  return out;
}

/** Evaluate every rule and write the table symptom_events (customer_id, symptom, severity, date, detail, weight). */
export async function computeSymptoms(conn: DuckDBConnection, asOf: string, rules: Rules): Promise<void> {
  const parts: string[] = [];
  const params: Record<string, string | number> = { as_of: asOf };
  const all = [
    ...rules.critical.map((r) => ({ r, severity: "critical", weight: 1 })),
    ...rules.recapitulative.map((r) => ({ r, severity: "recapitulative", weight: r.weight })),
  ];
  all.forEach(({ r, severity, weight }, k) => {
    const p = `r${k}`;
    Object.assign(params, ruleParams(r, p), {
      [`${p}_id`]: r.id,
      [`${p}_severity`]: severity,
      [`${p}_weight`]: weight,
    });
    parts.push(
      `SELECT customer_id, $${p}_id AS symptom, $${p}_severity AS severity, CAST(date AS DATE) AS date, detail,
              CAST($${p}_weight AS DOUBLE) AS weight FROM (${ruleSql(r, p)})`,
    );
  });
  await run(
    conn,
    `CREATE OR REPLACE TABLE symptom_events AS ${parts.join("\nUNION ALL\n")} ORDER BY customer_id, severity, symptom`,
    params,
  );
}
