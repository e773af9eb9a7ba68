/**
 * Data that cannot be fitted gives a clear UserError (and a one-line CLI message, exit code ≠ 0, no stack trace);
 * extreme but valid histories never give NaN or Infinity.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isUserError, type UserError } from "../loaders/errors.ts";
import { createRandom } from "../loaders/random.ts";
import { fitBgNbdOnWorker, runningWorkers, stopForestWorkers, workerCount } from "../models/workers/pool.ts";
import {
  conditionalExpectedPurchases,
  expectedPurchases,
  fitBgNbd,
  probabilityAlive,
  purchaseCountProbability,
} from "../models/value/bgnbd.ts";
import { buyerClv } from "../models/value/clv.ts";
import { conditionalExpectedSpend, fitGammaGamma } from "../models/value/gamma-gamma.ts";
import { runChurn } from "./helpers/cli.ts";
import {
  betaPowerMean,
  betaPowerMeanByQuadrature,
  betaPowerMeanNearPoint,
  purchaseInWindow,
} from "../models/forecast/buyer-activity.ts";
import { buyerModelOf, drawBuyerParams } from "../models/forecast/rates.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const userErrorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    expect(isUserError(error)).toBe(true);
    return error as Error;
  }
  throw new Error("expected a UserError");
};

describe("degenerate data", () => {
  it("no repeat buyers, a single customer, all-zero frequency: UserErrors that say why", () => {
    expect(userErrorOf(() => fitBgNbd({ frequency: [0, 0, 0], recency: [0, 0, 0], T: [10, 20, 30] })).message).toMatch(
      /no customer made a repeat purchase/,
    );
    expect(userErrorOf(() => fitBgNbd({ frequency: [3], recency: [5], T: [10] })).message).toMatch(
      /at least 2 customers/,
    );
    expect(userErrorOf(() => fitGammaGamma([0, 0, 2], [0, 0, 10])).message).toMatch(/at least 2 repeat buyers/);
  });

  it("extreme histories with CDNOW's parameters stay finite", () => {
    const p = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const values = [
      probabilityAlive(p, 500, 0, 1e6),
      probabilityAlive(p, 1, 1e6, 1e6),
      conditionalExpectedPurchases(p, 1000, 500, 1e4, 1e4),
      conditionalExpectedPurchases(p, 52, 0, 0, 0),
      expectedPurchases(p, 1e4),
      purchaseCountProbability(p, 1000, 200),
      buyerClv(p, conditionalExpectedSpend({ p: 6.25, q: 3.74, v: 15.44 }, 500, 1e5), 500, 1e4, 1e4, {
        steps: 12,
        periodsPerStep: 4.35,
        discountPerStep: 0.01,
        margin: 1,
      }),
    ];
    for (const v of values) expect(Number.isFinite(v), String(v)).toBe(true);
  });

  it("the CLI reports unfittable data in one line with a non-zero exit code", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-clv-degenerate-"));
    writeFileSync(join(dir, "t.csv"), "cust,day,amt\nA,2024-01-05,10\nB,2024-02-01,20\nC,2024-03-01,5\n");
    const r = runChurn([
      "clv",
      "--transactions",
      join(dir, "t.csv"),
      "--customer",
      "cust",
      "--date",
      "day",
      "--amount",
      "amt",
      "--calibration-end",
      "2024-06-30",
      "--json",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/repeat purchase/);
    expect(r.stderr).not.toMatch(/ {4}at /);
    expect(r.stdout).not.toMatch(/NaN|Infinity/);
  });
});

describe("a BG/NBD fit on a handful of buyers (the forecast of a five-customer business)", () => {
  // fitBgNbd on the two buyers of the sample's first five customers, as of 2026-09-19 (weeks): a boundary fit with
  // a and b in the millions and a log-variance of 4,036 for ln a. Its window chances and parameter draws were NaN.
  const fit = fitBgNbd({ frequency: [9, 1], recency: [38.5714, 56.7143], T: [149.7143, 59.4286] });

  it("is the boundary fit described above", () => {
    expect(fit.a).toBeGreaterThan(1e5);
    expect(fit.logCovariance![2]![2]).toBeGreaterThan(100);
  });

  it("the Beta mean by quadrature equals the series where both can be evaluated (to 1e-12)", () => {
    for (const [m, a, beta, u] of [
      [2.3, 1.5, 3, 0.8],
      [3, 0.9, 5.5, 2],
      [10, 50, 200, 0.5],
      [0.5, 0.2, 0.3, 5],
    ] as const)
      expect(Math.abs(betaPowerMeanByQuadrature(m, a, beta, u) - betaPowerMean(m, a, beta, u))).toBeLessThan(1e-12);
  });

  it("near a point mass, the delta method equals the quadrature (to 1e-9 of the value)", () => {
    // The fit above and the six-month shop fit (a = 86,214, b = 5.6e6), at the window lengths a forecast asks for.
    for (const [m, a, beta] of [
      [fit.r + 9, fit.a, fit.b + 9],
      [6.36 + 3, 86_214, 5_576_313 + 3],
      [2, 2e4, 3e4],
    ] as const)
      for (const u of [0.01, 0.3, 2]) {
        const exact = betaPowerMeanByQuadrature(m, a, beta, u);
        expect(Math.abs(betaPowerMeanNearPoint(m, a, beta, u) / exact - 1)).toBeLessThan(1e-9);
      }
  });

  it("gives finite window chances: near the point mass (1 + p̄u)^(−m) where the series would overflow", () => {
    const [m, a, beta] = [fit.r + 9, fit.a, fit.b + 9];
    for (const u of [1e-4, 0.3, 2]) {
      const value = betaPowerMean(m, a, beta, u);
      // The Beta's variance is about 1.6e-9: the second-order term of the delta method is below 1e-7.
      expect(Math.abs(value - (1 + (a / (a + beta)) * u) ** -m)).toBeLessThan(1e-7);
    }
    for (const s of [0, 4, 13, 26])
      expect(Number.isFinite(purchaseInWindow(fit, 9, 38.57, 149.71, s, 13.7))).toBe(true);
  });

  it("its parameter draws for the forecast's bands are finite and positive", () => {
    const model = buyerModelOf(fit).model!;
    const rng = createRandom(3);
    for (let i = 0; i < 2000; i++)
      for (const v of Object.values(drawBuyerParams(model, rng))) expect(v > 0 && Number.isFinite(v)).toBe(true);
  });

  it("`churn build` of the five-customer business runs every stage and writes a forecast without gaps", () => {
    // The sample's customers C0000001-C0000005 with their orders and subscriptions: two of them repeat buyers.
    const source = mkdtempSync(join(tmpdir(), "churn-five-source-"));
    for (const file of ["customers.csv", "transactions.csv", "subscriptions.csv"]) {
      const [header, ...rows] = readFileSync(join(PROJECT_ROOT, "data", "sample", file), "utf8").split("\n");
      writeFileSync(join(source, file), [header, ...rows.filter((l) => /^C000000[1-5],/.test(l))].join("\n") + "\n");
    }
    const out = mkdtempSync(join(tmpdir(), "churn-five-"));
    const r = runChurn(["build", "--source", source, "--db", join(out, "w.duckdb"), "--no-site", "--json"]);
    expect(r.stderr).not.toMatch(/unexpected failure/);
    expect(r.code).toBe(0);
    type Stage = { stage: string; ran: boolean; summary?: { customersIn6Months?: number; notes?: string[] } };
    const stages = (JSON.parse(r.stdout) as { stages: Stage[] }).stages;
    const forecast = stages.find((s) => s.stage === "forecast");
    expect(forecast?.ran).toBe(true);
    expect(Number.isFinite(forecast?.summary?.customersIn6Months)).toBe(true);
    // The survival page says why it has no Cox model.
    expect(JSON.stringify(stages.find((s) => s.stage === "survival")?.summary)).toMatch(
      /no subscriber has churned yet/,
    );
    // The value page says the buyers' fits rest on two customers.
    expect(stages.find((s) => s.stage === "value")?.summary?.notes?.join(" ")).toMatch(
      /fitted on 2 one-off buyers of whom 2 bought again: too few for reliable parameters/,
    );
  }, 120_000);
});

describe("BG/NBD fitted on a worker thread", () => {
  it("gives exactly the fit made in this thread, and its UserErrors come back as UserErrors", async () => {
    // A seeded summary of 3,000 buyers simulated from BG/NBD itself (r, α, a, b = 0.25, 4, 0.8, 2.5, near CDNOW's):
    // purchases at rate λ ~ Gamma(r, α) until a dropout with p ~ Beta(a, b) after each one, over 10 to 50 weeks.
    const rng = createRandom(5);
    const n = 3000;
    const frequency = new Float64Array(n);
    const recency = new Float64Array(n);
    const T = Float64Array.from({ length: n }, () => 10 + rng.int(40));
    for (let i = 0; i < n; i++) {
      const lambda = rng.gamma(0.25, 4);
      const p = rng.beta(0.8, 2.5);
      for (let t = -Math.log(1 - rng.next()) / lambda; t <= T[i]!; t += -Math.log(1 - rng.next()) / lambda) {
        frequency[i]! += 1;
        recency[i] = t;
        if (rng.next() < p) break;
      }
    }
    const data = { frequency, recency, T };
    // Small fits run in this thread by default (a worker's start-up costs more); 0 sends even this one to the pool.
    await stopForestWorkers();
    await fitBgNbdOnWorker(data);
    expect(runningWorkers()).toBe(0);
    const fitted = await fitBgNbdOnWorker(data, true, 0);
    // It ran on the pool when there is one (two cores, or CHURN_FOREST_WORKERS ≥ 2).
    if (workerCount(2) > 1) expect(runningWorkers()).toBeGreaterThan(0);
    expect(fitted).toEqual(fitBgNbd(data));
    expect(fitted.logCovariance).not.toBeNull();
    expect((await fitBgNbdOnWorker(data, false, 0)).logCovariance).toBeNull();
    const failed = await fitBgNbdOnWorker({ frequency: [0, 0, 0], recency: [0, 0, 0], T: [10, 20, 30] }, true, 0).catch(
      (e: unknown) => e,
    );
    expect(isUserError(failed)).toBe(true);
    expect((failed as Error).message).toMatch(/no customer made a repeat purchase/);
    expect((failed as UserError).hint).toMatch(/longer calibration period/);
    await stopForestWorkers();
  }, 60_000);
});
