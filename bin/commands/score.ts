/** `churn score`: the scored at-risk list as a spreadsheet-safe CSV, sorted by value at risk. */
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { queryOne, tableExists, withDatabase } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { analyzeActions, scoredListCsv } from "../../models/actions/analyze.ts";
import { analyzeForest } from "../../models/forest/analyze.ts";
import { analyzeValue } from "../../models/value/analyze.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage: churn score --db FILE --out FILE.csv [--top N] [--as-of DATE] [--json]

Scores the customers active at the as-of date (default: the warehouse's) — churn probability from the forest, CLV,
value at risk = probability × CLV, health score and band, the symptoms that fired, the top drivers and one
recommended action — and writes them sorted by value at risk, highest first. Recently cancelled subscribers worth
winning back follow with their win-back value. Trains the forest (and values customers) first when the warehouse
has no model yet, or when --as-of differs from the model's date.
The CSV is UTF-8 with a BOM, CRLF line ends, and no cell that a spreadsheet would run as a formula.`;

const Flags = z.object({
  db: flag.string().default("data/warehouse.duckdb"),
  out: flag.string(),
  top: flag
    .integer()
    .pipe(z.number().min(1, { error: "must be at least 1" }))
    .optional(),
  asOf: flag.date().optional(),
  seed: flag.integer().default(1),
  json: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("score", argv, Flags);
  const result = await withDatabase(flags.db, { readOnly: false }, async (db) => {
    const conn = db.connection;
    const warehouseAsOf = (
      await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = 'as_of'")
    )?.value;
    const asOf = flags.asOf ?? warehouseAsOf;
    if (!asOf) throw new UserError(`${flags.db} has no as-of date.`, { hint: "Ingest again, or pass --as-of DATE." });
    const ctx = { conn, dbPath: flags.db, asOf, seed: flags.seed, log: (m: string) => process.stderr.write(`${m}\n`) };
    const modelAsOf = (await tableExists(conn, "churn_model"))
      ? (await queryOne<{ a: string }>(conn, "SELECT trained_at_as_of AS a FROM churn_model"))?.a
      : undefined;
    if (!(await tableExists(conn, "customer_value")) || modelAsOf !== asOf) {
      process.stderr.write(`valuing customers as of ${asOf}…\n`);
      await analyzeValue(ctx);
    }
    if (modelAsOf !== asOf) {
      process.stderr.write(`training the churn forest as of ${asOf}…\n`);
      const report = await analyzeForest(ctx);
      if (!report.ran) throw new UserError(`Cannot score: ${report.skipped}.`);
    }
    const report = await analyzeActions(ctx);
    if (!report.ran) throw new UserError(`Cannot score: ${report.skipped}.`);
    const list = await scoredListCsv(conn, flags.top);
    writeFileSync(flags.out, list.csv);
    return { asOf, written: list.rows, out: flags.out, summary: report.summary };
  });
  printResult(
    flags.json,
    result,
    () => `Wrote ${result.written} customers (as of ${result.asOf}) to ${result.out}, sorted by value at risk.`,
  );
  return 0;
}
