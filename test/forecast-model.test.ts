/**
 * The forecast's arithmetic on a tiny business computed by hand (models/forecast/model.ts), the BG/NBD window
 * probability against a direct integral and a simulation of the process, the hazards and arrival rates, and the
 * simulated band: centred on the expected values and wider when the rates are less certain.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRandom } from "../loaders/random.ts";
import { betaPowerMean, purchaseInWindowIfAlive, simulateFuturePurchases } from "../models/forecast/buyer-activity.ts";
import { conditionalSurvival, estimateHazard, type HazardBand, TENURE_BANDS } from "../models/forecast/hazards.ts";
import { forecastMonths } from "../models/forecast/inputs.ts";
import { expectedForecast, type ForecastInputs, type ScenarioInput } from "../models/forecast/model.ts";
import { estimateArrivalRate } from "../models/forecast/rates.ts";
import { loadForecastRules, scenariosOf } from "../models/forecast/rules.ts";
import { runForecast } from "../models/forecast/run.ts";
import { SIMULATED_CUSTOMERS, SIMULATED_NEW_BUYERS, simulateForecast } from "../models/forecast/simulate.ts";
import { runningWorkers, simulateOnWorker, stopForestWorkers, workerCount } from "../models/workers/pool.ts";
import { probabilityAlive } from "../models/value/bgnbd.ts";

const M = 30.4375;
/** Every tenure band with (events + 0.5) / exposure = rate per day. */
const flatBands = (events: number, exposure: number): HazardBand[] =>
  TENURE_BANDS.map((start) => ({ start, events, exposure }));
const baseline: ScenarioInput = { name: "baseline", subscriberFactor: null, buyerFactor: null, arrivalsFactor: 1 };
/** Churn halved for the first subscriber and both buyers of tinyBusiness, and no arrivals. */
const halved: ScenarioInput = {
  name: "halve",
  subscriberFactor: Float64Array.from([0.5, 1]),
  buyerFactor: Float64Array.from([0.5, 0.5]),
  arrivalsFactor: 0,
};
const params = { r: 1, alpha: 10, a: 1, b: 2 };

/** Two subscribers, two buyers, new subscribers (3 a month) and new buyers (6 a month); W = 60 days. */
function tinyBusiness(): ForecastInputs {
  const { months, horizons } = forecastMonths("2026-01-31", 2);
  return {
    asOf: "2026-01-31",
    months,
    horizons,
    windowDays: 60,
    subscribers: [
      { tenure: 100, mrr: 100 },
      { tenure: 400, mrr: 50 },
    ],
    hazardBands: flatBands(9, 950), // (9 + 0.5) / 950 = 0.01 per day in every band
    buyers: [
      { x: 0, tx: 0, T: 10 / 7, gap: 10 }, // bought once, 10 days ago: active today
      { x: 2, tx: 20, T: 30, gap: 70 }, // last purchase 70 days ago: inactive today
    ],
    buyerModel: { params, logCholesky: null, customers: 2 },
    arrivals: {
      newSubscribers: estimateArrivalRate([3, 3, 3]),
      reactivations: estimateArrivalRate([0, 0, 0]),
      newBuyers: estimateArrivalRate([6, 6, 6]),
      newMrr: 20,
      reactivationMrr: 0,
    },
  };
}

describe("forecast months", () => {
  it("end each month on the next month's first day, counted in days from the as-of date", () => {
    // 2026-01-31 → 2026-03-01 is 29 days, → 2026-04-01 is 60 days.
    expect(forecastMonths("2026-01-31", 2)).toEqual({ months: ["2026-02", "2026-03"], horizons: [29, 60] });
    // A mid-month as-of date forecasts the rest of its own month first: 2026-01-15 → 2026-02-01 is 17 days.
    expect(forecastMonths("2026-01-15", 1)).toEqual({ months: ["2026-01"], horizons: [17] });
  });
});

describe("expected forecast of a tiny business (by hand)", () => {
  const inputs = tinyBusiness();
  const e = expectedForecast(inputs, baseline);

  it("subscribers: survivors at hazard 0.01/day plus new subscribers arriving mid-month", () => {
    // Month 1 (h = 29): 2 × e^(−0.29); 3 × 29/30.4375 arrivals at day 14.5 survive e^(−0.145).
    const n1 = (3 * 29) / M;
    const n2 = (3 * 31) / M;
    expect(e.subscribers[0]).toBeCloseTo(2 * Math.exp(-0.29) + n1 * Math.exp(-0.145), 10);
    // Month 2 (h = 60): 2 × e^(−0.6); month 1's arrivals survive e^(−0.455), month 2's (day 44.5) e^(−0.155).
    expect(e.subscribers[1]).toBeCloseTo(2 * Math.exp(-0.6) + n1 * Math.exp(-0.455) + n2 * Math.exp(-0.155), 10);
    expect(e.subscribers[0]).toBeCloseTo(3.96903, 4);
    // MRR: 150 × e^(−0.29) from today's subscribers, 20 per surviving arrival.
    expect(e.mrr[0]).toBeCloseTo(150 * Math.exp(-0.29) + 20 * n1 * Math.exp(-0.145), 9);
  });

  it("buyers: certain while the last purchase is within W, else BG/NBD's chance of buying in the window", () => {
    // B1 in month 1: 10 + 29 < 60 → 1. In month 2 (10 + 60 ≥ 60) the window (0, 60] lies after today:
    //   x = 0 → P(alive) = 1, P = 1 − ((α + T)/(α + T + D))^r = 1 − (11.428571/20)^1 = 0.428571.
    const b1m2 = 1 - (10 + 10 / 7) / (10 + 10 / 7 + 60 / 7);
    expect(b1m2).toBeCloseTo(0.428571, 6);
    // B2 (x = 2, t_x = 20, T = 30): P(alive) = 1 / (1 + a/(b + x − 1) · ((α + T)/(α + t_x))^(r + x))
    //   = 1 / (1 + (1/3)(40/30)^3) = 0.558621; P(month k) = P(alive) · (1 − (40/(40 + h_k/7))^3).
    const alive = 1 / (1 + (1 / 3) * (40 / 30) ** 3);
    expect(probabilityAlive(params, 2, 20, 30)).toBeCloseTo(alive, 12);
    expect(alive).toBeCloseTo(0.558621, 6);
    const b2 = (h: number) => alive * (1 - (40 / (40 + h / 7)) ** 3);
    // New buyers (6 a month) are all within W of their first purchase at both month ends.
    const n1 = (6 * 29) / M;
    const n2 = (6 * 31) / M;
    expect(e.buyers[0]).toBeCloseTo(1 + b2(29) + n1, 10);
    expect(e.buyers[1]).toBeCloseTo(b1m2 + b2(60) + n1 + n2, 10);
  });

  it("scenarios scale the chance of leaving of the customers they pick, and first-time arrivals", () => {
    const s = expectedForecast(inputs, halved);
    // Subscriber 1: 1 − 0.5 (1 − e^(−0.29)); no arrivals.
    expect(s.subscribers[0]).toBeCloseTo(1 - 0.5 * (1 - Math.exp(-0.29)) + Math.exp(-0.29), 10);
    // B1 (active today): 1 − 0.5 (1 − 0.428571) in month 2; B2 is inactive today, so unchanged.
    const alive = 1 / (1 + (1 / 3) * (40 / 30) ** 3);
    const b1m2 = 1 - (10 + 10 / 7) / (10 + 10 / 7 + 60 / 7);
    expect(s.buyers[1]).toBeCloseTo(1 - 0.5 * (1 - b1m2) + alive * (1 - (40 / (40 + 60 / 7)) ** 3), 10);
  });

  it("the simulated futures average to the expected values and the band holds them", () => {
    const sims = simulateForecast(inputs, [baseline], 4000, createRandom(7));
    for (let k = 0; k < 2; k++) {
      const subs = sims.subscribers[0]![k]!.reduce((a, b) => a + b, 0) / 4000;
      const buyers = sims.buyers[0]![k]!.reduce((a, b) => a + b, 0) / 4000;
      // Standard errors are about 0.03; the rates are redrawn, so allow Jensen's small bias too.
      expect(Math.abs(subs - e.subscribers[k]!)).toBeLessThan(0.15);
      expect(Math.abs(buyers - e.buyers[k]!)).toBeLessThan(0.15);
    }
    // A scenario's simulated fates average to its own expected values too.
    const both = simulateForecast(inputs, [baseline, halved], 4000, createRandom(8));
    const h = expectedForecast(inputs, halved);
    for (let k = 0; k < 2; k++) {
      const subs = both.subscribers[1]![k]!.reduce((a, b) => a + b, 0) / 4000;
      const buyers = both.buyers[1]![k]!.reduce((a, b) => a + b, 0) / 4000;
      expect(Math.abs(subs - h.subscribers[k]!)).toBeLessThan(0.1);
      expect(Math.abs(buyers - h.buyers[k]!)).toBeLessThan(0.1);
    }
    // New buyers whose window closes before the last month are simulated one by one (W = 20 days): still on target.
    const short = { ...inputs, windowDays: 20 };
    const shortSims = simulateForecast(short, [baseline], 4000, createRandom(9));
    const shortExpected = expectedForecast(short, baseline);
    for (let k = 0; k < 2; k++) {
      const buyers = shortSims.buyers[0]![k]!.reduce((a, b) => a + b, 0) / 4000;
      expect(Math.abs(buyers - shortExpected.buyers[k]!)).toBeLessThan(0.15);
    }
    const [f] = runForecast(inputs, [baseline], { runs: 1000, level: 0.9, seed: 3 });
    for (const m of f!.months) {
      expect(m.lower).toBeLessThanOrEqual(m.customers);
      expect(m.upper).toBeGreaterThanOrEqual(m.customers);
      expect(m.upper - m.lower).toBeGreaterThan(1);
    }
  });
});

describe("regular buyers and buyers too new to show a pattern (by hand)", () => {
  // B1 has no repeat yet and bought 10 days ago; B2 pays every 30 days, 5 renewals made, last paid 20 days ago.
  const curve = Float64Array.from({ length: 200 }, (_, age) => (age < 60 ? 1 : 0.5));
  const renewals = { alpha: 1, beta: 9 };
  const inputs: ForecastInputs = {
    ...tinyBusiness(),
    buyers: [
      { x: 0, tx: 0, T: 10 / 7, gap: 10 },
      { x: 5, tx: 100 / 7, T: 120 / 7, gap: 20, cycle: 30, renewed: 5 },
    ],
    newBuyerCurve: curve,
    renewalModel: { params: renewals, logCholesky: null, customers: 40, churned: 10 },
    arrivals: { ...tinyBusiness().arrivals, newBuyers: estimateArrivalRate([0, 0, 0]) },
  };
  const e = expectedForecast(inputs, baseline);

  it("count B1 by the new buyers' curve at its age and B2 by the renewals due (shifted-beta-geometric)", () => {
    // Month 1 (h = 29): B1 is 39 days old → 1; B2's last payment (20 + 29 < W = 60 days) still counts → 1.
    expect(e.buyers[0]).toBeCloseTo(2, 12);
    // Month 2 (h = 60): B1 is 70 days old → 0.5. B2 needs the renewals due on days 10 and 40 (the last within W of
    //   day 60): P(survive 2 more | 5 made) = B(1, 9 + 5 + 2) / B(1, 9 + 5) = 14/16, as B(1, b) = 1/b.
    expect(e.buyers[1]).toBeCloseTo(0.5 + 14 / 16, 12);
  });

  it("the simulated futures average to the same values", () => {
    const sims = simulateForecast(inputs, [baseline], 20_000, createRandom(12));
    for (let k = 0; k < 2; k++) {
      const mean = sims.buyers[0]![k]!.reduce((a, b) => a + b, 0) / 20_000;
      expect(Math.abs(mean - e.buyers[k]!)).toBeLessThan(0.02);
    }
  });
});

describe("BG/NBD chance of buying in a future window", () => {
  it("E_p[(1 + p u)^(−m)] under Beta(a, β) matches a direct integral (midpoint rule, 200,000 steps)", () => {
    const [m, a, beta, u] = [2.3, 1.5, 3, 0.8];
    // B(1.5, 3) = Γ(1.5)Γ(3)/Γ(4.5) = (√π/2 · 2) / (105√π/16) = 16/105.
    const B = 16 / 105;
    const n = 200_000;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const p = (i + 0.5) / n;
      sum += (p ** (a - 1) * (1 - p) ** (beta - 1) * (1 + p * u) ** -m) / n;
    }
    expect(betaPowerMean(m, a, beta, u)).toBeCloseTo(sum / B, 7);
  });

  it("matches a simulation of the purchase process for a window that starts later", () => {
    // Alive at T with x = 3: λ ~ Gamma(r + x, α + T), p ~ Beta(a, b + x); buy at rate λ, drop out after a purchase
    // with probability p. Count customers with a purchase in (T + 5, T + 12] weeks.
    const p = { r: 0.8, alpha: 6, a: 0.9, b: 2.5 };
    const [x, T, s, D] = [3, 20, 5, 7];
    const rng = createRandom(11);
    const n = 200_000;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const lambda = rng.gamma(p.r + x, p.alpha + T);
      const drop = rng.beta(p.a, p.b + x);
      let t = 0;
      for (;;) {
        t += rng.exponential(lambda);
        if (t > s + D) break;
        if (t > s) {
          hits++;
          break;
        }
        if (rng.next() < drop) break;
      }
    }
    const expected = purchaseInWindowIfAlive(p, x, T, s, D);
    const se = Math.sqrt((expected * (1 - expected)) / n);
    expect(Math.abs(hits / n - expected)).toBeLessThan(4 * se);
    // The simulator the band uses (Lomax waits, Beta-Bernoulli drop-outs, no λ or p drawn) has the same law.
    let seqHits = 0;
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      times.length = 0;
      simulateFuturePurchases(p, x, T, 0, 7 * (s + D), rng, times);
      if (times.some((t) => t > 7 * s)) seqHits++;
    }
    expect(Math.abs(seqHits / n - expected)).toBeLessThan(4 * se);
    // With s = 0 it is the complement of P(no purchase in D | alive) = ((α + T)/(α + T + D))^(r + x).
    expect(purchaseInWindowIfAlive(p, x, T, 0, D)).toBeCloseTo(1 - (26 / 33) ** 3.8, 12);
  });
});

describe("rates", () => {
  it("hazards: (events + 0.5) / exposure per band; a band without exposure borrows the previous one", () => {
    const h = estimateHazard([
      { start: 0, events: 9, exposure: 950 },
      { start: 30, events: 19, exposure: 1950 },
      { start: 91, events: 0, exposure: 0 },
    ]);
    expect(h.rates).toEqual([0.01, 0.01, 0.01]);
    // From tenure 20 for 20 days: 10 days in band 1 and 10 in band 2 at 0.01 → e^(−0.2).
    expect(conditionalSurvival(h, 20, 20)).toBeCloseTo(Math.exp(-0.2), 12);
  });

  it("arrivals: mean of the months, rate variance max(mean, s²)/k, extra variance max(0, s² − mean)", () => {
    // [2, 4, 6]: mean 4, s² = (4 + 0 + 4)/2 = 4 → rate variance 4/3, no extra variance.
    expect(estimateArrivalRate([2, 4, 6])).toEqual({ mean: 4, rateVariance: 4 / 3, extraVariance: 0, months: 3 });
    // [0, 10]: mean 5, s² = 50 → rate variance 25, extra 45.
    expect(estimateArrivalRate([0, 10])).toEqual({ mean: 5, rateVariance: 25, extraVariance: 45, months: 2 });
  });

  it("above SIMULATED_CUSTOMERS, a weighted sample of customers keeps the simulated mean on the expected value", () => {
    const n = SIMULATED_CUSTOMERS + 5000;
    const inputs: ForecastInputs = {
      ...tinyBusiness(),
      windowDays: null,
      subscribers: Array.from({ length: n }, (_, i) => ({ tenure: i % 900, mrr: 10 })),
      arrivals: { ...tinyBusiness().arrivals, newSubscribers: estimateArrivalRate([0, 0]) },
      hazardBands: flatBands(99_999, 10_000_000), // 0.01 a day, almost certain
    };
    const sims = simulateForecast(inputs, [baseline], 40, createRandom(2));
    const mean = sims.subscribers[0]![1]!.reduce((a, b) => a + b, 0) / 40;
    // Expected n · e^(−0.6) ≈ 8,232; the sample's sampling error is about √(n · 0.25 · n/10,000) ≈ 75 per run.
    expect(Math.abs(mean - n * Math.exp(-0.6))).toBeLessThan(80);
  });

  it("above SIMULATED_CUSTOMERS, each run draws its own sample, so the band holds the sample's error", () => {
    // Nobody leaves (no churn events), so the MRR to come is known: half the customers pay 1,000, half nothing. A
    // sample drawn once for every run gave every run the same total, off the truth by the sample's error, and a band
    // of width 0 around it.
    const n = 4 * SIMULATED_CUSTOMERS;
    const inputs: ForecastInputs = {
      ...tinyBusiness(),
      windowDays: null,
      subscribers: Array.from({ length: n }, (_, i) => ({ tenure: 400 + (i % 7), mrr: i % 2 === 0 ? 1000 : 0 })),
      arrivals: { ...tinyBusiness().arrivals, newSubscribers: estimateArrivalRate([0, 0]) },
      hazardBands: flatBands(0, 10_000_000),
    };
    const truth = (n / 2) * 1000;
    const mrr = Array.from(simulateForecast(inputs, [baseline], 200, createRandom(8)).mrr[0]![1]!).sort(
      (a, b) => a - b,
    );
    const [low, high] = [mrr[10]!, mrr[189]!];
    expect(high).toBeGreaterThan(low);
    expect(low).toBeLessThan(truth);
    expect(high).toBeGreaterThan(truth);
    // Each run's total is unbiased: 200 runs put their mean within a fraction of one run's sampling error (about
    // 1,000 · √(n/2 · (1 − p) / p) ≈ 173,000 with p = ¼).
    expect(Math.abs(mrr.reduce((a, b) => a + b, 0) / 200 - truth)).toBeLessThan(30_000);
  });

  it("above SIMULATED_NEW_BUYERS a month, weighted new buyers keep the simulated mean on the expected value", () => {
    const perMonth = 3 * SIMULATED_NEW_BUYERS;
    const inputs: ForecastInputs = {
      ...tinyBusiness(),
      windowDays: 20,
      subscribers: [],
      buyers: [],
      arrivals: { ...tinyBusiness().arrivals, newBuyers: estimateArrivalRate([perMonth, perMonth, perMonth]) },
    };
    const sims = simulateForecast(inputs, [baseline], 200, createRandom(4));
    const expected = expectedForecast(inputs, baseline);
    for (let k = 0; k < 2; k++) {
      const mean = sims.buyers[0]![k]!.reduce((a, b) => a + b, 0) / 200;
      // The arrival rate's own uncertainty (sd ≈ √(3 · perMonth) / 3 ≈ 22 a month) dominates; 200 runs put the mean
      // within a few buyers.
      expect(Math.abs(mean - expected.buyers[k]!)).toBeLessThan(30);
    }
  });

  it("a simulation on a worker thread gives exactly the futures of the same simulation in this thread", async () => {
    const inputs = tinyBusiness();
    const here = simulateForecast(inputs, [baseline, halved], 60, createRandom(11));
    const there = await simulateOnWorker(inputs, [baseline, halved], 60, 11);
    // It ran on the pool when there is one (two cores, or CHURN_FOREST_WORKERS ≥ 2); with one core it runs here.
    if (workerCount(2) > 1) expect(runningWorkers()).toBeGreaterThan(0);
    expect(there).toEqual(here);
    expect(await simulateOnWorker(inputs, [baseline, halved], 60, 12)).not.toEqual(here); // the seed matters
    // Stopped (as the forest stage does after a large scoring), the pool starts again for the next job, on worker 1
    // as on worker 0.
    await stopForestWorkers();
    expect(runningWorkers()).toBe(0);
    expect(await simulateOnWorker(inputs, [baseline, halved], 60, 11, 1)).toEqual(here);
    if (workerCount(2) > 1) expect(runningWorkers()).toBeGreaterThan(0);
    // Stopping while a worker simulates (`churn build` starts the backtest's simulation early) stops only the idle
    // ones: the running job ends with its numbers, and a job queued behind it runs too.
    const running = simulateOnWorker(inputs, [baseline, halved], 60, 11, 0);
    const queued = simulateOnWorker(inputs, [baseline, halved], 60, 12, 0);
    await stopForestWorkers();
    if (workerCount(2) > 1) expect(runningWorkers()).toBe(1);
    expect(await running).toEqual(here);
    expect(await queued).not.toEqual(here);
    await stopForestWorkers();
    expect(runningWorkers()).toBe(0);
  }, 60_000);

  it("the band widens when the churn rates are less certain (same rate, less history)", () => {
    const business = (bands: HazardBand[]): ForecastInputs => ({
      ...tinyBusiness(),
      windowDays: null,
      subscribers: Array.from({ length: 400 }, (_, i) => ({ tenure: 50 + i, mrr: 10 })),
      hazardBands: bands,
      arrivals: { ...tinyBusiness().arrivals, newSubscribers: estimateArrivalRate([0, 0]) },
    });
    const width = (bands: HazardBand[]) => {
      const [f] = runForecast(business(bands), [baseline], { runs: 800, level: 0.9, seed: 5 });
      return f!.months[1]!.upper - f!.months[1]!.lower;
    };
    // Both estimate 0.01 a day: 99.5/9950 (much history) and 0.5/50 (almost none).
    expect(width(flatBands(0, 50))).toBeGreaterThan(1.5 * width(flatBands(99, 9950)));
  });
});

describe("forecast rules file", () => {
  const write = (content: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), "churn-forecast-rules-")), "forecast.json");
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it("the bundled file validates, and its scenarios follow the built-in ones", () => {
    const rules = loadForecastRules();
    expect(scenariosOf(rules).map((s) => s.name)).toEqual([
      "baseline",
      "save team halves churn among red customers",
      "no new customers",
      "churn among true friends −20%",
    ]);
    expect(rules.scenarios[0]).toMatchObject({ where: { quadrant: "true friends" }, churnChange: -0.2 });
  });

  it("names what is wrong: a misspelt key, an increase of churn, a name used twice", () => {
    expect(() => loadForecastRules(write({ scenarios: [{ name: "x", wehre: {} }] }))).toThrow(/scenarios\.0/);
    expect(() => loadForecastRules(write({ scenarios: [{ name: "x", churnChange: 0.2 }] }))).toThrow(/only reductions/);
    expect(() => loadForecastRules(write({ scenarios: [{ name: "baseline" }] }))).toThrow(/used twice/);
    expect(() => loadForecastRules(write({ months: 0 }))).toThrow(/months/);
  });
});
