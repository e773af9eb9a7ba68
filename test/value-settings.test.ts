/**
 * The value settings file: shipped defaults load, bad keys and values are named, quadrant rules follow the thresholds.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { quadrantOf, valueTiers } from "../models/value/segments.ts";
import { loadValueSettings } from "../models/value/settings.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

describe("value settings", () => {
  it("loads the shipped defaults (12 months, 1% a month, medians, 20% / 30% tiers)", () => {
    expect(loadValueSettings()).toMatchObject({
      horizonMonths: 12,
      monthlyDiscount: 0.01,
      tierHigh: 0.2,
      tierMid: 0.3,
      valueThreshold: "median",
    });
  });
  it("names a misspelt key and an impossible share", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-vs-"));
    const base = JSON.parse(readFileSync(join(PROJECT_ROOT, "data", "rules", "value.json"), "utf8"));
    writeFileSync(join(dir, "a.json"), JSON.stringify({ ...base, horizon: 6 }));
    expect(() => loadValueSettings(join(dir, "a.json"))).toThrow(/horizon/);
    writeFileSync(join(dir, "b.json"), JSON.stringify({ ...base, tierHigh: 0.8, tierMid: 0.5 }));
    expect(() => loadValueSettings(join(dir, "b.json"))).toThrow(/at most 1/);
  });
  it("places customers in quadrants by the thresholds and tiers by rank (Reinartz & Kumar 2002)", () => {
    expect(quadrantOf(500, 10, 100, 6)).toBe("true friends");
    expect(quadrantOf(500, 2, 100, 6)).toBe("butterflies");
    expect(quadrantOf(50, 10, 100, 6)).toBe("barnacles");
    expect(quadrantOf(50, 2, 100, 6)).toBe("strangers");
    expect(valueTiers([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual([
      "high",
      "high",
      "mid",
      "mid",
      "mid",
      "low",
      "low",
      "low",
      "low",
      "low",
    ]);
  });
});
