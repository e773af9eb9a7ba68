/**
 * Acquisition economics on a constructed warehouse, computed by hand (as-of 2024-04-30, a month = 30.4375 days,
 * margin 1 from data/rules/value.json):
 * - A (channel ads, signup 2024-01-01, cost 100): purchases 60 on day 0 (month 0), 60 on day 40 (month 1), a refund
 *   of −10 on day 64 (month 2); 120 days old = 3 full months; CLV ahead 40.
 * - B (ads, signup 2024-03-01, cost 50): no transactions, a subscription at MRR 30 from signup: month 0 = 30,
 *   month 1 = 30 × (60 − 30.4375) / 30.4375 = 29.1376 (up to the as-of date); 60 days old = 1 full month; CLV 200.
 * - C (ads, signup 2024-02-01, no cost): 500 on signup, CLV 1000: left out of every figure, and counted.
 * - D (no channel, signup 2024-04-01, no cost).
 * Channel ads: CAC = (100 + 50) / 2 = 75; LTV = (110 + 59.1376 + 40 + 200) / 2 = 204.5688; LTV:CAC = 2.72758.
 * Payback: month 0 over A and B (both complete) = (60 + 30) / 2 = 45; month 1 over A alone (B's month 1 is not
 * complete) = 60; 45 + 60 ≥ 75 → 1 + (75 − 45) / 60 = 1.5 months.
 * Cohort 2024-01 (A): CAC 100, LTV 150, payback 1 + (100 − 60) / 60 = 1.6667. Cohort 2024-03 (B): not paid back in
 * its 1 observed month (30 < 50).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, query, queryOne, run } from "../loaders/db.ts";
import { createTableSql, WAREHOUSE_META_SQL } from "../loaders/schema.ts";
import { analyzeAcquisition } from "../models/value/acquisition.ts";

const AS_OF = "2024-04-30";

describe("acquisition economics", () => {
  it("computes CAC, LTV, LTV:CAC and payback per channel and cohort, and says what is missing", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "churn-acq-")), "w.duckdb");
    const db = await openDatabase(path);
    const c = db.connection;
    for (const s of ["customers", "transactions", "subscriptions"] as const) await run(c, createTableSql(s));
    await run(c, WAREHOUSE_META_SQL);
    await run(
      c,
      `INSERT INTO customers (customer_id, signup_date, acquisition_channel, acquisition_cost) VALUES
       ('A', DATE '2024-01-01', 'ads', 100), ('B', DATE '2024-03-01', 'ads', 50), ('C', DATE '2024-02-01', 'ads', NULL),
       ('D', DATE '2024-04-01', NULL, NULL)`,
    );
    await run(
      c,
      `INSERT INTO transactions VALUES ('A', DATE '2024-01-01', 60, NULL), ('A', DATE '2024-02-10', 60, NULL),
       ('A', DATE '2024-03-05', -10, NULL), ('C', DATE '2024-02-01', 500, NULL), ('A', DATE '2024-06-01', 999, NULL)`,
    );
    await run(c, "INSERT INTO subscriptions VALUES ('B', DATE '2024-03-01', NULL, 'Pro', 30)");
    await run(c, "CREATE TABLE customer_value (customer_id VARCHAR, clv DOUBLE)");
    await run(c, "INSERT INTO customer_value VALUES ('A', 40), ('B', 200), ('C', 1000)");
    const ctx = { conn: c, dbPath: path, asOf: AS_OF, seed: 1, log: () => {} };
    expect((await analyzeAcquisition(ctx)).ran).toBe(true);
    const rows = await query<Record<string, number | string | null>>(
      c,
      "SELECT * FROM acquisition_economics ORDER BY dimension, value",
    );
    const row = (dimension: string, value: string) => rows.find((r) => r.dimension === dimension && r.value === value)!;
    const ads = row("channel", "ads");
    expect(ads).toMatchObject({ customers: 3, customers_with_cost: 2, acquisition_spend: 150, cac: 75 });
    const monthOneOfB = (30 * (60 - 30.4375)) / 30.4375;
    expect(ads.ltv as number).toBeCloseTo((110 + 30 + monthOneOfB + 40 + 200) / 2, 9);
    expect(ads.ltv_to_cac as number).toBeCloseTo((110 + 30 + monthOneOfB + 240) / 2 / 75, 9);
    expect(ads.payback_months as number).toBeCloseTo(1.5, 12);
    expect(ads.months_observed).toBe(3);
    expect(ads.note).toBe("acquisition cost missing for 1 of 3 customers (left out)");
    const none = row("channel", "(none)");
    expect(none).toMatchObject({ customers: 1, customers_with_cost: 0, cac: null, ltv: null, payback_months: null });
    expect(none.note).toMatch(/no acquisition costs recorded/);
    const january = row("cohort", "2024-01");
    expect(january).toMatchObject({ cac: 100, ltv: 150, ltv_to_cac: 1.5 });
    expect(january.payback_months as number).toBeCloseTo(1 + 40 / 60, 12);
    const march = row("cohort", "2024-03");
    expect(march.payback_months).toBeNull();
    expect(march.note).toBe("not paid back within the 1 months observed");
    expect(rows.map((r) => `${r.dimension}:${r.value}`)).toEqual([
      "channel:(none)",
      "channel:ads",
      "cohort:2024-01",
      "cohort:2024-02",
      "cohort:2024-03",
      "cohort:2024-04",
    ]);
    const meta = await queryOne<{ value: string }>(
      c,
      "SELECT value FROM warehouse_meta WHERE key = 'acquisition_economics'",
    );
    expect(JSON.parse(meta!.value)).toMatchObject({ customers: 4, customersWithCost: 2, missing: null });

    // No cost anywhere: the table stays, every figure is null, and the meta says so plainly.
    await run(c, "UPDATE customers SET acquisition_cost = NULL");
    await analyzeAcquisition(ctx);
    const empty = await query<{ n: number }>(
      c,
      "SELECT count(*)::INTEGER AS n FROM acquisition_economics WHERE cac IS NOT NULL OR ltv IS NOT NULL",
    );
    expect(empty[0]!.n).toBe(0);
    const missing = await queryOne<{ value: string }>(
      c,
      "SELECT value FROM warehouse_meta WHERE key = 'acquisition_economics'",
    );
    expect(JSON.parse(missing!.value).missing).toBe("no acquisition costs in the customers export");
    db.close();
  });
});
