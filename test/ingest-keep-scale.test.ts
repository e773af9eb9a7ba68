/**
 * A billing tool's invoices export (Stripe's layout): every invoice with its status, amounts in cents. The config's
 * keep_if keeps the paid ones and sets the others aside in rejected_rows with the reason (read = loaded + rejected),
 * without the "most rows rejected" warning meant for faults; its scale reads cents as currency units. A keep_if column
 * or a scale key that does not exist is an error naming the file and what to do. Its subscriptions export gives a
 * plan's price per billing interval: mrr_from turns it into monthly revenue, by hand below.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { ingestReportLines } from "../loaders/ingest-report.ts";

const INVOICES = `id,customer,created,amount_paid,currency,status
in_1,cus_A,2025-01-05,4900,usd,paid
in_2,cus_A,2025-02-05,4900,usd,paid
in_3,cus_B,2025-01-10,9900,usd,void
in_4,cus_B,2025-01-11,9900,usd, paid
in_5,cus_C,2025-02-01,1900,usd,draft
in_6,cus_C,2025-03-01,1900,usd,uncollectible
in_7,,2025-03-02,1900,usd,paid
`;

function exportsWith(source: Record<string, unknown>): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "churn-keep-scale-"));
  writeFileSync(join(dir, "invoices.csv"), INVOICES);
  const config = join(dir, "config.json");
  const columns = { customer_id: "customer", date: "created", amount: "amount_paid", order_id: "id" };
  writeFileSync(config, JSON.stringify({ sources: { transactions: { file: "invoices.csv", columns, ...source } } }));
  return { dir, config };
}

describe("keep_if and scale in a config", () => {
  it("keeps the paid invoices in currency units and sets the others aside with their reason", async () => {
    const { dir, config } = exportsWith({ keep_if: { column: "status", in: ["paid"] }, scale: { amount: 0.01 } });
    const path = join(dir, "w.duckdb");
    const result = await ingest({ source: dir, config }, path);
    const [report] = result.sources;
    expect(report).toMatchObject({ read: 7, loaded: 3, rejected: 4 });
    expect(report!.reasons).toEqual({ "not kept: status not paid": 3, "empty customer_id": 1 });
    expect(ingestReportLines(result).join("\n")).not.toMatch(/warning/);
    const db = await openDatabase(path);
    const rows = await query(db.connection, "SELECT customer_id, amount FROM transactions ORDER BY order_id");
    // " paid" is trimmed; 4900 cents = 49.
    expect(rows).toEqual([
      { customer_id: "cus_A", amount: 49 },
      { customer_id: "cus_A", amount: 49 },
      { customer_id: "cus_B", amount: 99 },
    ]);
    const set = await query(db.connection, `SELECT line, "column", reason FROM rejected_rows ORDER BY line`);
    expect(set.slice(0, 3)).toEqual([
      { line: 4, column: "status", reason: "not kept: status not paid" },
      { line: 6, column: "status", reason: "not kept: status not paid" },
      { line: 7, column: "status", reason: "not kept: status not paid" },
    ]);
    db.close();
  });

  it("names a keep_if column or a scale key that does not exist", async () => {
    const missing = exportsWith({ keep_if: { column: "state", in: ["paid"] } });
    await expect(
      ingest({ source: missing.dir, config: missing.config }, join(missing.dir, "w.duckdb")),
    ).rejects.toThrow(/invoices\.csv: column "state" \(keep_if\.column\) is missing/);
    const wrong = exportsWith({ scale: { order_id: 0.01 } });
    await expect(ingest({ source: wrong.dir, config: wrong.config }, join(wrong.dir, "w.duckdb"))).rejects.toThrow(
      /"scale" names order_id, which is not a number column of transactions/,
    );
  });
});

describe("mrr_from: a subscription's price per billing interval as monthly revenue", () => {
  it("divides by the months each billing covers; an unknown interval or a bad count is set aside", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-mrr-from-"));
    writeFileSync(
      join(dir, "subscriptions.csv"),
      `id,Customer ID,Created (UTC),Canceled At (UTC),Plan Interval,Plan Interval Count,Plan Amount
sub_1,cus_A,2025-01-05 10:00:00,,month,1,4900
sub_2,cus_B,2025-02-01 09:00:00,2025-08-01 00:00:00,Year,1,120000
sub_3,cus_C,2025-03-10 12:00:00,,month,3,29700
sub_4,cus_D,2025-04-01 12:00:00,,fortnight,1,1000
sub_5,cus_E,2025-04-02 12:00:00,,week,,1000
sub_6,cus_F,2025-04-03 12:00:00,,year,0,1000
`,
    );
    const config = join(dir, "config.json");
    const columns = { customer_id: "Customer ID", start_date: "Created (UTC)", end_date: "Canceled At (UTC)" };
    const mrrFrom = { amount: "Plan Amount", interval: "Plan Interval", interval_count: "Plan Interval Count" };
    const source = { file: "subscriptions.csv", columns, mrr_from: mrrFrom, scale: { mrr: 0.01 } };
    writeFileSync(config, JSON.stringify({ sources: { subscriptions: source } }));
    const path = join(dir, "w.duckdb");
    const result = await ingest({ source: dir, config }, path);
    expect(result.sources[0]).toMatchObject({ read: 6, loaded: 4, rejected: 2 });
    expect(result.sources[0]!.reasons).toEqual({ "unknown billing interval": 1, "bad interval count": 1 });
    const db = await openDatabase(path);
    const rows = await query<{ customer_id: string; mrr: number }>(
      db.connection,
      "SELECT customer_id, mrr FROM subscriptions ORDER BY customer_id",
    );
    const rejected = await query(db.connection, 'SELECT line, "column", reason FROM rejected_rows ORDER BY line');
    db.close();
    // 49 a month; 1,200 a year = 100; 297 every 3 months = 99; 10 a week (blank count: 1) = 10 × 30.4375 / 7.
    const expected: [string, number][] = [
      ["cus_A", 49],
      ["cus_B", 100],
      ["cus_C", 99],
      ["cus_E", (10 * 30.4375) / 7],
    ];
    expect(rows.map((r) => r.customer_id)).toEqual(expected.map(([id]) => id));
    rows.forEach((r, i) => expect(r.mrr).toBeCloseTo(expected[i]![1], 9));
    expect(rejected).toEqual([
      { line: 5, column: "Plan Interval", reason: "unknown billing interval" },
      { line: 7, column: "Plan Interval Count", reason: "bad interval count" },
    ]);
  });

  it("is refused on another source, by name", async () => {
    const { dir, config } = exportsWith({ mrr_from: { amount: "amount_paid", interval: "currency" } });
    await expect(ingest({ source: dir, config }, join(dir, "w.duckdb"))).rejects.toThrow(
      /invoices\.csv: "mrr_from" is for the subscriptions export, not transactions/,
    );
  });
});
