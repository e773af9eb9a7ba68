/**
 * The CSV DuckDB writes (models/actions/csv-sql.ts) is byte for byte the CSV csv.ts's toCsv writes from the same rows:
 * text that needs quoting, formula-like text, line breaks, accents, NULLs, whole and fractional numbers, negative
 * numbers and halves at the rounding digit, non-finite numbers, dates, booleans, and an empty result.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase, query, run } from "../loaders/db.ts";
import { spreadsheetCsvBytes } from "../models/actions/csv-sql.ts";
import { type CsvValue, toCsv } from "../models/actions/csv.ts";

let db: Database;
const TEXTS = [
  "plain",
  'say "hi"',
  "a,b",
  "two\nlines",
  "cr\rhere",
  "crlf\r\nthere",
  "=SUM(A1:A2)",
  "+33 1 23",
  "-5 deals",
  "@handle",
  "\tindented",
  "=with, comma",
  "Zoë Çelik — 東京",
  "",
  null,
];
const NUMBERS = [0, 5, -5, 0.1, 0.125, 0.005, 1.005, -1.005, 2.675, 1234567.891, -0.0001, 0.00005, 1e17, -0.004, null];

beforeAll(async () => {
  db = await openDatabase(":memory:");
  await run(
    db.connection,
    `CREATE TABLE t (k INTEGER, label VARCHAR, amount DOUBLE, p DOUBLE, n BIGINT, day DATE, flag BOOLEAN,
       ratio FLOAT, price DECIMAL(10, 3))`,
  );
  const rows = Math.max(TEXTS.length, NUMBERS.length);
  for (let k = 0; k < rows; k++) {
    await run(
      db.connection,
      `INSERT INTO t VALUES ($k, $label, $amount, $p, $n, DATE '2026-01-01' + $k::INTEGER, $flag, $ratio, $price)`,
      {
        k,
        label: TEXTS[k % TEXTS.length] ?? null,
        amount: NUMBERS[k % NUMBERS.length] ?? null,
        p: NUMBERS[(k + 3) % NUMBERS.length] ?? null,
        n: k % 4 === 0 ? null : k * 1000 - 7000,
        flag: k % 3 === 0 ? null : k % 2 === 0,
        ratio: k / 7,
        price: k % 5 === 0 ? null : k * 1.111,
      },
    );
  }
  await run(db.connection, "INSERT INTO t VALUES (100, 'inf', 'inf'::DOUBLE, 'nan'::DOUBLE, 1, NULL, NULL, 1, 1)");
});
afterAll(() => db.close());

/** What the JavaScript path writes: the rows as query() gives them, rounded like scoredListCsv did, then toCsv. */
async function viaJavaScript(select: string, digits: (c: string) => number): Promise<string> {
  const rows = await query(db.connection, select);
  const columns = rows.length ? Object.keys(rows[0]!) : ["k", "label"];
  const round = (c: string, v: unknown) => {
    const d = digits(c);
    return typeof v === "number" ? Math.round(v * 10 ** d) / 10 ** d : v;
  };
  return toCsv(
    columns,
    rows.map((r) => columns.map((c) => round(c, r[c]) as CsvValue)),
  );
}

describe("spreadsheetCsvBytes", () => {
  it("writes exactly what toCsv writes from the same rows, at each rounding", async () => {
    const select = "SELECT k, label, amount, p, n, day, flag, ratio, price FROM t";
    for (const digits of [() => 2, (c: string) => (c === "p" ? 4 : c === "n" ? 0 : c === "ratio" ? 3 : 1)]) {
      const { bytes, rows } = await spreadsheetCsvBytes(db.connection, select, "k", {}, digits);
      expect(bytes.toString("utf8")).toBe(await viaJavaScript(`${select} ORDER BY k`, digits));
      expect(rows).toBe(16);
    }
  });

  it("refuses more than 4 decimals (below 0.0001 DuckDB and JavaScript print numbers differently)", async () => {
    await expect(spreadsheetCsvBytes(db.connection, "SELECT amount FROM t", "amount", {}, () => 6)).rejects.toThrow(
      RangeError,
    );
  });

  it("an empty result is the BOM and the header line", async () => {
    const { bytes, rows } = await spreadsheetCsvBytes(db.connection, "SELECT k, label FROM t WHERE k < 0", "k", {});
    expect(bytes.toString("utf8")).toBe("\ufeffk,label\r\n");
    expect(rows).toBe(0);
  });
});
