/**
 * Customer ids another export spells differently (loaders/id-matching.ts): a billing export in lower case, an account
 * number whose leading zeros a spreadsheet dropped. Joined to their customers when that is plainly what happened
 * (config id_match "auto"), reported when it may be a coincidence, never when id_match is "exact"; ids two customers
 * share once case is ignored are never joined. Every row is kept either way (read = loaded + rejected). Ids a
 * spreadsheet wrote in scientific notation (1.23E+12) cannot be mended and are warned of.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { ingestReportLines } from "../loaders/ingest-report.ts";

const SPELT = Array.from({ length: 12 }, (_, i) => `C${String(i + 1).padStart(3, "0")}`);
const CUSTOMERS = [...SPELT, "AB", "ab", "0042", "C0099"];

/** Exports in a fresh folder: customers.csv with CUSTOMERS, transactions.csv with one row per given id. */
function exportsWith(transactionIds: string[], idMatch?: string): { dir: string; config?: string } {
  const dir = mkdtempSync(join(tmpdir(), "churn-id-match-"));
  writeFileSync(
    join(dir, "customers.csv"),
    `customer_id,signup_date\n${CUSTOMERS.map((id) => `${id},2025-01-01`).join("\n")}\n`,
  );
  const rows = transactionIds.map((id, i) => `${id},2025-02-0${1 + (i % 9)},10,O${i}`);
  writeFileSync(join(dir, "transactions.csv"), `customer_id,date,amount,order_id\n${rows.join("\n")}\n`);
  if (idMatch === undefined) return { dir };
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({ id_match: idMatch, sources: {} }));
  return { dir, config };
}

async function load(transactionIds: string[], idMatch?: string) {
  const { dir, config } = exportsWith(transactionIds, idMatch);
  const path = join(dir, "w.duckdb");
  const result = await ingest({ source: dir, ...(config ? { config } : {}) }, path);
  const db = await openDatabase(path);
  try {
    const ids = (
      await query<{ customer_id: string }>(
        db.connection,
        "SELECT customer_id FROM transactions ORDER BY CAST(substr(order_id, 2) AS INTEGER)",
      )
    ).map((r) => r.customer_id);
    const tx = result.sources.find((s) => s.source === "transactions")!;
    const [meta] = await query<{ value: string }>(
      db.connection,
      "SELECT value FROM warehouse_meta WHERE key = 'orphan_ids'",
    );
    return {
      ids,
      report: ingestReportLines(result).join("\n"),
      counts: { read: tx.read, loaded: tx.loaded },
      orphans: JSON.parse(meta!.value) as Record<string, number>,
    };
  } finally {
    db.close();
  }
}

describe("customer ids spelt differently in another export", () => {
  it("joins ids that differ only in case or leading zeros when nearly all of an export's ids do", async () => {
    const lower = SPELT.map((id) => id.toLowerCase());
    const { ids, report, counts, orphans } = await load([...lower, "42", "C001", "Z9"]);
    // "42" is the account "0042" without its zeros; "Z9" is in no customer record and stays as it is.
    expect(ids).toEqual([...SPELT, "0042", "C001", "Z9"]);
    expect(counts).toEqual({ read: 15, loaded: 15 });
    expect(orphans["transactions"]).toBe(1); // only "Z9" is left in no customer record
    expect(report).toMatch(/transactions: 13 customer ids differ from customers\.csv's only in case or leading zeros/);
    expect(report).toMatch(/"id_match": "exact"/);
    expect(report).toMatch(/1 other customer id is in no customer record of customers\.csv \(e\.g\. "Z9"\)/);
  });

  it("reports, but does not join, a few such ids among many that are spelt right", async () => {
    const { ids, report } = await load([...SPELT, "c002"]);
    expect(ids.at(-1)).toBe("c002");
    expect(report).toMatch(/warning: transactions: 1 customer id is not in customers\.csv; it differs/);
    expect(report).toMatch(/"id_match": "loose"/);
  });

  it("joins them with id_match loose, and never with id_match exact", async () => {
    expect((await load([...SPELT, "c002"], "loose")).ids.at(-1)).toBe("C002");
    expect((await load(["c001", "c002", "c003"], "exact")).ids).toEqual(["c001", "c002", "c003"]);
  });

  it("never joins an id two customers share once case is ignored, nor zeros inside non-numeric ids", async () => {
    // "Ab" could be "AB" or "ab"; "C99" is not "C0099" (only ids of digits lose leading zeros).
    const { ids } = await load(["Ab", "C99", "c001", "c002"], "loose");
    expect(ids).toEqual(["Ab", "C99", "C001", "C002"]);
  });

  it("warns of ids a spreadsheet wrote in scientific notation, whose digits are lost", async () => {
    const { report } = await load(["1.23E+12", "1.23E+12", "C001"]);
    expect(report).toMatch(
      /warning: transactions: 1 customer id is a number in scientific notation \(e\.g\. "1\.23E\+12"\)/,
    );
    expect(report).toMatch(/format the column as Text/);
  });
});
