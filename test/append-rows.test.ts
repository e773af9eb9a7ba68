/**
 * appendRows writes plain rows through DuckDB's appender: every row arrives in order (past DuckDB's 2,048-row vectors)
 * with its NULLs and types, and a NaN or ±Infinity is refused naming table, row and column.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendMapped, appendRows } from "../loaders/append.ts";
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

  it("appendMapped writes what appendRows writes of the mapped records, rows made chunk by chunk", async () => {
    await run(db.connection, "CREATE TABLE m1 (k INTEGER, name VARCHAR, share DOUBLE)");
    await run(db.connection, "CREATE TABLE m2 (k INTEGER, name VARCHAR, share DOUBLE)");
    const records = Array.from({ length: 4500 }, (_, k) => ({ id: `c${k}`, spend: k % 9 === 0 ? null : k * 1.25 }));
    const toRow = (r: (typeof records)[number], i: number) => [i, r.id, r.spend === null ? null : r.spend / 3];
    await appendMapped(db.connection, "m1", ["integer", "varchar", "double"], records, toRow);
    await appendRows(db.connection, "m2", ["integer", "varchar", "double"], records.map(toRow));
    const [a, b] = await Promise.all(
      ["m1", "m2"].map((t) => query(db.connection, `SELECT * FROM ${t} ORDER BY rowid`)),
    );
    expect(a).toHaveLength(4500);
    expect(a).toEqual(b);
    expect(a![4499]).toEqual({ k: 4499, name: "c4499", share: (4499 * 1.25) / 3 });
    const bad = records.map((r, k) => ({ ...r, spend: k === 4100 ? Number.POSITIVE_INFINITY : r.spend }));
    await expect(
      appendMapped(db.connection, "m1", ["integer", "varchar", "double"], bad, (r, i) => [i, r.id, r.spend]),
    ).rejects.toThrow("appendRows(m1): row 4101, column 3 is Infinity");
  });
});
