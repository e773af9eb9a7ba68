/**
 * The forest's snapshots come from one query over every snapshot date (models/forest/features.ts). This checks it
 * against the independent oracle it replaced: the one-date query below (the previous FEATURES_SQL, kept here verbatim),
 * run date by date on the sample warehouse, for 13 monthly snapshots. Every feature value and every label must agree
 * exactly (the same rows summed, the same day counts). One change to the oracle: survey answers given on the same day
 * (22 in the sample) are ordered by score, as features.ts defines, where the old query left their order to chance.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays } from "../loaders/dates.ts";
import { openDatabase, queryColumns, type Database } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { ACTIVE_ON_SQL, activeCustomers } from "../models/cohorts/active.ts";
import {
  CATEGORICAL_FEATURES,
  INTERACTION_COUNTS,
  NUMERIC_FEATURES,
  snapshotsFeatures,
} from "../models/forest/features.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const ONE_DATE_SQL = `
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
    SELECT customer_id, list(nps ORDER BY date DESC, nps DESC) FILTER (WHERE nps IS NOT NULL) AS nps_list,
      (list(csat ORDER BY date DESC, csat DESC) FILTER (WHERE csat IS NOT NULL))[1] AS last_csat
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

describe("snapshots from one query", () => {
  let db: Database;
  let asOf: string;
  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "churn-snapshots-")), "w.duckdb");
    asOf = (await ingest({ source: join(PROJECT_ROOT, "data", "sample") }, path)).asOf;
    db = await openDatabase(path);
  });
  afterAll(() => db?.close());

  it("equals the one-date query at every snapshot date, value for value, with the same labels", async () => {
    const H = 90;
    const W = 80;
    const dates = Array.from({ length: 13 }, (_, k) => addDays(asOf, -30 * k));
    const snapshots = await snapshotsFeatures(db.connection, dates, H, W);
    expect(snapshots.map((s) => s.date)).toEqual(dates);
    let compared = 0;
    for (const s of snapshots) {
      const oracle = await queryColumns(db.connection, ONE_DATE_SQL, { d: s.date, w: W });
      expect(s.ids, s.date).toEqual(oracle["customer_id"]);
      expect(s.ids.length).toBeGreaterThan(100);
      const names = [...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES];
      names.forEach((name, f) => {
        const expected = (oracle[name] ?? []).map((v) => (v === null ? (f < NUMERIC_FEATURES.length ? NaN : null) : v));
        expect(Array.from(s.table.columns[f]! as ArrayLike<unknown>), `${s.date} ${name}`).toEqual(expected);
        compared += expected.length;
      });
      const later = await activeCustomers(db.connection, addDays(s.date, H), W);
      expect(Array.from(s.labels), s.date).toEqual(s.ids.map((id) => (later.has(id) ? 0 : 1)));
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it("samples at most perSnapshot customers per training day by seed, same rows, never the scored day", async () => {
    const W = 80;
    const dates = [addDays(asOf, -120), addDays(asOf, -90), asOf];
    const whole = await snapshotsFeatures(db.connection, dates, 90, W);
    const sample = { perSnapshot: 500, seed: 7, except: asOf };
    const drawn = await snapshotsFeatures(db.connection, dates, 90, W, sample);
    for (const [k, s] of drawn.entries()) {
      const full = whole[k]!;
      expect(s.available, s.date).toBe(full.ids.length);
      expect(s.ids.length, s.date).toBe(s.date === asOf ? full.ids.length : Math.min(500, full.ids.length));
      expect([...s.ids].sort(), "sorted by id").toEqual(s.ids);
      // Each kept customer has exactly the features and label of the unsampled snapshot.
      s.ids.forEach((id, i) => {
        const j = full.ids.indexOf(id);
        expect(j).toBeGreaterThanOrEqual(0);
        expect(s.labels[i]).toBe(full.labels[j]);
        s.table.columns.forEach((col, f) =>
          expect(col[i], `${id} ${s.table.names[f]}`).toEqual(full.table.columns[f]![j]),
        );
      });
    }
    const again = await snapshotsFeatures(db.connection, dates, 90, W, sample);
    expect(again[0]!.ids).toEqual(drawn[0]!.ids);
    const other = await snapshotsFeatures(db.connection, dates, 90, W, { ...sample, seed: 8 });
    expect(other[0]!.ids).not.toEqual(drawn[0]!.ids);
  });
});
