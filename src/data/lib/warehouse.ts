/**
 * Shared by the site's data loaders: open the warehouse read-only (the one site-data.ts shares, else CHURN_DB,
 * else data/warehouse.duckdb under the project root), read warehouse_meta, and write the loader's file (output():
 * stdout when Framework runs the loader, a buffer when site-data.ts does) as JSON that is always finite.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, query, tableExists, type Database } from "../../../loaders/db.ts";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The warehouse shared by the loaders site-data.ts is running (and its path), or null when each opens its own. */
let shared: { path: string; db: Database | null } | null = null;
/** Where output() goes while site-data.ts runs a loader; stdout otherwise. */
let sink: ((chunk: string | Uint8Array) => void) | null = null;

export function warehousePath(): string {
  return shared?.path ?? process.env["CHURN_DB"] ?? resolve(ROOT, "data", "warehouse.duckdb");
}

/**
 * Open the warehouse at `path` once for all the loaders site-data.ts runs: until the returned release() is called,
 * openWarehouse hands every loader the same read-only connection, whose close() does nothing. One at a time.
 * With `open` (the warehouse `churn build` is still writing), the loaders read through a new connection to it
 * instead, closed on release; the loaders only read.
 */
export async function shareWarehouse(path: string, open?: Database): Promise<() => void> {
  if (shared) throw new Error("the site's data loaders are already running in this process");
  if (open) {
    const connection = await open.instance.connect();
    shared = { path, db: { ...open, connection, close: () => {} } };
    return () => {
      shared = null;
      connection.closeSync();
    };
  }
  const db = existsSync(path) ? await openDatabase(path, { readOnly: true }) : null;
  shared = { path, db: db && { ...db, close: () => {} } };
  return () => {
    shared = null;
    db?.close();
  };
}

/** Write part of the loader's file. */
export function output(chunk: string | Uint8Array): void {
  if (sink) sink(chunk);
  else process.stdout.write(chunk);
}

/** Run a loader (`run` imports it) and return everything it output(). */
export async function collectOutput(run: () => Promise<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  sink = (chunk) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk));
  try {
    await run();
  } finally {
    sink = null;
  }
  return Buffer.concat(chunks);
}

export async function openWarehouse(): Promise<Database | null> {
  if (shared) return shared.db;
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
  output(JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
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
