/**
 * Read a flat table (CSV, TSV or Parquet) for the single-file commands (`survival --input`, `train --input`,
 * `cohorts --subscriptions`, …) through DuckDB. All CSV columns are read as text, so each command parses and
 * validates the columns it uses and can name the line and column of a bad value.
 * Line numbers: line 1 is the header, so the first data row is line 2.
 */
import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { openDatabase, queryColumns } from "./db.ts";
import { UserError } from "./errors.ts";

export interface FlatTable {
  file: string;
  columns: string[];
  /** Column name → values (text for CSV; typed for Parquet). */
  values: Record<string, unknown[]>;
  /** Physical line of each row (CSV: header = 1); for Parquet the 1-based row number + 1. */
  lines: number[];
  rowCount: number;
}

export async function readFlatFile(file: string): Promise<FlatTable> {
  if (!existsSync(file))
    throw new UserError(`File not found: ${file}.`, {
      hint: "Check the path (relative paths are from the current folder).",
    });
  if (statSync(file).size === 0)
    throw new UserError(`${file} is empty.`, {
      hint: "Export the table again with a header row and at least one data row.",
    });
  const db = await openDatabase(":memory:");
  try {
    const isParquet = /\.parquet$/i.test(file);
    const source = isParquet
      ? "read_parquet($file)"
      : "read_csv($file, all_varchar = true, header = true, auto_detect = true, null_padding = false)";
    const values = await queryColumns(db.connection, `SELECT * FROM ${source}`, { file });
    const columns = Object.keys(values);
    const rowCount = columns.length ? (values[columns[0]!]?.length ?? 0) : 0;
    if (rowCount === 0)
      throw new UserError(`${file} has a header but no data rows.`, { hint: "Export the table again with its rows." });
    const lines = Array.from({ length: rowCount }, (_, i) => i + 2);
    return { file: basename(file), columns, values, lines, rowCount };
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`Could not read ${file}: ${(error as Error).message.split("\n")[0]}`, {
      hint: "Is it a CSV with a header row (or a Parquet file)? Check the delimiter and quoting.",
      cause: error,
    });
  } finally {
    db.close();
  }
}

/** The values of a column, or a UserError naming the missing column and listing the ones found. */
export function requireColumn(table: FlatTable, name: string, flagName?: string): unknown[] {
  const values = table.values[name];
  if (!values) {
    throw new UserError(`${table.file} has no column "${name}"${flagName ? ` (given by --${flagName})` : ""}.`, {
      hint: `Columns found: ${table.columns.join(", ")}.`,
    });
  }
  return values;
}
