/**
 * Calibration vs holdout checks of BG/NBD (as lifetimes' plot_calibration_purchases_vs_holdout_purchases and
 * expected_cumulative_transactions): the model is fitted on transactions up to the calibration end, then
 *  - by calibration frequency (0 … 7+): mean actual purchase days in the holdout vs the mean conditional expectation;
 *  - week by week: cumulative actual repeat purchases of those customers vs Σ E[X(t − birth)] over customers.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query } from "../../loaders/db.ts";
import { conditionalPurchasesAt, expectedPurchases, type BgNbdParams } from "./bgnbd.ts";
import { buyerDaysUpTo } from "./buyer-days.ts";
import { HOLDOUT_PURCHASES_SQL, populationParams, type RfmSummary } from "./rfm.ts";

export interface HoldoutBin {
  frequency: string;
  customers: number;
  actual: number;
  predicted: number;
}

export async function holdoutByFrequency(
  conn: DuckDBConnection,
  fit: BgNbdParams,
  rfm: RfmSummary,
  calibrationEnd: string,
  holdoutEnd: string,
  periodDays: number,
): Promise<HoldoutBin[]> {
  const rows = await query<{ customer_id: string; purchases: number }>(conn, HOLDOUT_PURCHASES_SQL, {
    from: calibrationEnd,
    to: holdoutEnd,
  });
  const actual = new Map(rows.map((r) => [r.customer_id, r.purchases]));
  const t = (Date.parse(holdoutEnd) - Date.parse(calibrationEnd)) / 86_400_000 / periodDays;
  const bins = new Map<string, HoldoutBin>();
  const expected = conditionalPurchasesAt(fit, [t]);
  for (let i = 0; i < rfm.customerIds.length; i++) {
    const x = rfm.frequency[i]!;
    const label = x >= 7 ? "7+" : String(x);
    const bin = bins.get(label) ?? { frequency: label, customers: 0, actual: 0, predicted: 0 };
    bin.customers++;
    bin.actual += actual.get(rfm.customerIds[i]!) ?? 0;
    bin.predicted += expected(x, rfm.recency[i]!, rfm.T[i]!)[0]!;
    bins.set(label, bin);
  }
  return [...bins.values()]
    .sort((a, b) => (a.frequency === "7+" ? 1 : b.frequency === "7+" ? -1 : Number(a.frequency) - Number(b.frequency)))
    .map((b) => ({ ...b, actual: b.actual / b.customers, predicted: b.predicted / b.customers }));
}

export interface TrackingPoint {
  week: string;
  actual: number;
  predicted: number;
}

/**
 * Repeat purchase days per date of the customers first seen by the calibration end (the RFM population); buyers'
 * days (buyer-days.ts) for the buyers, who are taken on $to, the last day read.
 */
function repeatDaysSql(conn: DuckDBConnection, population: "all" | "buyers"): string {
  const days =
    population === "buyers"
      ? buyerDaysUpTo(conn, "to", "buyers_as_of")
      : "SELECT customer_id, date FROM transactions WHERE date <= $to AND amount >= 0 GROUP BY customer_id, date";
  return `
  WITH days AS (${days}),
  firsts AS (SELECT customer_id, min(date) AS first FROM days GROUP BY 1 HAVING min(date) <= $calibration_end)
  SELECT CAST(d.date AS VARCHAR) AS date, count(*)::INTEGER AS n FROM days d JOIN firsts f USING (customer_id)
  WHERE d.date > f.first GROUP BY 1 ORDER BY 1`;
}

export async function cumulativeTracking(
  conn: DuckDBConnection,
  fit: BgNbdParams,
  rfm: RfmSummary,
  calibrationEnd: string,
  to: string,
  periodDays: number,
  population: "all" | "buyers",
): Promise<TrackingPoint[]> {
  const day = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
  const births = new Map<number, number>();
  for (const f of rfm.firstPurchase) births.set(day(f), (births.get(day(f)) ?? 0) + 1);
  const rows = await query<{ date: string; n: number }>(conn, repeatDaysSql(conn, population), {
    to,
    calibration_end: calibrationEnd,
    ...populationParams(population, to),
  });
  const start = Math.min(...births.keys());
  const end = day(to);
  const perDay = new Map(rows.map((r) => [day(r.date), r.n]));
  // E[X(t)] depends only on the age in days: compute it once per age, not once per (week, birth) pair.
  const byAge = new Map<number, number>();
  const expected = (days: number) => {
    let v = byAge.get(days);
    if (v === undefined) byAge.set(days, (v = expectedPurchases(fit, days / periodDays)));
    return v;
  };
  const points: TrackingPoint[] = [];
  let cumulative = 0;
  let d = start;
  for (let w = start + 7; w <= end + 6; w += 7) {
    const weekEnd = Math.min(w, end);
    for (; d <= weekEnd; d++) cumulative += perDay.get(d) ?? 0;
    let predicted = 0;
    for (const [birth, n] of births) if (birth < weekEnd) predicted += n * expected(weekEnd - birth);
    points.push({ week: new Date(weekEnd * 86_400_000).toISOString().slice(0, 10), actual: cumulative, predicted });
    if (weekEnd === end) break;
  }
  return points;
}
