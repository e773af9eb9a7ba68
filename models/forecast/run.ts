/**
 * One forecast per scenario: expected values from the point estimates (model.ts `expectedForecast`), the band from the
 * simulated futures (simulate.ts `simulateForecast`) at the rules' level (90%: the 5% and 95% quantiles of the
 * simulated totals).
 * "churned" is the mean number of customers lost in the month in the simulations (active on its first day, not on the
 * next month's first day, the monthly report's "lost"), new and returning customers included.
 */
import { createRandom } from "../../loaders/random.ts";
import { type ExpectedPath, expectedForecast, type ForecastInputs, quantile, type ScenarioInput } from "./model.ts";
import { type SimulatedPaths, simulateForecast } from "./simulate.ts";

export interface ForecastMonth {
  month: string;
  customers: number;
  lower: number;
  upper: number;
  subscribers: number;
  buyers: number;
  mrr: number;
  mrrLower: number;
  mrrUpper: number;
  churned: number;
}

export interface ScenarioForecast {
  name: string;
  months: ForecastMonth[];
}

export interface RunOptions {
  runs: number;
  level: number;
  seed: number;
}

export function runForecast(
  inputs: ForecastInputs,
  scenarios: ScenarioInput[],
  options: RunOptions,
): ScenarioForecast[] {
  const sims = simulateForecast(inputs, scenarios, options.runs, createRandom(options.seed));
  return forecastFromSimulations(inputs, scenarios, sims, options.level);
}

/**
 * The forecast per scenario from simulated futures made elsewhere (e.g. on a worker thread, workers/pool.ts);
 * `expectedPaths` are the scenarios' expected paths when computed already (expectedForecast, in scenario order).
 */
export function forecastFromSimulations(
  inputs: ForecastInputs,
  scenarios: ScenarioInput[],
  sims: SimulatedPaths,
  level: number,
  expectedPaths?: ExpectedPath[],
): ScenarioForecast[] {
  const lo = (1 - level) / 2;
  const hi = 1 - lo;
  return scenarios.map((scenario, c) => {
    const expected = expectedPaths?.[c] ?? expectedForecast(inputs, scenario);
    return {
      name: scenario.name,
      months: inputs.months.map((month, k) => {
        const totals = sims.subscribers[c]![k]!.map((s, r) => s + sims.buyers[c]![k]![r]!);
        const customers = expected.subscribers[k]! + expected.buyers[k]!;
        const mrr = expected.mrr[k]!;
        return {
          month,
          customers,
          lower: Math.min(customers, quantile(totals, lo)),
          upper: Math.max(customers, quantile(totals, hi)),
          subscribers: expected.subscribers[k]!,
          buyers: expected.buyers[k]!,
          mrr,
          mrrLower: Math.min(mrr, quantile(sims.mrr[c]![k]!, lo)),
          mrrUpper: Math.max(mrr, quantile(sims.mrr[c]![k]!, hi)),
          churned: sims.churned[c]![k]!,
        };
      }),
    };
  });
}
