/**
 * The forecast stage of `churn build` and the report behind `churn forecast`: the forecast per scenario from the
 * as-of date (inputs.ts, model.ts, run.ts) and its backtest (backtest.ts). Needs no churn model: the scenario on red
 * customers is left out when there are no health scores. Writes `forecast` (scenario, month = months ahead, customers,
 * lower, upper, mrr, churned, plus calendar_month, subscribers, buyers, mrr_lower, mrr_upper) and `forecast_backtest`
 * (month, predicted, lower, upper, actual, naive), and warehouse_meta `forecast` (cut-off, MAPEs, rates, notes).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows } from "../../loaders/append.ts";
import { queryOne, run } from "../../loaders/db.ts";
import type { Analysis, AnalysisContext } from "../context.ts";
import type { SharedWork } from "../value/landmark-valuation.ts";
import { simulateOnWorker } from "../workers/pool.ts";
import { type Backtest, prepareBacktest } from "./backtest.ts";
import { buyerWindow, type GatheredInputs, gatherInputs } from "./inputs.ts";
import { estimateHazard } from "./hazards.ts";
import { expectedForecast } from "./model.ts";
import { type ForecastRules, loadForecastRules, scenariosOf } from "./rules.ts";
import { forecastFromSimulations, type ScenarioForecast } from "./run.ts";
import { scenarioInputs } from "./scenarios.ts";

export interface ForecastReport {
  asOf: string;
  buyerWindowDays: number | null;
  scenarios: ScenarioForecast[];
  backtest: Backtest;
  /** What the forecast rests on, for the text report and warehouse_meta. */
  basis: Record<string, unknown>;
  notes: string[];
}

/**
 * The part of a forecast that reads only the ingested tables and the buyers' window (cohorts stage): today's inputs
 * and the backtest's, with the backtest's futures already being simulated on worker thread 0. `churn build` starts it
 * on a second connection beside the survival and value stages (runPipeline), which work in JavaScript and leave a core
 * idle.
 */
export interface ForecastGroundwork {
  rules: ForecastRules;
  gathered: GatheredInputs;
  backtest: Promise<Backtest>;
}

async function forecastGroundwork(
  conn: DuckDBConnection,
  asOf: string,
  options: { months?: number; rules?: ForecastRules; seed: number; shared?: SharedWork },
): Promise<ForecastGroundwork> {
  const rules = options.rules ?? loadForecastRules();
  const gathered = await gatherInputs(conn, asOf, options.months ?? rules.months, rules, options.shared);
  const backtestRun = await prepareBacktest(conn, asOf, rules);
  // Simulated on a worker thread with the same function and seed as in this thread: the same numbers.
  const backtest = backtestRun(options.seed, simulateOnWorker);
  backtest.catch(() => {}); // its failure surfaces where it is awaited (forecastReport)
  return { rules, gathered, backtest };
}

/**
 * Why a warehouse has no forecast (no subscriptions and no repeat buyers: no rule of 'active' to forecast), or null
 * when it has one.
 */
async function forecastSkipped(conn: DuckDBConnection, asOf: string): Promise<string | null> {
  const subscriptions = await queryOne<{ n: number }>(
    conn,
    "SELECT count(*)::INTEGER AS n FROM subscriptions WHERE start_date <= $as_of",
    { as_of: asOf },
  );
  if (subscriptions?.n || (await buyerWindow(conn, asOf)) !== null) return null;
  return "no subscriptions and no repeat buyers: no rule of 'active' to forecast";
}

export async function forecastReport(
  conn: DuckDBConnection,
  asOf: string,
  options: {
    months?: number;
    rules?: ForecastRules;
    seed: number;
    /** Started already (forecastGroundwork) with the same as-of date, months, rules and seed. */
    groundwork?: ForecastGroundwork;
  },
): Promise<ForecastReport> {
  const {
    rules,
    gathered,
    backtest: backtestDone,
  } = await (options.groundwork ?? forecastGroundwork(conn, asOf, options));
  // The scenarios pick customers by quadrant and health band, so they are read once the actions stage has run.
  const picked = await scenarioInputs(conn, scenariosOf(rules), gathered.subscriberIds, gathered.buyerIds);
  // Today's futures are simulated on worker thread 1 while the backtest's run on worker 0 (when the machine has a
  // second core): the same function and seed as in this thread, so the same numbers, and this thread stays free
  // (`churn build` writes the site's data meanwhile).
  const todayDone = simulateOnWorker(gathered.inputs, picked.scenarios, rules.simulations, options.seed, 1);
  todayDone.catch(() => {});
  // The expected paths (every customer, from the point estimates) are computed here while the worker simulates: at a
  // million customers about 2 s this thread spent after the simulation before.
  const expected = picked.scenarios.map((scenario) => expectedForecast(gathered.inputs, scenario));
  const sims = await todayDone;
  const scenarios = forecastFromSimulations(gathered.inputs, picked.scenarios, sims, rules.bandLevel, expected);
  const backtest = await backtestDone;
  const { inputs } = gathered;
  const hazard = estimateHazard(inputs.hazardBands);
  return {
    asOf,
    buyerWindowDays: inputs.windowDays,
    scenarios,
    backtest,
    basis: {
      activeSubscribers: inputs.subscribers.length,
      knownBuyers: inputs.buyers.length,
      activeBuyers: inputs.windowDays === null ? 0 : inputs.buyers.filter((b) => b.gap < inputs.windowDays!).length,
      monthlyChurnHazardByTenureDays: Object.fromEntries(
        hazard.starts.map((s, j) => [s, 1 - Math.exp(-hazard.rates[j]! * 30.4375)]),
      ),
      arrivalsPerMonth: {
        newSubscribers: inputs.arrivals.newSubscribers.mean,
        reactivations: inputs.arrivals.reactivations.mean,
        newBuyers: inputs.arrivals.newBuyers.mean,
        fromMonths: rules.arrivalMonths,
      },
      bgnbd: inputs.buyerModel?.params ?? null,
      renewals: inputs.renewalModel
        ? {
            ...inputs.renewalModel.params,
            regularBuyers: inputs.renewalModel.customers,
            stopped: inputs.renewalModel.churned,
            stillRenewing: inputs.buyers.filter((b) => b.cycle).length,
          }
        : null,
      bandLevel: rules.bandLevel,
      simulations: rules.simulations,
    },
    notes: [...gathered.notes, ...picked.notes, ...(backtest.note ? [backtest.note] : [])],
  };
}

/** The forecast stage's start on `ctx.conn`: why it is skipped, or its groundwork (the build's default rules). */
export async function forecastStart(
  ctx: Pick<AnalysisContext, "conn" | "asOf" | "seed" | "shared">,
): Promise<ForecastGroundwork | { skipped: string }> {
  const skipped = await forecastSkipped(ctx.conn, ctx.asOf);
  if (skipped !== null) return { skipped };
  return forecastGroundwork(ctx.conn, ctx.asOf, { seed: ctx.seed, ...(ctx.shared ? { shared: ctx.shared } : {}) });
}

const CREATE_FORECAST = `CREATE OR REPLACE TABLE forecast (scenario VARCHAR, month INTEGER, customers DOUBLE,
  lower DOUBLE, upper DOUBLE, mrr DOUBLE, churned DOUBLE, calendar_month VARCHAR, subscribers DOUBLE, buyers DOUBLE,
  mrr_lower DOUBLE, mrr_upper DOUBLE)`;
/** The tables the forecast stage writes (besides its warehouse_meta entry `forecast`). */
export const FORECAST_TABLES = ["forecast", "forecast_backtest"];

const CREATE_BACKTEST = `CREATE OR REPLACE TABLE forecast_backtest (month VARCHAR, predicted DOUBLE, lower DOUBLE,
  upper DOUBLE, actual INTEGER, naive INTEGER)`;

export async function writeForecastTables(conn: DuckDBConnection, report: ForecastReport): Promise<void> {
  await run(conn, CREATE_FORECAST);
  await appendRows(
    conn,
    "forecast",
    [
      "varchar",
      "integer",
      "double",
      "double",
      "double",
      "double",
      "double",
      "varchar",
      "double",
      "double",
      "double",
      "double",
    ],
    report.scenarios.flatMap((s) =>
      s.months.map((m, k) => [
        s.name,
        k + 1,
        m.customers,
        m.lower,
        m.upper,
        m.mrr,
        m.churned,
        m.month,
        m.subscribers,
        m.buyers,
        m.mrrLower,
        m.mrrUpper,
      ]),
    ),
  );
  await run(conn, CREATE_BACKTEST);
  await appendRows(
    conn,
    "forecast_backtest",
    ["varchar", "double", "double", "double", "integer", "integer"],
    report.backtest.months.map((m) => [m.month, m.predicted, m.lower, m.upper, m.actual, m.naive]),
  );
  const { backtest } = report;
  await run(conn, "INSERT OR REPLACE INTO warehouse_meta VALUES ('forecast', $v)", {
    v: JSON.stringify({
      backtest: {
        from: backtest.from,
        windowDays: backtest.windowDays,
        mape: backtest.mape,
        naiveMape: backtest.naiveMape,
        covered: backtest.covered,
      },
      buyerWindowDays: report.buyerWindowDays,
      basis: report.basis,
      notes: report.notes,
    }),
  });
}

export const analyzeForecast: Analysis = async (ctx) => {
  const groundwork = ctx.forecastGroundwork ?? forecastStart(ctx);
  const started = await groundwork;
  if ("skipped" in started) return { name: "forecast", ran: false, skipped: started.skipped, tables: [], summary: {} };
  const report = await forecastReport(ctx.conn, ctx.asOf, {
    seed: ctx.seed,
    groundwork: started,
  });
  await writeForecastTables(ctx.conn, report);
  for (const note of report.notes) ctx.log(`  forecast: ${note}`);
  const baseline = report.scenarios[0]!.months;
  return {
    name: "forecast",
    ran: true,
    tables: FORECAST_TABLES,
    summary: {
      customersIn6Months: Math.round(baseline.at(-1)!.customers),
      backtestMape: report.backtest.mape,
      naiveMape: report.backtest.naiveMape,
    },
  };
};
