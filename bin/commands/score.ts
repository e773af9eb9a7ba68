/** `churn score`: the ranked at-risk list (model or rules) as a spreadsheet-safe CSV. */
import { z } from "zod";
import { queryOne, tableExists, withWarehouse } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { actionsAnalysis, scoredListCsv } from "../../models/actions/analyze.ts";
import type { AnalysisContext } from "../../models/context.ts";
import { discardStoredModel, scoreWithStoredModel } from "../../models/forest/score-stored.ts";
import { analyzeForestRecorded } from "../../models/pipeline.ts";
import { analyzeValue } from "../../models/value/analyze.ts";
import { flag, parseFlags, printResult } from "../args.ts";
import { onWarehouseCopy, writeOwnFile } from "../build/outputs.ts";

export const help = `Usage: churn score --db FILE --out FILE.csv [--top N] [--as-of DATE] [--retrain] [--no-model]
                   [--json]

Ranks every customer active at the as-of date (default: the warehouse's) and writes them in rank order (risk_rank):
CLV, value if retained, health score and band, the symptoms that fired, one recommended action, the next proactive
touch (next_touch, next_touch_date, channel), and the churn probability and value at risk when a model ranks them.
Recently cancelled subscribers worth winning back follow with their win-back value.
  risk_source = model: the churn forest ranks by value at risk = churn probability × value if retained.
  risk_source = rules: when the forest cannot be trained (too little history, too few churns) or with --no-model,
    customers with a critical symptom come first, then by the summed weight of their recapitulative symptoms, then
    by value; churn_probability and value_at_risk stay empty.
The forest stored in the warehouse (churn_model) scores the customers anew when it was trained at the as-of date.
The forest is trained again when the warehouse has no model for that date (customers are valued first), when the
stored model no longer reads the warehouse's features, or with --retrain.
  --retrain   train the forest anew even when a model for the as-of date is stored
  --no-model  rank by rules, without the churn forest
  --json      print {"asOf", "written", "out", "riskSource", "model": "stored" | "trained" | "none", "summary"}
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
  retrain: flag.boolean(),
  noModel: flag.boolean(),
  json: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("score", argv, Flags);
  if (flags.retrain && flags.noModel)
    throw new UserError("--retrain and --no-model contradict each other.", { hint: "Give one of them." });
  // At the warehouse's date the scored copy is kept (swapped in); at another date it is deleted, so the warehouse
  // never holds tables of two dates.
  const result = await onWarehouseCopy(flags.db, "score", async (copy) => {
    const { value, warehouseAsOf } = await scoreWarehouse(flags, copy);
    return { value, keep: !flags.asOf || flags.asOf === warehouseAsOf };
  });
  const order =
    result.riskSource === "model" ? `by value at risk (churn model, ${result.model})` : "by symptoms and value (rules)";
  printResult(
    flags.json,
    result,
    () => `Wrote ${result.written} customers (as of ${result.asOf}) to ${result.out}, ranked ${order}.`,
  );
  return 0;
}

/** Score the warehouse at `dbPath` (a copy); also says the date the warehouse itself is at. */
async function scoreWarehouse(flags: z.infer<typeof Flags>, dbPath: string) {
  return withWarehouse(dbPath, { readOnly: false }, async (db) => {
    const conn = db.connection;
    const warehouseAsOf = (
      await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = 'as_of'")
    )?.value;
    const asOf = flags.asOf ?? warehouseAsOf;
    if (!asOf) throw new UserError(`${flags.db} has no as-of date.`, { hint: "Ingest again, or pass --as-of DATE." });
    const ctx = { conn, dbPath, asOf, seed: flags.seed, log: (m: string) => process.stderr.write(`${m}\n`) };
    const modelAsOf = (await tableExists(conn, "churn_model"))
      ? (await queryOne<{ a: string }>(conn, "SELECT trained_at_as_of AS a FROM churn_model"))?.a
      : undefined;
    if (!(await tableExists(conn, "customer_value")) || modelAsOf !== asOf) {
      process.stderr.write(`valuing customers as of ${asOf}…\n`);
      await analyzeValue(ctx);
    }
    const model = flags.noModel ? "none" : await scoreOrTrain(ctx, modelAsOf, flags.retrain);
    const report = await actionsAnalysis({ useModel: !flags.noModel })(ctx);
    if (!report.ran) throw new UserError(`Cannot score: ${report.skipped}.`);
    const list = await scoredListCsv(conn, flags.top);
    writeOwnFile(flags.out, list.csv, (old) => old.startsWith("\ufeffcustomer_id"));
    const riskSource = report.summary["riskSource"] as string;
    const value = { asOf, written: list.rows, out: flags.out, riskSource, model, summary: report.summary };
    return { value, warehouseAsOf };
  });
}

/**
 * Churn probabilities for the as-of date: from the stored forest when it was trained then and still fits the
 * warehouse's features (and --retrain was not given), else from a forest trained anew. Says which on stderr.
 */
async function scoreOrTrain(
  ctx: AnalysisContext,
  modelAsOf: string | undefined,
  retrain: boolean,
): Promise<"stored" | "trained" | "none"> {
  let why = retrain
    ? "--retrain"
    : modelAsOf === undefined
      ? "the warehouse has no stored model"
      : modelAsOf === ctx.asOf
        ? ""
        : `the stored model was trained as of ${modelAsOf}`;
  if (!why) {
    const stored = await scoreWithStoredModel(ctx);
    if (stored.ok) {
      process.stderr.write(`scoring with the stored model trained as of ${ctx.asOf}\n`);
      return "stored";
    }
    why = `the stored model is stale: ${stored.reason}`;
    // Dropped so that, should training now fail, the old predictions are not taken for this model's.
    await discardStoredModel(ctx.conn);
  }
  process.stderr.write(`training the churn forest as of ${ctx.asOf} (${why})…\n`);
  // When it cannot train, the actions stage ranks by rules and says why.
  return (await analyzeForestRecorded(ctx)).ran ? "trained" : "none";
}
