/**
 * The ingest config file (JSON): how a business's own exports map onto the native layout.
 * Validated with zod strict objects, so a misspelt key is named in the error rather than ignored.
 *
 * {
 *   "as_of": "2026-09-30",                       // optional analysis date
 *   "id_match": "auto",                          // or "exact", "loose": ids spelt differently (loaders/id-matching.ts)
 *   "sources": {
 *     "transactions": {
 *       "file": "orders_*.csv",                  // name or glob, relative to --source
 *       "columns": { "customer_id": "Client", "date": "OrderDate", "amount": "Total" },
 *       "date_format": "%d/%m/%Y",               // strftime codes as DuckDB's strptime
 *       "encoding": "latin-1", "delimiter": ";", "decimal_comma": true, "header": true,
 *       "whitespace": false,                     // true: columns separated by runs of spaces (no quoting)
 *       "keep_duplicates": false,                // true: exact duplicate rows are genuine (no order id in the export)
 *       "amount_from": { "quantity": "Qty", "price": "UnitPrice" },
 *       "mrr_from": { "amount": "Plan Amount", "interval": "Plan Interval", "interval_count": "Interval Count" },
 *       "keep_if": { "column": "status", "in": ["paid"] }, // other rows set aside with the reason (void invoices)
 *       "scale": { "amount": 0.01 },             // multiply a number column (amounts exported in cents)
 *       "derive": { "signup_date": { "months_before": "2024-01-31", "months_column": "tenure" },
 *                   "end_date": { "date_if": { "column": "Churn", "equals": "Yes", "date": "2024-01-31" } } }
 *     }
 *   }
 * }
 */
import { existsSync } from "node:fs";
import { readJsonFile } from "./json-file.ts";
import { z } from "zod";
import { UserError } from "./errors.ts";
import { SOURCE_NAMES, type SourceName } from "./schema.ts";

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "expects a date YYYY-MM-DD" });

const Derive = z.union([
  z.strictObject({ months_before: IsoDate, months_column: z.string().min(1) }),
  z.strictObject({ date_if: z.strictObject({ column: z.string().min(1), equals: z.string(), date: IsoDate }) }),
  z.strictObject({ constant: z.string() }),
]);
export type DeriveRule = z.infer<typeof Derive>;

export const SourceConfigSchema = z.strictObject({
  file: z.string().min(1),
  columns: z.record(z.string(), z.string().min(1)).optional(),
  date_format: z.string().min(1).optional(),
  encoding: z.enum(["utf-8", "latin-1", "utf-16"]).optional(),
  delimiter: z.string().min(1).max(4).optional(),
  quote: z.string().max(1).optional(),
  header: z.boolean().optional(),
  decimal_comma: z.boolean().optional(),
  whitespace: z.boolean().optional(),
  /** Keep exact duplicate rows (an export with no order id can repeat a genuine purchase, as CDNOW does). */
  keep_duplicates: z.boolean().optional(),
  amount_from: z.strictObject({ quantity: z.string().min(1), price: z.string().min(1) }).optional(),
  /**
   * Subscriptions: mrr from a plan's price and billing interval (a billing tool's export: 1,200 a year is 100 a month),
   * with an optional count of intervals per billing (every 3 months).
   */
  mrr_from: z
    .strictObject({
      amount: z.string().min(1),
      interval: z.string().min(1),
      interval_count: z.string().min(1).optional(),
    })
    .optional(),
  /** Keep only rows whose column (trimmed) is one of these values; the others go to rejected_rows, reason named. */
  keep_if: z.strictObject({ column: z.string().min(1), in: z.array(z.string()).min(1) }).optional(),
  /** Multiply native number columns by these factors (0.01: an export in cents). */
  scale: z.record(z.string(), z.number().positive().finite()).optional(),
  derive: z.record(z.string(), Derive).optional(),
});
export type SourceConfig = z.infer<typeof SourceConfigSchema>;

export const IngestConfigSchema = z.strictObject({
  as_of: IsoDate.optional(),
  id_match: z.enum(["auto", "exact", "loose"]).optional(),
  sources: z.partialRecord(z.enum(SOURCE_NAMES), SourceConfigSchema),
});
export type IngestConfig = z.infer<typeof IngestConfigSchema>;

/**
 * The native layout: `<source>.csv` (or .tsv, .txt, any of them gzipped, or .parquet), columns named as in
 * loaders/schema.ts.
 */
export function nativeConfig(source: SourceName): SourceConfig {
  return { file: `${source}.{csv,parquet,tsv,txt,csv.gz,tsv.gz,txt.gz}` };
}

export function loadConfig(path: string): IngestConfig {
  if (!existsSync(path)) throw new UserError(`Config file not found: ${path}.`);
  const json = readJsonFile(path);
  const result = IngestConfigSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join(".") : "(top level)";
    const keys =
      issue.code === "unrecognized_keys"
        ? ` unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : "";
    throw new UserError(`${path}: at ${where}:${keys || ` ${issue.message}`}.`, {
      hint: 'See the README section "Your own exports" for the config keys.',
    });
  }
  return result.data;
}
