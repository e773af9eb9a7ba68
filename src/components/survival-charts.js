// Charts of the survival page: (data, {width, …}) => Plot figure.
import * as Plot from "@observablehq/plot";
import { categoryAxis, marginFor } from "./axis.js";

/** Kaplan-Meier curves (step functions) per group with their 95% bands; the dashed line is the median. */
export function kaplanMeierChart(rows, { width, timeLabel, subtitle, showBands = true } = {}) {
  // Every curve starts at (0, 100%): the tables hold only the times of events and censorings (a group with a row at
  // day 0, a churn on the first day, keeps it).
  const atZero = new Set(rows.filter((d) => d.t_days === 0).map((d) => d.grp));
  const groups = [...new Set(rows.map((d) => d.grp))].filter((grp) => !atZero.has(grp));
  const curves = [...groups.map((grp) => ({ grp, t_days: 0, survival: 1, lower: 1, upper: 1 })), ...rows];
  return Plot.plot({
    title: "Kaplan-Meier survival: share of customers still subscribed",
    subtitle,
    width,
    height: 380,
    marginLeft: marginFor(["100"]),
    marginRight: 20,
    x: { label: timeLabel, grid: true, ticks: Math.max(2, Math.floor((width ?? 640) / 80)) },
    y: { label: "Still subscribed (%)", percent: true, domain: [0, 100], grid: true },
    color: { legend: true },
    marks: [
      showBands
        ? Plot.areaY(curves, {
            x: "t_days",
            y1: "lower",
            y2: "upper",
            fill: "grp",
            fillOpacity: 0.15,
            curve: "step-after",
          })
        : null,
      Plot.lineY(curves, { x: "t_days", y: "survival", stroke: "grp", curve: "step-after", tip: true }),
      Plot.ruleY([0.5], { stroke: "currentColor", strokeDasharray: "3,3", strokeOpacity: 0.5 }),
    ],
  });
}

/** Cox hazard ratios with 95% intervals on a log axis; filled dots are significant at 5%. */
export function hazardRatioChart(cox, { width, concordance } = {}) {
  const y = categoryAxis(
    cox.map((d) => d.term),
    width,
  );
  return Plot.plot({
    title: "Hazard ratios with 95% confidence intervals",
    subtitle: `Above 1 = churns faster. Concordance ${concordance?.toFixed(3) ?? "–"} (0.5 = no better than chance)`,
    width,
    height: 40 * cox.length + 60,
    marginLeft: y.marginLeft,
    marginRight: 20,
    x: { type: "log", label: "Hazard ratio (log scale)", grid: true, tickFormat: "~g" },
    y: { label: null, tickFormat: y.tickFormat },
    marks: [
      Plot.ruleX([1], { strokeDasharray: "3,3" }),
      Plot.link(cox, { x1: "lower", x2: "upper", y1: "term", y2: "term" }),
      Plot.dot(cox, {
        x: "hazard_ratio",
        y: "term",
        fill: (d) => (d.p < 0.05 ? "currentColor" : "white"),
        stroke: "currentColor",
        tip: true,
      }),
    ],
  });
}
