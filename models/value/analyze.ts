/**
 * The customer-value analysis of `churn build`. Buyers (customers without subscriptions): BG/NBD + Gamma-Gamma fitted
 * in weeks on transactions up to the as-of date; a holdout check refits on data up to 26 weeks before. Subscribers:
 * value from the Kaplan-Meier curve of tenure. Then Reinartz-Kumar quadrants and value tiers over everyone
 * (valuation.ts). Writes customer_value, value_model, value_holdout, value_tracking, value_quadrants,
 * value_palive_grid.
 */
import { addDays } from "../../loaders/dates.ts";
import { appendMapped, appendRows, type AppendType } from "../../loaders/append.ts";
import { query, queryOne, run } from "../../loaders/db.ts";
import { isUserError } from "../../loaders/errors.ts";
import type { Analysis } from "../context.ts";
import { fitBgNbdOnWorker } from "../workers/pool.ts";
import { releaseBuyerFit } from "./buyer-fit.ts";
import { cumulativeTracking, holdoutByFrequency } from "./holdout.ts";
import { PERIOD_DAYS, rfmSummary } from "./rfm.ts";
import { QUADRANT_STRATEGY, type Quadrant } from "./segments.ts";
import { loadValueSettings } from "./settings.ts";
import { valueCustomers, type ValueRow } from "./valuation.ts";

const FREQUENCY_BINS = ["0", "1", "2", "3", "4", "5", "6", "7-9", "10-19", "20+"];
const GAP_BINS: [string, number][] = [
  ["0-4", 4],
  ["4-13", 13],
  ["13-26", 26],
  ["26-52", 52],
  ["52-104", 104],
  ["104+", Infinity],
];

/** Mean P(alive) of buyers by repeat purchases (binned) and by weeks since the last purchase (T − t_x, binned). */
function paliveGrid(rows: ValueRow[]): [string, string, number, number][] {
  // Cells by index (frequency bin × gap bin), each summed in the rows' order: no key string or map per buyer.
  const n = new Float64Array(FREQUENCY_BINS.length * GAP_BINS.length);
  const sum = new Float64Array(n.length);
  for (const r of rows) {
    if (r.kind !== "buyer" || r.frequency === null || r.recency === null || r.T === null) continue;
    const x = r.frequency;
    const f = x <= 6 ? x : x < 10 ? 7 : x < 20 ? 8 : 9;
    const gap = r.T - r.recency;
    let g = 0;
    while (!(gap < GAP_BINS[g]![1])) g++;
    const cell = f * GAP_BINS.length + g;
    n[cell]!++;
    sum[cell]! += r.pAlive;
  }
  const out: [string, string, number, number][] = [];
  FREQUENCY_BINS.forEach((f, i) =>
    GAP_BINS.forEach(([g], j) => {
      const cell = i * GAP_BINS.length + j;
      if (n[cell]! > 0) out.push([f, g, n[cell]!, sum[cell]! / n[cell]!]);
    }),
  );
  return out;
}

export const analyzeValue: Analysis = async (ctx) => {
  const settings = loadValueSettings();
  // The holdout's calibration summary is read first and its fit runs on a worker thread while this one values the
  // customers (used below when the as-of fit succeeded; a failure is reported there).
  const calibrationEnd = addDays(ctx.asOf, -7 * settings.holdoutWeeks);
  const calibration = await rfmSummary(ctx.conn, calibrationEnd, "week", "buyers", ctx.asOf);
  const calibrationFit = fitBgNbdOnWorker(calibration);
  calibrationFit.catch(() => {});
  const valuation = await valueCustomers(ctx.conn, ctx.asOf, settings, ctx.shared ? { shared: ctx.shared } : {});
  // The forecast's groundwork, running beside this stage in `churn build`, has taken the buyers' fit by now.
  releaseBuyerFit(ctx.asOf, "week", ctx.shared);
  const { rows, notes } = valuation;
  const bg = valuation.bgnbd;
  const model: Record<string, unknown> = { settings, timeUnit: "week" };
  if (bg && valuation.gammaGamma) {
    model["bgnbd"] = bg;
    model["gammaGamma"] = valuation.gammaGamma;
    // P(alive) over frequency × weeks since the last purchase (T − t_x), for the site's heat map.
    await run(
      ctx.conn,
      `CREATE OR REPLACE TABLE value_palive_grid (frequency VARCHAR, weeks_since_last_purchase VARCHAR,
         customers INTEGER, mean_p_alive DOUBLE)`,
    );
    await appendRows(ctx.conn, "value_palive_grid", ["varchar", "varchar", "integer", "double"], paliveGrid(rows));
    // Holdout: refit on data up to `holdoutWeeks` weeks before the as-of date.
    try {
      const calFit = await calibrationFit;
      model["holdout"] = { calibrationEnd, holdoutEnd: ctx.asOf, bgnbd: calFit };
      await run(
        ctx.conn,
        "CREATE OR REPLACE TABLE value_holdout (frequency VARCHAR, customers INTEGER, actual DOUBLE, predicted DOUBLE)",
      );
      const bins = await holdoutByFrequency(ctx.conn, calFit, calibration, calibrationEnd, ctx.asOf, PERIOD_DAYS.week);
      await appendRows(
        ctx.conn,
        "value_holdout",
        ["varchar", "integer", "double", "double"],
        bins.map((b) => [b.frequency, b.customers, b.actual, b.predicted]),
      );
      await run(
        ctx.conn,
        `CREATE OR REPLACE TABLE value_tracking (week VARCHAR, actual_cumulative DOUBLE, predicted_cumulative DOUBLE,
           calibration BOOLEAN, actual_incremental DOUBLE, predicted_incremental DOUBLE)`,
      );
      const tracking = await cumulativeTracking(
        ctx.conn,
        calFit,
        calibration,
        calibrationEnd,
        ctx.asOf,
        PERIOD_DAYS.week,
        "buyers",
      );
      await appendRows(
        ctx.conn,
        "value_tracking",
        ["varchar", "double", "double", "boolean", "double", "double"],
        tracking.map((p, i) => [
          p.week,
          p.actual,
          p.predicted,
          p.week <= calibrationEnd,
          p.actual - (tracking[i - 1]?.actual ?? 0),
          p.predicted - (tracking[i - 1]?.predicted ?? 0),
        ]),
      );
    } catch (error) {
      if (!isUserError(error)) throw error;
      notes.push(`holdout check skipped: ${error.message}`);
    }
  }
  if (valuation.subscriberSurvival) model["subscriberSurvival"] = valuation.subscriberSurvival;
  if (rows.length === 0) {
    return {
      name: "value",
      ran: false,
      skipped: `no customers to value: ${notes.join("; ") || "no transactions of one-off buyers and no subscriptions"}`,
      tables: [],
      summary: {},
    };
  }
  const activeRows = rows.filter((r) => r.active);
  model["thresholds"] = valuation.thresholds;
  model["notes"] = notes;

  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE customer_value (customer_id VARCHAR, kind VARCHAR, active BOOLEAN, frequency DOUBLE,
      recency DOUBLE, "T" DOUBLE, monetary DOUBLE, p_alive DOUBLE, expected_purchases_12m DOUBLE, expected_spend DOUBLE,
      clv DOUBLE, clv_if_won_back DOUBLE, clv_method VARCHAR, loyalty_months DOUBLE, quadrant VARCHAR, tier VARCHAR)`,
  );
  const D: AppendType = "double",
    V: AppendType = "varchar";
  await appendMapped(
    ctx.conn,
    "customer_value",
    [V, V, "boolean", D, D, D, D, D, D, D, D, D, V, D, V, V],
    rows,
    (r) => [
      r.id,
      r.kind,
      r.active,
      r.frequency,
      r.recency,
      r.T,
      r.monetary,
      r.pAlive,
      r.expectedPurchases,
      r.expectedSpend,
      r.clv,
      r.clvIfWonBack,
      r.method,
      r.loyalty,
      r.quadrant,
      r.tier,
    ],
  );
  await run(ctx.conn, "CREATE OR REPLACE TABLE value_model (key VARCHAR, value VARCHAR)");
  await appendRows(
    ctx.conn,
    "value_model",
    [V, V],
    Object.entries(model).map(([k, v]) => [k, JSON.stringify(v)]),
  );
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE value_quadrants (quadrant VARCHAR, customers INTEGER, total_clv DOUBLE, mean_clv DOUBLE,
       mean_loyalty_months DOUBLE, strategy VARCHAR)`,
  );
  const quadrants = await query<{
    quadrant: Quadrant;
    customers: number;
    total: number;
    mean: number;
    loyalty: number;
  }>(
    ctx.conn,
    `SELECT quadrant, count(*)::INTEGER AS customers, sum(clv) AS total, avg(clv) AS mean,
            avg(loyalty_months) AS loyalty
     FROM customer_value WHERE quadrant IS NOT NULL GROUP BY 1 ORDER BY 1`,
  );
  await appendRows(
    ctx.conn,
    "value_quadrants",
    [V, "integer", D, D, D, V],
    quadrants.map((q) => [q.quadrant, q.customers, q.total, q.mean, q.loyalty, QUADRANT_STRATEGY[q.quadrant]]),
  );
  const total = await queryOne<{ clv: number }>(ctx.conn, "SELECT sum(clv) AS clv FROM customer_value WHERE active");
  return {
    name: "value",
    ran: true,
    tables: [
      "customer_value",
      "value_model",
      "value_holdout",
      "value_tracking",
      "value_quadrants",
      ...(bg ? ["value_palive_grid"] : []),
    ],
    summary: {
      customers: rows.length,
      active: activeRows.length,
      totalClv: total?.clv,
      bgnbd: bg ? { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b } : null,
      notes,
    },
  };
};
