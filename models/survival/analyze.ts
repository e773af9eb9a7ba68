/**
 * The survival analysis of `churn build`: Kaplan-Meier curves of tenure to churn (subscription customers), overall
 * and by plan at start, segment, region and acquisition channel, with the log-rank test per grouping.
 * Writes survival_curves (thinned to ≤ 200 points per curve), survival_summary and survival_logrank.
 */
import { appendRows, type AppendType } from "../../loaders/append.ts";
import { queryOne, run } from "../../loaders/db.ts";
import type { Analysis } from "../context.ts";
import { kaplanMeier, type KaplanMeierCurve } from "./kaplan-meier.ts";
import { logRankTest } from "./log-rank.ts";
import { GROUPINGS, tenureToChurn } from "./tenure.ts";

const CREATE_SQL = [
  `CREATE OR REPLACE TABLE survival_curves (grouping VARCHAR, grp VARCHAR, t_days DOUBLE, survival DOUBLE, lower DOUBLE, upper DOUBLE, at_risk DOUBLE, events DOUBLE)`,
  `CREATE OR REPLACE TABLE survival_summary (grouping VARCHAR, grp VARCHAR, n INTEGER, events INTEGER, median_days DOUBLE, median_lower DOUBLE, median_upper DOUBLE, rmst_days DOUBLE, rmst_tau_days DOUBLE)`,
  `CREATE OR REPLACE TABLE survival_logrank (grouping VARCHAR, groups INTEGER, chisq DOUBLE, df INTEGER, p DOUBLE)`,
];

/** Keep every step when there are few; otherwise ≤ maxPoints evenly spaced in time, always the first and last. */
export function thinCurve(curve: KaplanMeierCurve, maxPoints = 200): number[] {
  const n = curve.times.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const last = curve.times[n - 1]!;
  const keep = new Set<number>([0, n - 1]);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (curve.times[i]! >= next) {
      keep.add(i);
      next = curve.times[i]! + last / maxPoints;
    }
  }
  return [...keep].sort((a, b) => a - b);
}

const MIN_GROUP = 10;

export const analyzeSurvival: Analysis = async (ctx) => {
  const subs = await queryOne<{ n: number }>(ctx.conn, "SELECT count(*)::BIGINT AS n FROM subscriptions WHERE start_date <= $as_of", { as_of: ctx.asOf });
  if (!subs?.n) return { name: "survival", ran: false, skipped: "no subscriptions: tenure to churn needs subscription start and end dates", tables: [], summary: {} };
  const data = await tenureToChurn(ctx.conn, ctx.asOf);
  for (const sql of CREATE_SQL) await run(ctx.conn, sql);
  const curveRows: unknown[][] = [];
  const summaryRows: unknown[][] = [];
  const testRows: unknown[][] = [];
  const addCurve = (grouping: string, grp: string, curve: KaplanMeierCurve) => {
    for (const i of thinCurve(curve)) curveRows.push([grouping, grp, curve.times[i], curve.survival[i], curve.lower[i], curve.upper[i], curve.atRisk[i], curve.events[i]]);
    summaryRows.push([grouping, grp, curve.n, curve.totalEvents, curve.median, curve.medianLower, curve.medianUpper, curve.restrictedMean, curve.restrictedMeanTau]);
  };
  const overall = kaplanMeier(data.days, data.events);
  addCurve("all", "all", overall);
  for (const grouping of GROUPINGS) {
    const labels = data.groups[grouping];
    const counts = new Map<string, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    // Groups under MIN_GROUP customers are pooled as "(other)" so every curve shown has some support.
    const pooled = labels.map((l) => ((counts.get(l) ?? 0) < MIN_GROUP ? "(other)" : l));
    const names = [...new Set(pooled)].sort();
    for (const name of names) {
      const idx = pooled.flatMap((l, i) => (l === name ? [i] : []));
      addCurve(grouping, name, kaplanMeier(idx.map((i) => data.days[i]!), idx.map((i) => data.events[i]!)));
    }
    if (names.length >= 2) {
      const test = logRankTest(data.days, data.events, pooled);
      testRows.push([grouping, names.length, test.chisq, test.df, test.p]);
    }
  }
  const D: AppendType = "double", V: AppendType = "varchar", I: AppendType = "integer";
  await appendRows(ctx.conn, "survival_curves", [V, V, D, D, D, D, D, D], curveRows);
  await appendRows(ctx.conn, "survival_summary", [V, V, I, I, D, D, D, D, D], summaryRows);
  await appendRows(ctx.conn, "survival_logrank", [V, I, D, I, D], testRows);
  return {
    name: "survival",
    ran: true,
    tables: ["survival_curves", "survival_summary", "survival_logrank"],
    summary: { customers: overall.n, churned: overall.totalEvents, medianDays: overall.median },
  };
};
