/** A fresh warehouse on disk with the empty tables a constructed test writes its rows into. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, openDatabase, run } from "../../loaders/db.ts";
import { createTableSql, type SourceName } from "../../loaders/schema.ts";

export async function emptyWarehouse(
  name: string,
  tables: SourceName[] = ["customers", "transactions", "subscriptions"],
): Promise<Database> {
  const db = await openDatabase(join(mkdtempSync(join(tmpdir(), `churn-${name}-`)), "w.duckdb"));
  for (const t of tables) await run(db.connection, createTableSql(t));
  return db;
}
