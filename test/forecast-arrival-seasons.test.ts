/**
 * Whether arrivals follow last year's months (models/forecast/arrival-seasons.ts): the seasonal naive forecast with
 * growth by hand, and the choice made by forecasting the series' own past both ways: a seeded series with a
 * January peak and growth is forecast seasonally, a seeded flat one keeps the recent mean, a short one cannot tell.
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../loaders/random.ts";
import { chooseSeasonal } from "../models/forecast/arrival-seasons.ts";

/** Monthly Poisson counts from January of year 0, with `pattern` by calendar month and `growth` per year. */
function series(months: number, pattern: number[], growth: number, seed: number): number[] {
  const rng = createRandom(seed);
  return Array.from({ length: months }, (_, t) => rng.poisson(pattern[t % 12]! * growth ** (t / 12)));
}

describe("seasonal arrivals", () => {
  it("forecasts month k as the same month a year before times the growth (by hand)", () => {
    // 24 exact months: 10 a month in year 1 but 40 in January; year 2 the same ×1.5 (so the last 6 months, Jul–Dec,
    // sum 90 against 60 a year before: growth 1.5) but its own January 40 × 1.5.
    const year1 = [40, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10];
    const history = [...year1, ...year1.map((x) => x * 1.5)];
    const choice = chooseSeasonal(history, 3, 6);
    // Seasonal: Jan, Feb, Mar of the coming year = (60, 15, 15) × 1.5 = (90, 22.5, 22.5); the flat mean is 15.
    // At the cut-offs back from month 21 (every 3 months while 18 months precede), the seasonal way is exact
    // (the series is exactly last year's × 1.5) and the flat mean misses January.
    expect(choice.seasonalError).toBe(0);
    expect(choice.flatError).toBeGreaterThan(0);
    expect(choice.factors).toEqual([6, 1.5, 1.5]);
  });

  it("chooses last year's months for a seeded business with a January peak and 20% growth a year", () => {
    const pattern = [300, 220, 200, 200, 190, 170, 150, 160, 230, 230, 190, 130];
    const choice = chooseSeasonal(series(48, pattern, 1.2, 5), 6, 6);
    expect(choice.factors).not.toBeNull();
    expect(choice.cutoffs).toBeGreaterThanOrEqual(8);
    expect(choice.seasonalError!).toBeLessThan(choice.flatError!);
    // The series ends in December: January's multiplier is the largest, about 300 / mean(Jul–Dec) = 300 / 181.7.
    expect(choice.factors!.indexOf(Math.max(...choice.factors!))).toBe(0);
    expect(choice.factors![0]!).toBeGreaterThan(1.3);
  });

  it("keeps the recent mean for a seeded business without seasons (seasonal only adds last year's noise)", () => {
    const choice = chooseSeasonal(series(48, new Array(12).fill(40), 1, 6), 6, 6);
    expect(choice.factors).toBeNull();
    expect(choice.flatError!).toBeLessThan(choice.seasonalError!);
  });

  it("cannot tell with fewer than 18 months before the first cut-off", () => {
    expect(chooseSeasonal(series(23, new Array(12).fill(40), 1, 7), 6, 6)).toMatchObject({ factors: null, cutoffs: 0 });
  });
});
