// Charts of the monthly report (and the cohorts page's buyers): functions (data, {width}) => Plot figure, as in
// Framework's examples. Margins fit the widest tick label; month labels are thinned so they never collide.
import * as Plot from "@observablehq/plot";
import { bandTicks, categoryAxis, numericMargin, rateAxis } from "./axis.js";

const monthAxis = (months, width, marginLeft) => ({
  label: "Month",
  type: "band",
  domain: months,
  ticks: bandTicks(months, width, marginLeft),
});

/** Logo churn rate per month (lost ÷ customers active on the month's first day). */
export function churnRateChart(monthly, { width, selected } = {}) {
  const { domain, extent } = rateAxis(monthly.map((d) => d.churnRate));
  const marginLeft = numericMargin(extent, { percent: true, zero: true });
  return Plot.plot({
    title: "Monthly logo churn rate",
    subtitle: "Customers lost in the month ÷ customers active on its first day",
    width,
    height: 260,
    marginLeft,
    y: { label: "Churn rate (%)", percent: true, grid: true, zero: true, domain },
    x: monthAxis(
      monthly.map((d) => d.month),
      width,
      marginLeft,
    ),
    marks: [
      Plot.barY(monthly, {
        x: "month",
        y: "churnRate",
        fill: (d) => (d.month === selected ? "var(--theme-foreground-focus)" : "#9aa7b8"),
        tip: true,
      }),
      Plot.ruleY([0]),
    ],
  });
}

/** MRR movements stacked around zero: gains above, losses below, net line. */
export function mrrMovementsChart(monthly, { width } = {}) {
  const kinds = [
    ["New", "mrrNew", 1],
    ["Reactivation", "mrrReactivation", 1],
    ["Expansion", "mrrExpansion", 1],
    ["Contraction", "mrrContraction", -1],
    ["Churned", "mrrChurned", -1],
  ];
  const rows = monthly.flatMap((m) =>
    kinds.map(([kind, key, sign]) => ({ month: m.month, kind, value: sign * (m[key] ?? 0) })),
  );
  const net = monthly.map((m) => ({ month: m.month, net: m.mrrEnd - m.mrrStart }));
  // The stacks reach Σ gains above zero and Σ losses below: the y extent whose tick labels the margin must fit.
  const extent = monthly.flatMap((m) => [
    kinds.reduce((s, [, key, sign]) => s + (sign > 0 ? (m[key] ?? 0) : 0), 0),
    -kinds.reduce((s, [, key, sign]) => s + (sign < 0 ? (m[key] ?? 0) : 0), 0),
  ]);
  const marginLeft = numericMargin([...extent, ...net.map((d) => d.net)], { zero: true });
  return Plot.plot({
    title: "MRR movements per month",
    subtitle: "Currency units per month; gains above zero, losses below, the line is the net change",
    width,
    height: 300,
    marginLeft,
    color: {
      legend: true,
      domain: kinds.map((k) => k[0]),
      range: ["#2b8a3e", "#74b816", "#94d82d", "#f08c00", "#d03a3a"],
    },
    y: { label: "MRR change (currency / month)", grid: true },
    x: monthAxis(
      monthly.map((d) => d.month),
      width,
      marginLeft,
    ),
    marks: [
      Plot.barY(rows, { x: "month", y: "value", fill: "kind", tip: true }),
      Plot.lineY(net, { x: "month", y: "net", stroke: "currentColor", strokeWidth: 1.5 }),
      Plot.ruleY([0]),
    ],
  });
}

/** Active subscription customers on each month's last day. */
export function activeCustomersChart(monthly, { width } = {}) {
  const marginLeft = numericMargin(
    monthly.map((d) => d.end),
    { zero: true },
  );
  return Plot.plot({
    title: "Active subscription customers",
    subtitle: "Customers with an active subscription at the end of each month",
    width,
    height: 260,
    marginLeft,
    y: { label: "Customers", grid: true, zero: true },
    x: monthAxis(
      monthly.map((d) => d.month),
      width,
      marginLeft,
    ),
    marks: [
      Plot.lineY(monthly, { x: "month", y: "end", tip: true }),
      Plot.dot(monthly, { x: "month", y: "end", r: 2 }),
    ],
  });
}

/** One-off buyers' monthly churn by inactivity (table buyer_monthly); `selected` month highlighted. */
export function buyerChurnChart(buyers, { width, selected, title, subtitle } = {}) {
  const { domain, extent } = rateAxis(buyers.map((d) => d.churnRate));
  const marginLeft = numericMargin(extent, { percent: true, zero: true });
  return Plot.plot({
    title: title ?? "One-off buyers: monthly churn by inactivity",
    subtitle,
    width,
    height: 250,
    marginLeft,
    y: { label: "Churn rate (%)", percent: true, grid: true, zero: true, domain },
    x: monthAxis(
      buyers.map((d) => d.month),
      width,
      marginLeft,
    ),
    marks: [
      Plot.barY(buyers, {
        x: "month",
        y: "churnRate",
        fill: (d) => (d.month === selected ? "var(--theme-foreground-focus)" : "#b8a89a"),
        channels: { "active on the 1st": "start", lost: "lost" },
        tip: true,
      }),
      Plot.ruleY([0]),
    ],
  });
}

/** One-off buyers active (a purchase within the window) on each month's first day. */
export function activeBuyersChart(buyers, { width, subtitle } = {}) {
  const marginLeft = numericMargin(
    buyers.map((d) => d.start),
    { zero: true },
  );
  return Plot.plot({
    title: "Active buyers",
    subtitle,
    width,
    height: 260,
    marginLeft,
    x: monthAxis(
      buyers.map((d) => d.month),
      width,
      marginLeft,
    ),
    y: { label: "Buyers", grid: true },
    marks: [Plot.barY(buyers, { x: "month", y: "start", fill: "#9aa7b8", tip: true }), Plot.ruleY([0])],
  });
}

/** Symptoms that fired among active customers, critical ones in red. */
export function symptomsChart(symptoms, { width } = {}) {
  const y = categoryAxis(
    symptoms.map((d) => d.symptom),
    width,
  );
  return Plot.plot({
    title: "Top symptoms among active customers",
    subtitle: "Customers with the symptom at the as-of date (critical ones alone signal churn)",
    width,
    height: Math.max(200, 24 * symptoms.length + 70),
    marginLeft: y.marginLeft,
    marginRight: 20,
    x: { label: "Customers", grid: true, ticks: Math.max(2, Math.floor((width ?? 640) / 80)) },
    y: { label: null, tickFormat: y.tickFormat },
    color: { legend: true, domain: ["critical", "recapitulative"], range: ["#d03a3a", "#f08c00"] },
    marks: [
      Plot.barX(symptoms, { x: "customers", y: "symptom", fill: "severity", sort: { y: "-x" }, tip: true }),
      Plot.ruleX([0]),
    ],
  });
}
