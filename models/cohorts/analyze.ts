/**
 * The cohort analysis of `churn build`: monthly metrics and cohort matrices for the whole base and for every value
 * of each filter dimension (plan at acquisition, segment, region, acquisition channel), written as small aggregate
 * tables monthly_metrics and cohort_retention for the site.
 */
import { appendRows, type AppendType } from "../../loaders/append.ts";
import { queryOne, run } from "../../loaders/db.ts";
import type { Analysis } from "../context.ts";
import { type CohortCell, cohortMatrices } from "./cohort-matrix.ts";
import { monthlyMetrics, type MonthlyMetric } from "./monthly-metrics.ts";
import { buildSubscriptionStates, DIMENSION_NAMES } from "./subscription-states.ts";
import { buyerMonthly, inactivityWindow } from "./inactivity.ts";

const CREATE_MONTHLY = `CREATE OR REPLACE TABLE monthly_metrics (
  dimension VARCHAR, value VARCHAR, month VARCHAR, start INTEGER, end_count INTEGER, lost INTEGER, new INTEGER,
  reactivated INTEGER,
  churn_rate DOUBLE, retention_rate DOUBLE, mrr_start DOUBLE, mrr_end DOUBLE, mrr_new DOUBLE, mrr_expansion DOUBLE,
  mrr_contraction DOUBLE, mrr_churned DOUBLE, mrr_reactivation DOUBLE, grr DOUBLE, nrr DOUBLE)`;
const CREATE_COHORTS = `CREATE OR REPLACE TABLE cohort_retention (
  dimension VARCHAR, value VARCHAR, cohort VARCHAR, months_since INTEGER, size INTEGER, active INTEGER,
  retention DOUBLE, revenue_retention DOUBLE, gross_revenue_retention DOUBLE)`;

/**
 * Monthly churn of one-off buyers by the inactivity window, overall and per filter value; writes buyer_monthly and the
 * window to warehouse_meta.
 */
async function analyzeBuyers(ctx: Parameters<Analysis>[0]): Promise<Record<string, unknown> | null> {
  const window = await inactivityWindow(ctx.conn, ctx.asOf);
  if (!window) return null;
  const months = await buyerMonthly(ctx.conn, ctx.asOf, window.days);
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE buyer_monthly (dimension VARCHAR, value VARCHAR, month VARCHAR, start INTEGER,
       end_count INTEGER, lost INTEGER, new INTEGER, churn_rate DOUBLE, retention_rate DOUBLE, window_days INTEGER)`,
  );
  await appendRows(
    ctx.conn,
    "buyer_monthly",
    ["varchar", "varchar", "varchar", "integer", "integer", "integer", "integer", "double", "double", "integer"],
    months.map((m) => [
      m.dimension,
      m.value,
      m.month,
      m.start,
      m.end,
      m.lost,
      m.new,
      m.churnRate,
      m.retentionRate,
      window.days,
    ]),
  );
  await run(ctx.conn, "INSERT OR REPLACE INTO warehouse_meta VALUES ('buyer_inactivity_window', $v)", {
    v: JSON.stringify(window),
  });
  return { windowDays: window.days, months: months.filter((m) => m.dimension === "all").length };
}

export const analyzeCohorts: Analysis = async (ctx) => {
  const buyers = await analyzeBuyers(ctx);
  const subs = await queryOne<{ n: number }>(
    ctx.conn,
    "SELECT count(*)::BIGINT AS n FROM subscriptions WHERE start_date <= $as_of",
    { as_of: ctx.asOf },
  );
  if (!subs?.n) {
    if (buyers)
      return {
        name: "cohorts",
        ran: true,
        tables: ["buyer_monthly"],
        summary: { buyers, subscriptions: "none: no subscription churn or cohorts" },
      };
    return {
      name: "cohorts",
      ran: false,
      skipped:
        "no subscriptions (monthly churn and cohorts need start and end dates) and no repeat buyers " +
        "(an inactivity window needs purchase gaps)",
      tables: [],
      summary: {},
    };
  }
  await buildSubscriptionStates(ctx.conn, ctx.asOf);
  const monthly: MonthlyMetric[] = [];
  const cells: CohortCell[] = [];
  monthly.push(...(await monthlyMetrics(ctx.conn, ctx.asOf, DIMENSION_NAMES)));
  cells.push(...(await cohortMatrices(ctx.conn, ctx.asOf, DIMENSION_NAMES)));
  await run(ctx.conn, CREATE_MONTHLY);
  await run(ctx.conn, CREATE_COHORTS);
  const I: AppendType = "integer",
    D: AppendType = "double",
    V: AppendType = "varchar";
  await appendRows(
    ctx.conn,
    "monthly_metrics",
    [V, V, V, I, I, I, I, I, D, D, D, D, D, D, D, D, D, D, D],
    monthly.map((m) => [
      m.dimension,
      m.value,
      m.month,
      m.start,
      m.end,
      m.lost,
      m.new,
      m.reactivated,
      m.churnRate,
      m.retentionRate,
      m.mrrStart,
      m.mrrEnd,
      m.mrrNew,
      m.mrrExpansion,
      m.mrrContraction,
      m.mrrChurned,
      m.mrrReactivation,
      m.grossRevenueRetention,
      m.netRevenueRetention,
    ]),
  );
  await appendRows(
    ctx.conn,
    "cohort_retention",
    [V, V, V, I, I, I, D, D, D],
    cells.map((c) => [
      c.dimension,
      c.value,
      c.cohort,
      c.monthsSince,
      c.size,
      c.active,
      c.retention,
      c.revenueRetention,
      c.grossRevenueRetention,
    ]),
  );
  const last = monthly.filter((m) => m.dimension === "all").at(-1);
  return {
    name: "cohorts",
    ran: true,
    tables: ["monthly_metrics", "cohort_retention", ...(buyers ? ["buyer_monthly"] : [])],
    summary: {
      buyers,
      months: monthly.filter((m) => m.dimension === "all").length,
      lastMonth: last?.month,
      churnRate: last?.churnRate,
      mrrEnd: last?.mrrEnd,
    },
  };
};
