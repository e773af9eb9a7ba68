/**
 * Read a flat table (CSV, TSV or Parquet) for the single-file commands (`survival --input`, `train --input`,
 * `readout --assignments`, …) through DuckDB, staged exactly as ingest stages an export (loaders/read-source.ts):
 * the path is taken literally, every CSV column is text, each row keeps its exact physical line (line 1 is the header;
 * quoted line breaks and blank lines are counted), and rows that cannot be split into the header's columns are set
 * aside and reported (`rejected`), never silently dropped. Each command parses and validates the columns it uses and
 * names the line and column of a bad value.
 */
import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { openDatabase, queryColumns } from "./db.ts";
import { columnsFound, UserError } from "./errors.ts";
import { quoteIdent, stageFile } from "./read-source.ts";

/** What a command set aside from its input, as printed in text and in JSON (`"rejected"`). */
export interface RejectedSummary {
  count: number;
  /** Records read, set aside or not. */
  read: number;
  reasons: Record<string, number>;
  /** First few, for the message: physical line and reason. */
  examples: { line: number; reason: string }[];
}

export interface FlatTable {
  file: string;
  columns: string[];
  /** Column name → values (text for CSV; typed for Parquet). */
  values: Record<string, unknown[]>;
  /** Physical line of each row (CSV: header = 1); for Parquet the 1-based row number + 1. */
  lines: number[];
  rowCount: number;
  /** Data records in the file: rowCount + rejected.count. */
  read: number;
  rejected: RejectedSummary;
  /** How the file was read when it differs from the default (an encoding fallen back to). */
  notes?: string[];
}

export async function readFlatFile(file: string): Promise<FlatTable> {
  if (!existsSync(file))
    throw new UserError(`File not found: ${file}.`, {
      hint: "Check the path (relative paths are from the current folder).",
    });
  if (statSync(file).isDirectory()) throw new UserError(`${file} is a folder; pass the file itself.`);
  if (statSync(file).size === 0)
    throw new UserError(`${file} is empty.`, {
      hint: "Export the table again with a header row and at least one data row.",
    });
  const db = await openDatabase(":memory:");
  try {
    const isParquet = /\.parquet$/i.test(file);
    let values: Record<string, unknown[]>;
    let rejected: RejectedSummary = { count: 0, read: 0, reasons: {}, examples: [] };
    let read: number;
    let readNotes: string[] = [];
    if (isParquet) {
      values = await queryColumns(db.connection, "SELECT * FROM read_parquet($file)", { file });
      const n = Object.values(values)[0]?.length ?? 0;
      values["__line"] = Array.from({ length: n }, (_, i) => i + 2);
      read = n;
    } else {
      const staged = await stageFile(db.connection, file, { file });
      const columns = staged.columns.map(quoteIdent).join(", ");
      try {
        values = await queryColumns(
          db.connection,
          `SELECT ${columns}, ${staged.lineExpr} AS __line FROM ${staged.table} ORDER BY __line`,
        );
      } finally {
        staged.release?.();
      }
      read = staged.read;
      readNotes = staged.notes ?? [];
      rejected = summarize(staged.structuralRejects, read);
    }
    const lines = (values["__line"] ?? []).map(Number);
    delete values["__line"];
    const columns = Object.keys(values);
    const rowCount = lines.length;
    if (rowCount === 0)
      throw new UserError(
        rejected.count
          ? `${file}: none of its ${rejected.count} rows could be split into the header's columns ` +
              `(line ${rejected.examples[0]?.line}: ${rejected.examples[0]?.reason}).`
          : `${file} has a header but no data rows.`,
        { hint: "Check the delimiter and quoting, or export the table again with its rows." },
      );
    return {
      file: basename(file),
      columns,
      values,
      lines,
      rowCount,
      read,
      rejected,
      ...(readNotes.length ? { notes: readNotes } : {}),
    };
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

function summarize(rows: { line: number; reason: string }[], read: number): RejectedSummary {
  const reasons: Record<string, number> = {};
  for (const r of rows) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  return {
    count: rows.length,
    read,
    reasons,
    examples: rows.slice(0, 3).map(({ line, reason }) => ({ line, reason })),
  };
}

/**
 * The table without the rows `reasonOf` gives a reason for (by row index), each counted in `rejected` under that
 * reason with its line, so read = rows kept + rejected still holds; the table itself when every row is usable.
 */
export function setAsideRows(table: FlatTable, reasonOf: (i: number) => string | null): FlatTable {
  const keep: number[] = [];
  const setAside: { line: number; reason: string }[] = [];
  for (let i = 0; i < table.rowCount; i++) {
    const reason = reasonOf(i);
    if (reason === null) keep.push(i);
    else setAside.push({ line: table.lines[i]!, reason });
  }
  if (setAside.length === 0) return table;
  const values: Record<string, unknown[]> = {};
  for (const [name, column] of Object.entries(table.values)) values[name] = keep.map((i) => column[i]);
  const before = table.rejected;
  const reasons = { ...before.reasons };
  for (const { reason } of setAside) reasons[reason] = (reasons[reason] ?? 0) + 1;
  return {
    ...table,
    values,
    lines: keep.map((i) => table.lines[i]!),
    rowCount: keep.length,
    rejected: {
      count: before.count + setAside.length,
      read: before.read,
      reasons,
      examples: [...before.examples, ...setAside].sort((a, b) => a.line - b.line).slice(0, 3),
    },
  };
}

/** A one-line note of what was set aside (empty when nothing was), for a command's text output. */
export function rejectedNote(file: string, rejected: RejectedSummary, duplicatesHint = false): string {
  if (rejected.count === 0) return "";
  const reasons = Object.entries(rejected.reasons)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  const lines = rejected.examples.length ? `; first at line ${rejected.examples.map((e) => e.line).join(", ")}` : "";
  let note = `note: ${file}: ${rejected.count} of ${rejected.read} rows left out (${reasons}${lines}).`;
  if (duplicatesHint && rejected.reasons["duplicate row"])
    note +=
      " Exact repeats were dropped as duplicates; if your export has no order id and one customer can genuinely " +
      "buy the same amount twice in a day (as in CDNOW), rerun with --keep-duplicates.";
  return note;
}

/** The values of a column, or a UserError naming the missing column and listing the ones found. */
export function requireColumn(table: FlatTable, name: string, flagName?: string): unknown[] {
  const values = table.values[name];
  if (!values) {
    throw new UserError(`${table.file} has no column "${name}"${flagName ? ` (given by --${flagName})` : ""}.`, {
      hint: columnsFound(table.columns),
    });
  }
  return values;
}

/** What an ingest into a scratch warehouse set aside, summed over its files (examples are not kept there). */
export function rejectedOfSources(
  sources: { read: number; rejected: number; reasons: Record<string, number> }[],
): RejectedSummary {
  const reasons: Record<string, number> = {};
  for (const s of sources) for (const [r, n] of Object.entries(s.reasons)) reasons[r] = (reasons[r] ?? 0) + n;
  const count = sources.reduce((a, s) => a + s.rejected, 0);
  return { count, read: sources.reduce((a, s) => a + s.read, 0), reasons, examples: [] };
}
