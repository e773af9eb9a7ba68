/**
 * Bulk-insert plain rows into an existing table through DuckDB's appender (much faster than INSERT per row).
 * null and undefined become NULL. A NaN or ±Infinity is refused with an error naming the table, row and column: a
 * number that could not be computed must be turned into null (and counted) by the code that knows why, never stored
 * silently as NULL here.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

export type AppendType = "varchar" | "double" | "integer" | "boolean";

export async function appendRows(
  conn: DuckDBConnection,
  table: string,
  types: AppendType[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  if (rows.length === 0) return;
  const appender = await conn.createAppender(table);
  try {
    for (const row of rows) {
      types.forEach((type, i) => {
        const v = row[i];
        if (typeof v === "number" && !Number.isFinite(v))
          throw new Error(
            `appendRows(${table}): row ${rows.indexOf(row) + 1}, column ${i + 1} is ${v}, not a finite number`,
          );
        if (v === null || v === undefined) appender.appendNull();
        else if (type === "double") appender.appendDouble(Number(v));
        else if (type === "integer") appender.appendInteger(Number(v));
        else if (type === "boolean") appender.appendBoolean(Boolean(v));
        else appender.appendVarchar(String(v));
      });
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
}
