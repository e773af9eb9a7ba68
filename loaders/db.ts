/**
 * Thin helpers over @duckdb/node-api: open a database file, run parameterised SQL, read rows as plain objects.
 * BIGINT/HUGEINT come back as JavaScript numbers (checked to be safe integers), DATE as "YYYY-MM-DD" strings,
 * TIMESTAMP as ISO strings, DECIMAL as numbers. Never paste user values into SQL: pass them as `params`.
 */
import {
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBListValue,
  type DuckDBValue,
  type DuckDBVector,
} from "@duckdb/node-api";
import { existsSync, statSync } from "node:fs";
import { UserError } from "./errors.ts";

/** A parameter value; lists (listValue from @duckdb/node-api) for `IN (SELECT unnest($ids))`. */
export type SqlParam = string | number | boolean | null | bigint | DuckDBListValue;
export type SqlParams = Record<string, SqlParam> | SqlParam[];
export type Row = Record<string, unknown>;

export interface Database {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  path: string;
  close(): void;
}

/**
 * DuckDB's memory limit for the long build steps (ingest, the analyses): 1.5 GB unless CHURN_MEMORY_LIMIT says
 * otherwise. DuckDB spills to disk above it instead of keeping up to 80% of the machine's memory as cache. At a
 * million customers the build's peak comes while the forest's snapshot query runs beside the acquisition stage: with
 * 2 GB it reached 4.4–4.5 GiB, with 1.5 GB 3.9 GiB, and the build was no slower (363–364 s against 370–373 s).
 */
export const buildMemoryLimit = (): string => process.env["CHURN_MEMORY_LIMIT"] ?? "1.5GB";

/** Open (or create) a DuckDB database. `readOnly` refuses to create a missing file. */
export async function openDatabase(
  path: string,
  options: { readOnly?: boolean; threads?: number; memoryLimit?: string } = {},
): Promise<Database> {
  if (options.readOnly && path !== ":memory:" && !existsSync(path)) {
    throw new UserError(`No warehouse at ${path}.`, {
      hint: "Run `npm run churn -- ingest --source DIR` first, or pass --db FILE.",
    });
  }
  const config: Record<string, string> = {};
  if (options.readOnly) config["access_mode"] = "READ_ONLY";
  if (options.threads) config["threads"] = String(options.threads);
  if (options.memoryLimit) config["memory_limit"] = options.memoryLimit;
  const instance = await DuckDBInstance.create(path, config);
  const connection = await instance.connect();
  return {
    instance,
    connection,
    path,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Run `fn` with an open database and always close it. */
export async function withDatabase<T>(
  path: string,
  options: { readOnly?: boolean },
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  return using(await openDatabase(path, options), fn);
}

/** Run `fn` with an opened database and always close it. */
async function using<T>(db: Database, fn: (db: Database) => Promise<T>): Promise<T> {
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/**
 * Open the warehouse a command was pointed at (--db). Refused with a UserError saying what to do, and nothing
 * created, when the path is missing or a folder, is not a DuckDB file, is held by another process, or is a DuckDB
 * database churn did not write (no warehouse_meta table).
 */
export async function openWarehouse(path: string, options: { readOnly?: boolean } = {}): Promise<Database> {
  const hint = "Run `churn build` (or `churn ingest --source DIR`) first, or pass the --db FILE it wrote.";
  if (!existsSync(path)) throw new UserError(`No warehouse at ${path}.`, { hint });
  if (!statSync(path).isFile()) throw new UserError(`--db ${path} is a folder, not a warehouse file.`, { hint });
  let db: Database;
  try {
    db = await openDatabase(path, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/Could not set lock/i.test(message))
      throw new UserError(`--db ${path} is open in another process.`, {
        hint: "Wait for the other churn command (or DuckDB session) to finish, then run this again.",
      });
    if (/not a valid DuckDB database|IO Error/i.test(message))
      throw new UserError(`--db ${path} is not a DuckDB warehouse (${message.split("\n")[0]}).`, { hint });
    throw error;
  }
  if (!(await tableExists(db.connection, "warehouse_meta"))) {
    db.close();
    throw new UserError(`--db ${path} is a DuckDB database that churn did not write (no warehouse_meta table).`, {
      hint,
    });
  }
  return db;
}

/** Run `fn` with the warehouse open (openWarehouse) and always close it. */
export async function withWarehouse<T>(
  path: string,
  options: { readOnly?: boolean },
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  return using(await openWarehouse(path, options), fn);
}

/** Convert one DuckDB value to plain JSON-friendly JavaScript. */
export function toPlain(value: DuckDBValue | unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`Integer ${value} is too large for a JavaScript number`);
    return n;
  }
  if (typeof value === "object") {
    // DuckDB value classes (dates, decimals, timestamps, lists) all print sensibly via toString().
    const ctor = (value as object).constructor?.name ?? "";
    if (ctor === "DuckDBDecimalValue") return Number(String(value));
    if (ctor === "DuckDBListValue" || ctor === "DuckDBArrayValue") {
      return (value as { items: unknown[] }).items.map(toPlain);
    }
    if (ctor.startsWith("DuckDB")) return String(value);
  }
  return value;
}

/** Named parameters that the statement actually uses (DuckDB refuses unused ones). */
function usedParams(sql: string, params?: SqlParams): SqlParams | undefined {
  if (!params || Array.isArray(params)) return params;
  const used: Record<string, SqlParam> = {};
  for (const [name, value] of Object.entries(params)) if (new RegExp(`\\$${name}\\b`).test(sql)) used[name] = value;
  return Object.keys(used).length ? used : undefined;
}

/** Run a statement that returns nothing. */
export async function run(conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<void> {
  const t0 = performance.now();
  await conn.run(sql, usedParams(sql, params) as never);
  sqlTime(t0, sql);
}
/**
 * With CHURN_SQL_TIMING set, every statement that took over 200 ms (or over CHURN_SQL_TIMING ms when it is a number)
 * is printed to stderr with its time: the way to see which query a slow stage waits on.
 */
function sqlTime(t0: number, sql: string): void {
  const setting = process.env["CHURN_SQL_TIMING"];
  if (setting) {
    const ms = performance.now() - t0;
    if (ms > (Number(setting) > 1 ? Number(setting) : 200))
      process.stderr.write(`SQL ${(ms / 1000).toFixed(2)} s ${sql.replace(/\s+/g, " ").slice(0, 160)}\n`);
  }
}

/** Run a query and return its rows as plain objects (see `toPlain`). */
export async function query<T extends Row = Row>(
  conn: DuckDBConnection,
  sql: string,
  params?: SqlParams,
): Promise<T[]> {
  const t0 = performance.now();
  const reader = await conn.runAndReadAll(sql, usedParams(sql, params) as never);
  sqlTime(t0, sql);
  // Built from the columns, one object per row: DuckDB's own row objects, copied again here, cost twice as much at a
  // million rows.
  const names = reader.columnNames();
  const columns = reader.getColumns();
  const rows = new Array<T>(reader.currentRowCount);
  for (let i = 0; i < rows.length; i++) {
    const out: Row = {};
    for (let c = 0; c < names.length; c++) out[names[c]!] = toPlain(columns[c]![i]);
    rows[i] = out as T;
  }
  return rows;
}

/** The first row of a query, or undefined. */
export async function queryOne<T extends Row = Row>(
  conn: DuckDBConnection,
  sql: string,
  params?: SqlParams,
): Promise<T | undefined> {
  const rows = await query<T>(conn, sql, params);
  return rows[0];
}

/** Read one column of a query as a Float64Array (nulls become NaN): the fast path for numeric models. */
export async function queryColumns(
  conn: DuckDBConnection,
  sql: string,
  params?: SqlParams,
): Promise<Record<string, unknown[]>> {
  const t0 = performance.now();
  const reader = await conn.runAndReadAll(sql, usedParams(sql, params) as never);
  sqlTime(t0, sql);
  const names = reader.columnNames();
  const columns = reader.getColumns();
  const out: Record<string, unknown[]> = {};
  names.forEach((name, i) => {
    out[name] = (columns[i] ?? []).map(toPlain);
  });
  return out;
}

/**
 * Value i of a column queryNumberColumns returned, NULL as null: NaN in an unboxed number column, null in a column of
 * plain values (DECIMAL and the like).
 */
export function numberOrNull(column: ArrayLike<unknown>, i: number): number | null {
  const v = column[i] as number | null | undefined;
  return v === null || v === undefined || Number.isNaN(v) ? null : v;
}

const NUMBER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|FLOAT|DOUBLE)$/;

/**
 * A query's columns read chunk by chunk straight from DuckDB's vectors: `read` turns column c's vector (of DuckDB
 * type `type`) in a chunk of n rows into a part (typed arrays, say), with no array of boxed values or row objects
 * built on the way. Returns the columns' names, DuckDB types and parts (in order) and the rows read.
 * queryNumberColumns and the site's Arrow files read through it.
 */
export async function queryColumnParts<P>(
  conn: DuckDBConnection,
  sql: string,
  params: SqlParams | undefined,
  read: (vector: DuckDBVector, n: number, c: number, type: string) => P,
): Promise<{ names: string[]; types: string[]; parts: P[][]; rows: number }> {
  const t0 = performance.now();
  const result = await conn.run(sql, usedParams(sql, params) as never);
  sqlTime(t0, sql);
  const names = result.columnNames();
  const types = result.columnTypes().map((t) => t.toString());
  const parts: P[][] = names.map(() => []);
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    rows += chunk.rowCount;
    for (let c = 0; c < names.length; c++) parts[c]!.push(read(chunk.getColumnVector(c), chunk.rowCount, c, types[c]!));
  }
  return { names, types, parts, rows };
}

/** Typed-array parts (queryColumnParts) joined into one array of `rows` values. */
export function joinParts<T extends Float64Array | Uint8Array>(parts: T[], whole: T): T {
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}

/**
 * A query's columns chunk by chunk: number columns (integers up to BIGINT, FLOAT, DOUBLE) as Float64Array with NULL
 * as NaN, read value by value from DuckDB's vectors without boxing; other columns as plain values (toPlain). The
 * models' large reads: at a million customers, building arrays of boxed values cost seconds per query.
 */
export async function queryNumberColumns(
  conn: DuckDBConnection,
  sql: string,
  params?: SqlParams,
): Promise<Record<string, Float64Array | unknown[]>> {
  const { names, types, parts, rows } = await queryColumnParts(conn, sql, params, (vector, n, _c, type) => {
    if (NUMBER_TYPES.test(type)) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = vector.getItem(i);
        out[i] = v === null ? Number.NaN : Number(v);
      }
      return out;
    }
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = toPlain(vector.getItem(i));
    return out;
  });
  const columns: Record<string, Float64Array | unknown[]> = {};
  names.forEach((name, c) => {
    columns[name] = NUMBER_TYPES.test(types[c]!)
      ? joinParts(parts[c] as Float64Array[], new Float64Array(rows))
      : (parts[c] as unknown[][]).flat();
  });
  return columns;
}

/** Does the table exist in the main schema? */
export async function tableExists(conn: DuckDBConnection, table: string): Promise<boolean> {
  const row = await queryOne<{ n: number }>(
    conn,
    "SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $name",
    { name: table },
  );
  return (row?.n ?? 0) > 0;
}
