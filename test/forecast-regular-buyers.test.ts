/**
 * Buyers who pay at a regular cycle (models/forecast/regular-buyers.ts, renewals.ts): the bundled sample without its
 * subscriptions export reads its subscribers' monthly invoices as purchases. BG/NBD's Poisson purchase times counted
 * too few of them active at each month's end (the backtest missed by 18.7%, a flat forecast by 8.5%); counted as
 * renewals at their own cycle, the backtest's error is below the flat forecast's and the band holds what happened, and
 * the forecast says how it counted them. The whole sample, whose one-off buyers buy irregularly, is left to BG/NBD.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addDays } from "../loaders/dates.ts";
import { openDatabase, run } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { type ForecastReport, forecastReport } from "../models/forecast/analyze.ts";
import { regularBuyers, stillRenewing } from "../models/forecast/regular-buyers.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";
import { emptyWarehouse } from "./helpers/warehouse.ts";

const SAMPLE = join(PROJECT_ROOT, "data", "sample");

/** The forecast of a warehouse of the sample's exports `files`, as of its as-of date. */
async function forecastFor(files: string[]): Promise<ForecastReport> {
  const dir = mkdtempSync(join(tmpdir(), "churn-regular-"));
  for (const f of files) copyFileSync(join(SAMPLE, f), join(dir, f));
  return forecastOfExports(dir);
}

/** The forecast of a warehouse ingested from the exports in `dir`, as of its as-of date. */
async function forecastOfExports(dir: string): Promise<ForecastReport> {
  const path = join(dir, "w.duckdb");
  const { asOf } = await ingest({ source: dir }, path);
  const db = await openDatabase(path);
  try {
    return await forecastReport(db.connection, asOf, { seed: 42 });
  } finally {
    db.close();
  }
}

const regularNote = (r: ForecastReport) => r.notes.find((n) => n.includes("buy at regular intervals"));

describe("buyers who pay at a regular cycle", () => {
  it("invoices only (the sample without subscriptions.csv): renewals, the backtest beats a flat line", async () => {
    const report = await forecastFor(["customers.csv", "transactions.csv"]);
    const note = regularNote(report);
    expect(note).toMatch(/^[\d,]+ of the [\d,]+ active one-off buyers \((\d+)%\) buy at regular intervals/);
    expect(Number(/\((\d+)%\)/.exec(note!)![1])).toBeGreaterThan(40);
    expect(note).toMatch(/counts them as renewals at their own cycle \(shifted-beta-geometric/);
    const { backtest } = report;
    expect(backtest.mape).not.toBeNull();
    expect(backtest.mape!).toBeLessThan(backtest.naiveMape!);
    expect(backtest.mape!).toBeLessThan(4);
    expect(backtest.covered).toBeGreaterThanOrEqual(5);
    expect(report.basis.renewals).toMatchObject({ stillRenewing: expect.any(Number) });
  }, 60_000);

  it("the whole sample: its one-off buyers buy irregularly, no note and no renewal model", async () => {
    const report = await forecastFor(["customers.csv", "transactions.csv", "subscriptions.csv"]);
    expect(regularNote(report)).toBeUndefined();
    expect(report.basis.renewals).toBeNull();
  }, 60_000);
});

describe("which buyers pay at a regular cycle (constructed warehouse, by hand)", () => {
  it("weekly payers a day off are regular, frequent irregular buyers are not; stopped after the lateness", async () => {
    const db = await emptyWarehouse("regular-hand");
    const c = db.connection;
    const rows: string[] = [];
    const buy = (id: string, days: number[]) => {
      let d = "2025-01-01";
      for (const g of [0, ...days]) rows.push(`('${id}', DATE '${(d = addDays(d, g))}', 10, '${id}-${rows.length}')`);
    };
    buy("weekly", [7, 6, 8, 7, 7, 8, 6]); // median 7, deviations 0,1,1,0,0,1,1: MAD 1 (a day, from a weekly cycle up)
    buy("monthly", [30, 30, 30, 30, 61, 30]); // a skipped month: median 30, MAD 0
    buy("frequent", [2, 3, 3, 4, 2, 5]); // median 3, MAD 1: a third of its cycle, not regular
    buy("poisson", [12, 45, 3, 30, 8]); // median 12, MAD 9
    buy("young", [30, 31]); // two gaps, as regular as the others: young
    await run(c, `INSERT INTO transactions VALUES ${rows.join(",")}`);
    const found = await regularBuyers(c, "2025-08-31");
    expect(found.map((b) => b.id)).toEqual(["monthly", "weekly", "young"]);
    const byId = new Map(found.map((b) => [b.id, b]));
    // Monthly: renewals made = 211 days / 30 = 7 (the skipped month counted); weekly: 49 days / 7 = 7.
    expect(byId.get("monthly")).toMatchObject({ cycle: 30, renewed: 7, gaps: 6 });
    expect(byId.get("weekly")).toMatchObject({ cycle: 7, renewed: 7, gaps: 7 });
    // Lateness: the established buyers' gaps within 1.5 cycles deviate by 0 (monthly) or 0 to 1/7 (weekly); its
    // 95th percentile is 1/7, so a buyer stops after cycle × (1 + 1/7) + 1 days.
    expect(byId.get("monthly")!.lapseAfter).toBeCloseTo(30 * (8 / 7) + 1, 10);
    // On 2025-08-31 the monthly payer's last purchase (2025-07-31) is 31 days old: still renewing; the weekly one's
    // (2025-02-19) is months old: stopped.
    expect(stillRenewing(byId.get("monthly")!)).toBe(true);
    expect(stillRenewing(byId.get("weekly")!)).toBe(false);
    db.close();
  });
});

describe("regular buyers of whom none has stopped yet", () => {
  it("are forecast to keep renewing (Jeffreys' estimate), not dropped to BG/NBD's Poisson timing", async () => {
    // 200 monthly payers since early 2025, every one still paying: the forecast stays at 200 (BG/NBD alone: 125).
    const dir = mkdtempSync(join(tmpdir(), "churn-all-renew-"));
    const rows = ["customer_id,date,amount"];
    for (let i = 0; i < 200; i++)
      for (let d = addDays("2025-01-01", i % 60); d <= "2026-09-30"; d = addDays(d, 30)) rows.push(`R${i},${d},50`);
    writeFileSync(join(dir, "transactions.csv"), `${rows.join("\n")}\n`);
    const report = await forecastOfExports(dir);
    expect(regularNote(report)).toMatch(/none of the 200 regular buyers has stopped yet/);
    for (const m of report.scenarios[0]!.months) expect(m.customers).toBeGreaterThan(195);
    expect(report.backtest.mape!).toBeLessThan(report.backtest.naiveMape!);
  }, 60_000);
});
