/**
 * One rule for quadrants and tiers: `churn clv --db --out` and the build's customer_value put every customer of the
 * sample warehouse in the same quadrant and tier, and both place exactly the customers active by the report's rule.
 * segmentCustomers by hand: active CLVs [10, 20, 30, 40] and loyalties [1, 5, 9, 3] → median CLV 25, median loyalty 4;
 * (10, 1) stranger, (20, 5) barnacle, (30, 9) true friend, (40, 3) butterfly; with tier shares 0.25 / 0.25 the top
 * one (40) is high, the next (30) mid, the rest low; the inactive row (CLV 1000) gets neither and moves no threshold.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
import { describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { activeCustomers, buyerWindow } from "../models/cohorts/active.ts";
import { analyzeCohorts } from "../models/cohorts/analyze.ts";
import { analyzeValue } from "../models/value/analyze.ts";
import { segmentCustomers } from "../models/value/segments.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

describe("quadrants and tiers", () => {
  it("segmentCustomers places active customers only, with thresholds over them", () => {
    const rows = [
      { clv: 10, loyalty: 1, active: true },
      { clv: 20, loyalty: 5, active: true },
      { clv: 1000, loyalty: 12, active: false },
      { clv: 30, loyalty: 9, active: true },
      { clv: 40, loyalty: 3, active: true },
    ];
    const s = segmentCustomers(rows, {
      valueThreshold: "median",
      loyaltyThreshold: "median",
      tierHigh: 0.25,
      tierMid: 0.25,
    });
    expect(s.thresholds).toMatchObject({ value: 25, loyaltyMonths: 4 });
    expect(s.quadrants).toEqual(["strangers", "barnacles", null, "true friends", "butterflies"]);
    expect(s.tiers).toEqual(["low", "low", null, "mid", "high"]);
  });

  it("churn clv --out and the build agree for every customer of the sample", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-segments-"));
    const path = join(dir, "w.duckdb");
    const result = await ingest({ source: join(PROJECT_ROOT, "data", "sample") }, path);
    const db = await openDatabase(path);
    const ctx = { conn: db.connection, dbPath: path, asOf: result.asOf, seed: 1, log: () => {} };
    expect((await analyzeCohorts(ctx)).ran).toBe(true);
    expect((await analyzeValue(ctx)).ran).toBe(true);
    const built = await query<{ customer_id: string; kind: string; active: boolean; quadrant: string; tier: string }>(
      db.connection,
      "SELECT customer_id, kind, active, quadrant, tier FROM customer_value ORDER BY customer_id",
    );
    const window = await buyerWindow(db.connection, result.asOf);
    const active = await activeCustomers(db.connection, result.asOf, window.days);
    db.close();
    // One population rule: customer_value's active customers are exactly the report's active customers.
    expect(built.filter((r) => r.active).map((r) => r.customer_id)).toEqual([...active].sort());
    expect(built.filter((r) => r.active).every((r) => r.quadrant && r.tier)).toBe(true);
    expect(built.filter((r) => !r.active).every((r) => r.quadrant === null && r.tier === null)).toBe(true);

    const out = join(dir, "clv.csv");
    const r = runChurn(["clv", "--db", path, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.buyerWindowDays).toBe(window.days);
    const csv = csvParse(
      readFileSync(out, "utf8")
        .replace(/^\ufeff/, "")
        .replace(/\r\n/g, "\n"),
    );
    expect(csv.length).toBe(built.length);
    const fromCli = new Map(csv.map((row) => [row.customer_id!, row]));
    let differ = 0;
    for (const b of built) {
      const c = fromCli.get(b.customer_id)!;
      if ((c.quadrant || null) !== b.quadrant || (c.tier || null) !== b.tier || c.kind !== b.kind) differ++;
    }
    expect(differ).toBe(0);
    // Both kinds and all four quadrants occur, so the comparison covers them.
    expect(new Set(csv.map((row) => row.kind))).toEqual(new Set(["buyer", "subscriber"]));
    expect(new Set(csv.map((row) => row.quadrant).filter(Boolean)).size).toBe(4);
  });
});
