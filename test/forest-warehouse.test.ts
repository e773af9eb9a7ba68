/**
 * The churn model on the warehouse: features are leak-free (rows after the snapshot date change nothing), the
 * generator's true churn drivers (ground_truth.json) rank among the top features, and every active customer gets a
 * probability and drivers in words. The cohorts and value stages run first, as in `churn build`, so the model uses the
 * build's inactivity window and the contact threshold values customers on each snapshot date.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query, run, type Database } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { activeCustomers } from "../models/cohorts/active.ts";
import { analyzeCohorts } from "../models/cohorts/analyze.ts";
import { analyzeForest } from "../models/forest/analyze.ts";
import { snapshotFeatures } from "../models/forest/features.ts";
import { snapshotValues } from "../models/forest/value-threshold.ts";
import { analyzeValue } from "../models/value/analyze.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

describe("churn forest on the sample warehouse", () => {
  let db: Database;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON read back from the warehouse, checked field by field below
  let card: Record<string, any>;
  let asOf: string;
  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "churn-forest-")), "w.duckdb");
    const result = await ingest({ source: join(PROJECT_ROOT, "data", "sample") }, path);
    asOf = result.asOf;
    db = await openDatabase(path);
    const ctx = { conn: db.connection, dbPath: path, asOf: result.asOf, seed: 1, log: () => {} };
    for (const stage of [analyzeCohorts, analyzeValue]) expect((await stage(ctx)).ran).toBe(true);
    const report = await analyzeForest(ctx);
    expect(report.ran).toBe(true);
    card = Object.fromEntries(
      (await query<{ key: string; value: string }>(db.connection, "SELECT key, value FROM model_card")).map((r) => [
        r.key,
        JSON.parse(r.value),
      ]),
    );
  });

  it("computes the same features at a date whatever happens after it", async () => {
    const before = await snapshotFeatures(db.connection, "2026-03-31", 90, 80);
    const sampled = [{ date: "2026-03-31", ids: before.ids.filter((_, i) => i % 10 === 0) }];
    const valuesBefore = await snapshotValues(db.connection, sampled, 80);
    const id = before.ids[0]!;
    await run(
      db.connection,
      "INSERT INTO interactions VALUES ($id, DATE '2026-04-02', 'complaint', 'phone', 'unhappy', 'after the snapshot')",
      { id },
    );
    await run(db.connection, "INSERT INTO transactions VALUES ($id, DATE '2026-04-03', 999, 'late')", { id });
    await run(db.connection, "INSERT INTO surveys VALUES ($id, DATE '2026-04-04', 0, 1)", { id });
    const after = await snapshotFeatures(db.connection, "2026-03-31", 90, 80);
    expect(after.ids).toEqual(before.ids);
    // The value each customer-snapshot is weighed by in the contact threshold is leak-free too.
    expect(await snapshotValues(db.connection, sampled, 80)).toEqual(valuesBefore);
    expect(valuesBefore.unvalued).toBe(0);
    before.table.columns.forEach((column, f) =>
      expect(Array.from(after.table.columns[f]! as ArrayLike<unknown>), before.table.names[f]).toEqual(
        Array.from(column as ArrayLike<unknown>),
      ),
    );
  });

  it("ranks the generator's true drivers among the top features and validates well, in and out of time", () => {
    const top = (card["permutationImportances"] as { feature: string }[]).slice(0, 10).map((i) => i.feature);
    // ground_truth.json drivers: complaints, unhappy_moods, low_nps, cancellation_request, purchase_decline, …
    const truthFeatures = [
      "complaints_90d",
      "complaints_30d",
      "unhappy_90d",
      "last_nps",
      "nps_change",
      "cancellation_requests_90d",
      "days_since_last_purchase",
      "purchases_90d",
      "spend_90d",
      "tenure_days",
      "plan",
      "mrr",
    ];
    expect(top.filter((f) => truthFeatures.includes(f)).length).toBeGreaterThanOrEqual(4);
    expect(card["auc"]).toBeGreaterThan(0.8);
    expect(card["backtest"].auc).toBeGreaterThan(0.8);
  });

  it("scores every active customer with a probability, and those at risk with drivers in words", async () => {
    const [row] = await query<{ n: number; bad: number; words: number }>(
      db.connection,
      `SELECT count(*)::INTEGER AS n,
              count(*) FILTER (WHERE churn_probability IS NULL
                               OR NOT (churn_probability BETWEEN 0 AND 1))::INTEGER AS bad,
              count(*) FILTER (WHERE churn_probability >= 0.3 AND top_drivers = '')::INTEGER AS words
       FROM churn_predictions`,
    );
    expect(row!.n).toBe(card["scored"]);
    expect(row!.bad).toBe(0);
    // Every customer at real risk has at least one driver in words (low-risk customers may have none).
    expect(row!.words).toBe(0);
  });

  it("scores exactly the customers active by the report's rule and says where probabilities come from", async () => {
    expect(card["buyerWindowDays"]).toBe(80);
    const active = await activeCustomers(db.connection, asOf, card["buyerWindowDays"]);
    const scored = await query<{ customer_id: string; probability_source: string }>(
      db.connection,
      "SELECT customer_id, probability_source FROM churn_predictions ORDER BY customer_id",
    );
    expect(scored.map((r) => r.customer_id)).toEqual([...active].sort());
    expect(new Set(scored.map((r) => r.probability_source))).toEqual(new Set(["forest"]));
  });

  it("contacts a sensible number at the value-maximising threshold, valuing customers on their snapshot date", () => {
    const v = card["valueThreshold"];
    // Before the fix every customer-snapshot was valued at today's CLV (about 0 for those who churned) and the
    // threshold was 1.000: contact nobody.
    expect(v.threshold).toBeLessThan(1);
    expect(v.contacted).toBeGreaterThan(0);
    expect(v.savedValue).toBeGreaterThan(0);
    expect(v.unvalued).toBe(0);
    // Not everyone either: some customers are not worth a contact.
    expect(v.contactedToday).toBeGreaterThan(0);
    expect(v.contactedToday).toBeLessThan(card["scored"]);
    expect(v.contactedPerSnapshot).toBeCloseTo(v.contacted / v.snapshots, 9);
  });

  it("reports calibration for buyers and subscribers separately", () => {
    const byKind = card["calibrationByKind"] as {
      kind: string;
      rows: number;
      brier: number;
      reliability: { count: number }[];
    }[];
    expect(byKind.map((k) => k.kind)).toEqual(["buyer", "subscriber"]);
    expect(byKind.reduce((s, k) => s + k.rows, 0)).toBe(card["rows"]);
    for (const k of byKind) {
      expect(k.reliability.reduce((s, b) => s + b.count, 0)).toBe(k.rows);
      expect(k.brier).toBeGreaterThan(0);
      expect(k.brier).toBeLessThan(0.25);
    }
    // The pooled Brier score is the row-weighted mean of the two.
    const pooled = byKind.reduce((s, k) => s + k.brier * k.rows, 0) / card["rows"];
    expect(pooled).toBeCloseTo(card["brier"], 12);
  });
});
