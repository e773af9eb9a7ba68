/**
 * The customer-value analysis of `churn build`. Buyers (customers without subscriptions): BG/NBD + Gamma-Gamma fitted
 * in weeks on transactions up to the as-of date; a holdout check refits on data up to 26 weeks before. Subscribers:
 * value from the Kaplan-Meier curve of tenure. Then Reinartz-Kumar quadrants and value tiers over everyone.
 * Writes customer_value, value_model, value_holdout, value_tracking, value_quadrants, value_palive_grid.
 */
import { addDays } from "../../loaders/dates.ts";
import { appendRows, type AppendType } from "../../loaders/append.ts";
import { query, queryOne, run } from "../../loaders/db.ts";
import { isUserError } from "../../loaders/errors.ts";
import type { Analysis } from "../context.ts";
import { kaplanMeier, survivalAt } from "../survival/kaplan-meier.ts";
import { tenureToChurn } from "../survival/tenure.ts";
import { conditionalExpectedPurchases, fitBgNbd, probabilityAlive, type BgNbdFit } from "./bgnbd.ts";
import { buyerClv, subscriberClv } from "./clv.ts";
import { conditionalExpectedSpend, fitGammaGamma, type GammaGammaFit } from "./gamma-gamma.ts";
import { cumulativeTracking, holdoutByFrequency } from "./holdout.ts";
import { PERIOD_DAYS, rfmSummary } from "./rfm.ts";
import { median, QUADRANT_STRATEGY, quadrantOf, valueTiers, type Quadrant } from "./segments.ts";
import { loadValueSettings } from "./settings.ts";

const DAYS_PER_MONTH = 30.4375;

const CURRENT_MRR_SQL = `
  SELECT customer_id, sum(coalesce(mrr, 0)) AS mrr FROM subscriptions
  WHERE start_date <= $as_of AND (end_date IS NULL OR end_date > $as_of) GROUP BY customer_id`;
const LAST_MRR_SQL = `SELECT customer_id, arg_max(coalesce(mrr, 0), start_date) AS mrr FROM subscriptions WHERE start_date <= $as_of GROUP BY customer_id`;

interface ValueRow {
  id: string;
  kind: "buyer" | "subscriber";
  active: boolean;
  frequency: number | null;
  recency: number | null;
  T: number | null;
  monetary: number | null;
  pAlive: number;
  expectedPurchases: number | null;
  expectedSpend: number | null;
  clv: number;
  clvIfWonBack: number | null;
  method: string;
  loyalty: number;
}

const FREQUENCY_BINS = ["0", "1", "2", "3", "4", "5", "6", "7-9", "10-19", "20+"];
const GAP_BINS: [string, number][] = [["0-4", 4], ["4-13", 13], ["13-26", 26], ["26-52", 52], ["52-104", 104], ["104+", Infinity]];

/** Mean P(alive) of buyers by repeat purchases (binned) and by weeks since the last purchase (T − t_x, binned). */
function paliveGrid(rows: ValueRow[]): [string, string, number, number][] {
  const cells = new Map<string, { n: number; sum: number }>();
  for (const r of rows) {
    if (r.kind !== "buyer" || r.frequency === null || r.recency === null || r.T === null) continue;
    const x = r.frequency;
    const f = x <= 6 ? String(x) : x < 10 ? "7-9" : x < 20 ? "10-19" : "20+";
    const g = GAP_BINS.find(([, upper]) => r.T! - r.recency! < upper)![0];
    const cell = cells.get(`${f}|${g}`) ?? { n: 0, sum: 0 };
    cell.n++;
    cell.sum += r.pAlive;
    cells.set(`${f}|${g}`, cell);
  }
  const out: [string, string, number, number][] = [];
  for (const f of FREQUENCY_BINS) for (const [g] of GAP_BINS) {
    const cell = cells.get(`${f}|${g}`);
    if (cell) out.push([f, g, cell.n, cell.sum / cell.n]);
  }
  return out;
}

export const analyzeValue: Analysis = async (ctx) => {
  const settings = loadValueSettings();
  const rows: ValueRow[] = [];
  const model: Record<string, unknown> = { settings: settings, timeUnit: "week" };
  const clvOptions = { steps: settings.horizonMonths, periodsPerStep: DAYS_PER_MONTH / 7, discountPerStep: settings.monthlyDiscount, margin: settings.margin };
  const notes: string[] = [];

  // Buyers.
  const rfm = await rfmSummary(ctx.conn, ctx.asOf, "week", "buyers");
  let bg: BgNbdFit | null = null;
  let gg: GammaGammaFit | null = null;
  try {
    if (rfm.customerIds.length >= 2) {
      bg = fitBgNbd(rfm);
      gg = fitGammaGamma(rfm.frequency, rfm.monetary);
    } else notes.push("fewer than 2 one-off buyers: no BG/NBD fit");
  } catch (error) {
    if (!isUserError(error)) throw error;
    notes.push(error.message);
    bg = null;
  }
  if (bg && gg) {
    model["bgnbd"] = bg;
    model["gammaGamma"] = gg;
    const rho = gg.frequencySpendCorrelation;
    if (rho !== null && Math.abs(rho) > 0.3) notes.push(`frequency and spend are correlated (Pearson r = ${rho.toFixed(2)}); Gamma-Gamma assumes independence, so expected spend may be biased`);
    const year = (365.25 / 7);
    for (let i = 0; i < rfm.customerIds.length; i++) {
      const x = rfm.frequency[i]!, tx = rfm.recency[i]!, T = rfm.T[i]!, m = rfm.monetary[i]!;
      const pAlive = probabilityAlive(bg, x, tx, T);
      const spend = conditionalExpectedSpend(gg, x, m);
      const clv = buyerClv(bg, spend, x, tx, T, clvOptions);
      rows.push({ id: rfm.customerIds[i]!, kind: "buyer", active: pAlive >= 0.5, frequency: x, recency: tx, T, monetary: m, pAlive, expectedPurchases: conditionalExpectedPurchases(bg, year, x, tx, T), expectedSpend: spend, clv, clvIfWonBack: null, method: "bgnbd-gamma-gamma", loyalty: settings.horizonMonths * pAlive });
    }
    // P(alive) over frequency × weeks since the last purchase (T − t_x), for the site's heat map.
    await run(ctx.conn, "CREATE OR REPLACE TABLE value_palive_grid (frequency VARCHAR, weeks_since_last_purchase VARCHAR, customers INTEGER, mean_p_alive DOUBLE)");
    await appendRows(ctx.conn, "value_palive_grid", ["varchar", "varchar", "integer", "double"], paliveGrid(rows));
    // Holdout: refit on data up to 26 weeks before the as-of date.
    const calibrationEnd = addDays(ctx.asOf, -7 * settings.holdoutWeeks);
    const calibration = await rfmSummary(ctx.conn, calibrationEnd, "week", "buyers");
    try {
      const calFit = fitBgNbd(calibration);
      model["holdout"] = { calibrationEnd, holdoutEnd: ctx.asOf, bgnbd: calFit };
      await run(ctx.conn, "CREATE OR REPLACE TABLE value_holdout (frequency VARCHAR, customers INTEGER, actual DOUBLE, predicted DOUBLE)");
      const bins = await holdoutByFrequency(ctx.conn, calFit, calibration, calibrationEnd, ctx.asOf, PERIOD_DAYS.week);
      await appendRows(ctx.conn, "value_holdout", ["varchar", "integer", "double", "double"], bins.map((b) => [b.frequency, b.customers, b.actual, b.predicted]));
      await run(ctx.conn, "CREATE OR REPLACE TABLE value_tracking (week VARCHAR, actual_cumulative DOUBLE, predicted_cumulative DOUBLE, calibration BOOLEAN, actual_incremental DOUBLE, predicted_incremental DOUBLE)");
      const tracking = await cumulativeTracking(ctx.conn, calFit, calibration, calibrationEnd, ctx.asOf, PERIOD_DAYS.week, "buyers");
      await appendRows(
        ctx.conn,
        "value_tracking",
        ["varchar", "double", "double", "boolean", "double", "double"],
        tracking.map((p, i) => [p.week, p.actual, p.predicted, p.week <= calibrationEnd, p.actual - (tracking[i - 1]?.actual ?? 0), p.predicted - (tracking[i - 1]?.predicted ?? 0)]),
      );
    } catch (error) {
      if (!isUserError(error)) throw error;
      notes.push(`holdout check skipped: ${error.message}`);
    }
  }

  // Subscribers: Kaplan-Meier of tenure in months, conditional on the tenure reached.
  const tenure = await tenureToChurn(ctx.conn, ctx.asOf);
  if (tenure.customerIds.length > 0) {
    const months = Array.from(tenure.days, (d) => d / DAYS_PER_MONTH);
    const curve = kaplanMeier(months, tenure.events);
    const S = (m: number) => survivalAt(curve, m).survival;
    const current = new Map((await query<{ customer_id: string; mrr: number }>(ctx.conn, CURRENT_MRR_SQL, { as_of: ctx.asOf })).map((r) => [r.customer_id, r.mrr]));
    const last = new Map((await query<{ customer_id: string; mrr: number }>(ctx.conn, LAST_MRR_SQL, { as_of: ctx.asOf })).map((r) => [r.customer_id, r.mrr]));
    model["subscriberSurvival"] = { customers: curve.n, churned: curve.totalEvents, medianMonths: curve.median };
    tenure.customerIds.forEach((id, i) => {
      const active = tenure.events[i] === 0;
      const mrr = current.get(id) ?? 0;
      const value = active ? subscriberClv(S, months[i]!, mrr, clvOptions) : { clv: 0, expectedMonths: 0 };
      const wonBack = active ? null : subscriberClv(S, 0, last.get(id) ?? 0, clvOptions).clv;
      rows.push({ id, kind: "subscriber", active, frequency: null, recency: null, T: null, monetary: null, pAlive: active ? 1 : 0, expectedPurchases: null, expectedSpend: null, clv: value.clv, clvIfWonBack: wonBack, method: "subscription-survival", loyalty: value.expectedMonths });
    });
  }
  if (rows.length === 0) {
    return { name: "value", ran: false, skipped: `no customers to value: ${notes.join("; ") || "no transactions of one-off buyers and no subscriptions"}`, tables: [], summary: {} };
  }

  // Quadrants and tiers over customers still active (buyers: P(alive) ≥ 0.5; subscribers: subscribed at the as-of date).
  const activeRows = rows.filter((r) => r.active);
  const valueThreshold = settings.valueThreshold === "median" ? median(activeRows.map((r) => r.clv)) : settings.valueThreshold;
  const loyaltyThreshold = settings.loyaltyThreshold === "median" ? median(activeRows.map((r) => r.loyalty)) : settings.loyaltyThreshold;
  const tiers = valueTiers(rows.map((r) => (r.active ? r.clv : -1)), settings.tierHigh * (activeRows.length / rows.length), settings.tierMid * (activeRows.length / rows.length));
  model["thresholds"] = {
    value: valueThreshold,
    loyaltyMonths: loyaltyThreshold,
    rule: `value: ${settings.valueThreshold === "median" ? "median over active customers" : "set in data/rules/value.json"}; loyalty: ${settings.loyaltyThreshold === "median" ? "median over active customers" : "set in data/rules/value.json"}`,
  };
  model["notes"] = notes;

  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE customer_value (customer_id VARCHAR, kind VARCHAR, active BOOLEAN, frequency DOUBLE, recency DOUBLE, "T" DOUBLE, monetary DOUBLE,
      p_alive DOUBLE, expected_purchases_12m DOUBLE, expected_spend DOUBLE, clv DOUBLE, clv_if_won_back DOUBLE, clv_method VARCHAR, loyalty_months DOUBLE, quadrant VARCHAR, tier VARCHAR)`,
  );
  const D: AppendType = "double", V: AppendType = "varchar";
  await appendRows(
    ctx.conn,
    "customer_value",
    [V, V, "boolean", D, D, D, D, D, D, D, D, D, V, D, V, V],
    rows.map((r, i) => [r.id, r.kind, r.active, r.frequency, r.recency, r.T, r.monetary, r.pAlive, r.expectedPurchases, r.expectedSpend, r.clv, r.clvIfWonBack, r.method, r.loyalty, r.active ? quadrantOf(r.clv, r.loyalty, valueThreshold, loyaltyThreshold) : null, r.active ? tiers[i] : null]),
  );
  await run(ctx.conn, "CREATE OR REPLACE TABLE value_model (key VARCHAR, value VARCHAR)");
  await appendRows(ctx.conn, "value_model", [V, V], Object.entries(model).map(([k, v]) => [k, JSON.stringify(v)]));
  await run(ctx.conn, "CREATE OR REPLACE TABLE value_quadrants (quadrant VARCHAR, customers INTEGER, total_clv DOUBLE, mean_clv DOUBLE, mean_loyalty_months DOUBLE, strategy VARCHAR)");
  const quadrants = await query<{ quadrant: Quadrant; customers: number; total: number; mean: number; loyalty: number }>(
    ctx.conn,
    "SELECT quadrant, count(*)::INTEGER AS customers, sum(clv) AS total, avg(clv) AS mean, avg(loyalty_months) AS loyalty FROM customer_value WHERE quadrant IS NOT NULL GROUP BY 1 ORDER BY 1",
  );
  await appendRows(ctx.conn, "value_quadrants", [V, "integer", D, D, D, V], quadrants.map((q) => [q.quadrant, q.customers, q.total, q.mean, q.loyalty, QUADRANT_STRATEGY[q.quadrant]]));
  const total = await queryOne<{ clv: number }>(ctx.conn, "SELECT sum(clv) AS clv FROM customer_value WHERE active");
  return {
    name: "value",
    ran: true,
    tables: ["customer_value", "value_model", "value_holdout", "value_tracking", "value_quadrants", ...(bg && gg ? ["value_palive_grid"] : [])],
    summary: { customers: rows.length, active: activeRows.length, totalClv: total?.clv, bgnbd: bg ? { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b } : null, notes },
  };
};
