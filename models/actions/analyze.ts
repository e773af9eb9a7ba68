/**
 * Symptoms, health, playbooks, the proactive plan and the scored at-risk list (`churn build`, `churn score`). Ranks
 * every active customer: by the forest's churn_predictions when it was trained at the as-of date (risk_source =
 * model), else by symptoms and value (risk_source = rules; risk-mode.ts says why, risk.ts how). Uses customer_value
 * when the value analysis ran. Writes symptom_events, scored_customers, proactive_plan, symptom_summary,
 * action_summary and health_summary (the forecast is its own stage: models/forecast/analyze.ts), and applies
 * win-back by reason (win-back.ts) to the recently cancelled.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows, type AppendType } from "../../loaders/append.ts";
import { numberOrNull, queryNumberColumns, queryOne, run, tableExists } from "../../loaders/db.ts";
import type { Analysis, AnalysisContext, AnalysisReport } from "../context.ts";
import { spreadsheetCsvBytes } from "./csv-sql.ts";
import { healthBand, healthScore } from "./health.ts";
import { decide } from "./playbooks.ts";
import { loadOffers, loadRules } from "./rules-config.ts";
import { computeSymptoms } from "./symptoms.ts";
import { applyWinBackByReason } from "./win-back.ts";
import { activeCustomers } from "./active.ts";
import { hasOpenReactiveAction, nextTouch, PLAN_FACTS_SQL } from "./plan.ts";
import { loadPlanRules } from "./plan-rules.ts";
import { type RankInput, rankCustomers, type RiskSource, valueAtRisk, valueIfRetained } from "./risk.ts";
import { chooseRiskMode, recordRiskMode, type RiskMode } from "./risk-mode.ts";

/** The tables the actions stage writes. */
export const ACTIONS_TABLES = [
  "symptom_events",
  "scored_customers",
  "proactive_plan",
  "symptom_summary",
  "action_summary",
  "health_summary",
];
/** Everything the actions stage writes: its tables and its warehouse_meta key risk_source (risk-mode.ts). */
export const ACTIONS_WRITES = [...ACTIONS_TABLES, "risk_source"];

export const SCORED_COLUMNS = [
  "customer_id",
  "name",
  "segment",
  "plan",
  "status",
  "risk_rank",
  "risk_source",
  "quadrant",
  "tier",
  "churn_probability",
  "clv",
  "value_if_retained",
  "value_at_risk",
  "health_score",
  "health_band",
  "symptoms",
  "top_drivers",
  "recommended_action",
  "offer",
  "offer_budget",
  "next_touch",
  "next_touch_date",
  "channel",
] as const;

/**
 * Who is listed: every customer active at the as-of date by the workspace's one rule (active.ts), with the forest's
 * probability when it scored them (model mode), plus subscribers who cancelled recently (win-back candidates).
 */
const RECENTLY_CANCELLED_SQL = `
  SELECT customer_id FROM subscriptions WHERE start_date <= $as_of GROUP BY customer_id
  HAVING bool_and(end_date IS NOT NULL AND end_date <= $as_of) AND max(end_date) > $as_of::DATE - $win_back_days`;
const CANDIDATES_SQL = {
  model: `
  SELECT a.customer_id, false AS churned, p.churn_probability AS p, p.top_drivers
  FROM active_customers a LEFT JOIN churn_predictions p USING (customer_id)
  UNION ALL
  SELECT customer_id, true, 1.0, 'cancelled in the last ' || $win_back_days || ' days'
  FROM (${RECENTLY_CANCELLED_SQL})`,
  rules: `
  SELECT customer_id, false AS churned, CAST(NULL AS DOUBLE) AS p, CAST(NULL AS VARCHAR) AS top_drivers
  FROM active_customers
  UNION ALL
  SELECT customer_id, true, NULL, 'cancelled in the last ' || $win_back_days || ' days'
  FROM (${RECENTLY_CANCELLED_SQL})`,
};
/** Customer values when the value analysis ran; an empty stand-in otherwise (a young or odd export). */
const VALUE_SQL = `SELECT customer_id, quadrant, tier, clv, clv_if_won_back, p_alive FROM customer_value`;
const NO_VALUE_SQL = `SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS quadrant,
  CAST(NULL AS VARCHAR) AS tier, CAST(NULL AS DOUBLE) AS clv, CAST(NULL AS DOUBLE) AS clv_if_won_back,
  CAST(NULL AS DOUBLE) AS p_alive WHERE false`;

const SYMPTOMS_BY_CUSTOMER_SQL = `
  SELECT customer_id,
    string_agg(symptom || ': ' || detail || ' (' || CAST(date AS VARCHAR) || ')', '; ' ORDER BY severity, date DESC)
      AS symptoms,
    list(symptom) AS ids, list(weight) FILTER (WHERE severity = 'recapitulative') AS weights,
    bool_or(severity = 'critical') AS critical
  FROM symptom_events GROUP BY customer_id`;

/**
 * Every candidate with what scoring needs, numbered in customer-id order (i). Text that scoring only passes through
 * (name, plan, symptoms, drivers) stays in DuckDB: scored_customers joins it back by i, so at a million customers it
 * is never read into JavaScript and appended again.
 */
const DETAILS_SQL = `
  CREATE OR REPLACE TEMP TABLE scored_details AS
  SELECT k.i, k.customer_id, k.churned, k.p,
         k.top_drivers, c.name, c.segment, coalesce(cm.mrr_plan, c.plan) AS plan,
         v.quadrant, v.tier, coalesce(v.clv, 0) AS clv, v.clv_if_won_back, v.p_alive, coalesce(cm.mrr, 0) AS mrr,
         s.symptoms, coalesce(s.ids, []) AS ids, coalesce(s.weights, []) AS weights,
         coalesce(s.critical, false) AS critical, pf.start AS plan_start, pf.usual_channel, pf.last_survey
  -- Numbered before the joins: the window sorts the candidates' ids alone, not the joined rows with all their text.
  FROM (SELECT *, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS i FROM candidates) k
  LEFT JOIN customers c USING (customer_id)
  LEFT JOIN value_now v USING (customer_id)
  LEFT JOIN (SELECT customer_id, sum(coalesce(mrr, 0)) AS mrr, arg_max(plan, start_date) AS mrr_plan FROM subscriptions
             WHERE start_date <= $as_of AND (end_date IS NULL OR end_date > $as_of) GROUP BY customer_id) cm
    USING (customer_id)
  LEFT JOIN (${SYMPTOMS_BY_CUSTOMER_SQL}) s USING (customer_id)
  LEFT JOIN (${PLAN_FACTS_SQL}) pf USING (customer_id)`;
const SCORING_INPUTS_SQL = `
  SELECT customer_id, churned, p, segment, quadrant, tier, clv, clv_if_won_back, p_alive, mrr, ids, weights, critical,
    plan_start, usual_channel, last_survey
  FROM scored_details ORDER BY i`;

type Candidate = {
  customer_id: string;
  churned: boolean;
  p: number | null;
  segment: string | null;
  quadrant: string | null;
  tier: string | null;
  clv: number;
  clv_if_won_back: number | null;
  p_alive: number | null;
  mrr: number;
  ids: string[];
  weights: number[] | null;
  critical: boolean;
  /** The proactive plan's facts (plan.ts PLAN_FACTS_SQL). */
  plan_start: string;
  usual_channel: string | null;
  last_survey: string | null;
};

/** The scoring inputs as read column by column (numbers unboxed, NULL as NaN: queryNumberColumns). */
type CandidateColumns = { [K in keyof Candidate]: ArrayLike<unknown> };

/** Candidate i from the columns: the same object a row-by-row read gives, without DuckDB's row objects. */
function candidateAt(c: CandidateColumns, i: number): Candidate {
  return {
    customer_id: c.customer_id[i] as string,
    churned: c.churned[i] as boolean,
    p: numberOrNull(c.p, i),
    segment: c.segment[i] as string | null,
    quadrant: c.quadrant[i] as string | null,
    tier: c.tier[i] as string | null,
    clv: numberOrNull(c.clv, i) ?? 0,
    clv_if_won_back: numberOrNull(c.clv_if_won_back, i),
    p_alive: numberOrNull(c.p_alive, i),
    mrr: numberOrNull(c.mrr, i) ?? 0,
    ids: c.ids[i] as string[],
    weights: c.weights[i] as number[] | null,
    critical: c.critical[i] as boolean,
    plan_start: c.plan_start[i] as string,
    usual_channel: c.usual_channel[i] as string | null,
    last_survey: c.last_survey[i] as string | null,
  };
}

/** Score and rank the candidates; writes scored_customers and proactive_plan. Returns the number of rows listed. */
export async function scoreCustomers(conn: DuckDBConnection, asOf: string, mode: RiskMode): Promise<number> {
  const rules = loadRules();
  const offers = loadOffers();
  const plan = loadPlanRules();
  const model = mode.source === "model";
  await computeSymptoms(conn, asOf, rules);
  await activeCustomers(conn, asOf);
  const hasValue = await tableExists(conn, "customer_value");
  await run(conn, `CREATE OR REPLACE TEMP VIEW value_now AS ${hasValue ? VALUE_SQL : NO_VALUE_SQL}`);
  await run(conn, `CREATE OR REPLACE TEMP TABLE candidates AS ${CANDIDATES_SQL[mode.source]}`, {
    as_of: asOf,
    win_back_days: rules.playbook.winBackWithinDays,
  });
  await run(conn, DETAILS_SQL, { as_of: asOf });
  let rows: CandidateColumns | null = (await queryNumberColumns(
    conn,
    SCORING_INPUTS_SQL,
  )) as unknown as CandidateColumns;
  // One pass: what scoring computes goes straight into the rows appended to scored_computed (by i), and the rank's
  // inputs beside them; no per-customer object is kept besides (at a million customers they were the stage's peak).
  const count = rows.customer_id.length;
  const out: unknown[][] = new Array(count);
  const rankInputs: RankInput[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const r = candidateAt(rows, i);
    // Per customer: the model's probability when it scored them; rules otherwise (and always in rules mode).
    const p = model ? r.p : null;
    const source: RiskSource = p === null ? "rules" : "model";
    const score = r.churned ? 0 : healthScore(p, r.weights ?? [], r.critical, rules.health);
    const band = r.churned ? "red" : healthBand(score, rules.health);
    const monthlyValue = r.mrr > 0 ? r.mrr : r.clv / 12;
    const decision = decide(
      {
        churned: r.churned,
        churnProbability: p,
        clv: r.clv,
        clvIfWonBack: r.clv_if_won_back,
        quadrant: r.quadrant,
        tier: r.tier,
        band,
        symptoms: r.ids,
        monthlyValue,
      },
      rules,
      offers,
    );
    // Already-lost customers carry the value of winning them back, and no value at risk (it is already lost).
    const retained = r.churned ? null : valueIfRetained(r.clv, r.p_alive);
    const touch =
      r.churned || hasOpenReactiveAction(p, band, decision.action, rules.playbook.mediumRisk)
        ? null
        : nextTouch(
            {
              start: r.plan_start,
              usualChannel: r.usual_channel,
              lastSurvey: r.last_survey,
              tier: asTier(r.tier),
              quadrant: r.quadrant,
              segment: r.segment,
            },
            asOf,
            plan,
          );
    const atRisk = r.churned ? 0 : valueAtRisk(p, retained ?? 0);
    rankInputs[i] = {
      customerId: r.customer_id,
      source,
      churned: r.churned,
      value: retained ?? r.clv_if_won_back ?? 0,
      valueAtRisk: atRisk,
      critical: r.critical,
      recapitulativeWeights: r.weights ?? [],
    };
    out[i] = [
      i,
      0, // the rank, below
      source,
      p,
      r.churned ? (r.clv_if_won_back ?? 0) : r.clv,
      retained,
      atRisk,
      score,
      band,
      decision.action,
      decision.offer,
      decision.offerBudget,
      touch?.touch ?? null,
      touch?.date ?? null,
      touch?.channel ?? null,
      touch?.team ?? null,
    ];
  }
  rows = null;
  rankCustomers(rankInputs).forEach((rank, i) => (out[i]![1] = rank));
  await run(conn, SCORING_TABLE_SQL);
  const V: AppendType = "varchar",
    D: AppendType = "double",
    I: AppendType = "integer";
  await appendRows(conn, "scored_computed", [I, I, V, D, D, D, D, I, V, V, V, D, V, V, V, V], out);
  await run(conn, SCORED_TABLE_SQL);
  await run(conn, PLAN_TABLE_SQL);
  await run(conn, "DROP TABLE scored_computed; DROP TABLE scored_details");
  return out.length;
}

const asTier = (t: string | null) => (t === "high" || t === "mid" || t === "low" ? t : null);

const SCORING_TABLE_SQL = `CREATE OR REPLACE TEMP TABLE scored_computed (i INTEGER, risk_rank INTEGER,
  risk_source VARCHAR, churn_probability DOUBLE, clv DOUBLE, value_if_retained DOUBLE, value_at_risk DOUBLE,
  health_score INTEGER, health_band VARCHAR, recommended_action VARCHAR, offer VARCHAR, offer_budget DOUBLE,
  next_touch VARCHAR, next_touch_date VARCHAR, channel VARCHAR, team VARCHAR)`;
/** The scored list in customer-id order, its columns those of SCORED_COLUMNS. */
const SCORED_TABLE_SQL = `CREATE OR REPLACE TABLE scored_customers AS
  SELECT d.customer_id, d.name, d.segment, d.plan,
    CASE WHEN d.churned THEN 'churned (win-back candidate)' ELSE 'active' END AS status, j.risk_rank, j.risk_source,
    d.quadrant, d.tier, j.churn_probability, j.clv, j.value_if_retained, j.value_at_risk, j.health_score,
    j.health_band, coalesce(d.symptoms, '') AS symptoms, coalesce(d.top_drivers, '') AS top_drivers,
    j.recommended_action, j.offer, j.offer_budget, j.next_touch, CAST(j.next_touch_date AS DATE) AS next_touch_date,
    j.channel
  FROM scored_details d JOIN scored_computed j USING (i) ORDER BY i`;
/** The proactive plan: every listed customer with a next touch, in customer-id order. */
const PLAN_TABLE_SQL = `CREATE OR REPLACE TABLE proactive_plan AS
  SELECT d.customer_id, d.name, d.segment, d.tier, d.quadrant, j.next_touch,
    CAST(j.next_touch_date AS DATE) AS next_touch_date, j.channel, j.team
  FROM scored_details d JOIN scored_computed j USING (i) WHERE j.next_touch IS NOT NULL ORDER BY i`;

/**
 * The actions stage. `useModel: false` (`--no-model`) ranks by rules even when a forest exists. Runs without the forest
 * and without customer values (rules mode), so every business with active customers gets its list.
 */
export function actionsAnalysis(options: { useModel: boolean }): Analysis {
  return async (ctx) => {
    const mode = await chooseRiskMode(ctx.conn, ctx.asOf, options.useModel);
    await recordRiskMode(ctx.conn, ctx.asOf, mode);
    if (mode.source === "rules") ctx.log(`actions: ranked by rules — ${mode.reason}`);
    const scored = await scoreCustomers(ctx.conn, ctx.asOf, mode);
    const winBack = await applyWinBackByReason(ctx.conn, ctx.asOf);
    return summarize(ctx, mode, scored, winBack);
  };
}

export const analyzeActions: Analysis = actionsAnalysis({ useModel: true });

async function summarize(
  ctx: AnalysisContext,
  mode: RiskMode,
  scored: number,
  winBack: number,
): Promise<AnalysisReport> {
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE symptom_summary AS
    SELECT symptom, severity, count(DISTINCT customer_id)::INTEGER AS customers FROM symptom_events
    WHERE customer_id IN (SELECT customer_id FROM scored_customers WHERE status = 'active')
    GROUP BY ALL ORDER BY customers DESC`,
  );
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE action_summary AS
    SELECT recommended_action, count(*)::INTEGER AS customers, sum(value_at_risk) AS value_at_risk, sum(clv) AS clv,
           sum(value_if_retained) AS value_if_retained
    FROM scored_customers GROUP BY 1 ORDER BY value_at_risk DESC NULLS LAST, customers DESC`,
  );
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE health_summary AS
    SELECT health_band AS band, count(*)::INTEGER AS customers, sum(value_at_risk) AS value_at_risk,
           sum(value_if_retained) AS value_if_retained
    FROM scored_customers WHERE status = 'active' GROUP BY 1`,
  );

  const risk = await queryOne<{ var: number; red: number }>(
    ctx.conn,
    `SELECT sum(value_at_risk) AS var, count(*) FILTER (WHERE health_band = 'red')::INTEGER AS red
     FROM scored_customers WHERE status = 'active'`,
  );
  return {
    name: "actions",
    ran: true,
    tables: ACTIONS_TABLES,
    summary: { scored, riskSource: mode.source, valueAtRisk: risk?.var, red: risk?.red, winBackByReason: winBack },
  };
}

/** The scored list as spreadsheet-safe CSV in rank order (probabilities to 4 decimals, money to cents). */
export async function scoredListCsv(conn: DuckDBConnection, top?: number): Promise<{ csv: Buffer; rows: number }> {
  const { bytes, rows } = await spreadsheetCsvBytes(
    conn,
    `SELECT ${SCORED_COLUMNS.join(", ")} FROM scored_customers ORDER BY risk_rank${top ? " LIMIT $top" : ""}`,
    "risk_rank",
    top ? { top } : {},
    (column) => (column === "churn_probability" ? 4 : 2),
  );
  return { csv: bytes, rows };
}
