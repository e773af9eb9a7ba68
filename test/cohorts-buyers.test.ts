/**
 * Churn of one-off buyers by an inactivity window, on a constructed warehouse computed by hand.
 * Buyer X purchases on 2024-01-01, 01-31, 03-02 (gaps 30, 31); buyer Y on 01-10 and 02-20 (gap 41); subscriber Z's
 * invoices are not buyer purchases. Gaps [30, 31, 41]: 90th percentile (linear) = 31 + 0.8 × 10 = 39 → window 39 days.
 * Active on d = a purchase in (d − 39, d]: Feb 1 {X, Y}; Mar 1 {X, Y}; Apr 1 {X}; May 1 {}.
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
    for (const s of ["transactions", "subscriptions"] as const) await run(db.connection, createTableSql(s));
    await run(db.connection, `INSERT INTO transactions VALUES ('X', DATE '2024-01-01', 10, NULL), ('X', DATE '2024-01-31', 10, NULL), ('X', DATE '2024-03-02', 10, NULL),
      ('Y', DATE '2024-01-10', 10, NULL), ('Y', DATE '2024-02-20', 10, NULL), ('Z', DATE '2024-01-05', 49, NULL), ('Z', DATE '2024-02-05', 49, NULL)`);
    await run(db.connection, "INSERT INTO subscriptions VALUES ('Z', DATE '2024-01-05', NULL, 'Basic', 49)");
    const window = await inactivityWindow(db.connection, "2024-04-30");
    expect(window).toMatchObject({ days: 39, gaps: 3 });
    const months = await buyerMonthly(db.connection, "2024-04-30", window!.days);
    expect(months.map((m) => [m.month, m.start, m.end, m.lost, m.new])).toEqual([
      ["2024-02", 2, 2, 0, 0],
      ["2024-03", 2, 1, 1, 0],
      ["2024-04", 1, 0, 1, 0],
    ]);
    expect(months[1]!.churnRate).toBe(0.5);
    db.close();
  });
});
