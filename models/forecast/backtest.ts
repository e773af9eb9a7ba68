/**
 * The forecast's backtest: the baseline forecast made at a cut-off c with only the rows dated on or before c (every
 * input is re-read as of c: spells, hazards, arrivals, BG/NBD, and the inactivity window W chosen from the gaps known
 * then), for the last `months` complete months before the as-of date (c = the day before the first of them), compared
 * month by month with the customers active at each month's end with the data up to the as-of date, counted by the same
 * rules and the same W. The naive forecast keeps the count active on c + 1 (the last month end, as known on c) flat.
 * MAPE = mean over the months of |predicted − actual| / actual, in percent.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addDays } from "../../loaders/dates.ts";
import { type ActiveCount, activeCounts, completeMonthsBefore, firstDataDate, firstDay, nextMonth } from "./history.ts";
import { createRandom } from "../../loaders/random.ts";
import { gatherInputs } from "./inputs.ts";
import type { ForecastInputs, ScenarioInput } from "./model.ts";
import type { ForecastRules } from "./rules.ts";
import { forecastFromSimulations } from "./run.ts";
import { type SimulatedPaths, simulateForecast } from "./simulate.ts";

export interface BacktestMonth {
  month: string;
  predicted: number;
  lower: number;
  upper: number;
  actual: number;
  naive: number;
}

export interface Backtest {
  /** The cut-off date the forecast was made at (null: not enough history before it). */
  from: string | null;
  windowDays: number | null;
  months: BacktestMonth[];
  mape: number | null;
  naiveMape: number | null;
  /** Months whose actual lies in the band. */
  covered: number;
  note?: string;
}

export const mape = (predicted: number[], actual: number[]) => {
  const terms = actual.map((a, i) => Math.abs(predicted[i]! - a) / a).filter(Number.isFinite);
  return terms.length ? (100 * terms.reduce((s, x) => s + x, 0)) / terms.length : null;
};

/** The baseline: today's customers and arrivals as they are, no scenario. */
const BASELINE: ScenarioInput = { name: "baseline", subscriberFactor: null, buyerFactor: null, arrivalsFactor: 1 };

/** What the backtest's futures are simulated with: in this thread by default, or elsewhere (models/workers/pool.ts). */
export type Simulator = (
  inputs: ForecastInputs,
  scenarios: ScenarioInput[],
  runs: number,
  seed: number,
) => Promise<SimulatedPaths>;

const inThisThread: Simulator = async (inputs, scenarios, runs, seed) =>
  simulateForecast(inputs, scenarios, runs, createRandom(seed));

/**
 * Every warehouse read the backtest needs, done now; the returned function simulates the futures (in this thread, or
 * with the simulator given, e.g. on a worker thread) and compares them with what happened, reading nothing more. So
 * forecastReport can run its own forecast while the backtest's futures are simulated, with no two queries sharing
 * the connection.
 */
export async function prepareBacktest(
  conn: DuckDBConnection,
  asOf: string,
  rules: ForecastRules,
  months = 6,
): Promise<(seed: number, simulate?: Simulator) => Promise<Backtest>> {
  const list = completeMonthsBefore(asOf, months);
  const from = addDays(firstDay(list[0]!), -1);
  const empty = (note: string): Backtest => ({
    from: null,
    windowDays: null,
    months: [],
    mape: null,
    naiveMape: null,
    covered: 0,
    note,
  });
  const first = await firstDataDate(conn, asOf);
  if (!first || first > threeMonthsBefore(from))
    return async () => empty(`no backtest: the data start on ${first ?? "(none)"}, less than 3 months before ${from}`);
  const { inputs } = await gatherInputs(conn, from, months, rules);
  const w = inputs.windowDays;
  const counts = await activeCounts(conn, asOf, firstDay(nextMonth(list[0]!)), firstDay(nextMonth(list.at(-1)!)), w);
  const total = (c: ActiveCount) => c.subscribers + c.buyers;
  // The naive forecast: the count on c + 1 (the last month end) as known on c.
  const naive = total((await activeCounts(conn, from, addDays(from, 1), addDays(from, 1), w))[0]!);
  const finish = (sims: SimulatedPaths): Backtest => {
    const [forecast] = forecastFromSimulations(inputs, [BASELINE], sims, rules.bandLevel);
    const rows = forecast!.months.map((m, k) => ({
      month: m.month,
      predicted: m.customers,
      lower: m.lower,
      upper: m.upper,
      actual: total(counts[k]!),
      naive,
    }));
    return {
      from,
      windowDays: w,
      months: rows,
      mape: mape(
        rows.map((r) => r.predicted),
        rows.map((r) => r.actual),
      ),
      naiveMape: mape(
        rows.map((r) => r.naive),
        rows.map((r) => r.actual),
      ),
      covered: rows.filter((r) => r.actual >= r.lower && r.actual <= r.upper).length,
    };
  };
  return async (seed, simulate = inThisThread) => finish(await simulate(inputs, [BASELINE], rules.simulations, seed));
}

const threeMonthsBefore = (iso: string) => addDays(iso, -91);
