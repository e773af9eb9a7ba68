/**
 * `churn cohorts`: monthly churn/retention, MRR movements and cohort retention, from the warehouse or one
 * subscriptions file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { query, queryOne, withWarehouse } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { rejectedNote, rejectedOfSources } from "../../loaders/flat-file.ts";
import { buildWarehouse } from "../../loaders/ingest.ts";
import { cohortCurves, cohortMatrix } from "../../models/cohorts/cohort-matrix.ts";
import { monthlyMetrics } from "../../models/cohorts/monthly-metrics.ts";
import { buildSubscriptionStates } from "../../models/cohorts/subscription-states.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage:
  churn cohorts --db FILE [--from YYYY-MM --to YYYY-MM] [--as-of DATE] [--json]
  churn cohorts --subscriptions FILE --customer COL --start COL --end COL [--mrr COL] [--date-format FMT]
                [--from YYYY-MM --to YYYY-MM] [--as-of DATE] [--json]

Monthly churn and retention (logo and revenue) and acquisition-cohort retention for subscription customers.
A customer is active on day d when a subscription has start <= d < end (no end = still active).
  churnRate = lost / start; retentionRate = (end - new) / start; MRR movements new, expansion, contraction,
  churned, reactivation with mrrEnd = mrrStart + new + reactivation + expansion - contraction - churned.
Rows of the file that cannot be used (bad dates, end before start, ...) are reported on stderr and left out.`;

const Flags = z.object({
  db: flag.string().optional(),
  subscriptions: flag.string().optional(),
  customer: flag.string().optional(),
  start: flag.string().optional(),
  end: flag.string().optional(),
  mrr: flag.string().optional(),
  dateFormat: flag.string().optional(),
  from: flag.month().optional(),
  to: flag.month().optional(),
  asOf: flag.date().optional(),
  json: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("cohorts", argv, Flags);
  let dbPath = flags.db ?? "data/warehouse.duckdb";
  let tmp: string | undefined;
  let rejected = rejectedOfSources([]);
  try {
    if (flags.subscriptions) {
      if (!flags.customer || !flags.start || !flags.end)
        throw new UserError("churn cohorts --subscriptions needs --customer COL, --start COL and --end COL.");
      tmp = mkdtempSync(join(tmpdir(), "churn-cohorts-"));
      const columns: Record<string, string> = {
        customer_id: flags.customer,
        start_date: flags.start,
        end_date: flags.end,
      };
      if (flags.mrr) columns["mrr"] = flags.mrr;
      const config = {
        file: flags.subscriptions,
        columns,
        ...(flags.dateFormat ? { date_format: flags.dateFormat } : {}),
      };
      dbPath = join(tmp, "w.duckdb");
      const result = await buildWarehouse(
        { single: { source: "subscriptions", config }, ...(flags.asOf ? { asOf: flags.asOf } : {}) },
        dbPath,
      );
      rejected = rejectedOfSources(result.sources);
      const note = rejectedNote(flags.subscriptions, rejected);
      if (note) {
        process.stderr.write(`${note}\n`);
        const examples = await withWarehouse(dbPath, { readOnly: true }, (db) =>
          query<{ line: number; column: string | null; reason: string; raw: string }>(
            db.connection,
            `SELECT line, "column", reason, raw FROM rejected_rows ORDER BY line LIMIT 5`,
          ),
        );
        for (const e of examples)
          process.stderr.write(`  line ${e.line}${e.column ? `, column ${e.column}` : ""}: ${e.reason}: ${e.raw}\n`);
      }
    }
    const output = await withWarehouse(dbPath, { readOnly: !tmp }, async (db) => {
      const asOf =
        flags.asOf ??
        (await queryOne<{ value: string }>(db.connection, "SELECT value FROM warehouse_meta WHERE key = 'as_of'"))
          ?.value;
      if (!asOf) throw new UserError(`${dbPath} has no as-of date.`, { hint: "Pass --as-of DATE." });
      const subs = await query<{ n: number }>(db.connection, "SELECT count(*)::BIGINT AS n FROM subscriptions");
      if (!subs[0]?.n)
        throw new UserError("No subscriptions to analyse.", {
          hint: "Monthly churn and cohorts need subscription start and end dates.",
        });
      await buildSubscriptionStates(db.connection, asOf);
      const inRange = (month: string) => (!flags.from || month >= flags.from) && (!flags.to || month <= flags.to);
      const monthly = (await monthlyMetrics(db.connection, asOf)).filter((m) => inRange(m.month));
      const cohorts = cohortCurves((await cohortMatrix(db.connection, asOf)).filter((c) => inRange(c.cohort)));
      const hasMrr = !flags.subscriptions || Boolean(flags.mrr);
      return {
        asOf,
        monthly: monthly.map(({ dimension: _d, value: _v, ...m }) =>
          hasMrr
            ? m
            : {
                ...m,
                mrrStart: null,
                mrrEnd: null,
                mrrNew: null,
                mrrExpansion: null,
                mrrContraction: null,
                mrrChurned: null,
                mrrReactivation: null,
                grossRevenueRetention: null,
                netRevenueRetention: null,
              },
        ),
        cohorts: cohorts.map((c) => (hasMrr ? c : { ...c, revenueRetention: null, grossRevenueRetention: null })),
        definitions: {
          active: "some subscription with start <= day < end (no end = active)",
          churnRate:
            "lost / start, where start = active on the month's first day and lost = active then " +
            "but not on the next month's first day",
          retentionRate: "(end - new) / start",
          cohortCell:
            "cohort = month of first subscription start; cell k is measured on the first day of month cohort + k + 1",
          retention: "cohort customers active that day / cohort size",
          revenueRetention:
            "net: the cohort's MRR that day / its MRR at acquisition (first subscription MRR); " +
            "expansion counts, so it can exceed 1",
          grossRevenueRetention:
            "sum over the cohort of min(MRR that day, MRR at acquisition) / its MRR at acquisition; " +
            "expansion does not count",
        },
      };
    });
    const withRejected = flags.subscriptions
      ? { ...output, rejected: { count: rejected.count, reasons: rejected.reasons } }
      : output;
    printResult(flags.json, withRejected, () => {
      const pct = (x: number | null | undefined) =>
        x === null || x === undefined ? "   -  " : `${(100 * x).toFixed(1).padStart(5)}%`;
      const lines = [
        `Monthly churn (subscription customers, as of ${output.asOf})`,
        "month    start    end   lost    new  churn  retention      MRR end",
      ];
      for (const m of output.monthly) {
        lines.push(
          `${m.month} ${String(m.start).padStart(6)} ${String(m.end).padStart(6)} ` +
            `${String(m.lost).padStart(6)} ${String(m.new).padStart(6)} ` +
            `${pct(m.churnRate)} ${pct(m.retentionRate)}    ` +
            `${m.mrrEnd === null ? "-" : m.mrrEnd.toFixed(2).padStart(12)}`,
        );
      }
      const ks = [0, 1, 2, 3, 6, 12];
      lines.push(
        "",
        "Cohort logo retention (months since acquisition; - = not reached yet)",
        `cohort    size ${ks.map((k) => `k=${k}`.padStart(6)).join(" ")}`,
      );
      for (const c of output.cohorts)
        lines.push(`${c.cohort} ${String(c.size).padStart(6)} ${ks.map((k) => pct(c.retention[k])).join(" ")}`);
      return lines.join("\n");
    });
    return 0;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
