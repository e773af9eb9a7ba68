/**
 * Reading the proactive plan (table proactive_plan, written by `churn build` / `churn score`) for the site's /plan
 * page and its CSV: the workload per team and channel in "this month" (the calendar month of the day after the as-of
 * date, the first day a touch can be due) and in the following months, and the full list by due date.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addDays } from "../../loaders/dates.ts";
import { query } from "../../loaders/db.ts";
import { spreadsheetCsvBytes } from "./csv-sql.ts";

export const PLAN_COLUMNS = [
  "customer_id",
  "name",
  "segment",
  "tier",
  "quadrant",
  "next_touch",
  "next_touch_date",
  "channel",
  "team",
] as const;

const WORKLOAD_SQL = `
  SELECT strftime(next_touch_date, '%Y-%m') AS month, team, channel, next_touch AS touch, count(*)::INTEGER AS touches
  FROM proactive_plan GROUP BY ALL ORDER BY month, team, channel, touch`;

const LIST_SELECT = `
  SELECT customer_id, name, segment, tier, quadrant, next_touch, CAST(next_touch_date AS VARCHAR) AS next_touch_date,
         channel, team
  FROM proactive_plan`;
const LIST_ORDER = "next_touch_date, team, customer_id";

export type WorkloadRow = {
  month: string;
  team: string;
  channel: string;
  touch: string;
  touches: number;
};

/** The month whose workload the plan page leads with: YYYY-MM of as-of + 1 day. */
export function planMonth(asOf: string): string {
  return addDays(asOf, 1).slice(0, 7);
}

export async function planWorkload(conn: DuckDBConnection): Promise<WorkloadRow[]> {
  return query<WorkloadRow>(conn, WORKLOAD_SQL);
}

/**
 * The touches due in `month` (YYYY-MM), by due date: how many there are, and the first `limit` of them. Counted and
 * cut in SQL: the whole plan is hundreds of thousands of rows at a million customers (reading it cost 3 s).
 */
export async function planMonthList(
  conn: DuckDBConnection,
  month: string,
  limit: number,
): Promise<{ count: number; rows: Record<string, unknown>[] }> {
  const due = "strftime(next_touch_date, '%Y-%m') = $month";
  const count = await query<{ n: number }>(conn, `SELECT count(*)::INTEGER AS n FROM proactive_plan WHERE ${due}`, {
    month,
  });
  const rows = await query(conn, `${LIST_SELECT} WHERE ${due} ORDER BY ${LIST_ORDER} LIMIT $limit`, { month, limit });
  return { count: count[0]?.n ?? 0, rows };
}

/** The whole plan as spreadsheet-safe CSV, by due date. */
export async function planCsv(conn: DuckDBConnection): Promise<Buffer> {
  return (await spreadsheetCsvBytes(conn, LIST_SELECT, LIST_ORDER, {})).bytes;
}
