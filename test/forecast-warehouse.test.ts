/**
 * The forecast on warehouses: what it reads from a constructed warehouse, checked by hand (spells, tenure, hazard
 * exposure, arrivals, active counts); no row after the as-of date changes anything (leak test); the build stage
 * fills `forecast` and `forecast_backtest` without any churn model; and `churn forecast --json` keeps its contract.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { addDays } from "../loaders/dates.ts";
import { openDatabase, query, run } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { createTableSql, WAREHOUSE_META_SQL } from "../loaders/schema.ts";
import { analyzeForecast, forecastReport } from "../models/forecast/analyze.ts";
import { activeCounts, loadArrivals, loadSubscriptionHistory } from "../models/forecast/history.ts";
import { ForecastRulesSchema } from "../models/forecast/rules.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

describe("forecast history on a constructed warehouse (by hand)", () => {
  it("reads spells, hazards, arrivals and active counts with nothing after the as-of date", async () => {
    const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-forecast-tiny-")), "w.duckdb"));
    const c = db.connection;
    for (const t of ["customers", "transactions", "subscriptions"] as const) await run(c, createTableSql(t));
    await run(c, WAREHOUSE_META_SQL);
    await run(
      c,
      `INSERT INTO subscriptions VALUES
        ('A', DATE '2024-01-01', DATE '2024-03-01', 'Basic', 10),  -- plan change on the day: one spell from Jan 1,
        ('A', DATE '2024-03-01', NULL, 'Pro', 20),                 --   tenure 365 days on 2024-12-31, MRR 20
        ('B', DATE '2024-06-01', DATE '2024-08-01', 'Basic', 10),  -- spell of 61 days: a churn in the window
        ('B', DATE '2024-10-15', NULL, 'Basic', 15),               -- reactivated in October: tenure 77
        ('C', DATE '2024-11-01', DATE '2025-02-01', 'Basic', 10),  -- ends after the as-of date: not known, active
        ('D', DATE '2025-01-15', NULL, 'Basic', 10)                -- starts after the as-of date: ignored`,
    );
    await run(
      c,
      `INSERT INTO transactions VALUES
        ('E', DATE '2024-08-01', 30, 'e1'), ('E', DATE '2024-12-01', 30, 'e2'),
        ('F', DATE '2024-12-20', 10, 'f1'), ('F', DATE '2024-12-22', -10, 'f2'),  -- a refund is not a purchase
        ('D', DATE '2024-10-01', 20, 'd1'),   -- a buyer on the as-of date (subscribes only later)
        ('G', DATE '2025-01-05', 20, 'g1')    -- after the as-of date: ignored`,
    );
    const asOf = "2024-12-31";
    const history = await loadSubscriptionHistory(c, asOf, 12);
    expect(history.active).toEqual([
      { id: "A", tenure: 365, mrr: 20 },
      { id: "B", tenure: 77, mrr: 15 },
      { id: "C", tenure: 60, mrr: 10 },
    ]);
    // Window (2023-12-31, 2024-12-31]; spells at risk: A 0–365, B 0–61 (ended), B' 0–77, C 0–60 days of tenure.
    // [0, 30): 4 × 30 = 120; [30, 91): A 61 + B 31 + B' 47 + C 30 = 169 and B's end at 61; [91, 182): A 91;
    // [182, 365): A 183; later bands: none.
    expect(history.hazardBands).toEqual([
      { start: 0, events: 0, exposure: 120 },
      { start: 30, events: 1, exposure: 169 },
      { start: 91, events: 0, exposure: 91 },
      { start: 182, events: 0, exposure: 183 },
      { start: 365, events: 0, exposure: 0 },
      { start: 730, events: 0, exposure: 0 },
    ]);
    // Jul–Dec 2024: C new in November (MRR 10), B reactivated in October (MRR 15); first purchases of buyers:
    // E in August, D in October, F in December.
    const arrivals = await loadArrivals(c, asOf, 6);
    expect(arrivals.map((a) => a.month)).toEqual(["2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12"]);
    expect(arrivals.map((a) => [a.newSubscribers, a.reactivations, a.newBuyers])).toEqual([
      [0, 0, 0],
      [0, 0, 1],
      [0, 0, 0],
      [0, 1, 1],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(arrivals[3]!.reactivationMrr).toBe(15);
    expect(arrivals[4]!.newMrr).toBe(10);
    // Active on month starts with W = 60: subscribers A; A, B, C from November. Buyers (purchase in (d − 60, d]):
    // Oct 1 → D; Nov 1 → D; Dec 1 → E (Dec 1); Jan 1 → E and F.
    const counts = await activeCounts(c, asOf, "2024-10-01", "2025-01-01", 60);
    expect(counts).toEqual([
      { day: "2024-10-01", subscribers: 1, buyers: 1 },
      { day: "2024-11-01", subscribers: 3, buyers: 1 },
      { day: "2024-12-01", subscribers: 3, buyers: 1 },
      { day: "2025-01-01", subscribers: 3, buyers: 2 },
    ]);
    db.close();
  });
});

describe("forecast on the sample warehouse (ingest only: no churn model)", () => {
  let path: string;
  let asOf: string;
  const rules = ForecastRulesSchema.parse({ simulations: 60 });
  const copy = () => {
    const to = join(mkdtempSync(join(tmpdir(), "churn-forecast-copy-")), "w.duckdb");
    copyFileSync(path, to);
    return to;
  };

  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), "churn-forecast-")), "w.duckdb");
    asOf = (await ingest({ source: join(PROJECT_ROOT, "data", "sample") }, path)).asOf;
  }, 120_000);

  it("is unchanged by rows dated after the as-of date (leak test)", async () => {
    const [plain, extended] = [await openDatabase(copy()), await openDatabase(copy())];
    const c = extended.connection;
    const daysAfter = (days: number) => addDays(asOf, days);
    // Purchases after the as-of date by existing buyers and a new one; a subscription started after it by a buyer;
    // end dates after it for active subscriptions; a new subscriber.
    await run(
      c,
      `INSERT INTO transactions SELECT customer_id, $d1::DATE, 50, 'late-' || customer_id FROM
        (SELECT DISTINCT customer_id FROM transactions ORDER BY customer_id LIMIT 300)`,
      { d1: daysAfter(3) },
    );
    await run(c, "INSERT INTO transactions VALUES ('late-buyer', $d::DATE, 80, 'late-1')", { d: daysAfter(1) });
    await run(
      c,
      `INSERT INTO subscriptions SELECT customer_id, $d::DATE, NULL, 'Basic', 30 FROM
        (SELECT DISTINCT customer_id FROM transactions WHERE customer_id NOT IN (SELECT customer_id FROM subscriptions)
         ORDER BY customer_id LIMIT 50)`,
      { d: daysAfter(2) },
    );
    await run(
      c,
      `UPDATE subscriptions SET end_date = $d::DATE WHERE end_date IS NULL AND customer_id IN
        (SELECT customer_id FROM subscriptions WHERE end_date IS NULL ORDER BY customer_id LIMIT 200)`,
      { d: daysAfter(20) },
    );
    await run(c, "INSERT INTO subscriptions VALUES ('late-sub', $d::DATE, NULL, 'Pro', 99)", { d: daysAfter(5) });
    const [a, b] = await Promise.all(
      [plain, extended].map((w) => forecastReport(w.connection, asOf, { rules, seed: 4, months: 3 })),
    );
    expect((await query(c, "SELECT count(*)::INTEGER AS n FROM transactions WHERE date > $d", { d: asOf }))[0]).toEqual(
      {
        n: 301,
      },
    );
    expect(b).toEqual(a);
    plain.close();
    extended.close();
  }, 300_000);

  it("the build stage writes the forecast and a filled backtest, and beats a flat forecast", async () => {
    const file = copy();
    const db = await openDatabase(file);
    const report = await analyzeForecast({ conn: db.connection, dbPath: file, asOf, seed: 1, log: () => {} });
    expect(report.ran).toBe(true);
    const scenarios = await query<{ scenario: string; n: number }>(
      db.connection,
      "SELECT scenario, count(*)::INTEGER AS n FROM forecast GROUP BY 1 ORDER BY min(rowid)",
    );
    // No health bands or customer values in an ingest-only warehouse: those scenarios are left out.
    expect(scenarios).toEqual([
      { scenario: "baseline", n: 6 },
      { scenario: "no new customers", n: 6 },
    ]);
    const backtest = await query<{ month: string; predicted: number; lower: number; upper: number; actual: number }>(
      db.connection,
      "SELECT * FROM forecast_backtest ORDER BY month",
    );
    expect(backtest.map((r) => r.month)).toEqual(["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]);
    for (const r of backtest) {
      expect(r.actual).toBeGreaterThan(0);
      expect(r.lower).toBeLessThanOrEqual(r.predicted);
      expect(r.upper).toBeGreaterThanOrEqual(r.predicted);
    }
    const meta = JSON.parse(
      (await query<{ value: string }>(db.connection, "SELECT value FROM warehouse_meta WHERE key = 'forecast'"))[0]!
        .value,
    ) as { backtest: { mape: number; naiveMape: number; covered: number } };
    // The checks on the sample: MAPE ≤ 5%, below the flat forecast's, band holds ≥ 4 of 6 months.
    expect(meta.backtest.mape).toBeLessThanOrEqual(5);
    expect(meta.backtest.mape).toBeLessThan(meta.backtest.naiveMape);
    expect(meta.backtest.covered).toBeGreaterThanOrEqual(4);
    db.close();
  }, 300_000);

  it("churn forecast --json keeps the contract", () => {
    // A rules file with fewer simulated futures keeps the test quick; --rules is part of the command too.
    const rulesFile = join(mkdtempSync(join(tmpdir(), "churn-forecast-rules-")), "forecast.json");
    writeFileSync(rulesFile, JSON.stringify({ simulations: 60 }));
    const r = runChurn(["forecast", "--db", copy(), "--months", "3", "--rules", rulesFile, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["asOf", "buyerWindowDays", "scenarios", "backtest", "notes"]);
    expect(out.notes.every((n: unknown) => typeof n === "string")).toBe(true);
    expect(out.asOf).toBe(asOf);
    expect(out.buyerWindowDays).toBeGreaterThanOrEqual(30);
    expect(out.scenarios[0].name).toBe("baseline");
    for (const s of out.scenarios) {
      expect(Object.keys(s)).toEqual(["name", "months"]);
      expect(s.months.map((m: { month: string }) => m.month)).toEqual(["2026-10", "2026-11", "2026-12"]);
      for (const m of s.months) {
        expect(Object.keys(m)).toEqual(["month", "customers", "lower", "upper", "subscribers", "buyers", "mrr"]);
        expect(m.customers).toBeCloseTo(m.subscribers + m.buyers, 0);
        expect(m.lower).toBeLessThanOrEqual(m.customers);
      }
    }
    expect(Object.keys(out.backtest)).toEqual(["from", "months", "mape", "naiveMape"]);
    expect(out.backtest.from).toBe("2026-03-31");
    expect(out.backtest.months).toHaveLength(6);
    for (const m of out.backtest.months)
      expect(Object.keys(m)).toEqual(["month", "predicted", "lower", "upper", "actual"]);
    // The text report says the same in words.
    const text = runChurn(["forecast", "--db", copy(), "--months", "2", "--rules", rulesFile]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("Backtest: forecast made on 2026-03-31");
  }, 300_000);
});
