// Charts of the monthly report: functions (data, {width}) => Plot figure, as in Framework's examples.
import * as Plot from "@observablehq/plot";

/** Logo churn rate per month (lost ÷ customers active on the month's first day). */
export function churnRateChart(monthly, { width, selected } = {}) {
  return Plot.plot({
    title: "Monthly logo churn rate",
    subtitle: "Customers lost in the month ÷ customers active on its first day",
    width,
    height: 260,
    y: { label: "Churn rate (%)", percent: true, grid: true, zero: true },
    x: { label: "Month", type: "band", tickFormat: (d, i) => (i % 6 === 0 ? d : "") },
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
  return Plot.plot({
    title: "MRR movements per month",
    subtitle: "Currency units per month; gains above zero, losses below, the line is the net change",
    width,
    height: 300,
    color: {
      legend: true,
      domain: kinds.map((k) => k[0]),
      range: ["#2b8a3e", "#74b816", "#94d82d", "#f08c00", "#d03a3a"],
    },
    y: { label: "MRR change (currency / month)", grid: true },
    x: { label: "Month", type: "band", tickFormat: (d, i) => (i % 6 === 0 ? d : "") },
    marks: [
      Plot.barY(rows, { x: "month", y: "value", fill: "kind", tip: true }),
      Plot.lineY(net, { x: "month", y: "net", stroke: "currentColor", strokeWidth: 1.5 }),
      Plot.ruleY([0]),
    ],
  });
}

/** Active subscription customers on each month's last day and MRR. */
export function activeCustomersChart(monthly, { width } = {}) {
  return Plot.plot({
    title: "Active subscription customers",
    subtitle: "Customers with an active subscription at the end of each month",
    width,
    height: 260,
    y: { label: "Customers", grid: true, zero: true },
    x: { label: "Month", type: "band", tickFormat: (d, i) => (i % 6 === 0 ? d : "") },
    marks: [
      Plot.lineY(monthly, { x: "month", y: "end", tip: true }),
      Plot.dot(monthly, { x: "month", y: "end", r: 2 }),
    ],
  });
}
