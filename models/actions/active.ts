/**
 * The population of the at-risk list: the customers active on the as-of date by the workspace's one rule
 * (models/cohorts/active.ts: a subscription covering the day; one-off buyers with a purchase in the inactivity window
 * W the build chose, or 365 days when there are no repeat purchases to choose it from).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne, run } from "../../loaders/db.ts";
import { ACTIVE_ON_SQL, buyerWindow } from "../cohorts/active.ts";

export interface ActivePopulation {
  customers: number;
  buyerWindowDays: number;
  rule: string;
}

/** Write the temporary table active_customers (customer_id, kind) for `asOf`. */
export async function activeCustomers(conn: DuckDBConnection, asOf: string): Promise<ActivePopulation> {
  const window = await buyerWindow(conn, asOf);
  await run(conn, `CREATE OR REPLACE TEMP TABLE active_customers AS ${ACTIVE_ON_SQL}`, { d: asOf, w: window.days });
  const n = await queryOne<{ n: number }>(conn, "SELECT count(*)::INTEGER AS n FROM active_customers");
  return { customers: n?.n ?? 0, buyerWindowDays: window.days, rule: window.rule };
}
