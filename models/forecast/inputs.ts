/**
 * Gathers a forecast's inputs from the warehouse as known on one date (history.ts reads nothing after it): today's
 * active subscribers and their spell tenure, the hazard bands, the buyers' BG/NBD summary and fit, the arrival rates
 * of the last complete months, the buyers' inactivity window, and the forecast months with their horizons.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addDays, daysBetween } from "../../loaders/dates.ts";
import { queryOne } from "../../loaders/db.ts";
import { isUserError, UserError } from "../../loaders/errors.ts";
import { inactivityWindow } from "../cohorts/inactivity.ts";
import { buyerFit } from "../value/buyer-fit.ts";
import type { RfmSummary } from "../value/rfm.ts";
import { fitBgNbdOnWorker } from "../workers/pool.ts";
import type { SharedWork } from "../value/landmark-valuation.ts";
import { firstDay, loadArrivals, loadSubscriptionHistory, monthOf, nextMonth } from "./history.ts";
import type { ForecastBuyer, ForecastInputs } from "./model.ts";
import { chooseSeasonal, type SeasonalChoice } from "./arrival-seasons.ts";
import { newBuyerActivity } from "./new-buyer-activity.ts";
import { buyerModelOf, estimateArrivalRate } from "./rates.ts";
import {
  established,
  MIN_GAPS,
  regularBuyers,
  regularBuyersNote,
  renewalHistories,
  stillRenewing,
} from "./regular-buyers.ts";
import { fitRenewals, type RenewalModel, renewalsWithoutLosses } from "./renewals.ts";
import type { ForecastRules } from "./rules.ts";

/** The months after `asOf`: the first is the month of the next day; each ends on the next month's first day. */
export function forecastMonths(asOf: string, count: number): { months: string[]; horizons: number[] } {
  const months: string[] = [];
  let month = monthOf(addDays(asOf, 1));
  for (let k = 0; k < count; k++) {
    months.push(month);
    month = nextMonth(month);
  }
  return { months, horizons: months.map((m) => daysBetween(asOf, firstDay(nextMonth(m)))) };
}

/**
 * The buyers' inactivity window W on `asOf`: the build's choice in warehouse_meta when the warehouse is as of that
 * day, else chosen the same way from the data up to `asOf` (models/cohorts/inactivity.ts). Null: no repeat buyers.
 */
export async function buyerWindow(conn: DuckDBConnection, asOf: string): Promise<number | null> {
  const meta = await queryOne<{ as_of: string | null; window: string | null }>(
    conn,
    `SELECT (SELECT value FROM warehouse_meta WHERE key = 'as_of') AS as_of,
            (SELECT value FROM warehouse_meta WHERE key = 'buyer_inactivity_window') AS "window"`,
  );
  if (meta?.as_of === asOf && meta.window) {
    const days = Number((JSON.parse(meta.window) as { days?: unknown }).days);
    if (Number.isFinite(days) && days > 0) return days;
  }
  return (await inactivityWindow(conn, asOf))?.days ?? null;
}

/** Regular buyers below this many (lost or still renewing) are left to BG/NBD: too few to fit renewals on. */
const MIN_REGULAR_BUYERS = 20;

/**
 * Find the buyers who pay at a regular cycle (regular-buyers.ts) and fit their renewal model; those still renewing get
 * their cycle and renewals in `buyers` (same order as `buyerIds`), so the forecast counts them by the renewal model.
 * Returns the model (null: too few regular buyers, every buyer stays with BG/NBD; with none stopped yet, Jeffreys'
 * stand-in, renewals.ts) and the regular buyers' ids, with a note either way when many active buyers are regular.
 */
async function markRegularBuyers(
  conn: DuckDBConnection,
  asOf: string,
  windowDays: number,
  buyerIds: string[],
  buyers: ForecastBuyer[],
  notes: string[],
): Promise<{ model: RenewalModel | null; ids: Set<string> }> {
  const regular = await regularBuyers(conn, asOf);
  const ids = new Set(regular.map((b) => b.id));
  let model: RenewalModel | null = null;
  let how: string;
  try {
    const count = regular.filter(established).length;
    if (count < MIN_REGULAR_BUYERS) throw new UserError(`only ${count} regular buyers`);
    const histories = renewalHistories(regular);
    const stopped = histories.some((h) => h.lost > 0);
    model = stopped ? fitRenewals(histories, MIN_GAPS) : renewalsWithoutLosses(histories, MIN_GAPS);
    const { alpha, beta } = model.params;
    const fitted = stopped
      ? `shifted-beta-geometric, α = ${alpha.toFixed(3)}, β = ${beta.toFixed(3)}, from ` +
        `${model.customers.toLocaleString("en-US")} regular buyers of whom ${model.churned.toLocaleString("en-US")} ` +
        "stopped"
      : `none of the ${model.customers.toLocaleString("en-US")} regular buyers has stopped yet: a renewal is taken ` +
        `as lost 1 time in ${Math.round(2 * (beta + 0.5)).toLocaleString("en-US")}, Jeffreys' estimate for none ` +
        `lost in ${Math.round(beta - 0.5).toLocaleString("en-US")} renewals`;
    how = `the forecast counts them as renewals at their own cycle (${fitted}), not as BG/NBD's irregular purchases`;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    how =
      `their renewals could not be modelled (${error.message}), so the buyers' forecast, which assumes irregular ` +
      "(Poisson) purchase times, will undercount how many stay active (see its backtest)";
  }
  const active = buyers.filter((b) => b.gap < windowDays).length;
  const note = regularBuyersNote(regular, active, windowDays, how);
  if (note) notes.push(note);
  if (!model) return { model, ids };
  const index = new Map(buyerIds.map((id, i) => [id, i]));
  for (const b of regular) {
    const i = index.get(b.id);
    if (i === undefined || !stillRenewing(b)) continue;
    buyers[i]!.cycle = b.cycle;
    buyers[i]!.renewed = b.renewed;
  }
  return { model, ids };
}

/**
 * BG/NBD refitted without the regular buyers, for the buyers left to it: a monthly payer's many purchases and rare
 * dropouts pull the fit's dropout rate down, and the irregular buyers then looked alive for longer than they were
 * (the sample without its subscriptions export: irregular buyers with 4+ purchases 235 predicted active six months
 * on, 157 were). Null when it cannot be fitted (the fit on everyone is kept).
 */
async function irregularBuyerModel(rfm: RfmSummary, regular: Set<string>): Promise<ForecastInputs["buyerModel"]> {
  const keep = rfm.customerIds.flatMap((id, i) => (regular.has(id) ? [] : [i]));
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]!);
  try {
    const fit = await fitBgNbdOnWorker({ frequency: pick(rfm.frequency), recency: pick(rfm.recency), T: pick(rfm.T) });
    return buyerModelOf(fit).model;
  } catch (error) {
    if (isUserError(error)) return null;
    throw error;
  }
}

/** Months of arrivals read to decide whether they follow last year's (arrival-seasons.ts). */
const ARRIVAL_HISTORY_MONTHS = 48;

function seasonalNote(name: string, choice: SeasonalChoice): string {
  const better = Math.round(100 * (1 - choice.seasonalError! / choice.flatError!));
  return (
    `${name} follow the business's seasons (each calendar month's share of its year, from the history): over the ` +
    `last ${choice.cutoffs === 1 ? "cut-off" : `${choice.cutoffs} cut-offs`} this forecast the next months with ` +
    `${better}% less error than the recent ` +
    "months' mean"
  );
}

export interface GatheredInputs {
  inputs: ForecastInputs;
  subscriberIds: string[];
  buyerIds: string[];
  notes: string[];
}

export async function gatherInputs(
  conn: DuckDBConnection,
  asOf: string,
  months: number,
  rules: ForecastRules,
  shared?: SharedWork,
): Promise<GatheredInputs> {
  const notes: string[] = [];
  const { months: labels, horizons } = forecastMonths(asOf, months);
  const subs = await loadSubscriptionHistory(conn, asOf, rules.hazardMonths);
  // Four years of monthly arrivals: the recent months give the rates, the rest whether they follow the seasons.
  const arrivalHistory = await loadArrivals(conn, asOf, Math.max(rules.arrivalMonths, ARRIVAL_HISTORY_MONTHS));
  const arrivals = arrivalHistory.slice(-rules.arrivalMonths);
  const windowDays = await buyerWindow(conn, asOf);
  if (arrivals.length === 0) notes.push("no complete month of history after the data's first month: no arrivals");
  let buyers: ForecastBuyer[] = [];
  let buyerIds: string[] = [];
  let buyerModel: ForecastInputs["buyerModel"] = null;
  let renewalModel: RenewalModel | null = null;
  let newBuyerCurve: Float64Array | null = null;
  if (windowDays === null) notes.push("no repeat buyers, so no inactivity window: one-off buyers are not forecast");
  else {
    // The value stage's summary and fit on the same date, when it made them (buyer-fit.ts).
    const { rfm, fit: fitted } = await buyerFit(conn, asOf, "week", shared);
    buyerIds = rfm.customerIds;
    buyers = buyerIds.map((_, i) => ({
      x: rfm.frequency[i]!,
      tx: rfm.recency[i]!,
      T: rfm.T[i]!,
      gap: Math.round((rfm.T[i]! - rfm.recency[i]!) * 7),
    }));
    const fit = buyerModelOf(fitted);
    buyerModel = fit.model;
    if (!fit.model)
      notes.push(`BG/NBD could not be fitted (${fit.note}): buyers stay active only while their last purchase is in W`);
    const regular = await markRegularBuyers(conn, asOf, windowDays, buyerIds, buyers, notes);
    renewalModel = regular.model;
    if (renewalModel) buyerModel = (await irregularBuyerModel(rfm, regular.ids)) ?? buyerModel;
    newBuyerCurve = await newBuyerActivity(conn, asOf, windowDays, horizons.at(-1)!);
  }
  const sum = (f: (a: (typeof arrivals)[number]) => number) => arrivals.reduce((s, a) => s + f(a), 0);
  const rate = (f: (a: (typeof arrivals)[number]) => number, name: string) => {
    const estimate = estimateArrivalRate(arrivals.map(f));
    const choice = chooseSeasonal(arrivalHistory.map(f), months, rules.arrivalMonths);
    if (!choice.factors) return estimate;
    notes.push(seasonalNote(name, choice));
    return { ...estimate, seasons: choice.factors };
  };
  const newSubs = sum((a) => a.newSubscribers);
  const reactivations = sum((a) => a.reactivations);
  return {
    inputs: {
      asOf,
      months: labels,
      horizons,
      windowDays,
      subscribers: subs.active.map((s) => ({ tenure: s.tenure, mrr: s.mrr })),
      hazardBands: subs.hazardBands,
      buyers,
      buyerModel,
      renewalModel,
      newBuyerCurve,
      arrivals: {
        newSubscribers: rate((a) => a.newSubscribers, "new subscribers"),
        reactivations: rate((a) => a.reactivations, "reactivations"),
        newBuyers: windowDays === null ? estimateArrivalRate([]) : rate((a) => a.newBuyers, "new buyers"),
        newMrr: newSubs ? sum((a) => a.newMrr) / newSubs : 0,
        reactivationMrr: reactivations ? sum((a) => a.reactivationMrr) / reactivations : 0,
      },
    },
    subscriberIds: subs.active.map((s) => s.id),
    buyerIds,
    notes,
  };
}
