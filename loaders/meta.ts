/**
 * warehouse_meta (key → JSON text): facts about the warehouse that later stages and the site read, such as the
 * as-of date or why the churn model did not train. Both helpers work on a warehouse that has no such table yet.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne, run, tableExists } from "./db.ts";

export async function writeMeta(conn: DuckDBConnection, key: string, value: unknown): Promise<void> {
  await run(conn, "CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)");
  await run(conn, "INSERT OR REPLACE INTO warehouse_meta VALUES ($key, $value)", {
    key,
    value: JSON.stringify(value),
  });
}

/** The parsed value, the raw text when it is not JSON, or undefined when the key (or the table) is missing. */
export async function readMetaKey(conn: DuckDBConnection, key: string): Promise<unknown> {
  if (!(await tableExists(conn, "warehouse_meta"))) return undefined;
  const row = await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = $key", { key });
  if (!row) return undefined;
  try {
    return JSON.parse(row.value);
  } catch {
    return row.value;
  }
}
