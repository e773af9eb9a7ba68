/**
 * The kinds of file a business saves its exports as: gzipped CSV is read (under its own name, lines and raw text of
 * rejected rows as in the plain file, no decompressed copy left behind), .txt is read as delimited text, and a
 * workbook or a corrupt archive under a source's name is refused by name with what to do, instead of the source being
 * reported "not found" at the end of the load. Columns are found by name as CRMs write them ("Customer ID"). A row
 * that an earlier file of the same source loaded (overlapping exports, a copy) is set aside, not counted twice.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";

const TRANSACTIONS = `customer_id,date,amount,order_id
C1,2025-01-05,49,O1
C1,2025-02-05,not a number,O2
C2,2025-01-10,99,O3
`;

function folderWith(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "churn-file-kinds-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const gzFolders = () => readdirSync(tmpdir()).filter((n) => n.startsWith("churn-gz-")).length;

describe("export file kinds", () => {
  it("reads a gzipped CSV under its own name, with the plain file's lines and raw text", async () => {
    const before = gzFolders();
    const dir = folderWith({ "transactions.csv.gz": gzipSync(TRANSACTIONS) });
    const result = await ingest({ source: dir }, join(dir, "w.duckdb"));
    expect(result.sources).toMatchObject([{ file: "transactions.csv.gz", read: 3, loaded: 2, rejected: 1 }]);
    const db = await openDatabase(join(dir, "w.duckdb"));
    try {
      expect(await query(db.connection, "SELECT file, line, reason, raw FROM rejected_rows")).toEqual([
        { file: "transactions.csv.gz", line: 3, reason: "unparseable number", raw: "C1,2025-02-05,not a number,O2" },
      ]);
    } finally {
      db.close();
    }
    expect(gzFolders()).toBe(before);
  });

  it("reads a .txt export as delimited text", async () => {
    const dir = folderWith({ "transactions.txt": TRANSACTIONS.replaceAll(",", "\t") });
    const result = await ingest({ source: dir }, join(dir, "w.duckdb"));
    expect(result.sources).toMatchObject([{ file: "transactions.txt", read: 3, loaded: 2, rejected: 1 }]);
  });

  it("refuses a workbook under a source's name, naming it and what to do", async () => {
    const dir = folderWith({ "customers.csv": "customer_id,signup_date\nC1,2025-01-01\n", "transactions.xlsx": "PK" });
    const error = await ingest({ source: dir }, join(dir, "w.duckdb")).catch((e: Error & { hint?: string }) => e);
    expect(String(error)).toMatch(/transactions\.xlsx is an Excel workbook: churn reads CSV, TSV or Parquet exports/);
    expect((error as { hint?: string }).hint).toMatch(/Save it as CSV \(UTF-8\) named transactions\.csv/);
    expect(existsSync(join(dir, "w.duckdb"))).toBe(false);
  });

  it("refuses a .gz that is not gzip, by name", async () => {
    const dir = folderWith({ "transactions.csv.gz": TRANSACTIONS });
    const error = await ingest({ source: dir }, join(dir, "w.duckdb")).catch((e: Error) => e);
    expect(String(error)).toMatch(/transactions\.csv\.gz is not a readable gzip file/);
  });

  it("reads columns named as CRMs write them: Customer ID, Order-ID (case, spaces, hyphens)", async () => {
    const dir = folderWith({
      "transactions.csv": TRANSACTIONS.replace("customer_id,date,amount,order_id", "Customer ID,DATE,Amount,Order-ID"),
    });
    const result = await ingest({ source: dir }, join(dir, "w.duckdb"));
    expect(result.sources).toMatchObject([{ read: 3, loaded: 2, rejected: 1 }]);
    const db = await openDatabase(join(dir, "w.duckdb"));
    try {
      expect(await query(db.connection, "SELECT customer_id, order_id FROM transactions ORDER BY order_id")).toEqual([
        { customer_id: "C1", order_id: "O1" },
        { customer_id: "C2", order_id: "O3" },
      ]);
    } finally {
      db.close();
    }
  });

  it("does not guess between two columns that differ only in spacing", async () => {
    const header = "Customer ID,Customer-Id,date,amount,order_id";
    const dir = folderWith({ "transactions.csv": `${header}\nC1,X1,2025-01-05,49,O1\n` });
    const error = await ingest({ source: dir }, join(dir, "w.duckdb")).catch((e: Error) => e);
    expect(String(error)).toMatch(/required column "customer_id" is missing/);
  });

  it("sets aside a row an earlier file of the source loaded: overlapping exports, an export saved twice", async () => {
    const dir = folderWith({
      "orders_1.csv": "customer_id,date,amount,order_id\nC1,2025-01-05,49,O1\nC2,2025-01-31,20,O2\n",
      "orders_2.csv": "customer_id,date,amount,order_id\nC2,2025-01-31,20,O2\nC1,2025-02-05,49,O3\n",
      "config.json": JSON.stringify({ sources: { transactions: { file: "orders_*.csv" } } }),
    });
    const result = await ingest({ source: dir, config: join(dir, "config.json") }, join(dir, "w.duckdb"));
    expect(result.sources).toMatchObject([
      { file: "orders_1.csv", read: 2, loaded: 2, rejected: 0 },
      { file: "orders_2.csv", read: 2, loaded: 1, rejected: 1, reasons: { "duplicate row (earlier file)": 1 } },
    ]);
    const db = await openDatabase(join(dir, "w.duckdb"));
    try {
      expect(await query(db.connection, "SELECT sum(amount)::DOUBLE AS revenue FROM transactions")).toEqual([
        { revenue: 118 },
      ]);
    } finally {
      db.close();
    }

    const twice = folderWith({ "transactions.csv": TRANSACTIONS, "transactions.csv.gz": gzipSync(TRANSACTIONS) });
    const copies = await ingest({ source: twice }, join(twice, "w.duckdb"));
    expect(copies.sources[1]).toMatchObject({ loaded: 0, reasons: { "duplicate row (earlier file)": 2 } });
    expect(copies.sources[1]!.notes?.join(" ")).toMatch(/the export may be in the folder twice/);
  });

  it("names the line a header sits on below a report's title lines", async () => {
    const dir = folderWith({ "transactions.csv": `Orders export\nGenerated 2026-10-01\n${TRANSACTIONS}` });
    const error = await ingest({ source: dir }, join(dir, "w.duckdb")).catch((e: Error & { hint?: string }) => e);
    expect(String(error)).toMatch(/required column "customer_id" is missing/);
    expect((error as { hint?: string }).hint).toMatch(/header seems to be on line 3 .*remove the 2 lines above it/);
  });

  it("says a file of only a byte-order mark or blank lines is empty", async () => {
    for (const content of ["\ufeff", "\ufeff\r\n\r\n", Buffer.from([0xff, 0xfe]), " \n\n"]) {
      const dir = folderWith({ "transactions.csv": TRANSACTIONS, "surveys.csv": content });
      const error = await ingest({ source: dir }, join(dir, "w.duckdb")).catch((e: Error) => e);
      expect(String(error)).toMatch(/surveys\.csv is empty \(no header row: only a byte-order mark or blank lines\)/);
    }
  });
});
