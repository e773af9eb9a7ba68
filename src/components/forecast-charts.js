// Charts of the forecast on the monthly report: functions (data, {width}) => Plot figure.
import * as Plot from "@observablehq/plot";
import { numericMargin } from "./axis.js";

const monthDate = (month) => new Date(`${month}-01T00:00:00Z`);

/**
 * Customers active at each month's end: the last 12 months of history (black) and the forecast per scenario with its
 * 90% band. `forecast` rows: {scenario, calendar_month, customers, lower, upper}; `history`: {month, customers}.
 */
export function forecastChart(forecast, history, { width } = {}) {
  const rows = forecast.map((d) => ({ ...d, date: monthDate(d.calendar_month) }));
  const past = history.slice(-12).map((d) => ({ ...d, date: monthDate(d.month) }));
  return Plot.plot({
    title: "Forecast: customers active at month end",
    subtitle: "Subscribers and one-off buyers, each by their own rule; shaded: 90% band; black: what happened",
    width,
    height: 320,
    marginLeft: numericMargin(
      [...rows, ...past].flatMap((d) => [d.lower, d.upper, d.customers]).filter(Number.isFinite),
    ),
    marginRight: 20,
    x: { label: null, type: "utc", ticks: Math.max(2, Math.floor((width ?? 640) / 90)) },
    y: { label: "Active customers", grid: true },
    color: { legend: true },
    marks: [
      Plot.areaY(rows, { x: "date", y1: "lower", y2: "upper", fill: "scenario", fillOpacity: 0.12 }),
      Plot.lineY(rows, { x: "date", y: "customers", stroke: "scenario", marker: true, tip: true }),
      Plot.lineY(past, { x: "date", y: "customers", stroke: "currentColor", strokeWidth: 2, tip: true }),
    ],
  });
}

/** The backtest: forecast six months ago (line, 90% band), what happened (dots), the flat forecast (dashed). */
export function backtestChart(backtest, { width } = {}) {
  const rows = backtest.map((d) => ({ ...d, date: monthDate(d.month) }));
  return Plot.plot({
    width,
    height: 240,
    marginLeft: numericMargin(
      rows.flatMap((d) => [d.lower, d.upper, d.predicted, d.actual, d.naive]).filter(Number.isFinite),
    ),
    marginRight: 30,
    x: { label: null, type: "utc", ticks: Math.max(2, Math.floor((width ?? 640) / 90)) },
    y: { label: "Active customers at month end", grid: true },
    marks: [
      Plot.areaY(rows, { x: "date", y1: "lower", y2: "upper", fill: "#4269d0", fillOpacity: 0.15 }),
      Plot.lineY(rows, { x: "date", y: "predicted", stroke: "#4269d0", tip: true }),
      Plot.lineY(rows, { x: "date", y: "naive", stroke: "#999", strokeDasharray: "4,3" }),
      Plot.dot(rows, { x: "date", y: "actual", fill: "currentColor", r: 3.5, tip: true }),
      Plot.text(rows.slice(-1), { x: "date", y: "naive", text: () => "flat", dy: -8, fill: "#999" }),
    ],
  });
}
