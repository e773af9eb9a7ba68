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
