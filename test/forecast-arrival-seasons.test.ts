/**
 * Whether arrivals follow the business's seasons (models/forecast/arrival-seasons.ts): the ratio-to-moving-average
 * indices and the seasonal forecast by hand on an exact series, and the choice made by forecasting the series' own
 * past both ways: a seeded series with a January peak and growth is forecast seasonally, a small seeded business
 * without seasons gets its noise shrunk away, a short one cannot tell.
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../loaders/random.ts";
import { chooseSeasonal, seasonalIndices } from "../models/forecast/arrival-seasons.ts";

/** Monthly Poisson counts from January of year 0, with `pattern` by calendar month and `growth` per year. */
function series(months: number, pattern: number[], growth: number, seed: number): number[] {
  const rng = createRandom(seed);
  return Array.from({ length: months }, (_, t) => rng.poisson(pattern[t % 12]! * growth ** (t / 12)));
}

describe("seasonal arrivals", () => {
  it("reads an exact seasonal series' indices and forecasts each month at level × index (by hand)", () => {
    // 36 months from January at level 1,000,000 × a pattern averaging 1: the centred 2×12 moving average is the level
    // exactly, every ratio is its month's index, and the Poisson noise (index / level) is negligible.
    const pattern = [1.6, 1.1, 1, 1, 0.9, 0.8, 0.7, 0.8, 1.2, 1.1, 1, 0.8];
    const history = Array.from({ length: 36 }, (_, t) => 1e6 * pattern[t % 12]!);
    seasonalIndices(history)!.forEach((s, p) => expect(s).toBeCloseTo(pattern[p]!, 4));
    const choice = chooseSeasonal(history, 3, 6);
    expect(choice.flatError!).toBeGreaterThan(1e5);
    expect(choice.seasonalError!).toBeLessThan(1e-4 * choice.flatError!);
    // Next: January, February, March of year 3; the flat mean of Jul–Dec is 1e6 × 5.6 / 6.
    const flat = (1e6 * 5.6) / 6;
    choice.factors!.forEach((f, k) => expect(f).toBeCloseTo((1e6 * pattern[k]!) / flat, 4));
  });

  it("chooses the seasons for a seeded business with a January peak and 20% growth a year", () => {
    const pattern = [300, 220, 200, 200, 190, 170, 150, 160, 230, 230, 190, 130];
    const choice = chooseSeasonal(series(48, pattern, 1.2, 5), 6, 6);
    expect(choice.factors).not.toBeNull();
    expect(choice.cutoffs).toBeGreaterThanOrEqual(6);
    expect(choice.seasonalError!).toBeLessThan(choice.flatError!);
    // The series ends in December: January's multiplier is the largest, about 300 / mean(Jul–Dec) = 300 / 181.7.
    expect(choice.factors!.indexOf(Math.max(...choice.factors!))).toBe(0);
    expect(choice.factors![0]!).toBeGreaterThan(1.3);
  });

  it("shrinks a small business's month-to-month noise away (30 arrivals a month, no seasons)", () => {
    const history = series(48, new Array(12).fill(30), 1, 6);
    // A single month's ratio has a Poisson standard deviation of about 1/√30 = 0.18; the shrunk indices stay near 1.
    for (const s of seasonalIndices(history)!) expect(Math.abs(s - 1)).toBeLessThan(0.06);
    const choice = chooseSeasonal(history, 6, 6);
    for (const f of choice.factors ?? []) expect(Math.abs(f - 1)).toBeLessThan(0.1);
  });

  it("forecasts a business closed three months a year: closed months closed, open ones at their level", () => {
    // A ski school: about 100 arrivals a month, none in June, July and August, for four years; the forecast from
    // the end of March covers April to September.
    const pattern = [140, 130, 120, 100, 80, 0, 0, 0, 60, 90, 110, 150];
    const history = series(51, pattern, 1, 8);
    const choice = chooseSeasonal(history, 6, 6);
    expect(choice.factors).not.toBeNull();
    expect(choice.factors!.every(Number.isFinite)).toBe(true);
    // April and May open, June to August closed (a trace left by the shrinkage toward 1), September open again.
    for (const closed of choice.factors!.slice(2, 5)) expect(closed).toBeLessThan(0.05);
    expect(choice.factors![0]!).toBeGreaterThan(0.5);
    expect(choice.factors![5]!).toBeGreaterThan(0.3);
    // From the end of September the next months are October to December (pattern 90, 110, 150). The level comes
    // from April to September, three of them closed: as a mean of deseasonalised months, the closed ones' 0 ÷ 0.01
    // would halve it, and two stray arrivals in August (2 ÷ 0.01) would count as a couple of hundred; as counts over
    // indices it stays near 90 a month either way.
    for (const strays of [0, 2]) {
      const history = series(57, pattern, 1, 8);
      history[55] = strays;
      const next = chooseSeasonal(history, 3, 6);
      const recent = history.slice(-6).reduce((a, b) => a + b, 0) / 6;
      next.factors!.forEach((f, k) => expect(Math.abs((f * recent) / [90, 110, 150][k]! - 1)).toBeLessThan(0.25));
    }
  });

  it("cannot tell with fewer than 24 months before the first cut-off", () => {
    expect(chooseSeasonal(series(29, new Array(12).fill(40), 1, 7), 6, 6)).toMatchObject({ factors: null, cutoffs: 0 });
  });
});
