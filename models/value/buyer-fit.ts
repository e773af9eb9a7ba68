/**
 * The buyers' RFM summary and BG/NBD fit (with its covariance) on one date, in one period: the value stage and the
 * forecast both need them on the as-of date. Within one `churn build` they are computed once and handed over through
 * the build's SharedWork: the same function of the same tables, so the same numbers (at a million customers the
 * summary and the fit take about 4 s).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { isUserError, type UserError } from "../../loaders/errors.ts";
import { fitBgNbdOnWorker } from "../workers/pool.ts";
import type { BgNbdFit } from "./bgnbd.ts";
import type { SharedWork } from "./landmark-valuation.ts";
import { type Period, rfmSummary, type RfmSummary } from "./rfm.ts";

export interface BuyerFit {
  rfm: RfmSummary;
  /** The fit, or why it could not be made (fewer than 2 buyers, no repeat purchase, no convergence). */
  fit: BgNbdFit | UserError;
}

const key = (asOf: string, period: Period) => `buyer-fit ${asOf} ${period}`;

/** The buyers' summary and fit on `asOf`: from `shared` when another stage of the build started them, else computed. */
export function buyerFit(conn: DuckDBConnection, asOf: string, period: Period, shared?: SharedWork): Promise<BuyerFit> {
  const ready = shared?.get(key(asOf, period)) as Promise<BuyerFit> | undefined;
  if (ready) return ready;
  const computed = (async (): Promise<BuyerFit> => {
    const rfm = await rfmSummary(conn, asOf, period, "buyers");
    try {
      // On a worker thread: the value stage and the forecast's groundwork work on in this one meanwhile.
      return { rfm, fit: await fitBgNbdOnWorker(rfm) };
    } catch (error) {
      if (isUserError(error)) return { rfm, fit: error };
      throw error;
    }
  })();
  if (shared) {
    shared.set(key(asOf, period), computed);
    computed.catch(() => {}); // a failure surfaces where the fit is awaited
  }
  return computed;
}

/** Drop the hand-over once its users have it (a later user computes it again). */
export function releaseBuyerFit(asOf: string, period: Period, shared?: SharedWork): void {
  shared?.delete(key(asOf, period));
}
