/**
 * Win-back by reason (models/actions/win-back.ts) with the shipped data/rules/win-back.json and offers.json:
 * the action per reason group, the offer within the value bound (offerShareOfClv = 0.2 × CLV if won back), and the
 * step applied to a scored list over the hand-made exports of test/fixtures/reasons (as of 2026-06-30).
 * Offer costs (offers.json): discount_10_12m 1.2 months, one_month_free 1, two_months_free 2, free_upgrade_3m 1.5
 * months of the monthly value, voucher_25 a fixed 25.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query, run } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { loadOffers } from "../models/actions/rules-config.ts";
import { applyWinBackByReason, loadWinBackRules, winBackByReason } from "../models/actions/win-back.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const offers = loadOffers();
const rules = loadWinBackRules();
const decide = (group: string | null, worth: boolean, clv: number, monthly: number) =>
  winBackByReason({ group, worthWinningBack: worth, clvIfWonBack: clv, monthlyValue: monthly }, rules, offers);

describe("win-back by reason", () => {
  it("price: the most generous pre-agreed price offer within 0.2 × CLV if won back", () => {
    // Budget 400; costs at 100/month: 10% off 120, 1 month 100, 2 months 200, voucher 25 → 2 months free (200).
    expect(decide("price", true, 2000, 100)).toEqual({
      action: "win-back: price offer",
      offer: "2 months free",
      offerBudget: 400,
    });
    // Budget 100: 2 months (200) and 10% off (120) are over it; 1 month free costs exactly 100.
    expect(decide("price", true, 500, 100)?.offer).toBe("1 month free");
    // Budget 20: even the 25 voucher is over it, so the action stands with no offer.
    expect(decide("budget", true, 100, 100)).toEqual({ action: "win-back: price offer", offer: null, offerBudget: 20 });
  });

  it("competitor: a switching offer within the bound", () => {
    // Budget 180 at 100/month: free upgrade 150, 2 months 200, 1 month 100, voucher 25 → free upgrade (150).
    expect(decide("competitor", true, 900, 100)).toEqual({
      action: "win-back: switching offer",
      offer: "free upgrade for 3 months",
      offerBudget: 180,
    });
  });

  it("features → tell them when it ships; support and quality → a senior service-recovery call", () => {
    expect(decide("features", true, 900, 100)).toEqual({
      action: "win-back: tell them when it ships",
      offer: null,
      offerBudget: null,
    });
    for (const group of ["support", "quality"])
      expect(decide(group, true, 900, 100)?.action).toBe("win-back: service-recovery call by a senior person");
  });

  it("external reasons with no need today → move-and-follow, even when not worth winning back", () => {
    for (const group of ["moved", "closed business", "no longer needed"]) {
      expect(decide(group, false, 10, 10)?.action, group).toBe("move-and-follow");
      expect(decide(group, true, 5000, 100)?.action, group).toBe("move-and-follow");
    }
  });

  it("leaves the playbook's action when not worth it, with no reason, or with a reason no rule names", () => {
    expect(decide("price", false, 2000, 100)).toBeNull();
    expect(decide(null, true, 2000, 100)).toBeNull();
    expect(decide("onboarding", true, 2000, 100)).toBeNull();
  });
});

describe("win-back by reason on a scored list", () => {
  let rows: Record<string, unknown>[];
  let changed: number;
  beforeAll(async () => {
    const db = join(mkdtempSync(join(tmpdir(), "churn-winback-")), "w.duckdb");
    await ingest({ source: join(PROJECT_ROOT, "test", "fixtures", "reasons"), asOf: "2026-06-30" }, db);
    const database = await openDatabase(db);
    try {
      const c = database.connection;
      // A scored list as the playbooks leave it (clv of a churned row = CLV if won back).
      await run(
        c,
        `CREATE TABLE scored_customers AS SELECT * FROM (VALUES
          ('a', 'churned (win-back candidate)', 'win-back', 1000.0, 'cancelled in the last 180 days'),
          ('b', 'churned (win-back candidate)', 'win-back', 3000.0, 'cancelled in the last 180 days'),
          ('c', 'churned (win-back candidate)', 'let go', 100.0, 'cancelled in the last 180 days'),
          ('d', 'churned (win-back candidate)', 'let go', 50.0, 'cancelled in the last 180 days'),
          ('e', 'churned (win-back candidate)', 'win-back', 800.0, 'cancelled in the last 180 days'),
          ('f', 'churned (win-back candidate)', 'win-back', 900.0, 'cancelled in the last 180 days'),
          ('h', 'churned (win-back candidate)', 'win-back', 700.0, 'cancelled in the last 180 days'),
          ('g', 'active', 'no action (healthy)', 2000.0, '')
        ) t(customer_id, status, recommended_action, clv, top_drivers)`,
      );
      await run(
        c,
        `ALTER TABLE scored_customers ADD COLUMN offer VARCHAR;
         ALTER TABLE scored_customers ADD COLUMN offer_budget DOUBLE`,
      );
      changed = await applyWinBackByReason(c, "2026-06-30");
      rows = await query(
        c,
        "SELECT customer_id, recommended_action, offer, offer_budget, top_drivers FROM scored_customers ORDER BY 1",
      );
    } finally {
      database.close();
    }
  });

  it("gives each churned customer the action of their latest reason since their last subscription started", () => {
    const by = Object.fromEntries(rows.map((r) => [r["customer_id"], r]));
    // a: Too expensive (price); monthly value = lost MRR 49; budget 200; 2 months free = 98 is the largest ≤ 200.
    expect(by["a"]).toMatchObject({ recommended_action: "win-back: price offer", offer: "2 months free" });
    expect(by["a"]!["offer_budget"]).toBeCloseTo(200, 9);
    expect(by["a"]!["top_drivers"]).toBe(
      'cancelled in the last 180 days; reason: Too expensive (internal), "Price went up, again"',
    );
    // b: two reasons on 2026-04-15; ties go by reason, so "Price" (group price, category external as exported).
    // Budget 600 at 149/month: 2 months free = 298.
    expect(by["b"]).toMatchObject({ recommended_action: "win-back: price offer", offer: "2 months free" });
    expect(by["b"]!["top_drivers"]).toContain("reason: Price (external)");
    // c: Poor support, but the playbook let them go and the rule needs a customer worth winning back.
    expect(by["c"]).toMatchObject({ recommended_action: "let go", offer: null });
    expect(by["c"]!["top_drivers"]).toContain('reason: Poor support (internal), "Nobody called back"');
    // d: Moved abroad → move-and-follow even though let go.
    expect(by["d"]).toMatchObject({ recommended_action: "move-and-follow", offer: null, offer_budget: null });
    // e: Reorganisation is unclassified: plain win-back stays, the reason is shown.
    expect(by["e"]).toMatchObject({ recommended_action: "win-back" });
    expect(by["e"]!["top_drivers"]).toContain("reason: Reorganisation (unclassified)");
    // f gave no reason; h's only reason (2025-06-01) predates their last subscription (2025-09-01): both unchanged.
    for (const id of ["f", "h"])
      expect(by[id]).toMatchObject({ recommended_action: "win-back", top_drivers: "cancelled in the last 180 days" });
    // g is active: untouched.
    expect(by["g"]).toMatchObject({ recommended_action: "no action (healthy)", top_drivers: "" });
    expect(changed).toBe(3);
  });
});
