/**
 * Every customer's value as of one date, from data up to that date only: one-off buyers by BG/NBD + Gamma-Gamma
 * (fitted in weeks by default), subscribers by the Kaplan-Meier curve of tenure and their MRR on that date; then the
 * Reinartz-Kumar quadrant and value tier of each active customer (segments.ts segmentCustomers). Active is the
 * workspace's one rule (models/cohorts/active.ts): a subscription covering the date, or for a one-off buyer a purchase
 * in the W days up to it. `churn build` runs it at the as-of date (customer value), at a landmark a year earlier
 * (survival by quadrant) and at each churn-model snapshot (the contact threshold); `churn clv` runs it too, so all use
 * one definition.
 */
import { type DuckDBConnection, listValue } from "@duckdb/node-api";
import { numberOrNull, queryNumberColumns } from "../../loaders/db.ts";
import { isUserError } from "../../loaders/errors.ts";
import { kaplanMeier, survivalAt } from "../survival/kaplan-meier.ts";
import { tenureDays } from "../survival/tenure.ts";
import { conditionalPurchasesAt, fitBgNbd, probabilityAlive, type BgNbdFit } from "./bgnbd.ts";
import { clvHorizons, clvOfCumulative, subscriberClv } from "./clv.ts";
import { conditionalExpectedSpend, fitGammaGamma, type GammaGammaFit } from "./gamma-gamma.ts";
import { buyerFit } from "./buyer-fit.ts";
import type { SharedWork } from "./landmark-valuation.ts";
import { rfmSummary, type RfmSummary } from "./rfm.ts";
import { buyerWindow } from "../cohorts/active.ts";
import { PERIOD_DAYS, type Period } from "./rfm.ts";
import { segmentCustomers, type Quadrant, type Tier } from "./segments.ts";
import type { ValueSettings } from "./settings.ts";

/**
 * Below this many repeat buyers the value page says the buyers' fits are rough: four BG/NBD parameters (and three
 * Gamma-Gamma ones) rest on them, and a fit on a handful lands on the parameter space's edge (2 buyers: a = 7.7e6).
 */
const FEW_REPEAT_BUYERS = 30;
export const DAYS_PER_MONTH = 30.4375;

const CURRENT_MRR_SQL = `
  SELECT customer_id, sum(coalesce(mrr, 0)) AS mrr FROM subscriptions
  WHERE start_date <= $as_of AND (end_date IS NULL OR end_date > $as_of) GROUP BY customer_id`;
const LAST_MRR_SQL = `
  SELECT customer_id, arg_max(coalesce(mrr, 0), start_date) AS mrr FROM subscriptions
  WHERE start_date <= $as_of GROUP BY customer_id`;

export interface ValueRow {
  id: string;
  kind: "buyer" | "subscriber";
  /** Buyers: a purchase in the W days up to the valuation date; subscribers: a subscription covering it. */
  active: boolean;
  frequency: number | null;
  recency: number | null;
  T: number | null;
  monetary: number | null;
  pAlive: number;
  expectedPurchases: number | null;
  expectedSpend: number | null;
  /** Null when not computable (the BG/NBD expectation overflowed for this history): `method` says so. */
  clv: number | null;
  clvIfWonBack: number | null;
  method: string;
  /** Expected months as a customer in the coming horizon. */
  loyalty: number;
  /** Null for customers who are not active. */
  quadrant: Quadrant | null;
  tier: Tier | null;
}

export interface ValuationOptions {
  /** The buyers' inactivity window W in days (default: the warehouse's, models/cohorts/active.ts buyerWindow). */
  windowDays?: number;
  /** Value only these customers (the models are still fitted on everyone); quadrants and tiers are then among them. */
  only?: ReadonlySet<string>;
  /** Time unit of the BG/NBD fit and of frequency, recency and T (default week). */
  period?: Period;
  /** The BG/NBD parameters' standard errors (default true); false skips their Hessian where nobody shows them. */
  standardErrors?: boolean;
  /** The build's hand-over between stages: the buyers' fit with standard errors is shared through it (buyer-fit.ts). */
  shared?: SharedWork;
}

export interface Valuation {
  asOf: string;
  rows: ValueRow[];
  /** The buyers' RFM summary and fits (null when there are too few buyers or the fit failed: see notes). */
  rfm: RfmSummary;
  bgnbd: BgNbdFit | null;
  gammaGamma: GammaGammaFit | null;
  subscriberSurvival: { customers: number; churned: number; medianMonths: number | null } | null;
  thresholds: { value: number; loyaltyMonths: number; rule: string };
  /** The buyers' inactivity window used for "active". */
  windowDays: number;
  notes: string[];
}

/** Value every customer with data up to `asOf` (YYYY-MM-DD). */
export async function valueCustomers(
  conn: DuckDBConnection,
  asOf: string,
  settings: ValueSettings,
  options: ValuationOptions = {},
): Promise<Valuation> {
  const rows: Omit<ValueRow, "quadrant" | "tier">[] = [];
  const period = options.period ?? "week";
  const unit = PERIOD_DAYS[period];
  const windowDays = options.windowDays ?? (await buyerWindow(conn, asOf)).days;
  const wanted = (id: string) => !options.only || options.only.has(id);
  const clvOptions = {
    steps: settings.horizonMonths,
    periodsPerStep: DAYS_PER_MONTH / unit,
    discountPerStep: settings.monthlyDiscount,
    margin: settings.margin,
  };
  const notes: string[] = [];
  let notComputable = 0;

  // Buyers.
  // With standard errors, the summary and fit are those the forecast needs too (buyer-fit.ts hands them over).
  const shared = (options.standardErrors ?? true) ? await buyerFit(conn, asOf, period, options.shared) : null;
  const rfm = shared?.rfm ?? (await rfmSummary(conn, asOf, period, "buyers"));
  let bg: BgNbdFit | null = null;
  let gg: GammaGammaFit | null = null;
  try {
    if (rfm.customerIds.length >= 2) {
      if (shared?.fit instanceof Error) throw shared.fit;
      bg = shared ? shared.fit : fitBgNbd(rfm, { covariance: false });
      gg = fitGammaGamma(rfm.frequency, rfm.monetary);
    } else notes.push("fewer than 2 one-off buyers: no BG/NBD fit");
  } catch (error) {
    if (!isUserError(error)) throw error;
    notes.push(error.message);
    bg = null;
    gg = null;
  }
  if (bg && gg) {
    const repeaters = rfm.frequency.reduce((n, x) => n + (x > 0 ? 1 : 0), 0);
    if (repeaters < FEW_REPEAT_BUYERS)
      notes.push(
        `BG/NBD and Gamma-Gamma fitted on ${rfm.customerIds.length} one-off buyers of whom ${repeaters} bought ` +
          `again: too few for reliable parameters (see their standard errors); read the buyers' values as rough`,
      );
    const rho = gg.frequencySpendCorrelation;
    if (rho !== null && Math.abs(rho) > 0.3)
      notes.push(
        `frequency and spend are correlated (Pearson r = ${rho.toFixed(2)}); Gamma-Gamma assumes independence, ` +
          "so expected spend may be biased",
      );
    const year = 365.25 / unit;
    // E[Y(t) | x, t_x, T] at the CLV's monthly steps and at one year, shared by buyers with the same x and T.
    const horizons = clvHorizons(clvOptions);
    const cumulative = conditionalPurchasesAt(bg, [...horizons, year]);
    for (let i = 0; i < rfm.customerIds.length; i++) {
      if (!wanted(rfm.customerIds[i]!)) continue;
      const x = rfm.frequency[i]!,
        tx = rfm.recency[i]!,
        T = rfm.T[i]!,
        m = rfm.monetary[i]!;
      const pAlive = probabilityAlive(bg, x, tx, T);
      const spend = conditionalExpectedSpend(gg, x, m);
      const expected = cumulative(x, tx, T);
      const clv = clvOfCumulative(expected, spend, clvOptions);
      const computable = Number.isFinite(clv) && Number.isFinite(pAlive) && Number.isFinite(spend);
      if (!computable) notComputable++;
      rows.push({
        id: rfm.customerIds[i]!,
        kind: "buyer",
        // Days since the last purchase day < W, i.e. a purchase in (asOf − W, asOf].
        active: Math.round((T - tx) * unit) < windowDays,
        frequency: x,
        recency: tx,
        T,
        monetary: m,
        pAlive,
        expectedPurchases: expected[horizons.length]!,
        expectedSpend: spend,
        clv: computable ? clv : null,
        clvIfWonBack: null,
        method: computable ? "bgnbd-gamma-gamma" : "not computable: BG/NBD expectation overflowed for this history",
        loyalty: settings.horizonMonths * pAlive,
      });
    }
  }

  // Subscribers: Kaplan-Meier of tenure in months, conditional on the tenure reached.
  const tenure = await tenureDays(conn, asOf);
  let subscriberSurvival: Valuation["subscriberSurvival"] = null;
  if (tenure.customerIds.length > 0) {
    const months = Array.from(tenure.days, (d) => d / DAYS_PER_MONTH);
    const curve = kaplanMeier(months, tenure.events);
    const S = (m: number) => survivalAt(curve, m).survival;
    // With `only`, the MRR of those customers alone (the contact threshold values a few thousand of a million).
    // Read column by column (numbers unboxed): at a million customers, two reads of half a million rows a valuation.
    const mrrOf = async (sql: string) => {
      const c = options.only
        ? await queryNumberColumns(conn, `SELECT * FROM (${sql}) WHERE customer_id IN (SELECT unnest($ids))`, {
            as_of: asOf,
            ids: listValue([...options.only]),
          })
        : await queryNumberColumns(conn, sql, { as_of: asOf });
      const ids = c["customer_id"] as string[];
      const mrr = c["mrr"]!;
      const byId = new Map<string, number | null>();
      for (let i = 0; i < ids.length; i++) byId.set(ids[i]!, numberOrNull(mrr, i));
      return byId;
    };
    const current = await mrrOf(CURRENT_MRR_SQL);
    const last = await mrrOf(LAST_MRR_SQL);
    subscriberSurvival = { customers: curve.n, churned: curve.totalEvents, medianMonths: curve.median };
    tenure.customerIds.forEach((id, i) => {
      if (!wanted(id)) return;
      const active = tenure.events[i] === 0;
      const mrr = current.get(id) ?? 0;
      const value = active ? subscriberClv(S, months[i]!, mrr, clvOptions) : { clv: 0, expectedMonths: 0 };
      const wonBack = active ? null : subscriberClv(S, 0, last.get(id) ?? 0, clvOptions).clv;
      rows.push({
        id,
        kind: "subscriber",
        active,
        frequency: null,
        recency: null,
        T: null,
        monetary: null,
        pAlive: active ? 1 : 0,
        expectedPurchases: null,
        expectedSpend: null,
        clv: value.clv,
        clvIfWonBack: wonBack,
        method: "subscription-survival",
        loyalty: value.expectedMonths,
      });
    });
  }

  // Quadrants and tiers over customers still active.
  const segments = segmentCustomers(rows, settings);
  return {
    asOf,
    // Quadrant and tier set on the rows themselves: a spread copy of a million rows doubled the stage's heap.
    rows: rows.map((r, i) => {
      const row = r as ValueRow;
      row.quadrant = segments.quadrants[i]!;
      row.tier = segments.tiers[i]!;
      return row;
    }),
    rfm,
    bgnbd: bg && gg ? bg : null,
    gammaGamma: bg && gg ? gg : null,
    subscriberSurvival,
    thresholds: segments.thresholds,
    windowDays,
    notes: notComputable
      ? [...notes, `${notComputable} buyer(s) have no computable value (BG/NBD overflow); their clv is empty, not 0`]
      : notes,
  };
}
