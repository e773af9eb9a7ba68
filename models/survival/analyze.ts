/**
 * The survival analysis of `churn build`: Kaplan-Meier curves of tenure to churn (subscription customers), overall
 * and by plan at start, segment, region and acquisition channel, with the log-rank test per grouping, and a Cox model
 * of the drivers of attrition. Writes survival_curves (thinned to ≤ 200 points per curve), survival_summary,
 * survival_logrank and survival_cox (concordance in warehouse_meta 'survival_cox').
 */
import { appendRows } from "../../loaders/append.ts";
import { queryOne, run } from "../../loaders/db.ts";
import type { Analysis } from "../context.ts";
import { median } from "simple-statistics";
import { fitCox } from "./cox.ts";
import { kaplanMeier } from "./kaplan-meier.ts";
import { MIN_GROUP } from "./groups.ts";
import { createSurvivalTables, SurvivalTables } from "./survival-tables.ts";
import { GROUPINGS, tenureToChurn } from "./tenure.ts";

const CREATE_COX_SQL = `
  CREATE OR REPLACE TABLE survival_cox (
    term VARCHAR, coef DOUBLE, hazard_ratio DOUBLE, lower DOUBLE, upper DOUBLE, se DOUBLE, z DOUBLE, p DOUBLE
  )`;

/**
 * Design matrix for the drivers of attrition: plan at start and segment as dummies (the most common level is the
 * reference), the price paid within the plan (log of starting MRR over the plan's median; 0 when unknown), and
 * complaints in the first 90 days. Levels under MIN_GROUP customers are pooled.
 */
function coxDesign(data: Awaited<ReturnType<typeof tenureToChurn>>): { x: number[][]; names: string[] } {
  const names: string[] = [];
  const columns: number[][] = [];
  for (const grouping of ["plan", "segment"] as const) {
    const labels = data.groups[grouping];
    const counts = new Map<string, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const levels = [...counts.entries()]
      .filter(([, n]) => n >= MIN_GROUP)
      .sort((a, b) => b[1] - a[1])
      .map(([l]) => l);
    for (const level of levels.slice(1)) {
      names.push(`${grouping} = ${level} (vs ${levels[0]})`);
      columns.push(labels.map((l) => (l === level ? 1 : 0)));
    }
  }
  // Price within the plan: log(starting MRR ÷ the median starting MRR of the same plan). Plain MRR would be nearly
  // collinear with the plan dummies (a plan sets most of the price), leaving neither hazard ratio readable.
  const plans = data.groups.plan;
  const planMedians = new Map<string, number>();
  for (const plan of new Set(plans)) {
    const paid = data.startMrr.filter((_, i) => plans[i] === plan && data.startMrr[i]! > 0);
    planMedians.set(plan, paid.length ? median(Array.from(paid)) : 0);
  }
  const relativePrice = Array.from(data.startMrr, (v, i) =>
    v > 0 && planMedians.get(plans[i]!)! > 0 ? Math.log(v / planMedians.get(plans[i]!)!) : 0,
  );
  if (relativePrice.some((v) => v !== 0)) {
    names.push("log(starting MRR ÷ plan's median)");
    columns.push(relativePrice);
  }
  if (data.complaintsFirst90d.some((v) => v > 0)) {
    names.push("complaints in the first 90 days");
    columns.push(Array.from(data.complaintsFirst90d));
  }
  return { names, x: data.customerIds.map((_, i) => columns.map((c) => c[i]!)) };
}

export const analyzeSurvival: Analysis = async (ctx) => {
  const subs = await queryOne<{ n: number }>(
    ctx.conn,
    "SELECT count(*)::BIGINT AS n FROM subscriptions WHERE start_date <= $as_of",
    { as_of: ctx.asOf },
  );
  if (!subs?.n)
    return {
      name: "survival",
      ran: false,
      skipped: "no subscriptions: tenure to churn needs subscription start and end dates",
      tables: [],
      summary: {},
    };
  const data = await tenureToChurn(ctx.conn, ctx.asOf);
  await createSurvivalTables(ctx.conn);
  await run(ctx.conn, CREATE_COX_SQL);
  const tables = new SurvivalTables();
  const overall = kaplanMeier(data.days, data.events);
  tables.addCurve("all", "all", overall);
  for (const grouping of GROUPINGS) tables.addGrouping(grouping, data.groups[grouping], data.days, data.events);
  let cox: { concordance: number; terms: number } | { error: string } | null = null;
  const design = coxDesign(data);
  const churned = data.events.reduce((n: number, e: number) => n + (e ? 1 : 0), 0);
  if (churned === 0) cox = { error: "no subscriber has churned yet: hazard ratios need churn to compare" };
  else if (design.names.length === 0)
    cox = { error: "no driver varies among the subscribers (plan, segment, price, complaints): nothing to compare" };
  else {
    try {
      const fit = fitCox(design.x, data.days, data.events, design.names);
      await appendRows(
        ctx.conn,
        "survival_cox",
        ["varchar", "double", "double", "double", "double", "double", "double", "double"],
        fit.terms.map((t) => [t.term, t.coef, t.hazardRatio, t.lower, t.upper, t.se, t.z, t.p]),
      );
      cox = { concordance: fit.concordance, terms: fit.terms.length };
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      cox = { error: error.message };
    }
  }
  await run(ctx.conn, "INSERT OR REPLACE INTO warehouse_meta VALUES ('survival_cox', $v)", { v: JSON.stringify(cox) });
  await tables.write(ctx.conn);
  return {
    name: "survival",
    ran: true,
    tables: ["survival_curves", "survival_summary", "survival_logrank", "survival_cox"],
    summary: { customers: overall.n, churned: overall.totalEvents, medianDays: overall.median, cox },
  };
};
