/**
 * BG/NBD and Gamma-Gamma against the values lifetimes' test suite asserts on the CDNOW files (REFERENCE.md section 1;
 * lifetimes tests/test_estimation.py, which cite Hardie's spreadsheets and R's BTYD), with numpy's tolerances.
 */
import { readFileSync } from "node:fs";
import { csvParse } from "d3-dsv";
import { beforeAll, describe, expect, it } from "vitest";
import { nelderMead } from "../models/math/optimize.ts";
import {
  bgnbdLogLik,
  bgnbdObjective,
  conditionalExpectedPurchases,
  conditionalPurchasesAt,
  expectedPurchases,
  fitBgNbd,
  probabilityAlive,
  purchaseCountProbability,
  type BgNbdFit,
} from "../models/value/bgnbd.ts";
import { conditionalExpectedSpend, fitGammaGamma, gammaGammaObjective } from "../models/value/gamma-gamma.ts";
import { buyerClv } from "../models/value/clv.ts";
import { describeWithReference, referencePath } from "./helpers/reference.ts";

const decimal = (actual: number, expected: number, k: number) =>
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThan(1.5 * 10 ** -k);
const PAPER = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** The objective's analytic gradient at `at` equals central differences (step 1e-5) to 1e-5 relative. */
function expectGradientMatches(objective: (x: number[], gradient?: number[]) => number, at: number[]) {
  const gradient = at.map(() => 0);
  objective(at, gradient);
  at.forEach((_, i) => {
    const h = 1e-5;
    const up = at.map((v, j) => (j === i ? v + h : v));
    const down = at.map((v, j) => (j === i ? v - h : v));
    const central = (objective(up) - objective(down)) / (2 * h);
    expect(Math.abs(gradient[i]! - central)).toBeLessThan(1e-5 * Math.max(1, Math.abs(central)));
  });
}

describeWithReference("BG/NBD on cdnow_customers_summary.csv", () => {
  let fit: BgNbdFit;
  beforeAll(() => {
    const rows = csvParse(readFileSync(referencePath("cdnow", "cdnow_customers_summary.csv"), "utf8"));
    fit = fitBgNbd({
      frequency: rows.map((r) => Number(r.frequency)),
      recency: rows.map((r) => Number(r.recency)),
      T: rows.map((r) => Number(r.T)),
    });
  });

  it("recovers r, α, a, b = 0.243, 4.414, 0.793, 2.426 (test_estimation.py 524-528, decimal=2)", () => {
    decimal(fit.r, 0.243, 2);
    decimal(fit.alpha, 4.414, 2);
    decimal(fit.a, 0.793, 2);
    decimal(fit.b, 2.426, 2);
    expect(fit.customers).toBe(2357);
    // REFERENCE.md section 3 (independent scipy fit): log-likelihood −9582.43
    expect(Math.abs(fit.logLik - -9582.43)).toBeLessThan(0.01);
  });

  it("the analytic gradient matches central differences, and BFGS ends where a Nelder-Mead run does", () => {
    const rows = csvParse(readFileSync(referencePath("cdnow", "cdnow_customers_summary.csv"), "utf8"));
    const objective = bgnbdObjective({
      frequency: rows.map((r) => Number(r.frequency)),
      recency: rows.map((r) => Number(r.recency)),
      T: rows.map((r) => Number(r.T)),
    });
    const at = [PAPER.r, PAPER.alpha, PAPER.a, PAPER.b].map((v) => Math.log(v * 1.3));
    expectGradientMatches(objective, at);
    // Nelder-Mead (values only, restarts until two runs agree) from the usual start reaches the same optimum.
    const simplex = nelderMead((x) => objective(x), [0, Math.log(10), 0, 0]);
    expect(Math.abs(-simplex.fx - fit.logLik)).toBeLessThan(1e-6);
    [fit.r, fit.alpha, fit.a, fit.b].forEach((v, i) =>
      expect(Math.abs(Math.log(v) - simplex.x[i]!)).toBeLessThan(1e-4),
    );
  });

  it("the grouped objective equals eq. 6 summed row by row (repeated histories grouped, none lost or merged)", () => {
    const rows = csvParse(readFileSync(referencePath("cdnow", "cdnow_customers_summary.csv"), "utf8"));
    // Every history twice, the second copy reversed, and one recency shared by two ages: the grouping's keys.
    const data = [...rows, ...rows.slice().reverse()].map((r) => [Number(r.frequency), Number(r.recency), Number(r.T)]);
    data.push([3, 20, 30], [3, 20, 31]);
    const objective = bgnbdObjective({
      frequency: data.map((d) => d[0]!),
      recency: data.map((d) => d[1]!),
      T: data.map((d) => d[2]!),
    });
    const p = { r: 0.3, alpha: 5, a: 0.9, b: 2.2 };
    const direct = data.reduce((s, [x, tx, T]) => s + bgnbdLogLik(p, x!, tx!, T!), 0);
    const grouped = -objective([p.r, p.alpha, p.a, p.b].map(Math.log));
    expect(Math.abs(grouped - direct) / Math.abs(direct)).toBeLessThan(1e-12);
  });

  it("standard errors match lifetimes' Quickstart (0.012557, 0.378221, 0.185719, 0.705345) within 0.1%", () => {
    // The six printed digits are met to 0.003% (the Hessian differenced from the analytic gradient).
    const se = fit.se!;
    expect(Math.abs(se.r / 0.012557 - 1)).toBeLessThan(0.001);
    expect(Math.abs(se.alpha / 0.378221 - 1)).toBeLessThan(0.001);
    expect(Math.abs(se.a / 0.185719 - 1)).toBeLessThan(0.001);
    expect(Math.abs(se.b / 0.705345 - 1)).toBeLessThan(0.001);
  });

  it("cond. expectation 1.226 for x=2, t_x=30.43, T=38.86, t=39 (test_estimation.py 530-539, Hardie's sheet)", () => {
    expect(Math.abs(conditionalExpectedPurchases(fit, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThan(0.001);
  });

  it("conditionalPurchasesAt is conditionalExpectedPurchases bit for bit, on pairs (x, T) seen again or new", () => {
    const horizons = [4.35, 13.04, 39, 52.18];
    const at = conditionalPurchasesAt(fit, horizons);
    // (x, T) repeats with another t_x (the shared numerator), then a new pair, then the first again.
    const histories: [number, number, number][] = [
      [2, 30.43, 38.86],
      [2, 12, 38.86],
      [0, 0, 38.86],
      [7, 35, 39],
      [2, 30.43, 38.86],
    ];
    for (const [x, tx, T] of histories) {
      const shared = Array.from(at(x, tx, T));
      expect(shared).toEqual(horizons.map((t) => conditionalExpectedPurchases(fit, t, x, tx, T)));
    }
    expect(at(2, 12, 38.86)[0]).toBeGreaterThan(0);
    expect(at(2, 12, 38.86)[0]).not.toBe(at(2, 30.43, 38.86)[0]); // t_x still matters, through the denominator
  });

  it("unconditional E[X(t)] (test_estimation.py 541-548, decimal=3)", () => {
    const expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0].forEach((t, i) => decimal(expectedPurchases(fit, t), expected[i]!, 3));
  });

  it("P(alive) is 1 without repeats and falls with time since the last purchase", () => {
    expect(probabilityAlive(fit, 0, 0, 38)).toBe(1);
    expect(probabilityAlive(fit, 3, 30, 38)).toBeGreaterThan(probabilityAlive(fit, 3, 10, 38));
  });
});

describe("BG/NBD pmf with the paper's parameters (test_estimation.py 591-621, R BTYD)", () => {
  it("P(X(2) = 10), P(X(39) = 0) within 1e-4 and P(X(30) = 11..20) to 5 decimals", () => {
    expect(Math.abs(purchaseCountProbability(PAPER, 2, 10) - 1.07869e-7)).toBeLessThan(1e-4);
    expect(Math.abs(purchaseCountProbability(PAPER, 39, 0) - 0.5737864)).toBeLessThan(1e-4);
    const expected = [
      0.0019995214, 0.0015170236, 0.001163315, 0.0009003148, 0.0007023638, 0.0005517902, 0.0004361913, 0.0003467171,
      0.0002769613, 0.000222226,
    ];
    expected.forEach((e, i) => decimal(purchaseCountProbability(PAPER, 30, 11 + i), e, 5));
  });
});

describeWithReference("Gamma-Gamma on cdnow_customers_summary_with_transactions.csv", () => {
  const rows = () =>
    csvParse(readFileSync(referencePath("cdnow", "cdnow_customers_summary_with_transactions.csv"), "utf8"));

  it("recovers p, q, v = 6.25, 3.74, 15.44 on the 946 repeat buyers (test_estimation.py 169-179, decimal=2)", () => {
    const r = rows();
    const fit = fitGammaGamma(
      r.map((x) => Number(x.x)),
      r.map((x) => Number(x.zbar)),
    );
    expect(fit.customers).toBe(946);
    decimal(fit.p, 6.25, 2);
    decimal(fit.q, 3.74, 2);
    decimal(fit.v, 15.44, 2);
    // REFERENCE.md section 3: log-likelihood −4055.92
    expect(Math.abs(fit.logLik - -4055.92)).toBeLessThan(0.01);
    expect(fit.frequencySpendCorrelation).not.toBeNull();
  });

  it("the analytic gradient matches central differences, and BFGS ends where a Nelder-Mead run does", () => {
    const r = rows().filter((x) => Number(x.x) > 0 && Number(x.zbar) > 0);
    const xs = r.map((x) => Number(x.x));
    const ms = r.map((x) => Number(x.zbar));
    const objective = gammaGammaObjective(xs, ms);
    const at = [Math.log(4), Math.log(5), Math.log(20)];
    expectGradientMatches(objective, at);
    const fit = fitGammaGamma(xs, ms);
    expect(fit.converged).toBe(true);
    const simplex = nelderMead((x) => objective(x), [0, Math.log(2), Math.log(30)]);
    expect(Math.abs(-simplex.fx - fit.logLik)).toBeLessThan(1e-6);
    [fit.p, fit.q, fit.v].forEach((v, i) => expect(Math.abs(Math.log(v) - simplex.x[i]!)).toBeLessThan(1e-4));
  });

  it("conditional expected average profit of IDs 1-10 at fixed p, q, v (test_estimation.py 181-192, atol 0.1)", () => {
    const r = rows().slice(0, 10);
    const expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    r.forEach((row, i) =>
      expect(
        Math.abs(
          conditionalExpectedSpend({ p: 6.25, q: 3.74, v: 15.44 }, Number(row.x), Number(row.zbar)) - expected[i]!,
        ),
      ).toBeLessThan(0.1),
    );
  });

  it("CLV of IDs 1-10 in lifetimes' convention: 12 steps of 30 weeks, 1% per step (docs/Quickstart.md 310-335)", () => {
    const r = rows();
    const bg = fitBgNbd({
      frequency: r.map((x) => Number(x.x)),
      recency: r.map((x) => Number(x.t_x)),
      T: r.map((x) => Number(x.T)),
    });
    const gg = fitGammaGamma(
      r.map((x) => Number(x.x)),
      r.map((x) => Number(x.zbar)),
    );
    const expected = [
      140.096211, 18.943467, 38.180574, 38.180574, 38.180574, 1003.868107, 28.109683, 38.180574, 167.418216, 38.180574,
    ];
    r.slice(0, 10).forEach((row, i) => {
      const x = Number(row.x),
        tx = Number(row.t_x),
        T = Number(row.T),
        m = Number(row.zbar);
      const clv = buyerClv(bg, conditionalExpectedSpend(gg, x, m), x, tx, T, {
        steps: 12,
        periodsPerStep: 30,
        discountPerStep: 0.01,
        margin: 1,
      });
      // The documented values come from lifetimes' own fit (printed to 6 decimals); ours differs in the 4th
      // significant digit.
      expect(Math.abs(clv / expected[i]! - 1), `ID ${i + 1}: ${clv}`).toBeLessThan(0.002);
    });
  });
});
