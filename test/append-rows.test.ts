/**
 * appendRows writes plain rows through DuckDB's appender: every row arrives in order (past DuckDB's 2,048-row vectors)
 * with its NULLs and types, and a NaN or ±Infinity is refused naming table, row and column.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRows } from "../loaders/append.ts";
import { type Database, openDatabase, query, run } from "../loaders/db.ts";

let db: Database;
beforeAll(async () => {
  db = await openDatabase(":memory:");
});
afterAll(() => db.close());

describe("appendRows", () => {
  it("writes 5,000 rows in order, with NULLs, text, numbers and booleans", async () => {
    await run(db.connection, "CREATE TABLE t (k INTEGER, name VARCHAR, amount DOUBLE, flag BOOLEAN)");
    const rows = Array.from({ length: 5000 }, (_, k) => [
      k,
      k % 7 === 0 ? null : `name ${k} — é`,
      k % 5 === 0 ? undefined : k / 8,
      k % 3 === 0 ? null : k % 2 === 0,
    ]);
    await appendRows(db.connection, "t", ["integer", "varchar", "double", "boolean"], rows);
    const back = await query(db.connection, "SELECT k, name, amount, flag FROM t ORDER BY rowid");
    expect(back).toHaveLength(5000);
    back.forEach((r, k) => {
      expect(r).toEqual({
        k,
        name: k % 7 === 0 ? null : `name ${k} — é`,
        amount: k % 5 === 0 ? null : k / 8,
        flag: k % 3 === 0 ? null : k % 2 === 0,
      });
    });
  });

  it("refuses a NaN or an infinity, naming the table, row and column", async () => {
    await run(db.connection, "CREATE TABLE u (a VARCHAR, b DOUBLE)");
    const rows = Array.from({ length: 3000 }, (_, k) => [`r${k}`, k === 2500 ? Number.NaN : k]);
    await expect(appendRows(db.connection, "u", ["varchar", "double"], rows)).rejects.toThrow(
      "appendRows(u): row 2501, column 2 is NaN, not a finite number",
    );
    await expect(appendRows(db.connection, "u", ["varchar", "double"], [["x", -Infinity]])).rejects.toThrow(
      "row 1, column 2 is -Infinity",
    );
  });
});
