/**
 * Monthly metrics and cohorts on a small constructed export, every number computed by hand (issue 3's definitions).
 *
 * Subscriptions (as of 2024-04-30): A Basic 10 from Jan 1, open; B 30 Jan 15 → Mar 10; C 10 Jan 1 → Feb 1 then 30
 * from Feb 1 (upgrade); D 30 Jan 1 → Mar 1 then 10 from Mar 1 (downgrade); E 10 Jan 1 → Feb 1, back Apr 1
 * (reactivation); F 10 Feb 10 → Feb 20 (never active on a month's first day); G ends before it starts (rejected).
 * Active on first days: Jan 1 {A10, C10, D30, E10} · Feb 1 {A10, B30, C30, D30} · Mar 1 {A10, B30, C30, D10}
 *                       Apr 1 {A10, C30, D10, E10} · May 1 {A10, C30, D10, E10}
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const file = join(PROJECT_ROOT, "test", "fixtures", "cohorts", "subscriptions.csv");
const args = [
  "cohorts",
  "--subscriptions",
  file,
  "--customer",
  "account",
  "--start",
  "began",
  "--end",
  "ended",
  "--mrr",
  "monthly",
  "--as-of",
  "2024-04-30",
  "--json",
];

interface Output {
  monthly: Record<string, number | string | null>[];
  cohorts: {
    cohort: string;
    size: number;
    retention: number[];
    revenueRetention: number[];
    grossRevenueRetention: number[];
  }[];
}

describe("churn cohorts on a hand-computed export", () => {
  const result = runChurn(args);
  const out = JSON.parse(result.stdout || "{}") as Output;
  const month = (m: string) => out.monthly.find((r) => r.month === m)!;

  it("reports the rejected row and keeps going", () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("1 of 10 rows left out (end before start 1)");
  });

  it("counts start, end, lost, new and reactivated per month", () => {
    expect(out.monthly.map((m) => [m.month, m.start, m.end, m.lost, m.new, m.reactivated])).toEqual([
      ["2024-01", 4, 4, 1, 1, 0], // E lost; B new
      ["2024-02", 4, 4, 0, 0, 0],
      ["2024-03", 4, 4, 1, 1, 1], // B lost; E back (first subscription before Mar 1)
      ["2024-04", 4, 4, 0, 0, 0],
    ]);
    expect(month("2024-01").churnRate).toBe(0.25);
    expect(month("2024-01").retentionRate).toBe(0.75);
    expect(month("2024-02").churnRate).toBe(0);
  });

  it("splits MRR into movements that add up exactly", () => {
    expect(month("2024-01")).toMatchObject({
      mrrStart: 60,
      mrrEnd: 100,
      mrrNew: 30,
      mrrExpansion: 20,
      mrrContraction: 0,
      mrrChurned: 10,
      mrrReactivation: 0,
    });
    expect(month("2024-02")).toMatchObject({ mrrStart: 100, mrrEnd: 80, mrrContraction: 20, mrrChurned: 0 });
    expect(month("2024-03")).toMatchObject({
      mrrStart: 80,
      mrrEnd: 60,
      mrrNew: 0,
      mrrChurned: 30,
      mrrReactivation: 10,
    });
    for (const m of out.monthly) {
      const n = (k: string) => m[k] as number;
      expect(n("mrrEnd")).toBeCloseTo(
        n("mrrStart") + n("mrrNew") + n("mrrReactivation") + n("mrrExpansion") - n("mrrContraction") - n("mrrChurned"),
        9,
      );
    }
    // GRR = (60 − 0 − 10) / 60; NRR = (60 + 20 − 0 − 10) / 60
    expect(month("2024-01").grossRevenueRetention).toBeCloseTo(50 / 60, 12);
    expect(month("2024-01").netRevenueRetention).toBeCloseTo(70 / 60, 12);
  });

  it("builds cohort curves measured at each following month's first day, none beyond the as-of date", () => {
    expect(out.cohorts).toEqual([
      // January cohort A, B, C, D, E: size 5, MRR at acquisition 10 + 30 + 10 + 30 + 10 = 90.
      // Gross caps each customer at their acquisition MRR (C's expansion 10 → 30 counts as 10):
      // Feb 1: A 10 + B 30 + C min(30, 10) + D 30 + E 0 = 80; Mar 1: 10 + 30 + 10 + D min(10, 30) = 60;
      // Apr 1: 10 + B 0 + 10 + 10 + E back at 10 = 40; May 1: the same 40.
      {
        cohort: "2024-01",
        size: 5,
        retention: [0.8, 0.8, 0.8, 0.8],
        revenueRetention: [100 / 90, 80 / 90, 60 / 90, 60 / 90],
        grossRevenueRetention: [80 / 90, 60 / 90, 40 / 90, 40 / 90],
      },
      // February cohort F: gone before Mar 1.
      {
        cohort: "2024-02",
        size: 1,
        retention: [0, 0, 0],
        revenueRetention: [0, 0, 0],
        grossRevenueRetention: [0, 0, 0],
      },
    ]);
  });

  it("says which column is missing", () => {
    const bad = runChurn([
      "cohorts",
      "--subscriptions",
      file,
      "--customer",
      "account",
      "--start",
      "starts",
      "--end",
      "ended",
      "--as-of",
      "2024-04-30",
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('required column "starts" is missing');
    expect(bad.stderr).toContain("Columns found: account, began, ended, monthly");
  });

  it("names the line and column of an unparseable date in its warning", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-cohorts-"));
    const f = join(dir, "s.csv");
    writeFileSync(f, "id,s,e\nx,2024-01-01,\ny,2024-13-01,\n");
    const r = runChurn([
      "cohorts",
      "--subscriptions",
      f,
      "--customer",
      "id",
      "--start",
      "s",
      "--end",
      "e",
      "--as-of",
      "2024-03-31",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("1 of 2 rows left out (impossible date 1)");
    expect(r.stderr).toContain("line 3, column s: impossible date: y,2024-13-01,");
  });
});
