/**
 * Churn features from the warehouse at a snapshot date d, using only rows dated ≤ d (leak-free), for the customers
 * active at d by the workspace's one rule (models/cohorts/active.ts): subscribers with a subscription active on d, and
 * one-off buyers (no subscription started by d) with a purchase in the W days up to d. The label (label.ts): not active
 * on d + H by the same rule.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryNumberColumns, run } from "../../loaders/db.ts";
import { ACTIVE_AFTER_DATES_SQL, ACTIVE_ON_DATES_SQL } from "../cohorts/active.ts";
import type { FeatureTable } from "./dataset.ts";

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

/** Interaction counts (complaints_30d … unhappy_90d), which default to 0 when a customer had no interactions. */
export const INTERACTION_COUNTS = NUMERIC_FEATURES.slice(
  NUMERIC_FEATURES.indexOf("complaints_30d"),
  NUMERIC_FEATURES.indexOf("unhappy_90d") + 1,
);

/**
 * Every snapshot's features in one query: the snapshot days are bound as $dates (see SNAPSHOT_DATES), `pop` holds
 * each day's customers (sampled for training days, see SnapshotSample) and every aggregate is per (d, customer_id) of
 * pop. Windowed aggregates (the last 90 or 180 days) read only the rows inside their window; the all-history ones
 * (last purchase or contact, first purchase, distinct purchase days, latest survey answers) are ASOF joins on each
 * customer's running history. The values are those of the one-date query this replaced, computed the same way
 * (sums over the same rows, integer day counts), as test/forest-snapshots.test.ts checks date by date. Survey answers
 * given on the same day count in ascending score order (last_nps, nps_change and last_csat take the day's highest).
 */
const FEATURES_SQL = `
  WITH pop AS MATERIALIZED (
    -- At most $keep customers per training day, drawn by a hash of their id and the seed (0: everyone); the day
    -- $whole (the customers to score) is never sampled. available = the day's customers before sampling.
    SELECT d, customer_id, kind, count(*) OVER (PARTITION BY d) AS available FROM (${ACTIVE_ON_DATES_SQL})
    QUALIFY $keep = 0 OR d = $whole::DATE
      OR row_number() OVER (PARTITION BY d ORDER BY hash(customer_id, $seed), customer_id) <= $keep
  ), purchase_days AS (
    -- Each of pop's customers' whole purchase history, one row per purchase day (days_so_far counts them).
    SELECT customer_id, date, row_number() OVER (PARTITION BY customer_id ORDER BY date) AS days_so_far,
      min(date) OVER (PARTITION BY customer_id) AS first_day
    FROM (SELECT DISTINCT customer_id, date FROM transactions
          WHERE amount > 0 AND customer_id IN (SELECT customer_id FROM pop))
  ), subscribed AS (
    SELECT d, customer_id, sum(coalesce(mrr, 0)) AS mrr, arg_max(plan, start_date) AS plan
    FROM subscriptions s JOIN pop USING (customer_id)
    WHERE start_date <= d AND (end_date IS NULL OR end_date > d) GROUP BY d, customer_id
  ), recent_spend AS (
    SELECT d, customer_id,
      coalesce(sum(amount) FILTER (WHERE date > d - 90), 0) AS spend_90d,
      coalesce(sum(amount) FILTER (WHERE date <= d - 90), 0) AS spend_prev_90d
    FROM transactions JOIN pop USING (customer_id) WHERE date <= d AND date > d - 180 AND amount > 0
    GROUP BY d, customer_id
  ), recent_days AS (
    SELECT d, customer_id,
      count(*) FILTER (WHERE date > d - 90) AS purchases_90d,
      count(*) FILTER (WHERE date <= d - 90) AS purchases_prev_90d
    FROM purchase_days JOIN pop USING (customer_id) WHERE date <= d AND date > d - 180 GROUP BY d, customer_id
  ), before AS (
    SELECT d, customer_id, sum(coalesce(mrr, 0)) AS mrr_before FROM subscriptions JOIN pop USING (customer_id)
    WHERE start_date <= d - 90 AND (end_date IS NULL OR end_date > d - 90) GROUP BY d, customer_id
  ), firsts AS (
    SELECT customer_id, min(start_date) AS first_start FROM subscriptions GROUP BY customer_id
  ), recent_inter AS (
    SELECT d, customer_id,
      count(*) FILTER (WHERE type = 'complaint' AND date > d - 30) AS complaints_30d,
      count(*) FILTER (WHERE type = 'complaint') AS complaints_90d,
      count(*) FILTER (WHERE type = 'support_call') AS support_calls_90d,
      count(*) FILTER (WHERE type = 'delivery_delay') AS delivery_delays_90d,
      count(*) FILTER (WHERE type = 'cancellation_request') AS cancellation_requests_90d,
      count(*) FILTER (WHERE type = 'failed_payment') AS failed_payments_90d,
      count(*) FILTER (WHERE type = 'downgrade_request') AS downgrade_requests_90d,
      count(*) FILTER (WHERE type = 'contact_left') AS contacts_left_90d,
      count(*) FILTER (WHERE type = 'renewal_postponed') AS renewals_postponed_90d,
      count(*) FILTER (WHERE mood = 'unhappy') AS unhappy_90d
    FROM interactions JOIN pop USING (customer_id) WHERE date <= d AND date > d - 90 GROUP BY d, customer_id
  ), contact_days AS (
    SELECT DISTINCT customer_id, date FROM interactions
  ), nps_answers AS (
    -- Answers on one day count in ascending score order, so "the latest" and "the one before" are always defined.
    SELECT customer_id, date, nps, lag(nps) OVER w AS previous_nps, row_number() OVER w AS seq
    FROM surveys WHERE nps IS NOT NULL WINDOW w AS (PARTITION BY customer_id ORDER BY date, nps)
  ), nps_days AS (
    SELECT customer_id, date, nps, previous_nps FROM nps_answers
    QUALIFY row_number() OVER (PARTITION BY customer_id, date ORDER BY seq DESC) = 1
  ), csat_days AS (
    SELECT customer_id, date, max(csat) AS csat FROM surveys WHERE csat IS NOT NULL GROUP BY customer_id, date
  ), history AS (
    SELECT pop.d, pop.customer_id, pop.kind, pop.available, pd.date AS last_purchase, pd.days_so_far, pd.first_day,
      cd.date AS last_contact, na.nps AS last_nps, na.nps - na.previous_nps AS nps_change, ca.csat AS last_csat
    FROM pop
    ASOF LEFT JOIN purchase_days pd ON pd.customer_id = pop.customer_id AND pd.date <= pop.d
    ASOF LEFT JOIN contact_days cd ON cd.customer_id = pop.customer_id AND cd.date <= pop.d
    ASOF LEFT JOIN nps_days na ON na.customer_id = pop.customer_id AND na.date <= pop.d
    ASOF LEFT JOIN csat_days ca ON ca.customer_id = pop.customer_id AND ca.date <= pop.d
  ), later AS (
    -- The label (label.ts): active again $h days after d by the same rule, looked up for pop's customers only.
    SELECT d - $h::INTEGER AS d, customer_id FROM (${ACTIVE_AFTER_DATES_SQL})
    WHERE customer_id IN (SELECT customer_id FROM pop)
  )
  SELECT CAST(h.d AS VARCHAR) AS snapshot, h.available, h.customer_id, h.kind,
    CAST(date_diff('day', coalesce(CASE WHEN f.first_start <= h.d THEN f.first_start END, c.signup_date), h.d)
      AS DOUBLE) AS tenure_days,
    s.plan, s.mrr, s.mrr - coalesce(b.mrr_before, 0) AS mrr_change_90d,
    CAST(date_diff('day', h.last_purchase, h.d) AS DOUBLE) AS days_since_last_purchase,
    CAST(coalesce(pd.purchases_90d, 0) AS DOUBLE) AS purchases_90d,
    CAST(coalesce(pd.purchases_prev_90d, 0) AS DOUBLE) AS purchases_prev_90d,
    coalesce(tx.spend_90d, 0) AS spend_90d, coalesce(tx.spend_prev_90d, 0) AS spend_prev_90d,
    CASE WHEN tx.spend_prev_90d > 0 THEN tx.spend_90d / tx.spend_prev_90d END AS spend_trend,
    CAST(CASE WHEN h.days_so_far > 1
      THEN date_diff('day', h.first_day, h.last_purchase) / (h.days_so_far - 1) END AS DOUBLE) AS mean_gap_days,
    ${INTERACTION_COUNTS.map((k) => `CAST(coalesce(i.${k}, 0) AS DOUBLE) AS ${k}`).join(", ")},
    CAST(date_diff('day', h.last_contact, h.d) AS DOUBLE) AS days_since_last_contact,
    CAST(h.last_nps AS DOUBLE) AS last_nps, CAST(h.nps_change AS DOUBLE) AS nps_change,
    CAST(h.last_csat AS DOUBLE) AS last_csat,
    c.segment, c.region, c.industry, c.company_size, c.acquisition_channel,
    CASE WHEN l.customer_id IS NULL THEN 1 ELSE 0 END AS churned
  FROM history h LEFT JOIN customers c USING (customer_id)
  LEFT JOIN later l USING (d, customer_id)
  LEFT JOIN subscribed s USING (d, customer_id) LEFT JOIN before b USING (d, customer_id)
  LEFT JOIN firsts f USING (customer_id) LEFT JOIN recent_spend tx USING (d, customer_id)
  LEFT JOIN recent_days pd USING (d, customer_id)
  LEFT JOIN recent_inter i USING (d, customer_id)
  ORDER BY h.d DESC, h.customer_id`;

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
  return (await snapshotsFeatures(conn, [date], horizonDays, windowDays))[0]!;
}

/**
 * At most `perSnapshot` customers of each snapshot date, drawn by a hash of their id with `seed`; customers of
 * the date `except` (the ones to score) are all kept.
 */
export interface SnapshotSample {
  perSnapshot: number;
  seed: number;
  except: string;
}

/**
 * The snapshots of several dates, with their labels, from one query, in the order of `dates`; each with `available`,
 * its customers before sampling. (The labels were once read as every customer active at each horizon, millions of ids
 * at a million customers, to label a few thousand.)
 */
export async function snapshotsFeatures(
  conn: DuckDBConnection,
  dates: readonly string[],
  horizonDays: number,
  windowDays: number,
  sample?: SnapshotSample,
): Promise<(Snapshot & { available: number })[]> {
  if (dates.length === 0) return [];
  // DuckDB plans an ASOF join as a nested loop when it expects few probe rows, and it cannot estimate the snapshot
  // days (an unnested parameter): on the sample that loop took 75% of the query. The hash-based ASOF join is used here.
  await run(conn, "SET SESSION asof_loop_join_threshold = 0"); // this connection only
  let c: Record<string, Float64Array | unknown[]>;
  try {
    c = await queryNumberColumns(conn, FEATURES_SQL, {
      dates: dates.join(","),
      w: windowDays,
      keep: sample?.perSnapshot ?? 0,
      whole: sample?.except ?? dates[0]!,
      seed: sample?.seed ?? 0,
      h: horizonDays,
    });
  } finally {
    await run(conn, "RESET SESSION asof_loop_join_threshold");
  }
  const days = (c["snapshot"] ?? []) as string[];
  const allIds = (c["customer_id"] ?? []) as string[];
  const names = [...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES] as string[];
  return dates.map((date) => {
    // Rows come ordered by date, so each snapshot is one contiguous run.
    const start = days.indexOf(date);
    const end = start < 0 ? -1 : days.lastIndexOf(date) + 1;
    const slice = <T>(values: T[]) => (start < 0 ? [] : values.slice(start, end));
    const ids = slice(allIds);
    const numbers = (k: string) => {
      const all = c[k];
      if (start < 0 || all === undefined) return new Float64Array(0);
      return all instanceof Float64Array
        ? all.slice(start, end)
        : Float64Array.from(all.slice(start, end), (v) => (v === null || v === undefined ? NaN : Number(v)));
    };
    const columns: (Float64Array | (string | null)[])[] = [
      ...NUMERIC_FEATURES.map(numbers),
      ...CATEGORICAL_FEATURES.map((k) =>
        slice((c[k] ?? []) as (string | null)[]).map((v) => (v === null || v === undefined ? null : String(v))),
      ),
    ];
    const labels = Uint8Array.from(numbers("churned"));
    const available = start < 0 ? 0 : Number((c["available"] ?? [])[start]);
    return { date, ids, table: { names, columns, rows: ids.length }, labels, available };
  });
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
