/**
 * Acquisition cohorts of subscription customers. Cohort = month of the customer's first subscription start.
 * Cell (cohort, k) for k = 0, 1, 2, … is measured on the first day of month cohort + k + 1, so k = 0 is the end
 * of the acquisition month:
 *   logo retention = cohort customers active that day / cohort size;
 *   revenue retention (net) = the cohort's MRR that day / the cohort's MRR at acquisition (each customer's first
 *   subscription MRR), net of expansion and contraction, so it can exceed 1;
 *   gross revenue retention = Σ min(customer's MRR that day, their MRR at acquisition) / the cohort's MRR at
 *   acquisition: churn and contraction count, expansion does not, so it never exceeds 1 (the usual SaaS "GRR").
 * Cells after the as-of date are absent (not zero). Requires buildSubscriptionStates() first.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query } from "../../loaders/db.ts";
import { byGroupedDimension } from "./grouping-sets.ts";
import { DIMENSIONS, type Dimension } from "./subscription-states.ts";

export interface CohortCell {
  dimension: string;
  value: string;
  cohort: string;
  monthsSince: number;
  size: number;
  active: number;
  retention: number;
  revenueRetention: number | null;
  grossRevenueRetention: number | null;
}

/**
 * The cells of every one of `dimensions` (DIMENSIONS' names, never user text) in one pass: GROUPING SETS by cohort and
 * each dimension's column (a query per dimension joined the month states to the subscribers once each, 0.3–0.4 s
 * apiece at a million customers). In the dimensions' order, then by value, cohort and month.
 */
function cohortSql(dimensions: readonly Dimension[]): string {
  for (const d of dimensions) if (!(d in DIMENSIONS)) throw new Error(`unknown dimension ${d}`);
  // Each grouping set groups by one dimension's column: which one, its value and its place in `dimensions`.
  const which = (prefix: string, pick: (d: Dimension) => string) =>
    byGroupedDimension(dimensions, (d) => `${prefix}dim_${d}`, pick);
  const sets = (prefix: string, keys: string) => dimensions.map((d) => `(${keys}, ${prefix}dim_${d})`).join(", ");
  return `
  WITH cohorts AS (
    SELECT ${which("", (d) => `'${d}'`)} AS dimension, ${which("", (d) => `dim_${d}`)} AS value,
           ${which("", (d) => String(dimensions.indexOf(d)))} AS k, cohort, count(*)::INTEGER AS size,
           sum(first_mrr) AS base_mrr, CAST(date_trunc('month', min(first_start)) AS DATE) AS cohort_day
    FROM cohort_subscribers GROUP BY GROUPING SETS (${sets("", "cohort")})
  ), cells AS (
    SELECT c.dimension, c.value, c.cohort, r.k AS months_since, CAST(c.cohort_day + to_months(r.k + 1) AS DATE) AS day
    FROM cohorts c, range(0, 240) r(k)
    WHERE c.cohort_day + to_months(r.k + 1) <= $as_of::DATE + INTERVAL 1 DAY
  ), active AS (
    SELECT ${which("s.", (d) => `'${d}'`)} AS dimension, ${which("s.", (d) => `s.dim_${d}`)} AS value, s.cohort,
           st.day, count(*)::INTEGER AS active, sum(st.mrr) AS mrr, sum(least(st.mrr, s.first_mrr)) AS gross_mrr
    FROM cohort_states st JOIN cohort_subscribers s USING (customer_id)
    GROUP BY GROUPING SETS (${sets("s.", "s.cohort, st.day")})
  )
  SELECT cells.dimension, cells.value, cells.cohort, cells.months_since::INTEGER AS months_since, co.size,
         coalesce(a.active, 0)::INTEGER AS active, coalesce(a.mrr, 0)::DOUBLE AS mrr,
         coalesce(a.gross_mrr, 0)::DOUBLE AS gross_mrr, co.base_mrr::DOUBLE AS base_mrr
  FROM cells JOIN cohorts co USING (dimension, value, cohort)
  LEFT JOIN active a ON a.dimension = cells.dimension AND a.value = cells.value AND a.cohort = cells.cohort
    AND a.day = cells.day
  ORDER BY co.k, cells.value, cells.cohort, months_since`;
}

/** The cohort cells of one dimension (cohortMatrices of that one). */
export async function cohortMatrix(
  conn: DuckDBConnection,
  asOf: string,
  dimension: Dimension = "all",
): Promise<CohortCell[]> {
  return cohortMatrices(conn, asOf, [dimension]);
}

/** The cohort cells of each of `dimensions`, in that order. */
export async function cohortMatrices(
  conn: DuckDBConnection,
  asOf: string,
  dimensions: readonly Dimension[],
): Promise<CohortCell[]> {
  if (!dimensions.length) return [];
  const rows = await query<{
    dimension: string;
    value: string;
    cohort: string;
    months_since: number;
    size: number;
    active: number;
    mrr: number;
    gross_mrr: number;
    base_mrr: number;
  }>(conn, cohortSql(dimensions), { as_of: asOf });
  return rows.map((r) => ({
    dimension: r.dimension,
    value: r.value,
    cohort: r.cohort,
    monthsSince: r.months_since,
    size: r.size,
    active: r.active,
    retention: r.size > 0 ? r.active / r.size : 0,
    revenueRetention: r.base_mrr > 0 ? r.mrr / r.base_mrr : null,
    grossRevenueRetention: r.base_mrr > 0 ? r.gross_mrr / r.base_mrr : null,
  }));
}

/** The issue-3 JSON shape: one entry per cohort with its retention curves (plus gross revenue retention). */
export interface CohortCurve {
  cohort: string;
  size: number;
  retention: number[];
  revenueRetention: (number | null)[];
  grossRevenueRetention: (number | null)[];
}

export function cohortCurves(cells: CohortCell[]): CohortCurve[] {
  const byCohort = new Map<string, CohortCurve>();
  for (const c of cells) {
    let entry = byCohort.get(c.cohort);
    if (!entry)
      byCohort.set(
        c.cohort,
        (entry = { cohort: c.cohort, size: c.size, retention: [], revenueRetention: [], grossRevenueRetention: [] }),
      );
    entry.retention[c.monthsSince] = c.retention;
    entry.revenueRetention[c.monthsSince] = c.revenueRetention;
    entry.grossRevenueRetention[c.monthsSince] = c.grossRevenueRetention;
  }
  return [...byCohort.values()];
}
