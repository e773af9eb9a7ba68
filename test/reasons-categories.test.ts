/**
 * Reason categories (models/reasons/rules.ts) with the shipped data/rules/reasons.json: the export's category wins
 * when it says internal or external; otherwise the first group whose phrase the reason contains as whole words;
 * otherwise unclassified. Each expectation is read off the shipped file's groups.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isUserError } from "../loaders/errors.ts";
import { classifyReason, loadReasonRules, normalizeReason, type ReasonRules } from "../models/reasons/rules.ts";

const rules = loadReasonRules();

describe("reason categories from data/rules/reasons.json", () => {
  it("classifies the issue's default reasons: price, pricing, budget, features, support, quality → internal", () => {
    for (const [reason, group] of [
      ["price", "price"],
      ["Pricing", "price"],
      ["budget", "budget"],
      ["Features", "features"],
      ["support", "support"],
      ["QUALITY", "quality"],
    ])
      expect(classifyReason(reason!, null, rules), reason).toEqual({ category: "internal", group });
  });

  it("… and competitor, moved, closed business, no longer needed → external", () => {
    for (const [reason, group] of [
      ["competitor", "competitor"],
      ["Moved", "moved"],
      ["closed business", "closed business"],
      ["No longer needed", "no longer needed"],
    ])
      expect(classifyReason(reason!, null, rules), reason).toEqual({ category: "external", group });
  });

  it("matches phrases inside longer reasons, ignoring case, '_', '-' and punctuation", () => {
    expect(classifyReason("Too expensive", null, rules)).toEqual({ category: "internal", group: "price" });
    expect(classifyReason("MISSING_FEATURES", null, rules)).toEqual({ category: "internal", group: "features" });
    expect(classifyReason("switched to a competitor!", null, rules)).toEqual({
      category: "external",
      group: "competitor",
    });
    expect(classifyReason("no-longer-needed", null, rules)).toEqual({
      category: "external",
      group: "no longer needed",
    });
    expect(normalizeReason("  Can't   afford—it ")).toBe("can t afford it");
    expect(classifyReason("We can't afford it", null, rules)).toEqual({ category: "internal", group: "budget" });
  });

  it("matches whole words only, and the first group in file order wins", () => {
    // "supportive" is not "support"; "unpriced" is not "price".
    expect(classifyReason("Supportive team, unpriced add-ons", null, rules)).toEqual({
      category: "unclassified",
      group: null,
    });
    // competitor is listed before price, so a reason naming both is a competitor reason.
    expect(classifyReason("Competitor had a lower price", null, rules)).toEqual({
      category: "external",
      group: "competitor",
    });
  });

  it("the export's category wins when it says internal or external (any case); anything else is ignored", () => {
    expect(classifyReason("Price", "External", rules)).toEqual({ category: "external", group: "price" });
    expect(classifyReason("Reorganisation", " internal ", rules)).toEqual({ category: "internal", group: null });
    expect(classifyReason("Poor support", "voluntary", rules)).toEqual({ category: "internal", group: "support" });
    expect(classifyReason("Reorganisation", "", rules)).toEqual({ category: "unclassified", group: null });
  });

  it("classifies Stripe's cancellation feedback codes", () => {
    // Stripe's cancellation_details.feedback values, as a billing export writes them.
    expect(
      Object.fromEntries(
        [
          "too_expensive",
          "missing_features",
          "switched_service",
          "unused",
          "customer_service",
          "too_complex",
          "low_quality",
          "other",
        ].map((code) => [code, classifyReason(code, null, rules).group]),
      ),
    ).toEqual({
      too_expensive: "price",
      missing_features: "features",
      switched_service: "competitor",
      unused: "no longer needed",
      customer_service: "support",
      too_complex: "quality",
      low_quality: "quality",
      other: null,
    });
  });

  it("a reason no rule names is unclassified", () => {
    expect(classifyReason("Other", null, rules)).toEqual({ category: "unclassified", group: null });
    expect(classifyReason("", null, rules)).toEqual({ category: "unclassified", group: null });
  });

  it("uses the user's own groups when the file is edited", () => {
    const own: ReasonRules = {
      groups: [
        { id: "onboarding", category: "internal", match: ["never set up"] },
        { id: "merger", category: "external", match: ["acquired"] },
      ],
    };
    expect(classifyReason("We were acquired", null, own)).toEqual({ category: "external", group: "merger" });
    expect(classifyReason("Never set up the account", null, own)).toEqual({
      category: "internal",
      group: "onboarding",
    });
    expect(classifyReason("Too expensive", null, own)).toEqual({ category: "unclassified", group: null });
  });

  it("names the bad key of an invalid rules file", () => {
    const path = join(mkdtempSync(join(tmpdir(), "churn-reason-rules-")), "reasons.json");
    writeFileSync(path, JSON.stringify({ groups: [{ id: "price", category: "both", match: ["price"] }] }));
    let error: unknown;
    try {
      loadReasonRules(path);
    } catch (e) {
      error = e;
    }
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toContain("groups.0.category");
    writeFileSync(path, JSON.stringify({ groups: [], extra: 1 }));
    expect(() => loadReasonRules(path)).toThrow(/extra/);
  });
});
