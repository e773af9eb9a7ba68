/**
 * The ingest's report in words, as `churn ingest` and `churn build` print it: per export, rows read, loaded and
 * rejected with their reasons, the formats read from the export's values, and a warning with the first rejected line
 * when most of an export's rows were rejected (the usual sign of a layout the loader does not read as it should).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne } from "./db.ts";
import type { IngestResult, SourceLoadReport } from "./ingest.ts";
import { NOT_KEPT } from "./validate-rows.ts";

/** The config key that most often mends a reason, named in the warning beside the general advice. */
const KEY_FOR_REASON: Record<string, string> = {
  "unparseable date": `"date_format" (e.g. "%d/%m/%Y")`,
  "impossible date": `"date_format" (day and month may be swapped)`,
  "unparseable number": `"decimal_comma": true for values like 1.234,50`,
  "too few fields": `"delimiter" and "quote"`,
  "too many fields": `"delimiter" and "quote"`,
  "bad quoting": `"quote"`,
  "duplicate row (earlier file)": `"file" (the export may be in the folder twice; keep one copy)`,
};

/** Add a warning note to each report most of whose rows were rejected, naming the first such row of its top reason. */
export async function noteMostlyRejected(conn: DuckDBConnection, reports: SourceLoadReport[]): Promise<void> {
  for (const report of reports) {
    // Rows the config's keep_if leaves out are set aside on purpose, not a problem of the export.
    const problems = Object.entries(report.reasons).filter(([reason]) => !reason.startsWith(NOT_KEPT));
    const rejected = problems.reduce((s, [, n]) => s + n, 0);
    if (report.read === 0 || rejected * 2 <= report.read) continue;
    const [reason, n] = problems.sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
    const first = await queryOne<{ line: number | null; column: string | null; raw: string | null }>(
      conn,
      `SELECT line, "column", left(raw, 120) AS raw FROM rejected_rows
       WHERE source = $source AND file = $file AND reason = $reason ORDER BY line LIMIT 1`,
      { source: report.source, file: report.file, reason },
    );
    const where = first
      ? ` First: line ${first.line ?? "?"}${first.column ? `, column ${first.column}` : ""}` +
        `${first.raw ? `: ${JSON.stringify(first.raw)}` : ""}.`
      : "";
    report.notes = [
      ...(report.notes ?? []),
      `warning: ${rejected} of ${report.read} rows of ${report.file} were rejected, ${n} of them for ` +
        `"${reason}".${where} Fix the export, or describe its layout in a config file (--config; README, ` +
        `"Your own exports"${KEY_FOR_REASON[reason] ? `; for this reason see ${KEY_FOR_REASON[reason]}` : ""}); ` +
        "every rejected row is in the warehouse table rejected_rows.",
    ];
  }
}

/** The report's lines: one per export, then its notes, then the sources not found. */
export function ingestReportLines(result: IngestResult): string[] {
  const lines: string[] = [];
  for (const s of result.sources) {
    const reasons = Object.entries(s.reasons)
      .map(([r, n]) => `${r} ${n}`)
      .join(", ");
    lines.push(
      `  ${s.source.padEnd(14)} ${s.file.padEnd(28)} read ${String(s.read).padStart(9)}` +
        `  loaded ${String(s.loaded).padStart(9)}  rejected ${String(s.rejected).padStart(6)}` +
        (reasons ? `  (${reasons})` : ""),
    );
    for (const note of s.notes ?? []) lines.push(`    ${note}`);
  }
  for (const note of result.notes ?? []) lines.push(`  ${note}`);
  if (result.missing.length)
    lines.push(
      `  not found: ${result.missing.join(", ")}` +
        (result.derivedCustomers ? " (customers derived from the other sources: first date seen)" : ""),
    );
  return lines;
}
