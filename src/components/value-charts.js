// Charts of the customer value and segments pages: (data, {width, …}) => Plot figure. Margins fit the widest tick
// label at any magnitude; crowded ordinal axes show every k-th label.
import * as Plot from "@observablehq/plot";
import { interpolateBlues } from "d3";
import { bandTicks, categoryAxis, marginFor, numericMargin } from "./axis.js";

/** Histogram of 12-month CLV by kind of customer (bins from the loader). */
export function clvHistogram(histogram, { width, horizonMonths = 12 } = {}) {
  // Bars of different kinds stack: the tallest stack sets the y extent.
  const stacks = new Map();
  for (const d of histogram) stacks.set(d.bin_start, (stacks.get(d.bin_start) ?? 0) + d.customers);
  const marginLeft = numericMargin([...stacks.values()], { zero: true });
  return Plot.plot({
    title: "Distribution of customer lifetime value",
    subtitle: `Discounted expected margin over the next ${horizonMonths} months, active customers (values above the \
99th percentile in the last bin)`,
    width,
    height: 260,
    marginLeft,
    marginRight: 30,
    x: { label: "CLV (currency)", ticks: Math.max(2, Math.floor((width ?? 640) / 90)) },
    y: { label: "Customers", grid: true },
    color: { legend: true },
    marks: [
      Plot.rectY(histogram, {
        x1: "bin_start",
        x2: (d) => d.bin_start + d.bin_width,
        y: "customers",
        fill: "kind",
        tip: true,
      }),
      Plot.ruleY([0]),
    ],
  });
}

/** BG/NBD P(alive) over repeat purchases × recency (weeks); the recency axis shows every k-th week. */
export function pAliveHeatmap(grid, { width } = {}) {
  const weeks = [...new Set(grid.map((d) => d.recency_weeks))].sort((a, b) => a - b);
  const frequencies = [...new Set(grid.map((d) => d.frequency))].sort((a, b) => a - b);
  const marginLeft = marginFor(frequencies);
  return Plot.plot({
    title: "Probability a one-off buyer is still active",
    subtitle: "BG/NBD P(alive) by repeat purchases and weeks between first and last purchase",
    width,
    height: 320,
    padding: 0,
    marginLeft,
    marginRight: 10,
    x: {
      label: "Recency (weeks from first to last purchase)",
      type: "band",
      domain: weeks,
      ticks: bandTicks(weeks, width, marginLeft, 10),
    },
    y: { label: "Repeat purchases (20 = 20+)", type: "band", domain: frequencies, reverse: true },
    color: { scheme: "ylgn", domain: [0, 1], legend: true, label: "P(alive)", tickFormat: "%" },
    marks: [Plot.cell(grid, { x: "recency_weeks", y: "frequency", fill: "p_alive", tip: true })],
  });
}

/** Mean holdout purchases by calibration purchases: actual against BG/NBD's conditional expectation. */
export function holdoutChart(holdout, { width, holdoutLabel = "holdout" } = {}) {
  const rows = holdout.flatMap((d) => [
    { frequency: d.frequency, kind: "actual", value: d.actual },
    { frequency: d.frequency, kind: "predicted (BG/NBD)", value: d.predicted },
  ]);
  const marginLeft = numericMargin(
    rows.map((d) => d.value),
    { zero: false },
  );
  const frequencies = holdout.map((d) => d.frequency);
  return Plot.plot({
    title: "Calibration vs holdout",
    subtitle: `Mean purchases in the ${holdoutLabel}, by purchases in calibration`,
    width,
    height: 320,
    marginLeft,
    x: {
      label: "Repeat purchases in calibration",
      type: "band",
      domain: frequencies,
      ticks: bandTicks(frequencies, width, marginLeft),
    },
    y: { label: "Purchases in holdout (mean per customer)", grid: true },
    color: { legend: true },
    marks: [Plot.lineY(rows, { x: "frequency", y: "value", stroke: "kind", marker: true, tip: true })],
  });
}

/** Cumulative repeat purchases per week, actual and model; the rule marks the end of calibration. */
export function trackingChart(tracking, { width, end } = {}) {
  const rows = tracking.flatMap((d) => [
    { week: new Date(d.week), kind: "actual", v: d.actual_cumulative },
    { week: new Date(d.week), kind: "predicted", v: d.predicted_cumulative },
  ]);
  const marginLeft = numericMargin(rows.map((d) => d.v));
  return Plot.plot({
    title: "Tracking: cumulative repeat purchases, actual vs model",
    subtitle: `Model fitted on data up to ${end}; after it the prediction is out of sample`,
    width,
    height: 280,
    marginLeft,
    marginRight: 20,
    x: { label: "Week", type: "utc", ticks: Math.max(2, Math.floor((width ?? 640) / 90)) },
    y: { label: "Cumulative repeat purchases", grid: true },
    color: { legend: true },
    marks: [
      Plot.lineY(rows, { x: "week", y: "v", stroke: "kind", tip: true }),
      end ? Plot.ruleX([new Date(end)], { strokeDasharray: "4,3" }) : null,
    ],
  });
}

/** Quadrant colours, shared with the at-risk page's chart. */
export const QUADRANTS = {
  "true friends": "#2b8a3e",
  butterflies: "#1c7ed6",
  barnacles: "#f08c00",
  strangers: "#868e96",
};

/** Loyalty × value scatter (groups of similar customers, area = count) with the quadrant thresholds. */
export function quadrantScatter(scatter, { width, thresholds, valueLabel } = {}) {
  const points = scatter.filter((d) => d.clv > 0);
  // A log axis labels powers of ten (and 2, 5 × them when room): the largest label decides the margin.
  const top = Math.max(1, ...points.map((d) => d.clv));
  const marginLeft = marginFor([10 ** Math.ceil(Math.log10(top))].map((v) => v.toLocaleString("en-US")));
  return Plot.plot({
    title: "Customers by expected loyalty and value (Reinartz & Kumar)",
    subtitle: `Each dot is a group of similar customers (size = count); lines are the thresholds: ${valueLabel}`,
    width,
    height: 420,
    marginLeft,
    x: { label: "Expected months as a customer in the next 12 (loyalty)" },
    y: { label: "CLV (currency, log scale)", type: "log" },
    r: { range: [1.5, 12] },
    color: { domain: Object.keys(QUADRANTS), range: Object.values(QUADRANTS), legend: true },
    marks: [
      Plot.dot(points, {
        x: "loyalty_months",
        y: "clv",
        r: "customers",
        fill: "quadrant",
        fillOpacity: 0.6,
        tip: true,
      }),
      Plot.ruleX([thresholds.loyaltyMonths], { strokeDasharray: "4,3" }),
      Plot.ruleY([Math.max(1, thresholds.value)], { strokeDasharray: "4,3" }),
    ],
  });
}

/** Value tiers in their order, and where each sits on the one sequential scheme (Blues; darker = more valuable). */
export const TIERS = ["high", "mid", "low"];
const TIER_SHADES = [0.85, 0.6, 0.35];

/**
 * Share of customers and of CLV per value tier, tiers stacked high → mid → low in one sequential scheme (darkest =
 * most valuable).
 */
export function tierChart(tiers, { width } = {}) {
  const total = tiers.reduce((s, x) => s + x.customers, 0);
  const value = tiers.reduce((s, x) => s + x.clv, 0);
  const rows = TIERS.flatMap((tier) => {
    const d = tiers.find((t) => t.tier === tier);
    return d
      ? [
          { what: "customers", tier, share: d.customers / total },
          { what: "CLV", tier, share: d.clv / value },
        ]
      : [];
  });
  const y = categoryAxis(["customers", "CLV"], width);
  return Plot.plot({
    title: "Value tiers: share of customers and of value",
    subtitle: "High = top 20% by CLV, mid = next 30%, low = the rest (active customers)",
    width,
    height: 200,
    marginLeft: y.marginLeft,
    marginRight: 20,
    x: { label: "Share (%)", percent: true },
    y: { label: null, domain: ["customers", "CLV"] },
    color: { legend: true, type: "ordinal", domain: TIERS, range: TIER_SHADES.map(interpolateBlues) },
    marks: [Plot.barX(rows, { x: "share", y: "what", fill: "tier", order: TIERS, tip: true })],
  });
}
