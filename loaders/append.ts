/** Bulk-insert plain rows into an existing table through DuckDB's appender (much faster than INSERT per row). */
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
        if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) appender.appendNull();
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
