/**
 * The churn label and the scored population follow the monthly report's one rule of "active"
 * (models/cohorts/active.ts), on a constructed warehouse with W = 30 days, snapshot d = 2024-03-01 and horizon
 * H = 90 days (d + H = 2024-05-30):
 * - S1 subscribes 2024-01-01 to 2024-05-15: active on d, not on May 30 → churned.
 * - S2 subscribes 2024-01-01, no end: active on both days → 0.
 * - B1 buys 2024-02-15 and 2024-05-20: active on d (a purchase in (Jan 31, Mar 1]); May 20 is in (Apr 30, May 30] → 0.
 * - B2 buys 2024-02-20 and 2024-04-10: active on d; nothing in (Apr 30, May 30] → churned. (The old label, "no purchase
 *   in (d, d + H]", called B2 retained because of April 10.)
 * - B3 bought once on 2023-12-01: not active on d (the old population, a purchase in 365 days, scored B3).
 * - B4 buys 2024-02-25, then subscribes from 2024-04-01 with no end: a buyer on d, active by subscription on May 30
 *   → 0.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, run, type Database } from "../loaders/db.ts";
import { createTableSql, WAREHOUSE_META_SQL } from "../loaders/schema.ts";
import { assignmentOutcomes } from "../models/actions/readout.ts";
import { activeCustomers, buyerWindow } from "../models/cohorts/active.ts";
import { snapshotFeatures } from "../models/forest/features.ts";
import { churnLabels } from "../models/forest/label.ts";

const D = "2024-03-01";

async function warehouse(): Promise<Database> {
  const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-label-")), "w.duckdb"));
  const c = db.connection;
  for (const s of ["customers", "transactions", "subscriptions", "interactions", "surveys"] as const)
    await run(c, createTableSql(s));
  await run(c, WAREHOUSE_META_SQL);
  await run(c, 'INSERT INTO warehouse_meta VALUES (\'buyer_inactivity_window\', \'{"days":30,"rule":"test"}\')');
  await run(
    c,
    `INSERT INTO customers (customer_id, signup_date) VALUES ('S1', DATE '2024-01-01'), ('S2', DATE '2024-01-01'),
     ('B1', DATE '2024-02-15'), ('B2', DATE '2024-02-20'), ('B3', DATE '2023-12-01'), ('B4', DATE '2024-02-25')`,
  );
  await run(
    c,
    `INSERT INTO subscriptions VALUES ('S1', DATE '2024-01-01', DATE '2024-05-15', 'Pro', 100),
     ('S2', DATE '2024-01-01', NULL, 'Pro', 100), ('B4', DATE '2024-04-01', NULL, 'Basic', 20)`,
  );
  await run(
    c,
    `INSERT INTO transactions VALUES ('B1', DATE '2024-02-15', 10, NULL), ('B1', DATE '2024-05-20', 10, NULL),
     ('B2', DATE '2024-02-20', 10, NULL), ('B2', DATE '2024-04-10', 10, NULL), ('B3', DATE '2023-12-01', 10, NULL),
     ('B4', DATE '2024-02-25', 10, NULL)`,
  );
  return db;
}

const labelled = (ids: string[], labels: Uint8Array) => Object.fromEntries(ids.map((id, i) => [id, labels[i]]));

describe("one rule for active and churned", () => {
  let db: Database;
  beforeEach(async () => {
    db = await warehouse();
  });

  it("reads the build's window W from warehouse_meta", async () => {
    expect(await buyerWindow(db.connection, "2024-09-30")).toEqual({ days: 30, rule: "test" });
  });

  it("scores the customers active on the snapshot date and labels them by activity at the horizon", async () => {
    const s = await snapshotFeatures(db.connection, D, 90, 30);
    expect(s.ids).toEqual(["B1", "B2", "B4", "S1", "S2"]);
    const kinds = s.table.columns[s.table.names.indexOf("kind")] as string[];
    expect(kinds).toEqual(["buyer", "buyer", "buyer", "subscriber", "subscriber"]);
    expect(labelled(s.ids, s.labels)).toEqual({ B1: 0, B2: 1, B4: 0, S1: 1, S2: 0 });
  });

  it("a purchase inside the last W days before the horizon keeps a buyer; one after the horizon does not", async () => {
    await run(db.connection, "INSERT INTO transactions VALUES ('B2', DATE '2024-06-15', 10, NULL)");
    expect(labelled(["B2"], await churnLabels(db.connection, ["B2"], D, 90, 30))).toEqual({ B2: 1 });
    await run(db.connection, "INSERT INTO transactions VALUES ('B2', DATE '2024-05-10', 10, NULL)");
    expect(labelled(["B2"], await churnLabels(db.connection, ["B2"], D, 90, 30))).toEqual({ B2: 0 });
  });

  it("a refund is not a purchase, and a longer window reaches further back", async () => {
    await run(db.connection, "INSERT INTO transactions VALUES ('B3', DATE '2024-02-28', -10, NULL)");
    expect([...(await activeCustomers(db.connection, D, 30))].sort()).toEqual(["B1", "B2", "B4", "S1", "S2"]);
    expect((await activeCustomers(db.connection, D, 100)).has("B3")).toBe(true);
  });

  it("the campaign readout counts churn by the same label", async () => {
    await run(db.connection, "CREATE TABLE customer_value (customer_id VARCHAR, clv DOUBLE)");
    await run(db.connection, "INSERT INTO customer_value VALUES ('S2', 500)");
    const ids = ["S1", "S2", "B1", "B2", "B3", "B4"];
    const outcomes = await assignmentOutcomes(
      db.connection,
      ids.map((customer_id) => ({ customer_id, campaign: "call", grp: "treatment", date: D })),
      { horizonDays: 90, asOf: "2024-09-30", windowDays: 30 },
    );
    expect(Object.fromEntries(outcomes.map((o) => [o.customer_id, [o.activeAtStart, o.churned, o.clv]]))).toEqual({
      S1: [true, true, 0],
      S2: [true, false, 500],
      B1: [true, false, 0],
      B2: [true, true, 0],
      B3: [false, true, 0],
      B4: [true, false, 0],
    });
    expect(outcomes.every((o) => o.complete)).toBe(true);
  });
});
