/**
 * Survival by Reinartz-Kumar quadrant as a landmark analysis: the follow-up from the landmark on a constructed
 * warehouse computed by hand, the valuation at the landmark unchanged by anything after it (leak-free), and the
 * build's quadrant curves on the sample wired to that valuation.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { addMonths } from "../loaders/dates.ts";
import { openDatabase, query, run, type Database } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { createTableSql } from "../loaders/schema.ts";
import { analyzeSurvival } from "../models/survival/analyze.ts";
import { followUpFromLandmark } from "../models/survival/tenure.ts";
import { landmarkValuation, type SharedWork } from "../models/value/landmark-valuation.ts";
import { analyzeQuadrantSurvival } from "../models/value/quadrant-survival.ts";
import { loadValueSettings } from "../models/value/settings.ts";
import { valueCustomers } from "../models/value/valuation.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

describe("follow-up from a landmark", () => {
  it("follows the subscribers active on the landmark to their churn or the as-of date", async () => {
    const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-landmark-")), "w.duckdb"));
    await run(db.connection, createTableSql("subscriptions"));
    // Landmark 2024-06-30, as-of 2024-12-31 (184 days later). Active on d: start ≤ d and (no end, or d < end).
    await run(
      db.connection,
      `INSERT INTO subscriptions VALUES
        ('A', DATE '2024-01-01', DATE '2024-09-15', 'Basic', 10),  -- churns 77 days after the landmark
        ('B', DATE '2024-03-01', NULL, 'Basic', 10),                -- still active: censored at 184
        ('C', DATE '2024-01-01', DATE '2024-06-30', 'Basic', 10),  -- ended on the landmark: not active then, left out
        ('D', DATE '2024-07-01', NULL, 'Basic', 10),                -- started after the landmark: left out
        ('E', DATE '2024-02-01', DATE '2024-08-01', 'Basic', 10),  -- lapses, then comes back: active at the as-of date,
        ('E', DATE '2024-10-01', NULL, 'Basic', 10),                --   so censored at 184 (customer-level view)
        ('F', DATE '2024-02-01', DATE '2025-03-01', 'Basic', 10),  -- ends after the as-of date: not yet known, censored
        ('G', DATE '2024-01-01', DATE '2024-08-01', 'Basic', 10),  -- two subscriptions, the last ends 2024-11-01:
        ('G', DATE '2024-09-01', DATE '2024-11-01', 'Basic', 10),  --   churn 124 days after the landmark
        ('H', DATE '2024-01-01', DATE '2024-07-01', 'Basic', 10)   -- active on the landmark, churns the next day`,
    );
    const f = await followUpFromLandmark(db.connection, "2024-06-30", "2024-12-31");
    expect(f.customerIds.map((id, i) => [id, f.days[i], f.events[i]])).toEqual([
      ["A", 77, 1],
      ["B", 184, 0],
      ["E", 184, 0],
      ["F", 184, 0],
      ["G", 124, 1],
      ["H", 1, 1],
    ]);
    db.close();
  });
});

describe("survival by quadrant on the sample", () => {
  let path: string;
  let db: Database;
  let asOf: string;
  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), "churn-quadrant-")), "w.duckdb");
    asOf = (await ingest({ source: join(PROJECT_ROOT, "data", "sample") }, path)).asOf;
    db = await openDatabase(path);
    const ctx = { conn: db.connection, dbPath: path, asOf, seed: 1, log: () => {} };
    expect((await analyzeSurvival(ctx)).ran).toBe(true);
    expect((await analyzeQuadrantSurvival(ctx)).ran).toBe(true);
  });

  it("values customers at the landmark with nothing that happened after it", async () => {
    const settings = loadValueSettings();
    const landmark = addMonths(asOf, -settings.quadrantLandmarkMonths);
    db.close();
    const copy = () => {
      const to = join(mkdtempSync(join(tmpdir(), "churn-quadrant-copy-")), "w.duckdb");
      copyFileSync(path, to);
      return openDatabase(to);
    };
    const [full, cut] = [await copy(), await copy()];
    db = await openDatabase(path);
    for (const w of [full, cut]) {
      // A buyer before the landmark who subscribes after it is still a buyer on the landmark.
      await run(
        w.connection,
        "INSERT INTO transactions VALUES ('LATE-SUBSCRIBER', $a, 40, NULL), ('LATE-SUBSCRIBER', $b, 60, NULL)",
        { a: addMonths(landmark, -5), b: addMonths(landmark, -2) },
      );
      await run(w.connection, "INSERT INTO subscriptions VALUES ('LATE-SUBSCRIBER', $s, NULL, 'Basic', 30)", {
        s: addMonths(landmark, 1),
      });
    }
    // Forget the future in one copy: rows dated after the landmark go, and ends after it are not known yet.
    await run(cut.connection, "DELETE FROM transactions WHERE date > $l", { l: landmark });
    await run(cut.connection, "DELETE FROM subscriptions WHERE start_date > $l", { l: landmark });
    await run(cut.connection, "UPDATE subscriptions SET end_date = NULL WHERE end_date > $l", { l: landmark });
    await run(cut.connection, "DELETE FROM interactions WHERE date > $l", { l: landmark });
    await run(cut.connection, "DELETE FROM surveys WHERE date > $l", { l: landmark });
    const now = await valueCustomers(full.connection, landmark, settings);
    const past = await valueCustomers(cut.connection, landmark, settings);
    full.close();
    cut.close();
    expect(now.rows.length).toBeGreaterThan(1000);
    expect(now.rows.find((r) => r.id === "LATE-SUBSCRIBER")).toMatchObject({ kind: "buyer", frequency: 1 });
    expect(past.thresholds).toEqual(now.thresholds);
    expect(past.rows).toEqual(now.rows);
  });

  it("hands its landmark valuation to reasons once, equal to a fresh one, and keeps nothing after", async () => {
    const shared: SharedWork = new Map();
    const ctx = { conn: db.connection, dbPath: path, asOf, seed: 1, log: () => {}, shared };
    expect((await analyzeQuadrantSurvival(ctx)).ran).toBe(true);
    expect(shared.size).toBe(1); // left for reasons
    const settings = loadValueSettings();
    const landmark = addMonths(asOf, -settings.quadrantLandmarkMonths);
    const left = [...shared.values()][0];
    const handed = landmarkValuation(db.connection, landmark, settings, { shared, keep: false });
    expect(handed).toBe(left); // the same promise, not a second computation
    expect(shared.size).toBe(0); // taken: not held for the rest of the build
    expect((await handed).rows).toEqual((await valueCustomers(db.connection, landmark, settings)).rows);
    // Another landmark or other settings are never served from it.
    const other = landmarkValuation(db.connection, addMonths(landmark, -1), settings, { shared, keep: true });
    expect(landmarkValuation(db.connection, landmark, settings, { shared, keep: false })).not.toBe(other);
    await other;
  });

  it("draws one curve per quadrant for exactly the subscribers active on the landmark, with log-rank", async () => {
    const meta = JSON.parse(
      (
        await query<{ value: string }>(
          db.connection,
          "SELECT value FROM warehouse_meta WHERE key = 'survival_quadrant'",
        )
      )[0]!.value,
    );
    expect(meta.landmark).toBe(addMonths(asOf, -12));
    const settings = loadValueSettings();
    const valuation = await valueCustomers(db.connection, meta.landmark, settings);
    const expected: Record<string, number> = {};
    for (const r of valuation.rows)
      if (r.kind === "subscriber" && r.quadrant) expected[r.quadrant] = (expected[r.quadrant] ?? 0) + 1;
    const summary = await query<{ grp: string; n: number; events: number }>(
      db.connection,
      "SELECT grp, n, events FROM survival_summary WHERE grouping = 'quadrant' ORDER BY grp",
    );
    expect(Object.fromEntries(summary.map((s) => [s.grp, s.n]))).toEqual(expected);
    expect(Object.keys(expected)).toHaveLength(4);
    expect(summary.reduce((s, r) => s + r.events, 0)).toBe(meta.churned);
    const [test] = await query<{ groups: number; df: number; p: number }>(
      db.connection,
      "SELECT groups, df, p FROM survival_logrank WHERE grouping = 'quadrant'",
    );
    expect(test).toMatchObject({ groups: 4, df: 3 });
    expect(test!.p).toBeGreaterThan(0);
    // Follow-up time starts at the landmark and ends by the as-of date.
    const [range] = await query<{ lo: number; hi: number }>(
      db.connection,
      "SELECT min(t_days) AS lo, max(t_days) AS hi FROM survival_curves WHERE grouping = 'quadrant'",
    );
    expect(range!.lo).toBeGreaterThanOrEqual(0);
    expect(range!.hi).toBeLessThanOrEqual(meta.followUpDays);
  });

  it("replaces its rows when run again, and says why when the landmark has too few subscribers", async () => {
    const ctx = { conn: db.connection, dbPath: path, asOf, seed: 1, log: () => {} };
    await analyzeQuadrantSurvival(ctx);
    const [again] = await query<{ n: number }>(
      db.connection,
      "SELECT count(*)::INTEGER AS n FROM survival_logrank WHERE grouping = 'quadrant'",
    );
    expect(again!.n).toBe(1);
    const [first] = await query<{ d: string }>(
      db.connection,
      "SELECT CAST(min(start_date) AS VARCHAR) AS d FROM subscriptions",
    );
    const early = await analyzeQuadrantSurvival({ ...ctx, asOf: addMonths(first!.d, 6) });
    expect(early.ran).toBe(false);
    expect(early.skipped).toMatch(/only 0 subscribers were active on the landmark .* too few to compare quadrants/);
    const [left] = await query<{ n: number }>(
      db.connection,
      "SELECT count(*)::INTEGER AS n FROM survival_curves WHERE grouping = 'quadrant'",
    );
    expect(left!.n).toBe(0);
  });
});
