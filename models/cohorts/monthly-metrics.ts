/**
 * Monthly churn, retention and MRR movements for subscription (contractual) customers.
 *
 * For month M with first day d0 and next month's first day d1 (active and MRR as in subscription-states.ts):
 *   start = active on d0; end = active on d1; lost = in start, not in end; new = in end, not in start, of which
 *   reactivated = those whose first subscription started before d0.
 *   churnRate = lost / start; retentionRate = (end − new) / start.
 *   MRR movements per customer from d0 to d1: new (0 → x, first time), reactivation (0 → x, had one before),
 *   expansion (x → y > x), contraction (x → y, 0 < y < x), churned (x → 0). So mrrEnd = mrrStart + new + reactivation
 *   + expansion − contraction − churned exactly. Gross revenue retention
 *   GRR = (mrrStart − contraction − churned) / mrrStart; net revenue retention
 *   NRR = (mrrStart + expansion − contraction − churned) / mrrStart.
 * Rates are null when their denominator is 0. Only complete months (d1 ≤ as-of + 1 day) are reported.
 * Definitions as in issue 3; the usual SaaS conventions (e.g. ChartMogul's MRR movements).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, run } from "../../loaders/db.ts";
import { byGroupedDimension } from "./grouping-sets.ts";
import { DIMENSION_NAMES, DIMENSIONS, type Dimension } from "./subscription-states.ts";

export interface MonthlyMetric {
  dimension: string;
  value: string;
  month: string;
  start: number;
  end: number;
  lost: number;
  new: number;
  reactivated: number;
  churnRate: number | null;
  retentionRate: number | null;
  mrrStart: number;
  mrrEnd: number;
  mrrNew: number;
  mrrExpansion: number;
  mrrContraction: number;
  mrrChurned: number;
  mrrReactivation: number;
  grossRevenueRetention: number | null;
  netRevenueRetention: number | null;
}

/**
 * Each month's subscribers with their MRR on d0 and d1, whether they were active on each day, whether they had
 * subscribed before d0, and their value of every dimension: the one pass over cohort_states that every dimension's
 * figures are aggregated from (it was repeated per dimension, 3 s each at a million customers).
 * Requires buildSubscriptionStates() first.
 */
const MONTHS_SQL = `
  CREATE OR REPLACE TEMP TABLE cohort_months AS
  SELECT CAST(d AS DATE) AS d0, CAST(d + INTERVAL 1 MONTH AS DATE) AS d1
  FROM generate_series(CAST(date_trunc('month', (SELECT min(first_start) FROM cohort_subscribers)) AS TIMESTAMP),
                       CAST($as_of::DATE + INTERVAL 1 DAY - INTERVAL 1 MONTH AS TIMESTAMP), INTERVAL 1 MONTH) g(d)
  WHERE d + INTERVAL 1 MONTH <= $as_of::DATE + INTERVAL 1 DAY`;
const FLAGS_SQL = `
  CREATE OR REPLACE TEMP TABLE cohort_month_flags AS
  WITH roles AS (
    SELECT m.d0, s.customer_id, s.mrr AS mrr0, 0.0 AS mrr1, true AS a0, false AS a1
    FROM cohort_states s JOIN cohort_months m ON s.day = m.d0
    UNION ALL
    SELECT m.d0, s.customer_id, 0.0, s.mrr, false, true FROM cohort_states s JOIN cohort_months m ON s.day = m.d1
  ), per_customer AS (
    SELECT d0, customer_id, sum(mrr0) AS mrr0, sum(mrr1) AS mrr1, bool_or(a0) AS a0, bool_or(a1) AS a1
    FROM roles GROUP BY ALL
  )
  SELECT p.*, s.first_start < p.d0 AS had_before, ${DIMENSION_NAMES.map((d) => `s.dim_${d}`).join(", ")}
  FROM per_customer p JOIN cohort_subscribers s USING (customer_id)`;

/**
 * The figures of every one of `dimensions` (DIMENSIONS' names, never user text) from cohort_month_flags in one pass
 * (GROUPING SETS: a query per dimension scanned the flags once each, 0.25–0.5 s apiece at a million customers).
 * 'all' has every complete month (zeros when nobody was subscribed); another dimension has the months in which each of
 * its values had subscribers. In the dimensions' order, then by value and month.
 */
function monthlySql(dimensions: readonly Dimension[]): string {
  for (const d of dimensions) if (!(d in DIMENSIONS)) throw new Error(`unknown dimension ${d}`);
  const others = dimensions.filter((d) => d !== "all");
  // The grouping set of dimension d is (d0, dim_d); 'all' is (d0) alone.
  const which = (pick: (d: Dimension) => string, otherwise: string) =>
    byGroupedDimension(others, (d) => `f.dim_${d}`, pick, otherwise);
  const sets = [...(dimensions.includes("all") ? ["(m.d0)"] : []), ...others.map((d) => `(m.d0, f.dim_${d})`)];
  return `
  SELECT ${which((d) => `'${d}'`, "'all'")} AS dimension, ${which((d) => `f.dim_${d}`, "'all'")} AS value,
    ${which((d) => String(dimensions.indexOf(d)), String(dimensions.indexOf("all")))} AS k,
    strftime(m.d0, '%Y-%m') AS month,
    count(*) FILTER (WHERE a0)::INTEGER AS start,
    count(*) FILTER (WHERE a1)::INTEGER AS "end",
    count(*) FILTER (WHERE a0 AND NOT a1)::INTEGER AS lost,
    count(*) FILTER (WHERE a1 AND NOT a0)::INTEGER AS new,
    count(*) FILTER (WHERE a1 AND NOT a0 AND had_before)::INTEGER AS reactivated,
    coalesce(sum(mrr0), 0)::DOUBLE AS mrr_start,
    coalesce(sum(mrr1), 0)::DOUBLE AS mrr_end,
    coalesce(sum(mrr1) FILTER (WHERE a1 AND NOT a0 AND NOT had_before), 0)::DOUBLE AS mrr_new,
    coalesce(sum(mrr1) FILTER (WHERE a1 AND NOT a0 AND had_before), 0)::DOUBLE AS mrr_reactivation,
    coalesce(sum(mrr1 - mrr0) FILTER (WHERE a0 AND a1 AND mrr1 > mrr0), 0)::DOUBLE AS mrr_expansion,
    coalesce(sum(mrr0 - mrr1) FILTER (WHERE a0 AND a1 AND mrr1 < mrr0), 0)::DOUBLE AS mrr_contraction,
    coalesce(sum(mrr0) FILTER (WHERE a0 AND NOT a1), 0)::DOUBLE AS mrr_churned
  FROM cohort_months m LEFT JOIN cohort_month_flags f ON f.d0 = m.d0
  GROUP BY GROUPING SETS (${sets.join(", ")})
  -- A month without subscribers joins no flags: in a dimension's set it would be a value of its own (NULL).
  HAVING ${others.map((d) => `(grouping(f.dim_${d}) = 1 OR f.dim_${d} IS NOT NULL)`).join(" AND ") || "true"}
  ORDER BY k, value, month`;
}

type MetricRow = {
  dimension: string;
  value: string | null;
  month: string;
  start: number;
  end: number;
  lost: number;
  new: number;
  reactivated: number;
  mrr_start: number;
  mrr_end: number;
  mrr_new: number;
  mrr_reactivation: number;
  mrr_expansion: number;
  mrr_contraction: number;
  mrr_churned: number;
};

const ratio = (num: number, den: number) => (den > 0 ? num / den : null);
const cents = (x: number) => Math.round(x * 100) / 100;

/** The monthly figures of each of `dimensions` (default: the whole business), in that order. */
export async function monthlyMetrics(
  conn: DuckDBConnection,
  asOf: string,
  dimensions: readonly Dimension[] = ["all"],
): Promise<MonthlyMetric[]> {
  await run(conn, MONTHS_SQL, { as_of: asOf });
  await run(conn, FLAGS_SQL);
  const rows = dimensions.length ? await query<MetricRow>(conn, monthlySql(dimensions)) : [];
  return rows.map((r) => ({
    dimension: r.dimension,
    value: r.value ?? "all",
    month: r.month,
    start: r.start,
    end: r.end,
    lost: r.lost,
    new: r.new,
    reactivated: r.reactivated,
    churnRate: ratio(r.lost, r.start),
    retentionRate: ratio(r.end - r.new, r.start),
    mrrStart: cents(r.mrr_start),
    mrrEnd: cents(r.mrr_end),
    mrrNew: cents(r.mrr_new),
    mrrExpansion: cents(r.mrr_expansion),
    mrrContraction: cents(r.mrr_contraction),
    mrrChurned: cents(r.mrr_churned),
    mrrReactivation: cents(r.mrr_reactivation),
    grossRevenueRetention: ratio(r.mrr_start - r.mrr_contraction - r.mrr_churned, r.mrr_start),
    netRevenueRetention: ratio(r.mrr_start + r.mrr_expansion - r.mrr_contraction - r.mrr_churned, r.mrr_start),
  }));
}
