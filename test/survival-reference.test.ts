/**
 * Kaplan-Meier and log-rank against the values that lifelines' test suite asserts (and that lifelines checks against
 * R), on the files in ../shared/data/survival. Each expectation cites the upstream file and lines (REFERENCE.md
 * section 2).
 */
import { readFileSync } from "node:fs";
import { csvParse } from "d3-dsv";
import { describe, expect, it } from "vitest";
import { kaplanMeier, survivalAt } from "../models/survival/kaplan-meier.ts";
import { logRankTest } from "../models/survival/log-rank.ts";
import { describeWithReference, referencePath } from "./helpers/reference.ts";

const csv = (name: string) => csvParse(readFileSync(referencePath("survival", name), "utf8"));
const rtol = (actual: number, expected: number, tol: number) =>
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol * Math.abs(expected));

describeWithReference("Kaplan-Meier and log-rank vs lifelines / R", () => {
  it("g3.csv: survival of RIT and Control (lifelines tests/test_estimation.py 1275-1286, rtol 1%)", () => {
    const rows = csv("g3.csv");
    const fit = (rit: boolean) => {
      const g = rows.filter((r) => (r.group === "RIT") === rit);
      return kaplanMeier(
        g.map((r) => Number(r.time)),
        g.map((r) => r.event === "True"),
      );
    };
    const rit = fit(true);
    [
      [25, 0.909],
      [53, 0.779],
    ].forEach(([t, s]) => rtol(survivalAt(rit, t!).survival, s!, 0.01));
    const control = fit(false);
    [
      [9, 0.833],
      [19, 0.667],
      [32, 0.5],
      [34, 0.333],
    ].forEach(([t, s]) => rtol(survivalAt(control, t!).survival, s!, 0.01));
    expect(rit.n).toBe(11);
    expect(control.n).toBe(6);
  });

  it("g3.csv: Control's 95% log-log band matches R conf.type = 'log-log' (lifelines 1302-1313, rtol 0.1%)", () => {
    const g = csv("g3.csv").filter((r) => r.group !== "RIT");
    const curve = kaplanMeier(
      g.map((r) => Number(r.time)),
      g.map((r) => r.event === "True"),
    );
    const lower = [0.2731, 0.1946, 0.1109, 0.0461];
    const upper = [0.975, 0.904, 0.804, 0.676];
    [9, 19, 32, 34].forEach((t, i) => {
      rtol(survivalAt(curve, t).lower, lower[i]!, 1e-3);
      rtol(survivalAt(curve, t).upper, upper[i]!, 1e-3);
    });
  });

  it("g3.csv: log-rank RIT vs the rest, p = 0.0138 ± 0.0001 (lifelines tests/test_statistics.py 33-41)", () => {
    const rows = csv("g3.csv");
    const result = logRankTest(
      rows.map((r) => Number(r.time)),
      rows.map((r) => r.event === "True"),
      rows.map((r) => (r.group === "RIT" ? "RIT" : "other")),
    );
    expect(Math.abs(result.p - 0.0138)).toBeLessThan(1e-4);
    expect(result.df).toBe(1);
  });

  it("dd.csv: median survival 4.0, all 1,808 rows (lifelines docs/Survival analysis with lifelines.rst 98-101)", () => {
    const rows = csv("dd.csv");
    const curve = kaplanMeier(
      rows.map((r) => Number(r.duration)),
      rows.map((r) => Number(r.observed)),
    );
    expect(curve.n).toBe(1808);
    expect(curve.median).toBe(4);
  });

  it("lymphoma.csv: k-group log-rank by Stage_group, χ² 6.70971, p 0.0096 (lifelines test_statistics.py 83-88)", () => {
    const rows = csv("lymphoma.csv");
    const result = logRankTest(
      rows.map((r) => Number(r.Time)),
      rows.map((r) => Number(r.Censor)),
      rows.map((r) => r.Stage_group!),
    );
    expect(Math.abs(result.chisq - 6.70971)).toBeLessThan(1e-4);
    expect(Math.abs(result.p - 0.0096)).toBeLessThan(1e-4);
  });

  it("anderson.csv: Wilcoxon 13.4579, Tarone-Ware 15.1236, Peto 14.0841 (lifelines 117-155; Kleinbaum & Klein)", () => {
    const lines = readFileSync(referencePath("survival", "anderson.csv"), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/).map(Number));
    const t = lines.map((l) => l[0]!);
    const status = lines.map((l) => l[1]!);
    const rx = lines.map((l) => String(l[4]));
    expect(Math.abs(logRankTest(t, status, rx, "wilcoxon").chisq - 13.457852)).toBeLessThan(1e-5);
    expect(Math.abs(logRankTest(t, status, rx, "tarone-ware").chisq - 15.123575)).toBeLessThan(1e-5);
    expect(Math.abs(logRankTest(t, status, rx, "peto").chisq - 14.084139)).toBeLessThan(1e-5);
  });
});

describe("Kaplan-Meier with weights and late entry (lifelines test_estimation.py, inline data)", () => {
  it("case weights give lifelines' exact survival function (lines 1344-1352)", () => {
    const curve = kaplanMeier([0.6, 0.4, 0.8, 0.9], [0, 1, 1, 0], { weights: [1.5, 2, 0.8, 0.9] });
    // timeline 0, 0.4, 0.6, 0.8, 0.9
    expect([0, 0.4, 0.6, 0.8, 0.9].map((t) => survivalAt(curve, t).survival)).toEqual(
      [1.0, 0.6153846153846154, 0.6153846153846154, 0.32579185520362, 0.32579185520362].map((x, i) =>
        i === 3 || i === 4 ? expect.closeTo(x, 13) : x,
      ),
    );
  });

  it("late entry matches R (lines 1354-1370)", () => {
    const T = [2, 10, 5, 4, 3];
    const ones = [1, 1, 1, 1, 1];
    const a = kaplanMeier(T, ones, { entry: [1.9, 0, 0, 0, 0] });
    expect([0, 1.9, 2, 3, 4, 5, 10].map((t) => survivalAt(a, t).survival)).toEqual(
      [1, 1, 0.8, 0.6, 0.4, 0.2, 0].map((x) => expect.closeTo(x, 12)),
    );
    const b = kaplanMeier(T, ones, { entry: [1, 2, 4, 0, 0] });
    const expected = [1.0, 1.0, 0.667, 0.444, 0.222, 0.111, 0.0];
    [0, 1, 2, 3, 4, 5, 10].forEach((t, i) =>
      expect(Math.abs(survivalAt(b, t).survival - expected[i]!)).toBeLessThanOrEqual(0.01 * expected[i]! + 1e-12),
    );
  });

  it("median is null when the curve never reaches 0.5, and the restricted mean integrates the steps", () => {
    const curve = kaplanMeier([1, 2, 3, 4], [1, 0, 0, 0]);
    expect(curve.median).toBeNull();
    // S = 0.75 from t = 1: RMST to 4 = 1 · 1 + 0.75 · 3 = 3.25
    expect(curve.restrictedMean).toBeCloseTo(3.25, 12);
  });
});

describeWithReference("Cox proportional hazards vs R coxph (Efron ties) on the Rossi recidivism data", () => {
  it("matches published coefficients and standard errors (Fox & Weisberg, Cox appendix; lifelines docs)", async () => {
    const { fitCox } = await import("../models/survival/cox.ts");
    const rows = csvParse(readFileSync(referencePath("survival", "rossi.csv"), "utf8"));
    const names = ["fin", "age", "race", "wexp", "mar", "paro", "prio"];
    const fit = fitCox(
      rows.map((r) => names.map((k) => Number(r[k]))),
      rows.map((r) => Number(r.week)),
      rows.map((r) => Number(r.arrest)),
      names,
    );
    // R: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi)
    const expected: Record<string, [number, number]> = {
      fin: [-0.37942, 0.19138],
      age: [-0.05744, 0.022],
      race: [0.3139, 0.30799],
      wexp: [-0.1498, 0.21222],
      mar: [-0.4337, 0.38187],
      paro: [-0.08487, 0.19576],
      prio: [0.0915, 0.02865],
    };
    for (const t of fit.terms) {
      expect(Math.abs(t.coef - expected[t.term]![0]), t.term).toBeLessThan(5e-5);
      expect(Math.abs(t.se - expected[t.term]![1]), t.term).toBeLessThan(5e-5);
    }
    expect(fit.n).toBe(432);
    expect(fit.events).toBe(114);
    // lifelines reports a concordance of 0.64 for this model.
    expect(Math.abs(fit.concordance - 0.64)).toBeLessThan(0.005);
  });

  it("a hazard ratio the data cannot bound (monotone likelihood) is refused, not kept as Infinity", async () => {
    const { fitCox } = await import("../models/survival/cox.ts");
    // Every Pro subscriber churned and every other one but the last five stayed: the Pro coefficient's likelihood
    // rises without end (R's coxph: "coefficient may be infinite"); its interval's upper end overflowed to Infinity
    // and a build of two months' exports failed writing it.
    const x: number[][] = [];
    const time: number[] = [];
    const event: number[] = [];
    const add = (pro: number, t: number, e: number, i: number) => {
      x.push([pro, i % 2]);
      time.push(t);
      event.push(e);
    };
    for (let i = 0; i < 10; i++) add(1, 5 + i, 1, i);
    for (let i = 0; i < 30; i++) add(0, 3 + i, 0, i);
    for (let i = 0; i < 5; i++) add(0, 40 + i, 1, i);
    expect(() => fitCox(x, time, event, ["plan=Pro", "segment=SMB"])).toThrow(
      /hazard ratio of plan=Pro may be infinite/,
    );
  });
});
