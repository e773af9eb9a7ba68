/**
 * The RFM summary of buyers from transactions, with lifetimes' conventions (summary_data_from_transaction_data):
 * purchases on the same day are one purchase (amounts summed); refunds and returns (negative amounts) are not purchases
 * and are left out of spend (a zero-value order still counts, as in lifetimes); frequency x = purchase days − 1;
 * recency t_x = last − first purchase day; T = calibration end − first purchase day (in periods: day = 1, week = 7,
 * month = 30.4375 days); monetary = mean net spend of the repeat purchase days (the first day excluded), 0 when x = 0.
 * Only customers whose first purchase is on or before the calibration end are summarised.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryNumberColumns } from "../../loaders/db.ts";
import { buyerDays, buyerOn } from "./buyer-days.ts";

export type Period = "day" | "week" | "month";
export const PERIOD_DAYS: Record<Period, number> = { day: 1, week: 7, month: 30.4375 };

export interface RfmSummary {
  customerIds: string[];
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  monetary: Float64Array;
  firstPurchase: string[];
}

/**
 * The predicate that picks a population of customers: "buyers" are customers with no subscription started by
 * $buyers_as_of (a later subscriber is still a buyer before their first subscription); "all" is everyone.
 * Chosen by the caller from this fixed list, never from user text; bind `buyers_as_of` with populationParams.
 */
export function populationPredicate(population: "all" | "buyers"): string {
  return population === "buyers"
    ? "AND customer_id NOT IN (SELECT customer_id FROM subscriptions WHERE start_date <= $buyers_as_of)"
    : "";
}

export function populationParams(population: "all" | "buyers", buyersAsOf: string): { buyers_as_of?: string } {
  return population === "buyers" ? { buyers_as_of: buyersAsOf } : {};
}

/** The summary's columns, aggregated per customer over their purchase days (spend, and k: 1 on the first). */
const RFM_COLUMNS = `SELECT customer_id,
         (count(*) - 1)::DOUBLE AS frequency,
         date_diff('day', min(date), max(date)) / $period_days AS recency,
         date_diff('day', min(date), $calibration_end::DATE) / $period_days AS "T",
         coalesce(avg(spend) FILTER (WHERE k > 1), 0) AS monetary,
         CAST(min(date) AS VARCHAR) AS first_purchase`;

export function rfmSql(population: "all" | "buyers"): string {
  const who = populationPredicate(population);
  return `
  WITH days AS (
    SELECT customer_id, date, sum(amount) AS spend FROM transactions
    WHERE date <= $calibration_end AND amount >= 0 ${who}
    GROUP BY customer_id, date
  ), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY date) AS k FROM days
  )
  ${RFM_COLUMNS}
  FROM ranked GROUP BY customer_id ORDER BY customer_id`;
}

/**
 * The buyers' summary from their purchase days (buyer-days.ts), one aggregation: the same columns as rfmSql("buyers")
 * when $calibration_end ≤ $buyers_as_of (monetary to the last bits of its sum, whose order DuckDB's threads decide,
 * as they do rfmSql's at scale).
 */
export function buyerRfmSql(days: string): string {
  return `
  ${RFM_COLUMNS}
  FROM ${days} WHERE date <= $calibration_end AND ${buyerOn("buyers_as_of")}
  GROUP BY customer_id ORDER BY customer_id`;
}

/** `buyersAsOf`: the day whose subscribers are left out of "buyers" (default: the calibration end). */
export async function rfmSummary(
  conn: DuckDBConnection,
  calibrationEnd: string,
  period: Period,
  population: "all" | "buyers",
  buyersAsOf = calibrationEnd,
): Promise<RfmSummary> {
  // Buyers' days cover a buyer's purchases up to the day before their first subscription: enough when the summary
  // ends no later than the day the population is taken on.
  const fromDays = population === "buyers" && calibrationEnd <= buyersAsOf;
  const c = await queryNumberColumns(conn, fromDays ? buyerRfmSql(buyerDays(conn)) : rfmSql(population), {
    calibration_end: calibrationEnd,
    period_days: PERIOD_DAYS[period],
    ...populationParams(population, buyersAsOf),
  });
  const f64 = (k: string) => {
    const values = c[k] ?? [];
    return values instanceof Float64Array ? values : Float64Array.from(values as number[]);
  };
  return {
    customerIds: (c["customer_id"] ?? []) as string[],
    frequency: f64("frequency"),
    recency: f64("recency"),
    T: f64("T"),
    monetary: f64("monetary"),
    firstPurchase: (c["first_purchase"] ?? []) as string[],
  };
}

/** Distinct purchase days per customer in (from, to]: the holdout actuals. */
export const HOLDOUT_PURCHASES_SQL = `
  SELECT customer_id, count(*)::INTEGER AS purchases FROM (
    SELECT customer_id, date FROM transactions WHERE date > $from AND date <= $to AND amount >= 0
    GROUP BY customer_id, date
  ) GROUP BY customer_id`;
