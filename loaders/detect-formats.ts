/**
 * The date format and decimal mark of an export whose config does not set them, read from its own values, as
 * spreadsheet and CRM exports seldom write ISO dates and points: `01/31/2025` (US), `31.01.2025`, `375,00` (most of
 * Europe). Without this every row of such a file was rejected ("unparseable date", "unparseable number") and the build
 * went on without the source.
 *
 * Dates: when fewer than half of the first DETECT_SAMPLE non-empty values of the source's date columns parse as ISO,
 * each candidate format is tried on every value of those columns and the one that parses the most is used, if it
 * parses at least MIN_SHARE of them and no other candidate parses as many (day/month and month/day both parse a file
 * whose days are all ≤ 12: then nothing is guessed and the rows are rejected as before, with the hint to set
 * `date_format`). A value's time of day (after a space) is ignored.
 *
 * Decimal comma: when, among the first DETECT_SAMPLE non-empty values of the source's number columns, some end in a
 * comma and one or two digits (`375,00`, `1.234,5`) and none end in a point and one or two digits (`375.00`). A
 * value like `1,234` alone says nothing (a thousands separator or three decimals), and stays a thousands separator.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne, type SqlParams } from "./db.ts";
import { quoteIdent } from "./read-source.ts";

/** Values read to decide whether dates are ISO and whether numbers use a decimal comma. */
const DETECT_SAMPLE = 1000;
/** Share of a source's non-empty date values the chosen format must parse. */
const MIN_SHARE = 0.9;

/** Formats tried, most common first (strftime codes as DuckDB's strptime; %m and %d also read one digit). */
export const DATE_FORMATS = [
  "%m/%d/%Y",
  "%d/%m/%Y",
  "%d.%m.%Y",
  "%d-%m-%Y",
  "%m-%d-%Y",
  "%Y/%m/%d",
  "%Y.%m.%d",
  "%Y%m%d",
  "%m/%d/%y",
  "%d/%m/%y",
  "%d.%m.%y",
  "%d-%b-%Y",
  "%d-%b-%y",
  "%b %d, %Y",
  "%B %d, %Y",
  "%d %b %Y",
  "%d %B %Y",
] as const;

/**
 * Dates written as numbers, tried beside the formats: a spreadsheet's serial day (Excel and LibreOffice count days from
 * 1899-12-30; five digits, 1954–2118) and a Unix time in seconds (ten digits, 2001–2100) or milliseconds (thirteen).
 * Each maps a value to a DATE (UTC) or NULL; the digit counts keep them apart from each other and from %Y%m%d.
 */
export const NUMERIC_DATES: Record<string, (v: string) => string> = {
  // TRY_CAST throughout: DuckDB may evaluate a conjunction's terms in any order, on text that is no number.
  "spreadsheet serial days": (v) =>
    `CASE WHEN regexp_full_match(${v}, '\\d{5}(\\.\\d+)?') ` +
    `THEN DATE '1899-12-30' + CAST(floor(TRY_CAST(${v} AS DOUBLE)) AS INTEGER) END`,
  "Unix seconds": (v) =>
    `CASE WHEN regexp_full_match(${v}, '\\d{10}(\\.\\d+)?') AND TRY_CAST(${v} AS DOUBLE) < 4102444800 ` +
    `THEN CAST(epoch_ms(CAST(TRY_CAST(${v} AS DOUBLE) * 1000 AS BIGINT)) AS DATE) END`,
  "Unix milliseconds": (v) =>
    `CASE WHEN regexp_full_match(${v}, '\\d{13}') AND TRY_CAST(${v} AS BIGINT) < 4102444800000 ` +
    `THEN CAST(epoch_ms(TRY_CAST(${v} AS BIGINT)) AS DATE) END`,
};

/**
 * The text a detected format parses: the date part of a value (before the first space), or the whole value for a
 * format with spaces of its own (`Jan 5, 2024`).
 */
export const datePart = (v: string, format: string) => (format.includes(" ") ? v : `split_part(${v}, ' ', 1)`);

/**
 * SQL: a number's text as the loader casts it: an accountant's `(20.00)` read as −20.00, then spaces, currency signs
 * and ISO currency codes (`USD 1,234.50`, `375,00 €`) removed.
 */
export const numberText = (v: string) =>
  `regexp_replace(regexp_replace(${v}, '^\\((.*)\\)$', '-\\1'), '^[A-Z]{3}|[A-Z]{3}$|[\\s$€£¥₹]', '', 'g')`;

/** SQL: a value parsed as ISO, as the loader does without a format. */
export const isoDate = (v: string) => `coalesce(TRY_CAST(${v} AS DATE), CAST(TRY_CAST(${v} AS TIMESTAMP) AS DATE))`;

export interface DetectedFormats {
  /** A format for the source's dates, when they are not ISO and one format reads them (see above): a strptime
   * format, or a key of NUMERIC_DATES. */
  dateFormat?: string;
  decimalComma?: boolean;
  /** What was decided and why, for the ingest report. */
  notes: string[];
}

const nonEmpty = (column: string) => `nullif(trim(${quoteIdent(column)}), '')`;

/** The values of `columns` in `table` as one column `v` (non-empty only), the first `limit` when given. */
function valuesSql(table: string, columns: string[], limit?: number): string {
  const parts = columns.map((c) => {
    const v = nonEmpty(c);
    return `SELECT ${v} AS v FROM ${table} WHERE ${v} IS NOT NULL${limit ? ` LIMIT ${limit}` : ""}`;
  });
  return parts.map((p) => `(${p})`).join(" UNION ALL ");
}

/** Decide the date format and decimal mark of a staged export (temp table `table`) from its own values. */
export async function detectFormats(
  conn: DuckDBConnection,
  file: string,
  table: string,
  dateColumns: string[],
  numberColumns: string[],
  settled: { dateFormat: boolean; decimalComma: boolean },
): Promise<DetectedFormats> {
  const detected: DetectedFormats = { notes: [] };
  if (!settled.dateFormat && dateColumns.length) {
    const sample = await queryOne<{ n: number; iso: number }>(
      conn,
      `SELECT count(*)::BIGINT AS n, count(${isoDate("v")})::BIGINT AS iso
       FROM (${valuesSql(table, dateColumns, DETECT_SAMPLE)})`,
    );
    if (sample && sample.n > 0 && sample.iso * 2 < sample.n) {
      const params: SqlParams = {};
      const candidates = [...DATE_FORMATS, ...Object.keys(NUMERIC_DATES)];
      const counts = candidates.map((format, i) => {
        const numeric = NUMERIC_DATES[format];
        if (numeric) return `count(${numeric("v")})::BIGINT AS c${i}`;
        params[`f${i}`] = format;
        return `count(try_strptime(${datePart("v", format)}, $f${i}))::BIGINT AS c${i}`;
      });
      const row = await queryOne<Record<string, number>>(
        conn,
        `SELECT count(*)::BIGINT AS n, ${counts.join(", ")} FROM (${valuesSql(table, dateColumns)})`,
        params,
      );
      const n = Number(row?.["n"] ?? 0);
      const parsed = candidates.map((_, i) => Number(row?.[`c${i}`] ?? 0));
      const best = Math.max(...parsed);
      const winners = candidates.filter((_, i) => parsed[i] === best);
      const where = `${file} (${dateColumns.join(", ")})`;
      if (n > 0 && best >= MIN_SHARE * n && winners.length === 1) {
        detected.dateFormat = winners[0]!;
        detected.notes.push(
          `${where}: dates read as ${winners[0]} (${best} of ${n} values; set "date_format" in a config file, ` +
            "or --date-format for a single file, to read them otherwise)",
        );
      } else if (n > 0 && best >= MIN_SHARE * n)
        detected.notes.push(
          `${where}: dates are not ISO and read equally well as ${winners.join(" or ")}: not guessed. ` +
            `Set "date_format" for this source in a config file (--config), or --date-format for a single file.`,
        );
    }
  }
  if (!settled.decimalComma && numberColumns.length) {
    // Read as the loader reads them (numberText).
    const marks = await queryOne<{ comma: number; point: number }>(
      conn,
      `SELECT count(*) FILTER (WHERE regexp_matches(n, ',\\d{1,2}$'))::BIGINT AS comma,
              count(*) FILTER (WHERE regexp_matches(n, '\\.\\d{1,2}$'))::BIGINT AS point
       FROM (SELECT ${numberText("v")} AS n FROM (${valuesSql(table, numberColumns, DETECT_SAMPLE)}))`,
    );
    if (marks && marks.comma > 0 && marks.point === 0) {
      detected.decimalComma = true;
      detected.notes.push(
        `${file} (${numberColumns.join(", ")}): numbers read with a decimal comma (${marks.comma} of the first ` +
          `values end in ",d" or ",dd", none in ".d" or ".dd"; set "decimal_comma": false in a config file to ` +
          "read them otherwise)",
      );
    }
  }
  return detected;
}
