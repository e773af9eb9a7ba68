/**
 * Churn of one-off buyers by an inactivity window, on a constructed warehouse computed by hand.
 * Buyer X purchases on 2024-01-01, 01-31, 03-02 (gaps 30, 31); buyer Y on 01-10 and 02-20 (gap 41); subscriber Z's
 * invoices are not buyer purchases. Gaps [30, 31, 41]: 90th percentile (linear) = 31 + 0.8 × 10 = 39 → window 39 days.
 * Active on d = a purchase in (d − 39, d]: Feb 1 {X, Y}; Mar 1 {X, Y}; Apr 1 {X}; May 1 {}.
 * By segment: X is SMB; Y has no customers row, so every dimension of Y is "(none)"; Z is a subscriber and not counted.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, run } from "../loaders/db.ts";
import { createTableSql } from "../loaders/schema.ts";
import { buyerMonthly, inactivityWindow } from "../models/cohorts/inactivity.ts";

describe("buyer churn by inactivity window", () => {
  it("chooses the window from the purchase gaps and counts lost buyers per month", async () => {
    const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-buyers-")), "w.duckdb"));
    for (const s of ["customers", "transactions", "subscriptions"] as const)
      await run(db.connection, createTableSql(s));
    await run(
      db.connection,
      `INSERT INTO customers (customer_id, signup_date, plan, segment)
       VALUES ('X', DATE '2023-12-01', 'Free', 'SMB'), ('Z', DATE '2023-12-01', 'Basic', 'SMB')`,
    );
    await run(
      db.connection,
      `INSERT INTO transactions VALUES
      ('X', DATE '2024-01-01', 10, NULL), ('X', DATE '2024-01-31', 10, NULL), ('X', DATE '2024-03-02', 10, NULL),
      ('Y', DATE '2024-01-10', 10, NULL), ('Y', DATE '2024-02-20', 10, NULL),
      ('Z', DATE '2024-01-05', 49, NULL), ('Z', DATE '2024-02-05', 49, NULL)`,
    );
    await run(db.connection, "INSERT INTO subscriptions VALUES ('Z', DATE '2024-01-05', NULL, 'Basic', 49)");
    const window = await inactivityWindow(db.connection, "2024-04-30");
    expect(window).toMatchObject({ days: 39, gaps: 3 });
    const months = await buyerMonthly(db.connection, "2024-04-30", window!.days);
    const of = (dimension: string, value: string) =>
      months
        .filter((m) => m.dimension === dimension && m.value === value)
        .map((m) => [m.month, m.start, m.end, m.lost, m.new]);
    expect(of("all", "all")).toEqual([
      ["2024-02", 2, 2, 0, 0],
      ["2024-03", 2, 1, 1, 0],
      ["2024-04", 1, 0, 1, 0],
    ]);
    expect(months.find((m) => m.dimension === "all" && m.month === "2024-03")!.churnRate).toBe(0.5);
    expect(of("segment", "SMB")).toEqual([
      ["2024-02", 1, 1, 0, 0],
      ["2024-03", 1, 1, 0, 0],
      ["2024-04", 1, 0, 1, 0],
    ]);
    // Every month is listed for every value, zeros included; a month with no one active at its start has no rate.
    expect(of("segment", "(none)")).toEqual([
      ["2024-02", 1, 1, 0, 0],
      ["2024-03", 1, 0, 1, 0],
      ["2024-04", 0, 0, 0, 0],
    ]);
    expect(
      months.find((m) => m.dimension === "segment" && m.value === "(none)" && m.month === "2024-04")!.churnRate,
    ).toBeNull();
    expect(of("region", "(none)")).toEqual(of("all", "all"));
    expect(of("plan", "Free")).toEqual(of("segment", "SMB"));
    expect(new Set(months.map((m) => `${m.dimension}=${m.value}`))).toEqual(
      new Set([
        "all=all",
        "plan=Free",
        "plan=(none)",
        "segment=SMB",
        "segment=(none)",
        "region=(none)",
        "acquisition_channel=(none)",
      ]),
    );
    db.close();
  });
});

describe("filter values beyond the most common", () => {
  it("share one value, '(other)', so a field with a value per customer does not give a row per customer", async () => {
    const { MAX_FILTER_VALUES, buildSubscriptionStates } = await import("../models/cohorts/subscription-states.ts");
    const { monthlyMetrics } = await import("../models/cohorts/monthly-metrics.ts");
    const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-filters-")), "w.duckdb"));
    for (const s of ["customers", "transactions", "subscriptions"] as const)
      await run(db.connection, createTableSql(s));
    // 40 subscribers and 40 buyers, each with a segment of its own but for S00, which three more share; one has none.
    const ids = Array.from({ length: 40 }, (_, i) => i);
    const segment = (i: number) => (i < 4 ? "'S00'" : i === 39 ? "NULL" : `'S${String(i).padStart(2, "0")}'`);
    const customers = (p: string) => ids.map((i) => `('${p}${i}', DATE '2024-01-01', ${segment(i)})`).join(", ");
    await run(db.connection, `INSERT INTO customers (customer_id, signup_date, segment) VALUES ${customers("s")}`);
    await run(db.connection, `INSERT INTO customers (customer_id, signup_date, segment) VALUES ${customers("b")}`);
    const subs = ids.map((i) => `('s${i}', DATE '2024-01-01', NULL, 'Pro', 10)`).join(", ");
    await run(db.connection, `INSERT INTO subscriptions VALUES ${subs}`);
    const buys = ids.flatMap((i) => [`('b${i}', DATE '2024-01-02', 5, NULL)`, `('b${i}', DATE '2024-02-01', 5, NULL)`]);
    await run(db.connection, `INSERT INTO transactions VALUES ${buys.join(", ")}`);
    await buildSubscriptionStates(db.connection, "2024-03-31");
    const monthly = await monthlyMetrics(db.connection, "2024-03-31", ["segment"]);
    const buyers = await buyerMonthly(db.connection, "2024-03-31", 45);
    for (const rows of [monthly, buyers.filter((m) => m.dimension === "segment")]) {
      const values = [...new Set(rows.map((m) => m.value))];
      // S00 (4 customers) and the 24 that sort first of the single ones (S04–S27) keep their rows; S28–S38 share
      // "(other)"; the customer with no segment is "(none)".
      expect(values).toHaveLength(MAX_FILTER_VALUES + 2);
      expect(values).toContain("S00");
      expect(values).toContain("S27");
      expect(values).not.toContain("S28");
      expect(values).toContain("(none)");
      const first = (v: string) => rows.find((m) => m.value === v && m.month === "2024-02")!;
      expect([first("S00").start, first("(other)").start, first("(none)").start]).toEqual([4, 11, 1]);
    }
    db.close();
  });
});
