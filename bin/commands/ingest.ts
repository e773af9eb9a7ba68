/** `churn ingest`: raw exports → DuckDB warehouse, with rejected rows kept and counted. */
import { rmSync } from "node:fs";
import { z } from "zod";
import { UserError } from "../../loaders/errors.ts";
import { buildWarehouse, type IngestResult } from "../../loaders/ingest.ts";
import { ingestReportLines } from "../../loaders/ingest-report.ts";
import { guardOutputs, swapIn } from "../build/outputs.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage:
  churn ingest --source DIR [--config FILE] [--encoding ENC] [--db FILE] [--as-of DATE] [--json]
  churn ingest --transactions FILE --customer COL --date COL (--amount COL | --quantity COL --price COL)
               [--order COL] [--date-format FMT] [--encoding ENC] [--db FILE] [--as-of DATE] [--json]

Loads whichever of customers, transactions, subscriptions, interactions, surveys and cancellations exist in DIR
(CSV, TSV, text, gzipped or Parquet; native column names, or mapped by --config) into a fresh warehouse (default
data/warehouse.duckdb).
Rows that cannot be used are kept in the table rejected_rows with file, line, column and reason.

  --date-format FMT   strftime codes as DuckDB's strptime, e.g. %d/%m/%Y or %Y%m%d (default ISO dates)
  --encoding ENC      utf-8, latin-1 or utf-16 (with --source: of every export whose config names none;
                      default: utf-8, or utf-16 after its byte-order mark, latin-1 when not valid utf-8)
  --as-of DATE        analysis date (default: the last date in the data, leaving out any more than a year
                      after 99% of its dates, as likely mistyped; the report names them)
  --json              print {"read","loaded","rejected","reasons"} (per source with --source)`;

const Flags = z.object({
  source: flag.string().optional(),
  config: flag.string().optional(),
  db: flag.string().default("data/warehouse.duckdb"),
  asOf: flag.date().optional(),
  transactions: flag.string().optional(),
  customer: flag.string().optional(),
  date: flag.string().optional(),
  amount: flag.string().optional(),
  quantity: flag.string().optional(),
  price: flag.string().optional(),
  order: flag.string().optional(),
  dateFormat: flag.string().optional(),
  encoding: z.enum(["utf-8", "latin-1", "utf-16"], { error: "expects utf-8, latin-1 or utf-16" }).optional(),
  json: flag.boolean(),
});

function totals(result: IngestResult) {
  const sum = { read: 0, loaded: 0, rejected: 0, reasons: {} as Record<string, number> };
  for (const s of result.sources) {
    sum.read += s.read;
    sum.loaded += s.loaded;
    sum.rejected += s.rejected;
    for (const [reason, n] of Object.entries(s.reasons)) sum.reasons[reason] = (sum.reasons[reason] ?? 0) + n;
  }
  return sum;
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("ingest", argv, Flags);
  if (flags.transactions && flags.source)
    throw new UserError("churn ingest: give --source DIR or --transactions FILE, not both.");
  if (flags.transactions) {
    if (!flags.customer || !flags.date)
      throw new UserError("churn ingest --transactions needs --customer COL and --date COL.");
    if (!flags.amount && !(flags.quantity && flags.price))
      throw new UserError("churn ingest --transactions needs --amount COL, or --quantity COL and --price COL.");
  }
  // A fresh warehouse beside the target, swapped in at the end: a refusal or a kill leaves the previous one as it was.
  const guard = await guardOutputs({ db: flags.db }, "ingest");
  const tmp = `${guard.db}.build-${process.pid}.tmp`;
  const removeTmp = () => {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.wal`, { force: true });
  };
  const interrupt = guard.onInterrupt(removeTmp);
  let built: IngestResult;
  try {
    built = await buildWarehouse(
      {
        ...(flags.source ? { source: flags.source } : {}),
        ...(flags.config ? { config: flags.config } : {}),
        ...(flags.source && flags.encoding ? { encoding: flags.encoding } : {}),
        ...(flags.asOf ? { asOf: flags.asOf } : {}),
        ...(flags.transactions
          ? {
              transactions: {
                file: flags.transactions,
                customer: flags.customer!,
                date: flags.date!,
                ...(flags.amount ? { amount: flags.amount } : {}),
                ...(flags.quantity ? { quantity: flags.quantity } : {}),
                ...(flags.price ? { price: flags.price } : {}),
                ...(flags.order ? { order: flags.order } : {}),
                ...(flags.dateFormat ? { dateFormat: flags.dateFormat } : {}),
                ...(flags.encoding ? { encoding: flags.encoding } : {}),
              },
            }
          : {}),
      },
      tmp,
    );
    swapIn([{ tmp, target: guard.db, wal: true }]);
  } catch (error) {
    removeTmp();
    throw error;
  } finally {
    interrupt.done();
    guard.release();
  }
  const result: IngestResult = { ...built, dbPath: guard.db };
  const allNotes = result.sources.flatMap((s) => s.notes ?? []);
  const json = flags.transactions
    ? { ...totals(result), ...(allNotes.length ? { notes: allNotes } : {}) }
    : {
        sources: Object.fromEntries(
          [...new Set(result.sources.map((s) => s.source))].map((source) => {
            const parts = result.sources.filter((s) => s.source === source);
            const notes = parts.flatMap((s) => s.notes ?? []);
            return [source, { ...totals({ ...result, sources: parts }), ...(notes.length ? { notes } : {}) }];
          }),
        ),
        missing: result.missing,
        asOf: result.asOf,
        ...(result.notes?.length ? { notes: result.notes } : {}),
        db: result.dbPath,
      };
  printResult(flags.json, json, () => {
    const lines = [`Warehouse ${result.dbPath} (as of ${result.asOf}, data ${result.dataFrom} .. ${result.dataTo}):`];
    lines.push(...ingestReportLines(result));
    return lines.join("\n");
  });
  return 0;
}
