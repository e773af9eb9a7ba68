// Charts of the data-quality page: (data, {width}) => Plot figure.
import * as Plot from "@observablehq/plot";
import { bandTicks, categoryAxis, numericMargin } from "./axis.js";

/** Rejected rows per reason, stacked by source file. */
export function rejectedChart(reasons, { width } = {}) {
  const names = [...new Set(reasons.map((d) => d.reason))];
  const y = categoryAxis(names, width);
  return Plot.plot({
    title: "Rejected rows by reason and source",
    width,
    height: Math.max(160, 28 * names.length + 60),
    marginLeft: y.marginLeft,
    marginRight: 20,
    x: { label: "Rejected rows", grid: true, ticks: Math.max(2, Math.floor((width ?? 640) / 80)) },
    y: { label: null, tickFormat: y.tickFormat },
    color: { legend: true },
    marks: [
      Plot.barX(reasons, { x: "rows", y: "reason", fill: "source", sort: { y: "-x" }, tip: true }),
      Plot.ruleX([0]),
    ],
  });
}

/** Rows per month in each export: gaps or drops reveal partial exports. */
export function monthlyRowsChart(monthlyRows, { width } = {}) {
  const months = [...new Set(monthlyRows.map((d) => d.month))].sort();
  const marginLeft = numericMargin(
    monthlyRows.map((d) => d.rows),
    { zero: false },
  );
  return Plot.plot({
    title: "Rows per month by source",
    subtitle: "Gaps or sudden drops usually mean a partial export",
    width,
    height: 260,
    marginLeft,
    y: { label: "Rows", grid: true },
    x: { label: "Month", type: "band", domain: months, ticks: bandTicks(months, width, marginLeft) },
    color: { legend: true },
    marks: [Plot.lineY(monthlyRows, { x: "month", y: "rows", stroke: "source", tip: true })],
  });
}
