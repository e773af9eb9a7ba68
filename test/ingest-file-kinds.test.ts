/**
 * The kinds of file a business saves its exports as: gzipped CSV is read (under its own name, lines and raw text of
 * rejected rows as in the plain file, no decompressed copy left behind), .txt is read as delimited text, and a
 * workbook or a corrupt archive under a source's name is refused by name with what to do, instead of the source being
 * reported "not found" at the end of the load.
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
});
