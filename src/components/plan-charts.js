// Charts of the proactive plan page (workload rows of the plan loader: {month, team, channel, touch, touches}):
// (workload, {width, …}) => Plot figure. Team names fit the left margin, month labels are thinned by width, the y
// margin fits the widest count.
import * as Plot from "@observablehq/plot";
import { rollups, sum } from "d3";
import { bandTicks, categoryAxis, numericMargin } from "./axis.js";

/** Σ touches per (a, b) pair of workload fields, as rows {[a], [b], touches}. */
function totals(workload, a, b) {
  return rollups(
    workload,
    (v) => sum(v, (d) => d.touches),
    (d) => d[a],
    (d) => d[b],
  ).flatMap(([x, inner]) => inner.map(([y, touches]) => ({ [a]: x, [b]: y, touches })));
}

/** Touches due in `month`, per team (bars, busiest first) and channel (colour). */
export function monthWorkloadChart(workload, { width, month } = {}) {
  const rows = totals(
    workload.filter((d) => d.month === month),
    "team",
    "channel",
  );
  const byTeam = new Map();
  for (const d of rows) byTeam.set(d.team, (byTeam.get(d.team) ?? 0) + d.touches);
  const teams = [...byTeam.keys()].sort((a, b) => byTeam.get(b) - byTeam.get(a));
  const y = categoryAxis(teams, width);
  return Plot.plot({
    title: `Touches due in ${month}, per team and channel`,
    subtitle: "Each team's proactive calls, interviews, offers and e-mails for the month",
    width,
    height: 60 + 40 * teams.length,
    marginLeft: y.marginLeft,
    marginRight: 20,
    x: { label: "Touches", grid: true, ticks: Math.max(2, Math.floor((width ?? 640) / 80)) },
    y: { label: null, domain: teams, tickFormat: y.tickFormat },
    color: { legend: true },
    marks: [Plot.barX(rows, { y: "team", x: "touches", fill: "channel", tip: true }), Plot.ruleX([0])],
  });
}

/** Touches per month, stacked by team (each customer's next touch only). */
export function monthlyTouchesChart(workload, { width } = {}) {
  const rows = totals(workload, "month", "team");
  const months = [...new Set(rows.map((d) => d.month))].sort();
  const perMonth = new Map();
  for (const d of rows) perMonth.set(d.month, (perMonth.get(d.month) ?? 0) + d.touches);
  const marginLeft = numericMargin(perMonth.values(), { zero: true });
  return Plot.plot({
    title: "Proactive touches per month, by team",
    subtitle: "Each customer's next touch only: later touches on the cadence are not drawn",
    width,
    height: 260,
    marginLeft,
    x: { label: "Month", type: "band", domain: months, ticks: bandTicks(months, width, marginLeft) },
    y: { label: "Touches", grid: true },
    color: { legend: true },
    marks: [Plot.barY(rows, { x: "month", y: "touches", fill: "team", tip: true }), Plot.ruleY([0])],
  });
}
