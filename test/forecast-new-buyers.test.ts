import { describe, expect, it } from "vitest";
import { addDays } from "../loaders/dates.ts";
import { run } from "../loaders/db.ts";
import { newBuyerActivity } from "../models/forecast/new-buyer-activity.ts";
import { emptyWarehouse } from "./helpers/warehouse.ts";

describe("new buyers' activity by age", () => {
  it("is the share of recent new buyers active a days after their first purchase (by hand)", async () => {
    const db = await emptyWarehouse("new-buyers");
    const c = db.connection;
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
