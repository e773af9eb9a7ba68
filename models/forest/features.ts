/**
 * Churn features from the warehouse at a snapshot date d, using only rows dated ≤ d (leak-free), for the customers
 * active at d by the workspace's one rule (models/cohorts/active.ts): subscribers with a subscription active on d, and
 * one-off buyers (no subscription started by d) with a purchase in the W days up to d. The label (label.ts): not active
 * on d + H by the same rule.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryColumns } from "../../loaders/db.ts";
import { ACTIVE_ON_SQL } from "../cohorts/active.ts";
import type { FeatureTable } from "./dataset.ts";
import { churnLabels } from "./label.ts";

export const NUMERIC_FEATURES = [
  "tenure_days",
  "mrr",
  "mrr_change_90d",
  "days_since_last_purchase",
  "purchases_90d",
  "purchases_prev_90d",
  "spend_90d",
  "spend_prev_90d",
  "spend_trend",
  "mean_gap_days",
  "complaints_30d",
  "complaints_90d",
  "support_calls_90d",
  "delivery_delays_90d",
  "cancellation_requests_90d",
  "failed_payments_90d",
  "downgrade_requests_90d",
  "contacts_left_90d",
  "renewals_postponed_90d",
  "unhappy_90d",
  "days_since_last_contact",
  "last_nps",
  "nps_change",
  "last_csat",
] as const;
export const CATEGORICAL_FEATURES = [
  "kind",
  "plan",
  "segment",
  "region",
  "industry",
  "company_size",
  "acquisition_channel",
] as const;

/** Interaction counts that default to 0 when a customer had no interactions. */
const INTERACTION_COUNTS = [
  "complaints_30d",
  "complaints_90d",
  "support_calls_90d",
  "delivery_delays_90d",
  "cancellation_requests_90d",
  "failed_payments_90d",
  "downgrade_requests_90d",
  "contacts_left_90d",
  "renewals_postponed_90d",
  "unhappy_90d",
];

const FEATURES_SQL = `
  WITH subscribed AS (
    SELECT customer_id, sum(coalesce(mrr, 0)) AS mrr, arg_max(plan, start_date) AS plan FROM subscriptions
    WHERE start_date <= $d AND (end_date IS NULL OR end_date > $d) GROUP BY customer_id
  ), pop AS (${ACTIVE_ON_SQL}
  ), tx AS (
    SELECT customer_id,
      count(DISTINCT date) FILTER (WHERE date > $d::DATE - 90) AS purchases_90d,
      count(DISTINCT date) FILTER (WHERE date > $d::DATE - 180 AND date <= $d::DATE - 90) AS purchases_prev_90d,
      coalesce(sum(amount) FILTER (WHERE date > $d::DATE - 90), 0) AS spend_90d,
      coalesce(sum(amount) FILTER (WHERE date > $d::DATE - 180 AND date <= $d::DATE - 90), 0) AS spend_prev_90d,
      date_diff('day', max(date), $d::DATE) AS days_since_last_purchase,
      CASE WHEN count(DISTINCT date) > 1
        THEN date_diff('day', min(date), max(date)) / (count(DISTINCT date) - 1) END AS mean_gap_days
    FROM transactions WHERE date <= $d AND amount > 0 GROUP BY customer_id
  ), before AS (
    SELECT customer_id, sum(coalesce(mrr, 0)) AS mrr_before FROM subscriptions
    WHERE start_date <= $d::DATE - 90 AND (end_date IS NULL OR end_date > $d::DATE - 90) GROUP BY customer_id
  ), firsts AS (
    SELECT customer_id, min(start_date) AS first_start FROM subscriptions WHERE start_date <= $d GROUP BY customer_id
  ),
  inter AS (
    SELECT customer_id,
      count(*) FILTER (WHERE type = 'complaint' AND date > $d::DATE - 30) AS complaints_30d,
      count(*) FILTER (WHERE type = 'complaint' AND date > $d::DATE - 90) AS complaints_90d,
      count(*) FILTER (WHERE type = 'support_call' AND date > $d::DATE - 90) AS support_calls_90d,
      count(*) FILTER (WHERE type = 'delivery_delay' AND date > $d::DATE - 90) AS delivery_delays_90d,
      count(*) FILTER (WHERE type = 'cancellation_request' AND date > $d::DATE - 90) AS cancellation_requests_90d,
      count(*) FILTER (WHERE type = 'failed_payment' AND date > $d::DATE - 90) AS failed_payments_90d,
      count(*) FILTER (WHERE type = 'downgrade_request' AND date > $d::DATE - 90) AS downgrade_requests_90d,
      count(*) FILTER (WHERE type = 'contact_left' AND date > $d::DATE - 90) AS contacts_left_90d,
      count(*) FILTER (WHERE type = 'renewal_postponed' AND date > $d::DATE - 90) AS renewals_postponed_90d,
      count(*) FILTER (WHERE mood = 'unhappy' AND date > $d::DATE - 90) AS unhappy_90d,
      date_diff('day', max(date), $d::DATE) AS days_since_last_contact
    FROM interactions WHERE date <= $d GROUP BY customer_id
  ), surv AS (
    SELECT customer_id, list(nps ORDER BY date DESC) FILTER (WHERE nps IS NOT NULL) AS nps_list,
      arg_max(csat, date) FILTER (WHERE csat IS NOT NULL) AS last_csat
    FROM surveys WHERE date <= $d GROUP BY customer_id
  )
  SELECT pop.customer_id, pop.kind,
    CAST(date_diff('day', coalesce(f.first_start, c.signup_date), $d::DATE) AS DOUBLE) AS tenure_days,
    s.plan, s.mrr, s.mrr - coalesce(b.mrr_before, 0) AS mrr_change_90d,
    CAST(tx.days_since_last_purchase AS DOUBLE) AS days_since_last_purchase,
    CAST(coalesce(tx.purchases_90d, 0) AS DOUBLE) AS purchases_90d,
    CAST(coalesce(tx.purchases_prev_90d, 0) AS DOUBLE) AS purchases_prev_90d,
    coalesce(tx.spend_90d, 0) AS spend_90d, coalesce(tx.spend_prev_90d, 0) AS spend_prev_90d,
    CASE WHEN tx.spend_prev_90d > 0 THEN tx.spend_90d / tx.spend_prev_90d END AS spend_trend,
    CAST(tx.mean_gap_days AS DOUBLE) AS mean_gap_days,
    ${INTERACTION_COUNTS.map((k) => `CAST(coalesce(i.${k}, 0) AS DOUBLE) AS ${k}`).join(", ")},
    CAST(i.days_since_last_contact AS DOUBLE) AS days_since_last_contact,
    CAST(v.nps_list[1] AS DOUBLE) AS last_nps, CAST(v.nps_list[1] - v.nps_list[2] AS DOUBLE) AS nps_change,
    CAST(v.last_csat AS DOUBLE) AS last_csat,
    c.segment, c.region, c.industry, c.company_size, c.acquisition_channel
  FROM pop LEFT JOIN customers c USING (customer_id) LEFT JOIN subscribed s USING (customer_id)
  LEFT JOIN before b USING (customer_id) LEFT JOIN firsts f USING (customer_id) LEFT JOIN tx USING (customer_id)
  LEFT JOIN inter i USING (customer_id) LEFT JOIN surv v USING (customer_id)
  ORDER BY pop.customer_id`;

export interface Snapshot {
  date: string;
  ids: string[];
  table: FeatureTable;
  labels: Uint8Array;
}

/** Features of the customers active on `date` (buyers: a purchase in the `windowDays` up to it) and their labels. */
export async function snapshotFeatures(
  conn: DuckDBConnection,
  date: string,
  horizonDays: number,
  windowDays: number,
): Promise<Snapshot> {
  const c = await queryColumns(conn, FEATURES_SQL, { d: date, w: windowDays });
  const ids = (c["customer_id"] ?? []) as string[];
  const rows = ids.length;
  const names = [...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES] as string[];
  const columns = [
    ...NUMERIC_FEATURES.map((k) =>
      Float64Array.from((c[k] ?? []) as (number | null)[], (v) => (v === null || v === undefined ? NaN : Number(v))),
    ),
    ...CATEGORICAL_FEATURES.map((k) =>
      ((c[k] ?? []) as (string | null)[]).map((v) => (v === null || v === undefined ? null : String(v))),
    ),
  ];
  const labels = await churnLabels(conn, ids, date, horizonDays, windowDays);
  return { date, ids, table: { names, columns, rows }, labels };
}

/** The `kind` column of a feature table (subscriber or buyer, per row). */
export function kindColumn(table: FeatureTable): string[] {
  return table.columns[table.names.indexOf("kind")] as string[];
}

/** Stack snapshots into one table (same feature names). */
export function stackSnapshots(snapshots: Snapshot[]): { table: FeatureTable; labels: Uint8Array; ids: string[] } {
  const names = snapshots[0]!.table.names;
  const rows = snapshots.reduce((s, x) => s + x.table.rows, 0);
  const columns = names.map((_, f) => {
    if (snapshots[0]!.table.columns[f] instanceof Float64Array) {
      const out = new Float64Array(rows);
      let o = 0;
      for (const s of snapshots) {
        out.set(s.table.columns[f] as Float64Array, o);
        o += s.table.rows;
      }
      return out;
    }
    return snapshots.flatMap((s) => s.table.columns[f] as (string | null)[]);
  });
  const labels = new Uint8Array(rows);
  let o = 0;
  for (const s of snapshots) {
    labels.set(s.labels, o);
    o += s.labels.length;
  }
  return { table: { names, columns, rows }, labels, ids: snapshots.flatMap((s) => s.ids) };
}

/** The given rows of a table (and their labels and ids), in the given order. */
export function subsetRows(
  stacked: { table: FeatureTable; labels: Uint8Array; ids: string[] },
  rows: ArrayLike<number>,
): { table: FeatureTable; labels: Uint8Array; ids: string[] } {
  const idx = Array.from(rows);
  const columns = stacked.table.columns.map((c) =>
    c instanceof Float64Array ? Float64Array.from(idx, (i) => c[i]!) : idx.map((i) => c[i]!),
  );
  return {
    table: { names: stacked.table.names, columns, rows: idx.length },
    labels: Uint8Array.from(idx, (i) => stacked.labels[i]!),
    ids: idx.map((i) => stacked.ids[i]!),
  };
}
