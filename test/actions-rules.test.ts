/**
 * Symptoms, health, playbooks and the CSV, each against a constructed case computed by hand.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
import { describe, expect, it } from "vitest";
import { openDatabase, query, run } from "../loaders/db.ts";
import { createTableSql } from "../loaders/schema.ts";
import { csvCell, toCsv } from "../models/actions/csv.ts";
import { healthBand, healthScore } from "../models/actions/health.ts";
import { decide, type PlaybookInput } from "../models/actions/playbooks.ts";
import { loadOffers, loadRules } from "../models/actions/rules-config.ts";
import { computeSymptoms } from "../models/actions/symptoms.ts";

const rules = loadRules();
const offers = loadOffers();

describe("symptom rules on a constructed warehouse (as of 2026-06-30)", () => {
  it("fires each rule type for the customer built to trigger it, and only for them", async () => {
    const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-sym-")), "w.duckdb"));
    const c = db.connection;
    for (const s of ["customers", "transactions", "subscriptions", "interactions", "surveys"] as const)
      await run(c, createTableSql(s));
    const sql = (text: string) => run(c, text);
    await sql(`INSERT INTO interactions VALUES
      ('cancel', DATE '2026-06-01', 'cancellation_request', 'phone', 'unhappy', ''),
      ('old-cancel', DATE '2026-01-01', 'cancellation_request', 'phone', 'unhappy', ''),
      ('complainer', DATE '2026-05-01', 'complaint', 'email', 'neutral', ''),
      ('complainer', DATE '2026-06-10', 'complaint', 'email', 'neutral', ''),
      ('once', DATE '2026-06-10', 'complaint', 'email', 'neutral', ''),
      ('moody', DATE '2026-05-01', 'support_call', 'chat', 'unhappy', ''),
      ('moody', DATE '2026-06-02', 'support_call', 'chat', 'unhappy', '')`);
    await sql(`INSERT INTO surveys VALUES ('detractor', DATE '2026-06-01', 5, 4), ('promoter', DATE '2026-06-01', 9, 5),
      ('dropper', DATE '2026-01-01', 10, 5), ('dropper', DATE '2026-06-01', 7, 2)`);
    await sql(`INSERT INTO subscriptions VALUES
      ('downgraded', DATE '2025-01-01', DATE '2026-05-01', 'Pro', 149),
      ('downgraded', DATE '2026-05-01', NULL, 'Basic', 49),
      ('steady', DATE '2025-01-01', NULL, 'Pro', 149)`);
    await sql(`INSERT INTO transactions VALUES
      ('falling', DATE '2026-02-01', 100, 'a'), ('falling', DATE '2026-06-01', 40, 'b'),
      ('overdue', DATE '2025-01-01', 10, 'a'), ('overdue', DATE '2025-01-31', 10, 'b'),
      ('overdue', DATE '2025-03-02', 10, 'c')`);
    await computeSymptoms(c, "2026-06-30", rules);
    const fired = await query<{ customer_id: string; symptom: string; severity: string }>(
      c,
      "SELECT customer_id, symptom, severity FROM symptom_events ORDER BY 1, 2",
    );
    const by = (id: string) => fired.filter((f) => f.customer_id === id).map((f) => f.symptom);
    expect(by("cancel")).toEqual(["cancellation_request"]);
    expect(by("old-cancel")).toEqual([]); // outside the 90-day window
    expect(by("complainer")).toEqual(["complaints"]);
    expect(by("once")).toEqual([]); // one complaint is below the threshold of 2
    expect(by("moody")).toEqual(["unhappy_moods"]);
    expect(by("detractor")).toEqual(["low_nps"]);
    expect(by("promoter")).toEqual([]);
    expect(by("dropper")).toEqual(["low_csat", "nps_drop"]); // 10 → 7 is a drop of 3; CSAT 2
    expect(by("downgraded")).toEqual(["downgrade"]);
    expect(by("steady")).toEqual([]);
    expect(by("falling")).toEqual(["purchases_falling"]); // 40 in the last 90 days vs 100 before: −60%
    expect(by("overdue")).toEqual(["overdue"]); // usual gap 30 days, none for 485
    expect(fired.find((f) => f.customer_id === "cancel")!.severity).toBe("critical");
    db.close();
  });
});

describe("health score", () => {
  it("is 100 × (1 − p) × Π(1 − w), capped by a critical symptom, in green / yellow / red bands", () => {
    expect(healthScore(0.1, [], false, rules.health)).toBe(90);
    expect(healthScore(0.1, [0.15, 0.1], false, rules.health)).toBe(Math.round(100 * 0.9 * 0.85 * 0.9)); // 69
    expect(healthScore(0.05, [], true, rules.health)).toBe(30);
    expect(healthBand(70, rules.health)).toBe("green");
    expect(healthBand(69, rules.health)).toBe("yellow");
    expect(healthBand(39, rules.health)).toBe("red");
  });
});

describe("playbook table, row by row", () => {
  const base: PlaybookInput = {
    churned: false,
    churnProbability: 0.1,
    clv: 1000,
    clvIfWonBack: null,
    quadrant: "true friends",
    tier: "mid",
    band: "green",
    symptoms: [],
    monthlyValue: 100,
  };
  const action = (c: Partial<PlaybookInput>) => decide({ ...base, ...c }, rules, offers).action;
  it("walks the rules in order", () => {
    expect(action({ churned: true, clvIfWonBack: 500 })).toBe("win-back");
    expect(action({ churned: true, clvIfWonBack: 100 })).toBe("let go");
    expect(action({ churnProbability: 0.6, clv: 20 })).toBe("let go");
    expect(action({ churnProbability: 0.6, symptoms: ["contact_left"] })).toBe("move-and-follow");
    expect(action({ churnProbability: 0.6 })).toBe("save offer");
    expect(action({ churnProbability: 0.6, quadrant: "butterflies" })).toBe("personal advisor");
    expect(action({ churnProbability: 0.6, quadrant: "barnacles" })).toBe("cheaper channel or upsell");
    expect(action({ churnProbability: 0.6, quadrant: "strangers" })).toBe("proactive call");
    expect(action({ churnProbability: 0.3 })).toBe("loyalty reward");
    expect(action({ churnProbability: 0.3, quadrant: "strangers" })).toBe("proactive call");
    expect(action({ band: "red", churnProbability: 0.2, quadrant: "butterflies" })).toBe("personal advisor");
    expect(action({ quadrant: "strangers" })).toBe("no action (healthy)");
  });
  it("escalates the high tier at medium risk to the high-risk action (escalateTiers), with or without a model", () => {
    // Medium risk by probability (0.3 ≥ mediumRisk 0.25) or by the yellow band in rules mode (probability null).
    for (const risk of [{ churnProbability: 0.3 }, { churnProbability: null, band: "yellow" as const }]) {
      expect(action({ ...risk, tier: "high" })).toBe("save offer");
      expect(action({ ...risk, tier: "high", quadrant: "butterflies" })).toBe("personal advisor");
      expect(action({ ...risk, tier: "high", quadrant: "strangers" })).toBe("proactive call");
      expect(action({ ...risk, tier: "mid" })).toBe("loyalty reward");
      expect(action({ ...risk, tier: null, quadrant: "butterflies" })).toBe("proactive call");
    }
    // Low risk stays low whatever the tier; the let-go rule still comes first for unprofitable customers.
    expect(action({ tier: "high" })).toBe("loyalty reward");
    expect(action({ churnProbability: 0.3, tier: "high", clv: 20 })).toBe("let go");
    const midToo = { ...rules, playbook: { ...rules.playbook, escalateTiers: ["high" as const, "mid" as const] } };
    expect(decide({ ...base, churnProbability: 0.3 }, midToo, offers).action).toBe("save offer");
  });
  it("bounds the save offer by the customer's value", () => {
    // budget = 20% × 1000 = 200; monthly value 100 → "2 months free" costs 200 (fits), the most generous that fits.
    const d = decide({ ...base, churnProbability: 0.7 }, rules, offers);
    expect(d).toMatchObject({ action: "save offer", offer: "2 months free", offerBudget: 200 });
    const small = decide({ ...base, churnProbability: 0.7, clv: 150, monthlyValue: 100 }, rules, offers);
    expect(small.offer).toBe("25 voucher on the next order"); // budget 30: only the 25 voucher fits
  });
});

describe("spreadsheet-safe CSV", () => {
  it("keeps formula-like names as text, round-trips accents, commas, quotes and newlines", () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const s of ["+Plus", "-Minus Labs", "@Home", "\tTab", "\rCR"])
      expect(csvCell(s).replace(/^"/, "").startsWith("'")).toBe(true);
    expect(csvCell(-12.5)).toBe("-12.5");
    const text = toCsv(
      ["name", "n"],
      [
        ["Müller GmbH", 1],
        ['Say "hi", then\nleave', 2],
        ['=HYPERLINK("http://x","y")', 3],
      ],
    );
    expect(text.startsWith("\ufeff")).toBe(true);
    const rows = csvParse(text.slice(1).replace(/\r\n/g, "\n"));
    expect(rows.map((r) => r.name)).toEqual(["Müller GmbH", 'Say "hi", then\nleave', `'=HYPERLINK("http://x","y")`]);
  });
});

describe("campaign readout", () => {
  it("matches R's prop.test(correct = FALSE) on 45/200 control vs 30/200 treated churners (by hand)", async () => {
    const { twoProportionReadout } = await import("../models/actions/readout.ts");
    const r = twoProportionReadout({ n: 200, churned: 45 }, { n: 200, churned: 30 });
    // pooled p̄ = 75/400; z = 0.075 / √(0.1875 · 0.8125 · 2/200) = 1.921538; X² = z² = 3.692308; p = 0.054664
    expect(r.effect).toBeCloseTo(0.075, 12);
    expect(r.z).toBeCloseTo(1.921537845661046, 9);
    expect(r.chisq).toBeCloseTo(3.6923076923076934, 9);
    expect(r.p).toBeCloseTo(0.054663935891675106, 9);
    // Wald: 0.075 ± 1.959964 · √(0.225·0.775/200 + 0.15·0.85/200); Newcombe from the Wilson intervals
    expect(r.wald[0]).toBeCloseTo(-0.001145925105724005, 8);
    expect(r.wald[1]).toBeCloseTo(0.15114592510572403, 8);
    expect(r.newcombe[0]).toBeCloseTo(-0.001717201552447714, 8);
    expect(r.newcombe[1]).toBeCloseTo(0.15098546081521158, 8);
  });
});
