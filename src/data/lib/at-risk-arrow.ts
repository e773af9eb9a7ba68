/**
 * The whole scored at-risk list (table scored_customers, every column it has) as an Arrow IPC file for the /at-risk
 * page, in the order of the CSV download: value at risk, then CLV, descending, then customer id. Probabilities are
 * rounded to 4 decimals and other money-like decimals to cents, as in the CSV, so "download this view" in the page
 * gives the same numbers as the full CSV. Self-contained (warehouse connection in, bytes out) so any build step can
 * call it; `src/data/at-risk.arrow.ts` is the Framework loader that prints it.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { tableToIPC } from "apache-arrow";
import { emptyArrow, queryToArrow } from "./arrow-table.ts";

/** Columns the list is sorted by when present (the CSV's order); anything else rides along unsorted. */
/** The list's order: its rank when it has one (rules or model, churn/models/actions), else by value at risk. */
const ORDER = ["risk_rank", "value_at_risk DESC", "clv DESC", "customer_id"];

/** Text columns that are lists joined by "; " (symptoms fired, drivers in words): stored as lists of phrases. */
const LISTS = ["symptoms", "top_drivers"];

/** Decimal places of a float column: 4 for probabilities and shares, 2 (cents) for the rest. */
export function scoredDigits(column: string): number {
  return /probability|share|rate$/.test(column) ? 4 : 2;
}

async function columnsOf(conn: DuckDBConnection, table: string): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $t " +
      "ORDER BY ordinal_position",
    { t: table },
  );
  return reader.getColumns()[0]?.map(String) ?? [];
}

/** The scored list as Arrow IPC (file format); an empty table with a `reason` in its metadata when there is none. */
export async function atRiskArrow(
  conn: DuckDBConnection | null,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const columns = conn ? await columnsOf(conn, "scored_customers") : [];
  if (!conn || columns.length === 0) {
    const reason = "No scored customers: the warehouse has no at-risk list yet (run churn build or churn score).";
    return tableToIPC(emptyArrow(["customer_id"], { ...metadata, reason }), "file");
  }
  const order = columns.includes("risk_rank") ? ["risk_rank"] : ORDER.filter((o) => columns.includes(o.split(" ")[0]!));
  const sql = `SELECT * FROM scored_customers${order.length ? ` ORDER BY ${order.join(", ")}` : ""}`;
  const table = await queryToArrow(
    conn,
    sql,
    {},
    {
      digits: scoredDigits,
      separator: (c) => (LISTS.includes(c) ? "; " : undefined),
      metadata,
    },
  );
  return tableToIPC(table, "file");
}
