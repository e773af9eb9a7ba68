/**
 * Stage one export file in DuckDB as text columns with the physical line of every row.
 *
 * CSV is read with read_csv(all_varchar, store_rejects): structural problems (too many / too few fields, bad quoting,
 * bad encoding) are caught by DuckDB with their line; every other row keeps its text values. Physical lines of the
 * good rows are recovered exactly: line = header + row number + newlines embedded in quoted fields of earlier rows
 * + structural rejects before it (an ASOF join on the reject lines). Parquet rows get line = row number + 1.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { statSync } from "node:fs";
import { basename } from "node:path";
import type { SourceConfig } from "./config.ts";
import { query, queryOne, run, type SqlParams } from "./db.ts";
import { UserError } from "./errors.ts";

export interface StagedFile {
  file: string;
  /** Temp table with the export's columns (text) and __raw (the row as text). */
  table: string;
  /** SQL expression for a row's physical line in `table`. */
  lineExpr: string;
  columns: string[];
  /** Rows DuckDB could not split into the header's columns: already classified, with line and reason. */
  structuralRejects: { line: number; column: string | null; reason: string; raw: string }[];
  rows: number;
}

const STRUCTURAL_REASONS: Record<string, string> = {
  "MISSING COLUMNS": "too few fields",
  "TOO MANY COLUMNS": "too many fields",
  "UNQUOTED VALUE": "bad quoting",
  "LINE SIZE OVER MAXIMUM": "line too long",
  "CAST ERROR": "unparseable value",
};

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

let counter = 0;

export async function stageFile(conn: DuckDBConnection, path: string, config: SourceConfig): Promise<StagedFile> {
  const file = basename(path);
  if (statSync(path).size === 0) {
    throw new UserError(`${file} is empty (0 bytes).`, {
      hint: "Export the table again with a header row, or remove the file if the business has no such data.",
    });
  }
  const id = ++counter;
  const table = `stage_${id}`;
  if (/\.parquet$/i.test(path)) return stageParquet(conn, path, file, table);

  const header = config.header ?? true;
  const rejectsTable = `rejects_${id}`;
  const rejectsScan = `rejects_scan_${id}`;
  const params: SqlParams = { path };
  let reader: string;
  if (config.whitespace) {
    // One VARCHAR column per physical line (blank lines kept as NULL, so the row number is the physical line); the
    // header, when there is one, is the first non-blank line and names the columns.
    params["delim"] = "\u001f";
    reader = `(SELECT row_number() OVER () AS __pl, line FROM read_csv($path, columns = {'line': 'VARCHAR'},
      header = false, delim = $delim, quote = '', escape = '', store_rejects = true, rejects_table = '${rejectsTable}',
      rejects_scan = '${rejectsScan}'${config.encoding ? ", encoding = $encoding" : ""}))`;
  } else {
    const options = [
      `all_varchar = true`,
      `header = ${header}`,
      `null_padding = false`,
      `store_rejects = true`,
      `rejects_table = '${rejectsTable}'`,
      `rejects_scan = '${rejectsScan}'`,
    ];
    if (config.delimiter) {
      options.push("delim = $delim");
      params["delim"] = config.delimiter;
    }
    if (config.quote !== undefined) {
      options.push("quote = $quote");
      params["quote"] = config.quote;
    }
    reader = `read_csv($path, ${options.join(", ")}${config.encoding ? ", encoding = $encoding" : ""})`;
  }
  if (config.encoding) params["encoding"] = config.encoding;

  let columns: string[];
  try {
    let select: string;
    if (config.whitespace) {
      await stageWhitespace(conn, table, reader, params, header);
      columns = (await query<{ column_name: string }>(conn, `SELECT column_name FROM (DESCRIBE ${table})`))
        .map((r) => r.column_name)
        .filter((c) => !c.startsWith("__"));
      select = "";
    } else {
      columns = (
        await query<{ column_name: string }>(conn, `SELECT column_name FROM (DESCRIBE SELECT * FROM ${reader})`, params)
      ).map((r) => r.column_name);
      select = `SELECT * FROM ${reader}`;
    }
    const text = columns.map((c) => `coalesce(${quoteIdent(c)}, '')`).join(", ");
    if (!config.whitespace)
      await run(
        conn,
        `CREATE TEMP TABLE ${table} AS
       SELECT *, contains(__raw, chr(10)) AS __multiline FROM (SELECT *, concat_ws(',', ${text}) AS __raw, row_number() OVER () AS __rn FROM (${select}))`,
        params,
      );
  } catch (error) {
    if (error instanceof UserError) throw error;
    const message = (error as Error).message;
    if (/unicode|encoding/i.test(message)) throw encodingError(file, config);
    throw new UserError(`Could not read ${file}: ${message.split("\n")[0]}`, {
      hint: "Is it a delimited text file with a header row? Set delimiter, quote or header for it in a config file (--config).",
      cause: error,
    });
  }

  const rejects = await query<{ line: number; column_name: string | null; error_type: string; csv_line: string }>(
    conn,
    `SELECT line::BIGINT AS line, column_name, error_type, csv_line FROM ${rejectsTable} ORDER BY line`,
  );
  const badEncoding = rejects.find((r) => r.error_type === "INVALID ENCODING");
  if (badEncoding) throw encodingError(file, config, badEncoding.line);

  const multiline = config.whitespace
    ? 0
    : ((await queryOne<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM ${table} WHERE __multiline`))?.n ?? 0);
  const headerLines = header ? 1 : 0;
  let lineExpr = "__line";
  if (config.whitespace) {
    lineExpr = "__pl";
  } else if (multiline === 0 && rejects.length === 0) {
    // The common case: one row per line, so the line is the row number plus the header.
    lineExpr = `(__rn + ${headerLines})`;
  } else {
    // Newlines inside quoted fields, and structural rejects, shift the physical lines of all later rows.
    // Reject j (1-based, in line order) at line L_j sits where a good row's base would be b_j = L_j − j + 1; a good row
    // with base B is pushed down by k = #{j : b_j ≤ B}. Consecutive rejects share a b_j, so keep the largest k per b_j.
    await run(
      conn,
      `CREATE TEMP TABLE ${rejectsTable}_base AS
       SELECT b, max(k) AS k FROM (SELECT line - row_number() OVER (ORDER BY line) + 1 AS b, row_number() OVER (ORDER BY line) AS k FROM ${rejectsTable}) GROUP BY b`,
    );
    await run(
      conn,
      `CREATE TEMP TABLE ${table}_lines AS
       WITH based AS (
         SELECT *, ${headerLines} + __rn + coalesce(sum(CASE WHEN __multiline THEN length(__raw) - length(replace(__raw, chr(10), '')) ELSE 0 END)
                OVER (ORDER BY __rn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS __base
         FROM ${table}
       )
       SELECT based.* EXCLUDE (__base), (__base + coalesce(r.k, 0))::BIGINT AS __line
       FROM based ASOF LEFT JOIN ${rejectsTable}_base r ON based.__base >= r.b`,
    );
    await run(conn, `DROP TABLE ${table}`);
    await run(conn, `ALTER TABLE ${table}_lines RENAME TO ${table}`);
  }

  const rows = (await queryOne<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM ${table}`))?.n ?? 0;
  return {
    file,
    table,
    lineExpr,
    columns,
    rows,
    structuralRejects: rejects.map((r) => ({
      line: r.line,
      column: r.column_name,
      reason: STRUCTURAL_REASONS[r.error_type] ?? r.error_type.toLowerCase(),
      raw: r.csv_line,
    })),
  };
}

/**
 * A whitespace-separated file (fields split on runs of spaces, no quoting) staged as text columns named by its header
 * line (or column0, column1, … without one), keeping each row's physical line (__pl) and its text (__raw).
 */
async function stageWhitespace(
  conn: DuckDBConnection,
  table: string,
  reader: string,
  params: SqlParams,
  header: boolean,
): Promise<void> {
  const lines = `(SELECT __pl, trim(line) AS __raw, regexp_split_to_array(trim(line), '\\s+') AS f
    FROM ${reader} WHERE trim(coalesce(line, '')) <> '')`;
  const first = header
    ? await queryOne<{ pl: number; f: string[] }>(
        conn,
        `SELECT __pl::BIGINT AS pl, f FROM ${lines} ORDER BY __pl LIMIT 1`,
        params,
      )
    : null;
  const widest = await queryOne<{ n: number }>(conn, `SELECT max(len(f))::INTEGER AS n FROM ${lines}`, params);
  const width = Math.max(widest?.n ?? 0, first?.f.length ?? 0);
  const names = uniqueNames(Array.from({ length: width }, (_, i) => first?.f[i] ?? `column${i}`));
  const fields = names.map((name, i) => `f[${i + 1}] AS ${quoteIdent(name)}`).join(", ");
  await run(
    conn,
    `CREATE TEMP TABLE ${table} AS SELECT ${fields}, __raw, __pl::BIGINT AS __pl, row_number() OVER (ORDER BY __pl) AS __rn
     FROM ${lines} WHERE __pl > $headerLine ORDER BY __pl`,
    { ...params, headerLine: first?.pl ?? 0 },
  );
}

/** Column names made unique and non-empty: a repeated name gets _2, _3, …; an empty one becomes columnN. */
export function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((raw, i) => {
    const base = raw.trim() === "" ? `column${i}` : raw;
    let name = base;
    for (let k = 2; seen.has(name.toLowerCase()); k++) name = `${base}_${k}`;
    seen.add(name.toLowerCase());
    return name;
  });
}

async function stageParquet(conn: DuckDBConnection, path: string, file: string, table: string): Promise<StagedFile> {
  const described = await query<{ column_name: string }>(
    conn,
    "SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet($path))",
    { path },
  );
  const columns = described.map((r) => r.column_name);
  const casts = columns.map((c) => `CAST(${quoteIdent(c)} AS VARCHAR) AS ${quoteIdent(c)}`).join(", ");
  const text = columns.map((c) => `coalesce(CAST(${quoteIdent(c)} AS VARCHAR), '')`).join(", ");
  await run(
    conn,
    `CREATE TEMP TABLE ${table} AS SELECT ${casts}, concat_ws(',', ${text}) AS __raw, (row_number() OVER () + 1)::BIGINT AS __line FROM read_parquet($path)`,
    { path },
  );
  const rows = (await queryOne<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM ${table}`))?.n ?? 0;
  return { file, table, lineExpr: "__line", columns, rows, structuralRejects: [] };
}

function encodingError(file: string, config: SourceConfig, line?: number): UserError {
  const current = config.encoding ?? "utf-8";
  const suggestion = current === "utf-8" ? "latin-1" : "utf-8";
  return new UserError(`${file}${line ? `, line ${line}` : ""}: the file is not valid ${current} text.`, {
    hint: `Try --encoding ${suggestion} (or "encoding": "${suggestion}" for this source in the config file). Accepted: utf-8, latin-1, utf-16.`,
  });
}
