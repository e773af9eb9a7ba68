/**
 * The churn forest's label, the workspace's one definition (models/cohorts/active.ts): a customer active on the
 * snapshot date d has churned at the horizon H when they are not active on d + H — subscribers: no subscription covers
 * d + H; one-off buyers: no purchase in the W days up to d + H (a buyer who starts a subscription that still runs on
 * d + H is active). So a buyer's churn probability is P(inactive by the report's rule at the horizon), not "no purchase
 * within H days": with W = 80 and H = 90, a buyer must buy in (d + 10, d + 90] to stay active.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addDays } from "../../loaders/dates.ts";
import { activeCustomers } from "../cohorts/active.ts";

/** The churn forest's horizon H in days: churned = not active H days after the snapshot date. */
export const CHURN_HORIZON_DAYS = 90;

/** 1 when the customer is not active on date + horizonDays (buyers by the `windowDays` window), else 0; per id. */
export async function churnLabels(
  conn: DuckDBConnection,
  ids: readonly string[],
  date: string,
  horizonDays: number,
  windowDays: number,
): Promise<Uint8Array> {
  return churnLabelsFrom(ids, await activeCustomers(conn, addDays(date, horizonDays), windowDays));
}

/** 1 for each id not in `activeLater` (the customers active at the horizon), else 0. */
export function churnLabelsFrom(ids: readonly string[], activeLater: ReadonlySet<string>): Uint8Array {
  return Uint8Array.from(ids, (id) => (activeLater.has(id) ? 0 : 1));
}

/** Words for the model card. */
export function labelDefinition(horizonDays: number, windowDays: number): { label: string; population: string } {
  return {
    label:
      `not active ${horizonDays} days after the snapshot date, by the monthly report's rule: subscribers with no ` +
      `subscription covering that day; one-off buyers with no purchase in the ${windowDays} days up to it ` +
      `(the inactivity window W)`,
    population:
      "customers active on the snapshot date by the same rule: subscribers with a subscription covering it; one-off " +
      `buyers (no subscription started by then) with a purchase in the ${windowDays} days up to it`,
  };
}
