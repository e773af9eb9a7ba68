/**
 * Symptoms, health, playbooks and the scored at-risk list (`churn build`, `churn score`). Needs the forest's
 * churn_predictions and the value analysis' customer_value. Writes symptom_events, scored_customers,
 * symptom_summary, action_summary and health_summary (the forecast is its own stage: models/forecast/analyze.ts).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows, type AppendType } from "../../loaders/append.ts";
import { query, queryOne, run, tableExists } from "../../loaders/db.ts";
import type { Analysis } from "../context.ts";
import { toCsv, type CsvValue } from "./csv.ts";
import { healthBand, healthScore } from "./health.ts";
import { decide } from "./playbooks.ts";
import { loadOffers, loadRules } from "./rules-config.ts";
import { computeSymptoms } from "./symptoms.ts";
import { applyWinBackByReason } from "./win-back.ts";

export const SCORED_COLUMNS = [
  "customer_id",
  "name",
  "segment",
  "plan",
  "status",
  "quadrant",
  "tier",
  "churn_probability",
  "clv",
  "value_at_risk",
  "health_score",
  "health_band",
  "symptoms",
  "top_drivers",
  "recommended_action",
  "offer",
  "offer_budget",
] as const;

/** Who is listed: every customer the forest scored (active at the as-of date), plus subscribers who cancelled recently. */
const CANDIDATES_SQL = `
  SELECT customer_id, false AS churned, churn_probability AS p, top_drivers FROM churn_predictions
  UNION ALL
  SELECT customer_id, true, 1.0, 'cancelled in the last ' || $win_back_days || ' days' FROM (
    SELECT customer_id FROM subscriptions WHERE start_date <= $as_of GROUP BY customer_id
    HAVING bool_and(end_date IS NOT NULL AND end_date <= $as_of) AND max(end_date) > $as_of::DATE - $win_back_days
  )`;

const SYMPTOMS_BY_CUSTOMER_SQL = `
  SELECT customer_id,
    string_agg(symptom || ': ' || detail || ' (' || CAST(date AS VARCHAR) || ')', '; ' ORDER BY severity, date DESC) AS symptoms,
    list(symptom) AS ids, list(weight) FILTER (WHERE severity = 'recapitulative') AS weights, bool_or(severity = 'critical') AS critical
  FROM symptom_events GROUP BY customer_id`;

const DETAILS_SQL = `
  SELECT k.customer_id, k.churned, k.p, k.top_drivers, c.name, c.segment, coalesce(cm.mrr_plan, c.plan) AS plan,
         v.quadrant, v.tier, coalesce(v.clv, 0) AS clv, v.clv_if_won_back, coalesce(cm.mrr, 0) AS mrr,
         s.symptoms, coalesce(s.ids, []) AS ids, coalesce(s.weights, []) AS weights, coalesce(s.critical, false) AS critical
  FROM candidates k
  LEFT JOIN customers c USING (customer_id)
  LEFT JOIN customer_value v USING (customer_id)
  LEFT JOIN (SELECT customer_id, sum(coalesce(mrr, 0)) AS mrr, arg_max(plan, start_date) AS mrr_plan FROM subscriptions
             WHERE start_date <= $as_of AND (end_date IS NULL OR end_date > $as_of) GROUP BY customer_id) cm USING (customer_id)
  LEFT JOIN (${SYMPTOMS_BY_CUSTOMER_SQL}) s USING (customer_id)
  ORDER BY k.customer_id`;

type Candidate = {
  customer_id: string;
  churned: boolean;
  p: number;
  top_drivers: string | null;
  name: string | null;
  segment: string | null;
  plan: string | null;
  quadrant: string | null;
  tier: string | null;
  clv: number;
  clv_if_won_back: number | null;
  mrr: number;
  symptoms: string | null;
  ids: string[];
  weights: number[] | null;
  critical: boolean;
};

export async function scoreCustomers(conn: DuckDBConnection, asOf: string): Promise<number> {
  const rules = loadRules();
  const offers = loadOffers();
  await computeSymptoms(conn, asOf, rules);
  await run(conn, `CREATE OR REPLACE TEMP TABLE candidates AS ${CANDIDATES_SQL}`, {
    as_of: asOf,
    win_back_days: rules.playbook.winBackWithinDays,
  });
  const rows = await query<Candidate>(conn, DETAILS_SQL, { as_of: asOf });
  const out = rows.map((r) => {
    const score = r.churned ? 0 : healthScore(r.p, r.weights ?? [], r.critical, rules.health);
    const band = r.churned ? "red" : healthBand(score, rules.health);
    const monthlyValue = r.mrr > 0 ? r.mrr : r.clv / 12;
    const decision = decide(
      {
        churned: r.churned,
        churnProbability: r.p,
        clv: r.clv,
        clvIfWonBack: r.clv_if_won_back,
        quadrant: r.quadrant,
        band,
        symptoms: r.ids,
        monthlyValue,
      },
      rules,
      offers,
    );
    // Already-lost customers carry the value of winning them back, and no value at risk (it is already lost).
    const value = r.churned ? (r.clv_if_won_back ?? 0) : r.clv;
    return [
      r.customer_id,
      r.name,
      r.segment,
      r.plan,
      r.churned ? "churned (win-back candidate)" : "active",
      r.quadrant,
      r.tier,
      r.p,
      value,
      r.churned ? 0 : r.p * value,
      score,
      band,
      r.symptoms ?? "",
      r.top_drivers ?? "",
      decision.action,
      decision.offer,
      decision.offerBudget,
    ];
  });
  await run(
    conn,
    `CREATE OR REPLACE TABLE scored_customers (customer_id VARCHAR, name VARCHAR, segment VARCHAR, plan VARCHAR, status VARCHAR, quadrant VARCHAR, tier VARCHAR,
      churn_probability DOUBLE, clv DOUBLE, value_at_risk DOUBLE, health_score INTEGER, health_band VARCHAR, symptoms VARCHAR, top_drivers VARCHAR,
      recommended_action VARCHAR, offer VARCHAR, offer_budget DOUBLE)`,
  );
  const V: AppendType = "varchar",
    D: AppendType = "double";
  await appendRows(conn, "scored_customers", [V, V, V, V, V, V, V, D, D, D, "integer", V, V, V, V, V, D], out);
  return out.length;
}

export const analyzeActions: Analysis = async (ctx) => {
  for (const table of ["churn_predictions", "customer_value"]) {
    if (!(await tableExists(ctx.conn, table)))
      return {
        name: "actions",
        ran: false,
        skipped: `no ${table}: the at-risk list needs the churn model and customer values`,
        tables: [],
        summary: {},
      };
  }
  const scored = await scoreCustomers(ctx.conn, ctx.asOf);
  const winBack = await applyWinBackByReason(ctx.conn, ctx.asOf);
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE symptom_summary AS
    SELECT symptom, severity, count(DISTINCT customer_id)::INTEGER AS customers FROM symptom_events
    WHERE customer_id IN (SELECT customer_id FROM scored_customers WHERE status = 'active') GROUP BY ALL ORDER BY customers DESC`,
  );
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE action_summary AS
    SELECT recommended_action, count(*)::INTEGER AS customers, sum(value_at_risk) AS value_at_risk, sum(clv) AS clv FROM scored_customers GROUP BY 1 ORDER BY value_at_risk DESC`,
  );
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE health_summary AS
    SELECT health_band AS band, count(*)::INTEGER AS customers, sum(value_at_risk) AS value_at_risk FROM scored_customers WHERE status = 'active' GROUP BY 1`,
  );

  const risk = await queryOne<{ var: number; red: number }>(
    ctx.conn,
    "SELECT sum(value_at_risk) AS var, count(*) FILTER (WHERE health_band = 'red')::INTEGER AS red FROM scored_customers WHERE status = 'active'",
  );
  return {
    name: "actions",
    ran: true,
    tables: ["symptom_events", "scored_customers", "symptom_summary", "action_summary", "health_summary"],
    summary: { scored, valueAtRisk: risk?.var, red: risk?.red, winBackByReason: winBack },
  };
};

/** The scored list as spreadsheet-safe CSV, sorted by value at risk (probabilities to 4 decimals, money to cents). */
export async function scoredListCsv(conn: DuckDBConnection, top?: number): Promise<{ csv: string; rows: number }> {
  const rows = await query(
    conn,
    `SELECT ${SCORED_COLUMNS.join(", ")} FROM scored_customers ORDER BY value_at_risk DESC, clv DESC, customer_id${top ? " LIMIT $top" : ""}`,
    top ? { top } : {},
  );
  const round = (k: string, v: unknown) =>
    typeof v === "number" ? (k === "churn_probability" ? Math.round(v * 10000) / 10000 : Math.round(v * 100) / 100) : v;
  return {
    csv: toCsv(
      [...SCORED_COLUMNS],
      rows.map((r) => SCORED_COLUMNS.map((k) => round(k, r[k]) as CsvValue)),
    ),
    rows: rows.length,
  };
}
