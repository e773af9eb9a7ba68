/** `churn reasons`: why customers left, from the cancellations export (or cancellation requests with a note). */
import { z } from "zod";
import { queryOne, withWarehouse } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { loadReasonRules } from "../../models/reasons/rules.ts";
import { reasonsSummary, type ReasonsSummary } from "../../models/reasons/summary.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage: churn reasons --db FILE [--as-of DATE] [--rules FILE] [--json]

Why customers left, up to the as-of date (default: the warehouse's): every reason with its category (internal = the
product, service or prices; external = competitors or the customer's changed situation; unclassified = no category in
the export and no rule matched), the number of cancellations (events), distinct customers and lost MRR (currency per
month: the export's mrr_lost, else the MRR the customer had the day before), then the events per month and reason.
Reasons come from cancellations.csv; without it, from interactions of type cancellation_request that have a note.
Categories missing from the export come from data/rules/reasons.json (or --rules FILE).

JSON: {"reasons": [{"reason", "category", "group", "events", "customers", "lostMrr"}],
       "months": [{"month", "reason", "events"}], "unclassified" (events), "unclassifiedReasons", "churned", ...}`;

const Flags = z.object({
  db: flag.string().default("data/warehouse.duckdb"),
  asOf: flag.date().optional(),
  rules: flag.string().optional(),
  json: flag.boolean(),
});

const money = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 2 });

function textReport(s: ReasonsSummary): string {
  if (s.reasons.length === 0)
    return (
      `No cancellation reasons up to ${s.asOf}: the warehouse has no cancellations export and no ` +
      "cancellation_request interactions with a note."
    );
  const width = Math.min(40, Math.max(...s.reasons.map((r) => r.reason.length)));
  const from = s.source === "cancellations" ? "the cancellations export" : "cancellation requests in interactions";
  const row = (cells: string[]) =>
    `  ${cells[0]!.slice(0, width).padEnd(width)}  ${cells[1]!.padEnd(12)}  ${cells[2]!.padStart(7)}  ` +
    `${cells[3]!.padStart(9)}  ${cells[4]}`;
  const lines = [
    `Why customers left, up to ${s.asOf} (from ${from}):`,
    row(["reason", "category", "events", "customers", "lost MRR"]),
    ...s.reasons.map((r) => row([r.reason, r.category, String(r.events), String(r.customers), money(r.lostMrr)])),
  ];
  if (s.unclassified > 0)
    lines.push(
      `${s.unclassified} events are unclassified; add their reasons to data/rules/reasons.json: ` +
        s.unclassifiedReasons.slice(0, 10).join(", "),
    );
  const c = s.churned;
  if (c && c.share !== null)
    lines.push(
      `${c.withoutReason} of ${c.churned} churned customers (${(100 * c.share).toFixed(1)}%) gave no reason ` +
        `(churned: ${c.definition}).`,
    );
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("reasons", argv, Flags);
  const rules = loadReasonRules(...(flags.rules ? [flags.rules] : []));
  const summary = await withWarehouse(flags.db, { readOnly: true }, async (db) => {
    const conn = db.connection;
    const asOf =
      flags.asOf ??
      (await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = 'as_of'"))?.value;
    if (!asOf) throw new UserError(`${flags.db} has no as-of date.`, { hint: "Pass --as-of DATE, or ingest again." });
    return reasonsSummary(conn, asOf, rules);
  });
  printResult(flags.json, summary, () => textReport(summary));
  return 0;
}
