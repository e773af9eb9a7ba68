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

function cohortSql(dimension: Dimension): string {
  if (!(dimension in DIMENSIONS)) throw new Error(`unknown dimension ${dimension}`);
  return `
  WITH cohorts AS (
    SELECT dim_${dimension} AS value, cohort, count(*)::INTEGER AS size, sum(first_mrr) AS base_mrr,
           CAST(date_trunc('month', min(first_start)) AS DATE) AS cohort_day
    FROM cohort_subscribers GROUP BY ALL
  ), cells AS (
    SELECT c.value, c.cohort, k, CAST(c.cohort_day + to_months(k + 1) AS DATE) AS day
    FROM cohorts c, range(0, 240) r(k)
    WHERE c.cohort_day + to_months(k + 1) <= $as_of::DATE + INTERVAL 1 DAY
  ), active AS (
    SELECT s.dim_${dimension} AS value, s.cohort, st.day, count(*)::INTEGER AS active, sum(st.mrr) AS mrr,
           sum(least(st.mrr, s.first_mrr)) AS gross_mrr
    FROM cohort_states st JOIN cohort_subscribers s USING (customer_id)
    GROUP BY ALL
  )
  SELECT '${dimension}' AS dimension, cells.value, cells.cohort, cells.k::INTEGER AS months_since, co.size,
         coalesce(a.active, 0)::INTEGER AS active, coalesce(a.mrr, 0)::DOUBLE AS mrr,
         coalesce(a.gross_mrr, 0)::DOUBLE AS gross_mrr, co.base_mrr::DOUBLE AS base_mrr
  FROM cells JOIN cohorts co USING (value, cohort)
  LEFT JOIN active a ON a.value = cells.value AND a.cohort = cells.cohort AND a.day = cells.day
  ORDER BY cells.value, cells.cohort, months_since`;
}

export async function cohortMatrix(
  conn: DuckDBConnection,
  asOf: string,
  dimension: Dimension = "all",
): Promise<CohortCell[]> {
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
  }>(conn, cohortSql(dimension), { as_of: asOf });
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
