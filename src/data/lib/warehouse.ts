/**
 * Shared by the site's data loaders: open the warehouse read-only (CHURN_DB, set by `churn build`; otherwise
 * data/warehouse.duckdb under the project root), read warehouse_meta, and print JSON that is always finite.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, query, tableExists, type Database } from "../../../loaders/db.ts";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

export function warehousePath(): string {
  return process.env["CHURN_DB"] ?? resolve(ROOT, "data", "warehouse.duckdb");
}

/** The warehouse shared by every loader of one data process (site-data.ts), or null when each opens its own. */
let shared: Database | null = null;

/**
 * Open the warehouse once for all the loaders run by this process: until the returned release() is called,
 * openWarehouse hands every loader the same read-only connection, whose close() does nothing.
 */
export async function shareWarehouse(): Promise<() => void> {
  const path = warehousePath();
  const db = existsSync(path) ? await openDatabase(path, { readOnly: true }) : null;
  shared = db && { ...db, close: () => {} };
  return () => {
    shared = null;
    db?.close();
  };
}

export async function openWarehouse(): Promise<Database | null> {
  if (shared) return shared;
  const path = warehousePath();
  if (!existsSync(path)) return null;
  return openDatabase(path, { readOnly: true });
}

export async function readMeta(db: Database): Promise<Record<string, unknown>> {
  if (!(await tableExists(db.connection, "warehouse_meta"))) return {};
  const rows = await query<{ key: string; value: string }>(db.connection, "SELECT key, value FROM warehouse_meta");
  const meta: Record<string, unknown> = {};
  for (const { key, value } of rows) {
    try {
      meta[key] = JSON.parse(value);
    } catch {
      meta[key] = value;
    }
  }
  return meta;
}

/** JSON with non-finite numbers as null (JSON.stringify would write NaN as null anyway; Infinity too). */
export function emit(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
}

/** Run a loader body with the warehouse, or emit {available: false, reason} when there is none. */
export async function withWarehouse(
  body: (db: Database, meta: Record<string, unknown>) => Promise<unknown>,
): Promise<void> {
  const db = await openWarehouse();
  if (!db) {
    emit({
      available: false,
      reason: `No warehouse at ${warehousePath()}: run \`npm run build\` (or churn ingest) first.`,
    });
    return;
  }
  try {
    emit(await body(db, await readMeta(db)));
  } finally {
    db.close();
  }
}
