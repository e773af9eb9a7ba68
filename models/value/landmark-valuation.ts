/**
 * Every customer's valuation on the quadrant landmark (as-of − quadrantLandmarkMonths), which two stages need:
 * quadrant survival (the quadrant each subscriber was in then) and reasons (the quadrant of each cancelling customer).
 * Within one `churn build` it is computed once and handed from the first stage to the second: the same function of
 * the same tables and settings, and at a million customers it takes seconds.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ValueSettings } from "./settings.ts";
import { type Valuation, valueCustomers } from "./valuation.ts";

/** The build's hand-over between stages (runPipeline gives each build its own). */
export type SharedWork = Map<string, Promise<unknown>>;

/**
 * The landmark valuation: taken from `shared` when an earlier stage left it there (and removed, when `keep` is false,
 * so it is not held in memory for the rest of the build), otherwise computed, and left there when `keep` is true.
 */
export function landmarkValuation(
  conn: DuckDBConnection,
  landmark: string,
  settings: ValueSettings,
  { shared, keep }: { shared?: SharedWork; keep: boolean },
): Promise<Valuation> {
  const key = `landmark-valuation ${landmark} ${JSON.stringify(settings)}`;
  const ready = shared?.get(key) as Promise<Valuation> | undefined;
  if (ready && !keep) shared?.delete(key);
  if (ready) return ready;
  // Its users read values and quadrants, never the fit's standard errors.
  const valuation = valueCustomers(conn, landmark, settings, { standardErrors: false });
  if (keep && shared) {
    shared.set(key, valuation);
    valuation.catch(() => {}); // a failure surfaces where the valuation is awaited
  }
  return valuation;
}
