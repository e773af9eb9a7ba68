/**
 * The buyers' purchase days (models/value/buyer-days.ts) give the buyer analyses the numbers they computed from
 * transactions directly: on a seeded business with same-day purchases, refunds, zero-value orders and customers who
 * subscribe before, between and after the summary dates, the RFM summary equals the direct SQL (rfmSql, a window per
 * summary) on every customer: frequency, recency, T and first purchase exactly, monetary to 1e-12 (the order of its sum
 * is DuckDB's threads', as the direct SQL's is); the inactivity window and the buyers' monthly counts equal the direct
 * DISTINCT-days queries; and the build's table (written once, shared with a second connection) gives bit for bit what
 * the subquery gives, until it is dropped.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRows } from "../loaders/append.ts";
import { type Database, openDatabase, queryNumberColumns, queryOne, run } from "../loaders/db.ts";
import { createRandom } from "../loaders/random.ts";
import { createTableSql } from "../loaders/schema.ts";
import { buyerMonthly, inactivityWindow } from "../models/cohorts/inactivity.ts";
import { buyerDays, dropBuyerDays, shareBuyerDays, writeBuyerDays } from "../models/value/buyer-days.ts";
import { rfmSql, rfmSummary, type RfmSummary } from "../models/value/rfm.ts";

const DATES = ["2024-03-31", "2024-09-30", "2025-06-30"];
const day = (n: number) => new Date(Date.UTC(2023, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);

let db: Database;
beforeAll(async () => {
  db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-buyer-days-")), "w.duckdb"));
  const conn = db.connection;
  for (const s of ["customers", "transactions", "subscriptions"] as const) await run(conn, createTableSql(s));
  const rng = createRandom(20261204);
  const tx: unknown[][] = [];
  const subs: unknown[][] = [];
  for (let c = 0; c < 400; c++) {
    const id = `C${c}`;
    let d = Math.floor(rng.next() * 500);
    while (d < 900) {
      // A day with one to three orders; now and then a refund or a zero-value order.
      const orders = 1 + Math.floor(rng.next() * 3);
      for (let o = 0; o < orders; o++) {
        const u = rng.next();
        const amount =
          u < 0.05 ? -Math.round(rng.next() * 5000) / 100 : u < 0.08 ? 0 : Math.round(rng.next() * 20000) / 100;
        tx.push([id, day(d), amount]);
      }
      d += 1 + Math.floor(rng.next() * 90);
    }
    // A third subscribe at some point (before, between or after the summary dates); a few twice.
    if (c % 3 === 0) subs.push([id, day(Math.floor(rng.next() * 950)), "Basic", 49]);
    if (c % 21 === 0) subs.push([id, day(Math.floor(rng.next() * 950)), "Pro", 99]);
  }
  await run(conn, "CREATE TEMP TABLE tx (customer_id VARCHAR, date VARCHAR, amount DOUBLE)");
  await run(conn, "CREATE TEMP TABLE subs (customer_id VARCHAR, start_date VARCHAR, plan VARCHAR, mrr DOUBLE)");
  await appendRows(conn, "tx", ["varchar", "varchar", "double"], tx);
  await appendRows(conn, "subs", ["varchar", "varchar", "varchar", "double"], subs);
  await run(conn, "INSERT INTO transactions SELECT customer_id, CAST(date AS DATE), amount, NULL FROM tx");
  await run(conn, "INSERT INTO subscriptions SELECT customer_id, CAST(start_date AS DATE), NULL, plan, mrr FROM subs");
});
afterAll(() => db.close());

/** rfmSql("buyers") as every summary was read before the buyers' days: a window over transactions per summary. */
async function direct(conn: DuckDBConnection, calibrationEnd: string, buyersAsOf: string) {
  return queryNumberColumns(conn, rfmSql("buyers"), {
    calibration_end: calibrationEnd,
    period_days: 7,
    buyers_as_of: buyersAsOf,
  });
}

function expectSame(ours: RfmSummary, theirs: Record<string, Float64Array | unknown[]>) {
  expect(ours.customerIds).toEqual(theirs["customer_id"]);
  expect(Array.from(ours.frequency)).toEqual(Array.from(theirs["frequency"] as Float64Array));
  expect(Array.from(ours.recency)).toEqual(Array.from(theirs["recency"] as Float64Array));
  expect(Array.from(ours.T)).toEqual(Array.from(theirs["T"] as Float64Array));
  expect(ours.firstPurchase).toEqual(theirs["first_purchase"]);
  const monetary = theirs["monetary"] as Float64Array;
  ours.monetary.forEach((m, i) => expect(Math.abs(m - monetary[i]!)).toBeLessThanOrEqual(1e-12 * Math.abs(m)));
}

describe("buyers' purchase days", () => {
  it("summarise buyers as the direct SQL does, on every date and population day", async () => {
    const conn = db.connection;
    expect(buyerDays(conn)).toMatch(/^\(/); // nothing written: the subquery
    let repeatBuyers = 0;
    for (const end of DATES)
      for (const asOf of DATES.filter((d) => d >= end)) {
        const ours = await rfmSummary(conn, end, "week", "buyers", asOf);
        expectSame(ours, await direct(conn, end, asOf));
        repeatBuyers += ours.frequency.filter((x) => x > 0).length;
      }
    expect(repeatBuyers).toBeGreaterThan(500); // the check had repeat buyers to compare
  });

  it("give the inactivity window and the monthly counts of the DISTINCT-days queries", async () => {
    const conn = db.connection;
    const asOf = "2025-06-30";
    const gap = await queryOne<{ p90: number }>(
      conn,
      `WITH days AS (
         SELECT DISTINCT customer_id, date FROM transactions WHERE amount >= 0 AND date <= $as_of
           AND customer_id NOT IN (SELECT customer_id FROM subscriptions WHERE start_date <= $as_of)
       ), gaps AS (
         SELECT date_diff('day', lag(date) OVER (PARTITION BY customer_id ORDER BY date), date) AS gap FROM days
       )
       SELECT quantile_cont(gap, 0.9) AS p90 FROM gaps WHERE gap IS NOT NULL`,
      { as_of: asOf },
    );
    const window = await inactivityWindow(conn, asOf);
    expect(window!.days).toBe(Math.min(365, Math.max(30, Math.ceil(gap!.p90))));
    const months = await buyerMonthly(conn, asOf, window!.days);
    const start = await queryOne<{ n: number }>(
      conn,
      `SELECT count(DISTINCT customer_id)::INTEGER AS n FROM transactions WHERE amount >= 0
         AND date > DATE '2025-03-01' - $w::INTEGER AND date <= DATE '2025-03-01'
         AND customer_id NOT IN (SELECT customer_id FROM subscriptions WHERE start_date <= $as_of)`,
      { as_of: asOf, w: window!.days },
    );
    expect(months.find((m) => m.dimension === "all" && m.month === "2025-03")!.start).toBe(start!.n);
  });

  it("written for a build, are read on every connection it shares them with, bit for bit, until dropped", async () => {
    const conn = db.connection;
    const before = await Promise.all(DATES.map((d) => rfmSummary(conn, d, "week", "buyers")));
    expect(await writeBuyerDays(conn)).toBe(true);
    expect(buyerDays(conn)).toBe("churn_build_scratch.buyer_purchase_days");
    const second = await db.instance.connect();
    shareBuyerDays(conn, second);
    for (const c of [conn, second]) {
      const after = await Promise.all(DATES.map((d) => rfmSummary(c, d, "week", "buyers")));
      expect(after).toEqual(before);
    }
    await dropBuyerDays(conn);
    expect(buyerDays(conn)).toMatch(/^\(/);
    expect(buyerDays(second)).toMatch(/^\(/);
    await expect(run(second, "SELECT * FROM churn_build_scratch.buyer_purchase_days")).rejects.toThrow();
    second.closeSync();
  });

  it("are not written where the warehouse has no subscriptions table", async () => {
    const other = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-buyer-days-")), "w.duckdb"));
    await run(other.connection, createTableSql("transactions"));
    expect(await writeBuyerDays(other.connection)).toBe(false);
    other.close();
  });
});
