// Chart of the /at-risk page: value at risk by recommended action, split by loyalty × profitability quadrant.
import * as Plot from "@observablehq/plot";
import { categoryAxis } from "./axis.js";
import { QUADRANTS } from "./value-charts.js";

/** Quadrant colours shared with the segments page; cancelled customers have no quadrant. */
export const QUADRANT_COLORS = { ...QUADRANTS, "(none)": "#c9c9c9" };

/** cells: [{action, quadrant, value_at_risk, customers}] (valueByActionAndQuadrant). */
export function valueAtRiskChart(cells, { width } = {}) {
  const totals = new Map();
  for (const c of cells) totals.set(c.action, (totals.get(c.action) ?? 0) + c.value_at_risk);
  const actions = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a));
  const y = categoryAxis(actions, width);
  const quadrants = Object.keys(QUADRANT_COLORS).filter((q) => cells.some((c) => c.quadrant === q));
  return Plot.plot({
    title: "Value at risk by action and quadrant",
    subtitle: "Σ churn probability × CLV of the listed customers (currency)",
    width,
    height: Math.max(160, 28 * actions.length + 70),
    marginLeft: y.marginLeft,
    marginRight: 20,
    x: { label: "Value at risk (currency)", grid: true, ticks: Math.max(2, Math.floor((width ?? 640) / 90)) },
    y: { label: null, domain: actions, tickFormat: y.tickFormat },
    color: { legend: true, domain: quadrants, range: quadrants.map((q) => QUADRANT_COLORS[q]) },
    marks: [
      Plot.barX(
        cells.filter((c) => c.value_at_risk > 0),
        { x: "value_at_risk", y: "action", fill: "quadrant", tip: true, channels: { customers: "customers" } },
      ),
      Plot.ruleX([0]),
    ],
  });
}
