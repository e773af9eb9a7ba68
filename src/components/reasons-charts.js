// Charts of "Why customers leave": functions (data, {width}) => Plot figure, as in Framework's examples.
import * as Plot from "@observablehq/plot";

export const CATEGORY_COLORS = { internal: "#d03a3a", external: "#1c7ed6", unclassified: "#868e96" };
const categoryColor = {
  legend: true,
  domain: Object.keys(CATEGORY_COLORS),
  range: Object.values(CATEGORY_COLORS),
};
const monthAxis = (months) => ({
  label: "Month",
  type: "band",
  tickFormat: (d, i) => (i % Math.max(1, Math.ceil(months / 8)) === 0 ? d : ""),
});
/** Left margin for the longest label, at most 40% of the width (a card can be measured very narrow mid-layout). */
const longest = (names, width = 640) =>
  Math.min(220, Math.max(40, 0.4 * width), 12 + 6.5 * Math.max(0, ...names.map((n) => String(n).length)));

/** Cancellations per month, stacked by reason (the most frequent reasons; the rest as "other reasons"). */
export function reasonsOverTimeChart(monthly, { width, top = 8 } = {}) {
  const totals = new Map();
  for (const d of monthly) totals.set(d.reason, (totals.get(d.reason) ?? 0) + d.cancellations);
  const kept = new Set(
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map((d) => d[0]),
  );
  const rows = monthly.map((d) => ({ ...d, reason: kept.has(d.reason) ? d.reason : "other reasons" }));
  const months = new Set(monthly.map((d) => d.month)).size;
  return Plot.plot({
    title: "Reasons over time",
    subtitle: "Cancellations with a stated reason per month (by the cancellation date)",
    width,
    height: 300,
    color: { legend: true },
    x: monthAxis(months),
    y: { label: "Cancellations", grid: true },
    marks: [
      Plot.barY(rows, Plot.groupX({ y: "sum" }, { x: "month", y: "cancellations", fill: "reason", tip: true })),
      Plot.ruleY([0]),
    ],
  });
}

/** Share of each month's cancellations that are internal, external or unclassified. */
export function categoryOverTimeChart(monthly, { width } = {}) {
  const months = new Set(monthly.map((d) => d.month)).size;
  return Plot.plot({
    title: "Internal vs external",
    subtitle: "Share of each month's cancellations: internal = the product, service or prices; external = the rest",
    width,
    height: 260,
    color: categoryColor,
    x: monthAxis(months),
    y: { label: "Share of cancellations (%)", percent: true, grid: true },
    marks: [
      Plot.barY(
        monthly,
        Plot.stackY(
          { offset: "normalize" },
          Plot.groupX({ y: "sum" }, { x: "month", y: "cancellations", fill: "category", tip: true }),
        ),
      ),
      Plot.ruleY([0]),
    ],
  });
}

/** Cancellations by a dimension's value (plan, segment or quadrant), stacked by category. */
export function breakdownChart(rows, { width, dimension = "plan", subtitle = "" } = {}) {
  const values = [...new Set(rows.map((d) => d.value))];
  return Plot.plot({
    title: `Reasons by ${dimension}`,
    subtitle: subtitle || `Cancellations with a stated reason, by the customer's ${dimension} and category`,
    width,
    height: Math.max(120, 40 + 28 * values.length),
    marginLeft: longest(values, width),
    color: categoryColor,
    x: { label: "Cancellations", grid: true },
    y: { label: null, domain: values },
    marks: [
      Plot.barX(rows, Plot.groupY({ x: "sum" }, { y: "value", x: "events", fill: "category", tip: true })),
      Plot.ruleX([0]),
    ],
  });
}

/** Reasons (rows) × a dimension's values (columns): share of the column's cancellations per reason. */
export function breakdownHeatmap(rows, { width, dimension = "plan" } = {}) {
  const totals = new Map();
  for (const d of rows) totals.set(d.value, (totals.get(d.value) ?? 0) + d.events);
  const cells = rows.map((d) => ({ ...d, share: d.events / totals.get(d.value) }));
  const reasons = [...new Set(rows.map((d) => d.reason))];
  return Plot.plot({
    title: `Which reasons, per ${dimension}`,
    subtitle: `Share of each ${dimension}'s cancellations given for each reason`,
    width,
    height: Math.max(160, 60 + 24 * reasons.length),
    marginLeft: longest(reasons, width),
    marginBottom: 60,
    color: { scheme: "oranges", legend: true, percent: true, label: "Share (%)" },
    x: { label: null, tickRotate: -20 },
    y: { label: null, domain: reasons },
    marks: [
      Plot.cell(cells, { x: "value", y: "reason", fill: "share", inset: 0.5, tip: true }),
      Plot.text(cells, {
        x: "value",
        y: "reason",
        text: (d) => `${Math.round(100 * d.share)}%`,
        fill: (d) => (d.share > 0.25 ? "white" : "black"),
      }),
    ],
  });
}

/** Lost MRR (or lost value: CLV if won back) per reason, coloured by category. */
export function lostByReasonChart(reasons, { width, key = "lostMrr", label = "Lost MRR (currency / month)" } = {}) {
  const rows = reasons.filter((d) => d[key] != null);
  const order = rows
    .slice()
    .sort((a, b) => b[key] - a[key])
    .map((d) => d.reason);
  return Plot.plot({
    title: key === "lostMrr" ? "Lost MRR by reason" : "Lost value by reason",
    subtitle:
      key === "lostMrr"
        ? "MRR that ended with the cancellations (the export's mrr_lost, else the MRR the day before)"
        : "Customer lifetime value if won back (12-month CLV), summed over the customers who gave the reason",
    width,
    height: Math.max(140, 40 + 26 * order.length),
    marginLeft: longest(order, width),
    color: categoryColor,
    x: { label, grid: true },
    y: { label: null, domain: [...new Set(order)] },
    marks: [Plot.barX(rows, { y: "reason", x: key, fill: "category", tip: true }), Plot.ruleX([0])],
  });
}

/** Share of churned customers who gave no reason, per month they left. */
export function withoutReasonChart(rows, { width } = {}) {
  const data = rows.map((d) => ({ ...d, share: d.churned ? d.withoutReason / d.churned : null }));
  return Plot.plot({
    title: "Churned customers who gave no reason",
    subtitle: "Share of the subscribers who left in the month (last subscription ended) with no reason on record",
    width,
    height: 220,
    x: monthAxis(data.length),
    y: { label: "No reason (%)", percent: true, grid: true, domain: [0, 100] },
    marks: [Plot.barY(data, { x: "month", y: "share", fill: "#868e96", tip: true }), Plot.ruleY([0])],
  });
}
