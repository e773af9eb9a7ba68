// Charts of the monthly report's acquisition economics (table acquisition_economics, one row per channel):
// (channels, {width}) => Plot figure. Channel names fit the left margin (cut with an ellipsis past 45% of the width);
// x ticks are thinned by width.
import * as Plot from "@observablehq/plot";
import { categoryAxis } from "./axis.js";

/** The LTV:CAC target drawn as a dashed rule (a common rule of thumb, not a fitted value). */
export const LTV_CAC_TARGET = 3;

const xTicks = (width) => Math.max(2, Math.floor((width ?? 640) / 80));
/** The monthly charts' bar colour: light enough for the dashed target rule to show across a bar. */
const BAR = "#9aa7b8";
const barsHeight = (n) => Math.max(160, 28 * n + 60);

/**
 * LTV ÷ CAC per channel on a log axis, bars from the axis' start, the 3× target dashed. Channels without a positive
 * ratio (no cost, no revenue yet) are left out. rows: [{value (channel), ltvToCac, …}].
 */
export function ltvToCacChart(channels, { width } = {}) {
  const ratios = channels.filter((d) => d.ltvToCac > 0);
  const domain = [
    Math.min(1, ...ratios.map((d) => d.ltvToCac)),
    Math.max(LTV_CAC_TARGET, ...ratios.map((d) => d.ltvToCac)) * 1.1,
  ];
  const order = ratios.slice().sort((a, b) => b.ltvToCac - a.ltvToCac);
  const y = categoryAxis(
    order.map((d) => d.value),
    width,
  );
  return Plot.plot({
    title: "LTV:CAC by acquisition channel",
    subtitle: `Lifetime value per acquired customer ÷ acquisition cost (dashed: ${LTV_CAC_TARGET}×, a common target)`,
    width,
    height: barsHeight(order.length),
    marginLeft: y.marginLeft,
    marginRight: 20,
    marginTop: 24,
    x: { label: "LTV ÷ CAC", grid: true, type: "log", domain, ticks: xTicks(width) },
    y: { label: null, domain: order.map((d) => d.value), tickFormat: y.tickFormat },
    marks: [
      Plot.barX(ratios, { x1: domain[0], x2: "ltvToCac", y: "value", fill: BAR, tip: true }),
      Plot.ruleX([LTV_CAC_TARGET], { strokeDasharray: "3,3" }),
      Plot.text([LTV_CAC_TARGET], { x: (d) => d, text: (d) => `${d}×`, frameAnchor: "top", dy: -14 }),
    ],
  });
}

/**
 * Months after signup until an average customer's margin covers their acquisition cost, per channel, shortest first.
 * Channels that have not paid back yet (no figure) are listed last with no bar. rows: [{value, paybackMonths, …}].
 */
export function cacPaybackChart(channels, { width } = {}) {
  const months = (d) => (d.paybackMonths == null || !Number.isFinite(d.paybackMonths) ? Infinity : d.paybackMonths);
  const order = channels.slice().sort((a, b) => months(a) - months(b));
  const y = categoryAxis(
    order.map((d) => d.value),
    width,
  );
  return Plot.plot({
    title: "CAC payback by acquisition channel",
    subtitle: "Months after signup until an average customer's margin covers their acquisition cost",
    width,
    height: barsHeight(order.length),
    marginLeft: y.marginLeft,
    marginRight: 20,
    marginTop: 24,
    x: { label: "Months", grid: true, nice: true, ticks: xTicks(width) },
    y: { label: null, domain: order.map((d) => d.value), tickFormat: y.tickFormat },
    marks: [
      Plot.barX(
        order.filter((d) => months(d) < Infinity),
        { x: "paybackMonths", y: "value", fill: BAR, tip: true },
      ),
      Plot.text(
        order.filter((d) => months(d) === Infinity),
        { x: 0, y: "value", text: () => "not yet", textAnchor: "start", dx: 4, fill: "currentColor" },
      ),
      Plot.ruleX([0]),
    ],
  });
}
