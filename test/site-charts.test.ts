/**
 * Chart factories of the site (src/components/*-charts.js) rendered under a DOM (jsdom, as Plot's own tests do) from
 * small made-up data: the marks, order and labels each factory promises. Plot finds the DOM through `window`; with no
 * global `document`, src/components/axis.js estimates label widths (6.5 px a character), so margins are deterministic.
 */
// @ts-expect-error: jsdom ships no type declarations here (it comes with @observablehq/framework)
import { JSDOM } from "jsdom";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain browser module without type declarations
import { cacPaybackChart, ltvToCacChart } from "../src/components/acquisition-charts.js";
// @ts-expect-error: a plain browser module without type declarations
import { calibrationByKindChart } from "../src/components/model-charts.js";
// @ts-expect-error: a plain browser module without type declarations
import { monthlyTouchesChart, monthWorkloadChart } from "../src/components/plan-charts.js";
// @ts-expect-error: a plain browser module without type declarations
import { buyerChurnChart, churnRateChart } from "../src/components/monthly-charts.js";
// @ts-expect-error: a plain browser module without type declarations
import { kaplanMeierChart } from "../src/components/survival-charts.js";
// @ts-expect-error: a plain browser module without type declarations
import { cohortCurveChart, cohortSizesChart } from "../src/components/cohort-charts.js";

const g = globalThis as { window?: unknown };
beforeAll(() => {
  g.window = new JSDOM("<!DOCTYPE html><body></body>").window;
});
afterAll(() => {
  delete g.window;
});

const texts = (root: Element, selector: string) => [...root.querySelectorAll(selector)].map((e) => e.textContent);
const yTicks = (figure: Element) => texts(figure, "g[aria-label='y-axis tick label'] text");
const xTicks = (figure: Element) => texts(figure, "g[aria-label='x-axis tick label'] text");
const count = (figure: Element, selector: string) => figure.querySelectorAll(selector).length;

describe("acquisition charts", () => {
  const channels = [
    { value: "events", ltvToCac: 2, paybackMonths: 6 },
    { value: "organic", ltvToCac: 40, paybackMonths: 0.5 },
    { value: "no_cost", ltvToCac: null, paybackMonths: null },
    { value: "refunds", ltvToCac: 0, paybackMonths: 3 },
  ];

  it("LTV:CAC: one bar per positive ratio, best first, all from the axis' start, the 3× target labelled", () => {
    const chart = ltvToCacChart(channels, { width: 390 });
    // no_cost (null) and refunds (0) have no ratio to draw on a log axis.
    expect(yTicks(chart)).toEqual(["organic", "events"]);
    const bars = [...chart.querySelectorAll("g[aria-label='bar'] rect")];
    expect(bars).toHaveLength(2);
    // Domain [min(1, 2), max(3, 40) × 1.1] = [1, 44]: every bar starts at x = 1, the left edge of the plot area.
    const starts = new Set(bars.map((r) => r.getAttribute("x")));
    expect(starts.size).toBe(1);
    const ruleX = Number(chart.querySelector("g[aria-label='rule'] line")?.getAttribute("x1"));
    expect(Number([...starts][0])).toBeLessThan(ruleX);
    expect(texts(chart, "g[aria-label='text'] text")).toEqual(["3×"]);
  });

  it("CAC payback: shortest first, channels not yet paid back last with a note and no bar", () => {
    const chart = cacPaybackChart(channels, { width: 390 });
    expect(yTicks(chart)).toEqual(["organic", "refunds", "events", "no_cost"]);
    expect(count(chart, "g[aria-label='bar'] rect")).toBe(3);
    expect(texts(chart, "g[aria-label='text'] text")).toEqual(["not yet"]);
  });

  it("a channel name too long for 45% of a phone-width chart is cut with an ellipsis", () => {
    const long = "a_partner_programme_with_a_very_long_name_indeed";
    const chart = ltvToCacChart([{ value: long, ltvToCac: 5 }], { width: 300 });
    const [label] = yTicks(chart);
    expect(label).not.toBe(long);
    expect(label?.endsWith("…")).toBe(true);
    // 45% of 300 px = 135 px of margin, 12 px of it for the tick: at 6.5 px a character at most 18 characters fit.
    expect(label!.length).toBeLessThanOrEqual(18);
  });
});

describe("reliability by kind", () => {
  it("draws one curve per kind, a dot per bin, and the legend in the card's order", () => {
    const bins = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ meanPredicted: (i + 0.5) / n, observed: (i + 0.4) / n, count: 10 + i }));
    const chart = calibrationByKindChart(
      [
        { kind: "subscriber", reliability: bins(2) },
        { kind: "buyer", reliability: bins(3) },
      ],
      { width: 640 },
    );
    expect(texts(chart, "[class$='-swatch']").map((t) => t?.trim())).toEqual(["Subscribers", "One-off buyers"]);
    expect(count(chart, "g[aria-label='dot'] circle")).toBe(5);
    // The dashed diagonal and one line per kind.
    expect(count(chart, "g[aria-label='line'] path")).toBe(3);
  });
});

describe("plan charts", () => {
  const months = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, "0")}`);
  // Made-up workload: in 2026-03, "support" has 5 + 7 = 12 touches, "account managers" 30, "marketing" 4.
  const workload = [
    { month: "2026-03", team: "support", channel: "phone", touches: 5 },
    { month: "2026-03", team: "support", channel: "email", touches: 7 },
    { month: "2026-03", team: "account managers", channel: "phone", touches: 30 },
    { month: "2026-03", team: "marketing", channel: "email", touches: 4 },
    ...months.map((month, i) => ({ month, team: "marketing", channel: "email", touches: 1000 + i })),
  ];

  it("this month's workload: only the month's touches, busiest team first, a bar per team and channel", () => {
    const chart = monthWorkloadChart(workload, { width: 640, month: "2026-03" });
    expect(yTicks(chart)).toEqual(["marketing", "account managers", "support"]);
    // marketing in 2026-03: 4 + 1002 by e-mail, one stacked segment; support two; account managers one.
    expect(count(chart, "g[aria-label='bar'] rect")).toBe(4);
    expect(chart.querySelector("h2")?.textContent).toBe("Touches due in 2026-03, per team and channel");
  });

  it("touches per month: every month at desktop width, every k-th at phone width, months in order", () => {
    const wide = monthlyTouchesChart(workload, { width: 1280 });
    expect(xTicks(wide)).toEqual(months);
    const phone = monthlyTouchesChart(workload, { width: 390 });
    const shown = xTicks(phone);
    expect(shown.length).toBeLessThan(months.length);
    expect(shown[0]).toBe(months[0]);
    const step = months.indexOf(shown[1]!);
    expect(step).toBeGreaterThan(1);
    expect(shown).toEqual(months.filter((_, i) => i % step === 0));
    // The y axis reaches 1,048 (2026-03: 1002 + 5 + 7 + 30 + 4 = 1,048): its labels carry a thousands separator.
    expect(yTicks(phone).some((t) => t?.includes(","))).toBe(true);
  });
});

describe("monthly churn rate charts", () => {
  const months = ["2026-01", "2026-02", "2026-03"].map((month) => ({ month, churnRate: 0, start: 3, lost: 0 }));

  it("a business with no churn at all: bars of zero height on a 0–1% axis, not full-height bars on [0, 0]", () => {
    for (const chart of [churnRateChart(months, { width: 640 }), buyerChurnChart(months, { width: 640 })]) {
      const ticks = yTicks(chart);
      expect(Number(ticks[0])).toBe(0);
      expect(Number(ticks.at(-1))).toBe(1);
      const heights = [...chart.querySelectorAll("g[aria-label='bar'] rect")].map((r) =>
        Number(r.getAttribute("height")),
      );
      expect(heights).toHaveLength(3);
      for (const h of heights) expect(h).toBe(0);
    }
  });

  it("with churn, Plot's own domain from zero", () => {
    const chart = churnRateChart(
      months.map((m, i) => ({ ...m, churnRate: 0.02 * i })),
      { width: 640 },
    );
    expect(Number(yTicks(chart).at(-1))).toBeGreaterThanOrEqual(4);
  });
});

describe("Kaplan-Meier chart", () => {
  it("every curve starts at day 0 and 100%, though the table's first time is a later censoring", () => {
    const rows = [319, 427, 982].map((t_days, i) => ({ grp: "all", t_days, survival: 1, lower: 1, upper: 1, i }));
    const chart = kaplanMeierChart(rows, { width: 640, timeLabel: "Tenure (days)" });
    expect(xTicks(chart)[0]).toBe("0");
    const path = chart.querySelector("g[aria-label='line'] path")?.getAttribute("d") ?? "";
    const firstX = Number(/^M([\d.]+)/.exec(path)?.[1]);
    const zeroTick = chart.querySelector("g[aria-label='x-axis tick'] path")?.getAttribute("transform") ?? "";
    expect(zeroTick).toContain(`translate(${firstX},`);
  });
});

describe("cohort charts of a business of a few customers", () => {
  it("cohort sizes are counted in whole numbers, and one customer is 'customer'", () => {
    const sizes = ["2024-01", "2025-07", "2025-11"].map((cohort) => ({ cohort, size: 1 }));
    expect(yTicks(cohortSizesChart(sizes, { width: 640, cohort: "2024-01" }))).toEqual(["0", "1"]);
    const picked = [{ k: 0, retention: 1, revenue: 1, gross: 1 }];
    const curve = cohortCurveChart(picked, { width: 640, cohort: "2024-01", size: "1" });
    expect(curve.textContent).toContain("1 customer acquired");
  });
});
