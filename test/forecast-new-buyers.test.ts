/**
 * The share of new buyers active at each age (models/forecast/new-buyer-activity.ts), by hand on a constructed
 * warehouse: 60 buyers who first bought on 2025-01-01, half of them paying every 30 days; 60 more who bought once on
 * 2025-12-01 (31 days before the as-of date, so they are seen only up to age 30); and 60 who bought in 2023, before
 * the cohorts looked at. W = 35 days: everyone is active for 35 days after the first purchase; after that only the
 * monthly payers (every gap 30 < 35): A(a) = 1 for a < 35, then 30 / 60 = 0.5. Were the late cohort counted at ages it
 * has not reached, A would fall to 30 / 120; were the 2023 buyers counted, to 30 / 120 too.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addDays } from "../loaders/dates.ts";
import { openDatabase, run } from "../loaders/db.ts";
import { createTableSql } from "../loaders/schema.ts";
import { newBuyerActivity } from "../models/forecast/new-buyer-activity.ts";

describe("new buyers' activity by age", () => {
  it("is the share of recent new buyers active a days after their first purchase (by hand)", async () => {
    const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-new-buyers-")), "w.duckdb"));
    const c = db.connection;
    for (const t of ["customers", "transactions", "subscriptions"] as const) await run(c, createTableSql(t));
    const rows: string[] = [];
    for (let i = 0; i < 60; i++) {
      const payments = i < 30 ? 12 : 1;
      for (let k = 0; k < payments; k++)
        rows.push(`('M${i}', DATE '${addDays("2025-01-01", 30 * k)}', 10, 'm${i}-${k}')`);
      rows.push(`('L${i}', DATE '2025-12-01', 10, 'l${i}')`);
      rows.push(`('O${i}', DATE '2023-03-01', 10, 'o${i}')`, `('O${i}', DATE '2023-04-01', 10, 'o${i}b')`);
    }
    await run(c, `INSERT INTO transactions VALUES ${rows.join(",")}`);
    const curve = (await newBuyerActivity(c, "2025-12-31", 35, 100))!;
    expect(curve).toHaveLength(101);
    for (let age = 0; age < 35; age++) expect(curve[age]).toBe(1);
    for (let age = 35; age <= 100; age++) expect(curve[age]).toBe(0.5);
    // Too few buyers reach the oldest age asked for: on 2025-03-31 nobody is 100 days past a first purchase (the 2023
    // buyers are outside the cohorts), fewer than MIN_BUYERS (50), so no curve.
    expect(await newBuyerActivity(c, "2025-03-31", 35, 100)).toBeNull();
    db.close();
  });
});
