// Charts of the cohorts page: (data, {width, …}) => Plot figure. Margins fit the widest tick label; the months-since
// and cohort axes are thinned so labels never collide.
import * as Plot from "@observablehq/plot";
import { bandTicks, marginFor, numericMargin } from "./axis.js";

/** Retention heatmap: a row per acquisition cohort, a column per month since acquisition; `cohort` outlined. */
export function cohortHeatmap(cells, { width, measure, field, cohort } = {}) {
  const cohorts = [...new Set(cells.map((d) => d.cohort))];
  const ks = [...new Set(cells.map((d) => d.k))].sort((a, b) => a - b);
  const marginLeft = marginFor(cohorts, { min: 50 });
  return Plot.plot({
    title: `Cohort ${measure}${field === "active" ? " (customers active)" : ""}`,
    subtitle: "Rows: month of first subscription; columns: months since acquisition (0 = end of the acquisition month)",
    width,
    height: Math.max(240, 14 * cohorts.length + 80),
    marginLeft,
    marginRight: 10,
    padding: 0.05,
    x: { label: "Months since acquisition", axis: "top", domain: ks, ticks: bandTicks(ks, width, marginLeft, 10) },
    y: { label: null, type: "band", domain: cohorts }, // the subtitle names the rows (a rotated label would cover them)
    color:
      field === "active"
        ? { scheme: "blues", legend: true, label: "Customers active" }
        : {
            type: "linear",
            scheme: "rdylgn",
            domain: [0, 1.2],
            clamp: true,
            legend: true,
            label: `${measure} (share of cohort)`,
            tickFormat: "%",
          },
    marks: [
      Plot.cell(cells, { x: "k", y: "cohort", fill: field, tip: true }),
      Plot.cell(
        cells.filter((d) => d.cohort === cohort),
        { x: "k", y: "cohort", stroke: "currentColor", strokeWidth: 1.5 },
      ),
    ],
  });
}

/** One cohort's logo, net and gross revenue retention by months since acquisition. */
export function cohortCurveChart(picked, { width, cohort, size } = {}) {
  const top = 100 * Math.max(1, ...picked.map((d) => d.revenue ?? 0));
  const marginLeft = numericMargin([0, top / 100], { percent: true });
  return Plot.plot({
    title: `Cohort ${cohort}: retention curve`,
    subtitle: `${size} ${String(size) === "1" ? "customer" : "customers"} acquired`,
    width,
    height: 260,
    marginLeft,
    x: { label: "Months since acquisition" },
    y: { label: "Retention (%)", percent: true, grid: true, domain: [0, top] },
    color: { legend: true },
    marks: [
      Plot.lineY(picked, { x: "k", y: "retention", stroke: () => "logo", marker: true, tip: true }),
      Plot.lineY(picked, { x: "k", y: "revenue", stroke: () => "revenue (net)", marker: true, tip: true }),
      Plot.lineY(picked, { x: "k", y: "gross", stroke: () => "revenue (gross)", marker: true, tip: true }),
    ],
  });
}

/** Customers acquired per cohort month; `cohort` highlighted. */
export function cohortSizesChart(sizes, { width, cohort } = {}) {
  const months = sizes.map((d) => d.cohort);
  const marginLeft = numericMargin(
    sizes.map((d) => d.size),
    { zero: true },
  );
  return Plot.plot({
    title: "Cohort sizes",
    subtitle: "Customers acquired per month",
    width,
    height: 260,
    marginLeft,
    x: { label: "Cohort", type: "band", domain: months, ticks: bandTicks(months, width, marginLeft) },
    // Counts: whole-number ticks only (a business of a few customers got 0.2, 0.4…).
    y: { label: "Customers", grid: true, ticks: wholeTicks(Math.max(0, ...sizes.map((d) => d.size))) },
    marks: [
      Plot.barY(sizes, {
        x: "cohort",
        y: "size",
        fill: (d) => (d.cohort === cohort ? "var(--theme-foreground-focus)" : "#9aa7b8"),
        tip: true,
      }),
    ],
  });
}

/** Plot's tick count for a count axis up to `max`: one per whole number below 10, else Plot's own. */
function wholeTicks(max) {
  return max < 10 ? Math.max(1, Math.ceil(max)) : undefined;
}
