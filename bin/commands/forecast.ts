/** `churn forecast`: active customers, MRR and churn for the coming months per scenario, with the backtest. */
import { z } from "zod";
import { queryOne, withWarehouse } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { forecastReport, type ForecastReport } from "../../models/forecast/analyze.ts";
import { loadForecastRules } from "../../models/forecast/rules.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage: churn forecast --db FILE [--months N] [--rules FILE] [--seed S] [--json]

Forecasts the customers active at the end of each of the next N months (default 6; "end" = the next month's first
day, as in the monthly metrics), subscribers and one-off buyers each by their own rule of "active" (subscribers: a
subscription covers the day; buyers: a purchase in the W days up to it, W the build's inactivity window), and MRR,
with a 90% band, for each scenario: baseline, the save team halving churn among red customers (needs the churn
model's health bands), no new customers, and those of the rules file (default data/rules/forecast.json).
Only data up to the warehouse's as-of date are used; no churn model is needed. Buyers who pay at a regular cycle
(invoices of a subscription) are counted as renewals (shifted-beta-geometric), new buyers by the last year's new
buyers' activity, and arrivals follow the business's seasons when that forecast its own past better; the notes say so.
Backtest: the baseline made at the as-of date minus 6 months with only the data known then, month by month against
what happened, with its MAPE (mean absolute percentage error, in percent) and a naive flat forecast's MAPE.
JSON: {"asOf", "buyerWindowDays", "scenarios": [{"name", "months": [{"month", "customers", "lower", "upper",
"subscribers", "buyers", "mrr"}]}], "backtest": {"from", "months": [{"month", "predicted", "lower", "upper",
"actual"}], "mape", "naiveMape"}, "notes": [what the forecast says of its inputs, as in the text]}`;

const Flags = z.object({
  db: flag.string().default("data/warehouse.duckdb"),
  months: flag
    .integer()
    .pipe(z.number().min(1, { error: "must be at least 1" }).max(36, { error: "must be at most 36" }))
    .optional(),
  rules: flag.string().optional(),
  seed: flag.integer().default(1),
  json: flag.boolean(),
});

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const roundOrNull = (x: number | null) => (x === null ? null : round(x, 2));

/** The JSON contract of `churn forecast --json`. */
export function forecastJson(report: ForecastReport) {
  return {
    asOf: report.asOf,
    buyerWindowDays: report.buyerWindowDays,
    scenarios: report.scenarios.map((s) => ({
      name: s.name,
      months: s.months.map((m) => ({
        month: m.month,
        customers: round(m.customers),
        lower: round(m.lower),
        upper: round(m.upper),
        subscribers: round(m.subscribers),
        buyers: round(m.buyers),
        mrr: round(m.mrr, 2),
      })),
    })),
    backtest: {
      from: report.backtest.from,
      months: report.backtest.months.map((m) => ({
        month: m.month,
        predicted: round(m.predicted),
        lower: round(m.lower),
        upper: round(m.upper),
        actual: m.actual,
      })),
      mape: roundOrNull(report.backtest.mape),
      naiveMape: roundOrNull(report.backtest.naiveMape),
    },
    notes: report.notes,
  };
}

function text(report: ForecastReport): string {
  const n = (x: number) => Math.round(x).toLocaleString("en-US").padStart(8);
  const lines = [
    `Forecast as of ${report.asOf}: customers active at each month's end (its next month's first day), 90% band`,
    report.buyerWindowDays === null
      ? "One-off buyers: no inactivity window (no repeat buyers), not forecast."
      : `One-off buyers are active while they bought in the last ${report.buyerWindowDays} days.`,
  ];
  for (const s of report.scenarios) {
    lines.push("", s.name, "month    customers   lower    upper  subscribers  buyers         MRR  churned");
    for (const m of s.months)
      lines.push(
        `${m.month}  ${n(m.customers)} ${n(m.lower)} ${n(m.upper)}     ${n(m.subscribers)} ${n(m.buyers)} ${m.mrr
          .toFixed(2)
          .padStart(11)} ${n(m.churned)}`,
      );
  }
  const b = report.backtest;
  if (b.from) {
    lines.push("", `Backtest: forecast made on ${b.from} with the data known then, against what happened`);
    lines.push("month    predicted   lower    upper   actual  naive (flat)");
    for (const m of b.months)
      lines.push(`${m.month}  ${n(m.predicted)} ${n(m.lower)} ${n(m.upper)} ${n(m.actual)} ${n(m.naive)}`);
    lines.push(
      `MAPE ${b.mape?.toFixed(1)}% (naive flat forecast: ${b.naiveMape?.toFixed(1)}%); ` +
        `the band held the actual in ${b.covered} of ${b.months.length} months.`,
    );
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("forecast", argv, Flags);
  const rules = flags.rules ? loadForecastRules(flags.rules) : loadForecastRules();
  const report = await withWarehouse(flags.db, { readOnly: true }, async (db) => {
    const asOf = (
      await queryOne<{ value: string }>(db.connection, "SELECT value FROM warehouse_meta WHERE key = 'as_of'")
    )?.value;
    if (!asOf) throw new UserError(`${flags.db} has no as-of date.`, { hint: "Ingest the exports again." });
    return forecastReport(db.connection, asOf, {
      rules,
      seed: flags.seed,
      ...(flags.months ? { months: flags.months } : {}),
    });
  });
  printResult(flags.json, forecastJson(report), () => text(report));
  return 0;
}
