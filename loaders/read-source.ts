/**
 * Stage one export file in DuckDB as text columns with the physical line of every row.
 *
 * CSV is read with read_csv(all_varchar, store_rejects): structural problems (too many / too few fields, bad quoting,
 * bad encoding) are caught by DuckDB with their line; every other row keeps its text values. Physical lines of the
 * good rows are recovered exactly: line = header + row number + newlines embedded in quoted fields of earlier rows
 * + structural rejects before it (an ASOF join on the reject lines). Parquet rows get line = row number + 1.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { basename, dirname, extname, join, resolve } from "node:path";
import { appendRows } from "./append.ts";
import type { SourceConfig } from "./config.ts";
import { query, queryOne, run, type SqlParams } from "./db.ts";
import { guessDelimiter, readRecordText, scanRecords, type RecordScan } from "./csv-records.ts";
import { UserError } from "./errors.ts";

export interface StagedFile {
  file: string;
  /** Temp table with the export's columns (text), __rn (row number) and, when `rawColumn`, __raw (the row as text). */
  table: string;
  /** The table has __raw: the row's fields joined by commas (only where the file's own text is not known exactly). */
  rawColumn: boolean;
  /** SQL expression for a row's physical line in `table`. */
  lineExpr: string;
  columns: string[];
  /** Rows DuckDB could not split into the header's columns: already classified, with line and reason. */
  structuralRejects: { line: number; column: string | null; reason: string; raw: string }[];
  rows: number;
  /** Records in the file (after the header): from the independent scan when `exact`, else rows + structural rejects. */
  read: number;
  /** Lines (and `read`) come from the independent record scan, so they are exact. */
  exact: boolean;
  /** The file's own text of a staged row (by __rn), when known exactly. */
  rawText?: (rowNumber: number) => string;
  /** How the file was read when it differs from what was asked (an encoding fallen back to), for the report. */
  notes?: string[];
  /** Removes the decompressed copy a gzipped export was read from; call once the staged rows are loaded. */
  release?: () => void;
  /** The file's first lines as text (up to 20; for messages about its header). */
  headLines?: string[];
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
  // A gzipped export (transactions.csv.gz) is read from a decompressed copy, under its own name.
  if (/\.gz$/i.test(path)) {
    const plain = await gunzipped(path);
    const release = () => rmSync(dirname(plain), { recursive: true, force: true });
    try {
      // The copy stays until the caller has loaded the rows (their raw text is read from it).
      return { ...(await stageNamed(conn, plain, basename(path), config)), release };
    } catch (error) {
      release();
      throw error;
    }
  }
  return stageNamed(conn, path, basename(path), config);
}

/** The file decompressed into a new temporary folder (the caller removes the folder); refused by name if not gzip. */
async function gunzipped(path: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "churn-gz-"));
  const plain = join(dir, basename(path).replace(/\.gz$/i, ""));
  try {
    await pipeline(createReadStream(path), createGunzip(), createWriteStream(plain));
    return plain;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (!code.startsWith("Z_")) throw error; // the disk, not the file (reported as such by the caller)
    throw new UserError(`${basename(path)} is not a readable gzip file (${(error as Error).message}).`, {
      hint: "Compress the export again (gzip), or give the plain CSV file.",
    });
  }
}

/** Stage `path`, reported as `file` (its own name, or the compressed file's it was read from). */
async function stageNamed(
  conn: DuckDBConnection,
  path: string,
  file: string,
  config: SourceConfig,
): Promise<StagedFile> {
  const parquet = /\.parquet$/i.test(path);
  const size = statSync(path).size;
  // A file of only a byte-order mark or blank lines (a spreadsheet's export of an empty sheet) is empty too; read,
  // it was "required column customer_id is missing; columns found: column0".
  if (size === 0 || (!parquet && size <= 4096 && blankText(readFileSync(path)))) {
    throw new UserError(
      `${file} is empty (${size === 0 ? "0 bytes" : "no header row: only a byte-order mark or blank lines"}).`,
      { hint: "Export the table again with a header row, or remove the file if the business has no such data." },
    );
  }
  // The first lines, read once: the delimiter is guessed from them, and messages about the header quote them.
  const lines = parquet ? [] : headLines(path);
  if (!parquet) {
    const head = fileHead(path);
    refuseSpreadsheet(head, file);
    config = withByteOrderMark(head, file, config);
  }
  const id = ++counter;
  const table = `stage_${id}`;
  // DuckDB expands *, ?, [..] and {..} in a path; a file whose name holds them is read through a plain-named link.
  const link = /[*?[\]{}]/.test(path) ? literalLink(path) : undefined;
  try {
    if (parquet) return await stageParquet(conn, link ?? path, file, table);
    try {
      return { ...(await stageDelimited(conn, path, link ?? path, file, table, id, config, lines)), headLines: lines };
    } catch (error) {
      // Not UTF-8, and no encoding given: such an export is almost always Latin-1 / Windows-1252 (an older
      // spreadsheet, a European CRM), which reads every byte; read so, and said in the report.
      if (!(error instanceof EncodingError) || config.encoding !== undefined) throw error;
      for (const t of [table, `rejects_${id}`, `rejects_scan_${id}`]) await run(conn, `DROP TABLE IF EXISTS ${t}`);
      const retry = ++counter;
      const staged = await stageDelimited(
        conn,
        path,
        link ?? path,
        file,
        `stage_${retry}`,
        retry,
        { ...config, encoding: "latin-1" },
        lines,
      );
      const where = error.line ? ` (line ${error.line})` : "";
      return {
        ...staged,
        headLines: lines,
        notes: [
          `${file}: not valid UTF-8 text${where}, read as latin-1 (if that is wrong, save it as UTF-8, or name ` +
            'its encoding: --encoding, or "encoding" in a config file)',
        ],
      };
    }
  } finally {
    if (link) rmSync(dirname(link), { recursive: true, force: true });
  }
}

/** Bytes that hold no text: byte-order marks (UTF-8, UTF-16), NULs and whitespace only. */
function blankText(bytes: Buffer): boolean {
  return bytes.toString("latin1").replace(/^\xef\xbb\xbf|^\xff\xfe|^\xfe\xff|[\s\x00]/g, "") === "";
}

/** The first 4 bytes of a file (fewer when it is shorter). */
function fileHead(path: string): Buffer {
  const head = Buffer.alloc(4);
  const fd = openSync(path, "r");
  try {
    return head.subarray(0, readSync(fd, head, 0, 4, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * A text file that starts with UTF-16's byte-order mark is read as UTF-16 when no encoding was set: spreadsheets save
 * "Unicode text" that way (little-endian, FF FE), and read as UTF-8 it only gave "not valid utf-8". Big-endian UTF-16
 * (FE FF), which DuckDB does not read, is refused with what to do.
 */
function withByteOrderMark(head: Buffer, file: string, config: SourceConfig): SourceConfig {
  if (head[0] === 0xfe && head[1] === 0xff)
    throw new UserError(`${file} is UTF-16 big-endian text, which churn does not read.`, {
      hint: 'Save it again as CSV UTF-8 (or UTF-16 little-endian, as spreadsheets write "Unicode text").',
    });
  if (head[0] === 0xff && head[1] === 0xfe && config.encoding === undefined) return { ...config, encoding: "utf-16" };
  return config;
}

/**
 * A spreadsheet saved under a text name (an .xlsx or .xls renamed .csv, or picked by a config's glob) is named as
 * such: read as text it only gave "not valid utf-8 text". Workbooks start with a zip (PK\x03\x04) or OLE
 * (D0 CF 11 E0) signature, which no CSV does.
 */
function refuseSpreadsheet(head: Buffer, file: string): void {
  const kind = head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))
    ? "an Excel workbook (.xlsx) or another zip archive"
    : head.equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))
      ? "an old Excel workbook (.xls)"
      : null;
  if (kind)
    throw new UserError(`${file} is ${kind}, not a text export.`, {
      hint: "Open it in the spreadsheet program and save the sheet as CSV (UTF-8), or export CSV from the tool.",
    });
}

/** DuckDB's default max_line_size (bytes). */
const DUCKDB_MAX_LINE_SIZE = 2_000_000;

/** Bytes in the longest record of a scan (quoted line breaks included). */
function longestRecord(scan: RecordScan): number {
  let longest = 0;
  for (let i = 0; i < scan.count; i++) longest = Math.max(longest, scan.ends[i]! - scan.starts[i]!);
  return longest;
}

/** A symbolic link with a plain name to `path`, in a new temporary folder (the caller removes the folder). */
function literalLink(path: string): string {
  const dir = mkdtempSync(join(tmpdir(), "churn-file-"));
  const link = join(dir, `file${extname(path)}`);
  symlinkSync(resolve(path), link);
  return link;
}

async function stageDelimited(
  conn: DuckDBConnection,
  path: string,
  duckdbPath: string,
  file: string,
  table: string,
  id: number,
  config: SourceConfig,
  /** The file's first lines (headLines). */
  lines: string[],
): Promise<StagedFile> {
  const header = config.header ?? true;
  const rejectsTable = `rejects_${id}`;
  const rejectsScan = `rejects_scan_${id}`;
  const params: SqlParams = { path: duckdbPath };
  // The records as RFC 4180 defines them, found independently of DuckDB (loaders/csv-records.ts): the row count that
  // read = loaded + rejected is checked against, exact physical lines, and rejected rows' raw text. Not for UTF-16.
  const scannable = !config.whitespace && (config.encoding ?? "utf-8") !== "utf-16";
  const quote = config.quote ?? '"';
  const first = scannable ? (lines.find((l) => l.trim() !== "") ?? "") : "";
  // Excel's "sep=;" first line names the delimiter and is no header: the scan passes over it, DuckDB reads a copy
  // where it is blank (a leading blank line it skips, so lines keep their numbers).
  const separator = /^sep=(.)$/i.exec(first)?.[1];
  const delimiter = config.delimiter ?? separator ?? (scannable ? guessDelimiter(first, quote) : undefined);
  const scan = scannable
    ? scanRecords(path, { delimiter: delimiter!, quote, escape: quote, header, skipFirstLine: separator !== undefined })
    : undefined;
  let readPath = path;
  if (scan && (scan.lineBreaks > 1 || separator !== undefined)) {
    // DuckDB's reader refuses a file that mixes LF, CRLF and CR line breaks: read a copy with LF throughout (and the
    // sep= line blank).
    readPath = join(mkdtempSync(join(tmpdir(), "churn-lf-")), "normalized.csv");
    normalizeLineBreaks(path, readPath, separator !== undefined);
    params["path"] = readPath;
  }
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
    if (delimiter !== undefined) {
      options.push("delim = $delim");
      params["delim"] = delimiter;
    }
    if (config.quote !== undefined || scan) {
      options.push("quote = $quote", "escape = $quote");
      params["quote"] = quote;
    }
    // DuckDB refuses a record longer than its max_line_size, 2,000,000 bytes ("CSV Error on Line: 1"; a pasted e-mail
    // thread in a note): past half of it, the limit is raised to twice the longest record the scan found (only then:
    // a 64 MiB limit read 9.4M rows 45% slower).
    const longest = scan ? longestRecord(scan) : 0;
    if (longest > DUCKDB_MAX_LINE_SIZE / 2) {
      options.push("max_line_size = $maxLine");
      params["maxLine"] = Math.max(2 * longest, DUCKDB_MAX_LINE_SIZE);
    }
    reader = `read_csv($path, ${options.join(", ")}${config.encoding ? ", encoding = $encoding" : ""})`;
  }
  if (config.encoding) params["encoding"] = config.encoding;

  let columns: string[];
  try {
    if (config.whitespace) {
      await stageWhitespace(conn, table, reader, params, header);
      columns = (await query<{ column_name: string }>(conn, `SELECT column_name FROM (DESCRIBE ${table})`))
        .map((r) => r.column_name)
        .filter((c) => !c.startsWith("__"));
    } else {
      columns = (
        await query<{ column_name: string }>(conn, `SELECT column_name FROM (DESCRIBE SELECT * FROM ${reader})`, params)
      ).map((r) => r.column_name);
      // No copy of the row as text here: the record scan gives a rejected row's own text; __raw is added only when
      // the scan and DuckDB disagree (addRawText).
      await run(
        conn,
        `CREATE TEMP TABLE ${table} AS SELECT *, row_number() OVER () AS __rn FROM (SELECT * FROM ${reader})`,
        params,
      );
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    const message = (error as Error).message;
    if (/unicode|encoding/i.test(message)) throw encodingError(file, config);
    throw new UserError(`Could not read ${file}: ${message.split("\n")[0]}`, {
      hint:
        "Is it a delimited text file with a header row? Set delimiter, quote or header for it in a config file " +
        "(--config).",
      cause: error,
    });
  } finally {
    if (readPath !== path) rmSync(dirname(readPath), { recursive: true, force: true });
  }

  const rejects = await query<{ line: number; column_name: string | null; error_type: string; csv_line: string }>(
    conn,
    `SELECT DISTINCT line::BIGINT AS line, column_name, error_type, csv_line FROM ${rejectsTable} ORDER BY line`,
  );
  const badEncoding = rejects.find((r) => r.error_type === "INVALID ENCODING");
  if (badEncoding) throw encodingError(file, config, badEncoding.line);
  const rows = (await queryOne<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM ${table}`))?.n ?? 0;

  if (config.whitespace) {
    return {
      file,
      table,
      rawColumn: true,
      lineExpr: "__pl",
      columns,
      rows,
      structuralRejects: [],
      read: rows,
      exact: true,
    };
  }
  if (scan) {
    const exact = await exactLines(conn, table, scan, columns, rows, path);
    if (exact) return { file, table, rawColumn: false, columns, rows, ...exact };
  }
  await addRawText(conn, table, columns);
  // DuckDB's own reject lines: used only when the independent scan and DuckDB disagree on the records (or for
  // UTF-16); then lines after a quoted line break or a blank line may be approximate.
  const lineExpr = await approximateLines(conn, table, rejectsTable, rejects, header);
  const structuralRejects = rejects.map((r) => ({
    line: r.line,
    column: r.column_name,
    reason: STRUCTURAL_REASONS[r.error_type] ?? r.error_type.toLowerCase(),
    raw: r.csv_line,
  }));
  return {
    file,
    table,
    rawColumn: true,
    lineExpr,
    columns,
    rows,
    structuralRejects,
    read: rows + structuralRejects.length,
    exact: false,
  };
}

/** Add __raw (the row's fields joined by commas) and __multiline (it holds a line break) to a staged table. */
async function addRawText(conn: DuckDBConnection, table: string, columns: string[]): Promise<void> {
  const text = columns.map((c) => `coalesce(${quoteIdent(c)}, '')`).join(", ");
  await run(
    conn,
    `CREATE TEMP TABLE ${table}_raw AS
     SELECT *, contains(__raw, chr(10)) AS __multiline FROM (SELECT *, concat_ws(',', ${text}) AS __raw FROM ${table})`,
  );
  await run(conn, `DROP TABLE ${table}`);
  await run(conn, `ALTER TABLE ${table}_raw RENAME TO ${table}`);
}

/**
 * When the scan's records with the header's number of fields are exactly the rows DuckDB read, give every row its
 * physical line from the scan, and classify the other records as too few / too many fields with their exact line and
 * raw text. Line − row number is one constant in a file with no blank line, quoted line break or rejected record (the
 * line is then an expression, no copy); otherwise it is stored as breakpoints where it changes, joined back with ASOF.
 */
async function exactLines(
  conn: DuckDBConnection,
  table: string,
  scan: RecordScan,
  columns: string[],
  rows: number,
  path: string,
): Promise<Pick<StagedFile, "lineExpr" | "structuralRejects" | "read" | "exact" | "rawText"> | null> {
  const width = columns.length;
  let good = 0;
  for (let k = 0; k < scan.count; k++) if (scan.fields[k] === width) good++;
  if (good !== rows) return null;
  const breaks: [number, number][] = [];
  const goodIndex = new Float64Array(rows);
  const structuralRejects: StagedFile["structuralRejects"] = [];
  let rn = 0;
  let shift = Number.NaN;
  for (let k = 0; k < scan.count; k++) {
    const line = scan.lines[k]!;
    if (scan.fields[k] === width) {
      goodIndex[rn] = k;
      rn++;
      if (line - rn !== shift) {
        shift = line - rn;
        breaks.push([rn, shift]);
      }
    } else {
      structuralRejects.push({
        line,
        // The first missing column, as DuckDB names it; none for a record with too many.
        column: scan.fields[k]! < width ? (columns[scan.fields[k]!] ?? null) : null,
        reason: scan.fields[k]! < width ? "too few fields" : "too many fields",
        raw: readRecordText(path, scan.starts[k]!, scan.ends[k]!),
      });
    }
  }
  const rawText = (rowNumber: number) => {
    const k = goodIndex[rowNumber - 1]!;
    return readRecordText(path, scan.starts[k]!, scan.ends[k]!);
  };
  const found = { structuralRejects, read: scan.count, exact: true, rawText };
  const only = breaks.length === 1 ? breaks[0]![1] : null;
  // A whole number this code computed from the scan, not a value from the file.
  if (only !== null && Number.isSafeInteger(only)) return { ...found, lineExpr: `(__rn + ${only})::BIGINT` };
  if (breaks.length === 0) return { ...found, lineExpr: "__rn::BIGINT" };
  await run(conn, `CREATE TEMP TABLE ${table}_breaks (rn DOUBLE, shift DOUBLE)`);
  await appendRows(conn, `${table}_breaks`, ["double", "double"], breaks);
  await run(
    conn,
    `CREATE TEMP TABLE ${table}_lines AS
     SELECT t.*, (t.__rn + b.shift)::BIGINT AS __line FROM ${table} t ASOF JOIN ${table}_breaks b ON t.__rn >= b.rn`,
  );
  await run(conn, `DROP TABLE ${table}`);
  await run(conn, `DROP TABLE ${table}_breaks`);
  await run(conn, `ALTER TABLE ${table}_lines RENAME TO ${table}`);
  return { ...found, lineExpr: "__line" };
}

async function approximateLines(
  conn: DuckDBConnection,
  table: string,
  rejectsTable: string,
  rejects: { line: number }[],
  header: boolean,
): Promise<string> {
  const multiline =
    (await queryOne<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM ${table} WHERE __multiline`))?.n ?? 0;
  const headerLines = header ? 1 : 0;
  // The common case: one row per line, so the line is the row number plus the header.
  if (multiline === 0 && rejects.length === 0) return `(__rn + ${headerLines})`;
  // Newlines inside quoted fields, and structural rejects, shift the physical lines of all later rows.
  // Reject j (1-based, in line order) at line L_j sits where a good row's base would be b_j = L_j − j + 1; a good row
  // with base B is pushed down by k = #{j : b_j ≤ B}. Consecutive rejects share a b_j, so keep the largest k per b_j.
  await run(
    conn,
    `CREATE TEMP TABLE ${rejectsTable}_base AS
     SELECT b, max(k) AS k FROM (
       SELECT line - row_number() OVER (ORDER BY line) + 1 AS b, row_number() OVER (ORDER BY line) AS k
       FROM (SELECT DISTINCT line FROM ${rejectsTable})
     ) GROUP BY b`,
  );
  await run(
    conn,
    `CREATE TEMP TABLE ${table}_lines AS
     WITH based AS (
       SELECT *, ${headerLines} + __rn + coalesce(sum(
           CASE WHEN __multiline THEN length(__raw) - length(replace(__raw, chr(10), '')) ELSE 0 END
         ) OVER (ORDER BY __rn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS __base
       FROM ${table}
     )
     SELECT based.* EXCLUDE (__base), (__base + coalesce(r.k, 0))::BIGINT AS __line
     FROM based ASOF LEFT JOIN ${rejectsTable}_base r ON based.__base >= r.b`,
  );
  await run(conn, `DROP TABLE ${table}`);
  await run(conn, `ALTER TABLE ${table}_lines RENAME TO ${table}`);
  return "__line";
}

/** The first lines of a text file (at most `count`, from its first 64 KB), read as Latin-1, without a UTF-8 BOM. */
function headLines(path: string, count = 20): string[] {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(65536);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer
      .subarray(0, n)
      .toString("latin1")
      .replace(/^\xef\xbb\xbf/, "");
    return text.split(/\r\n|\r|\n/).slice(0, count);
  } finally {
    closeSync(fd);
  }
}

/** The text with its first non-blank line's content removed (its line break kept). */
function withoutFirstLine(text: Buffer): Buffer {
  let start = text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf ? 3 : 0;
  while (text[start] === 10 || text[start] === 13) start++;
  let end = start;
  while (end < text.length && text[end] !== 10 && text[end] !== 13) end++;
  return Buffer.concat([text.subarray(0, start), text.subarray(end)]);
}

/** Copy `from` to `to` with every CRLF and lone CR turned into LF. */
function normalizeLineBreaks(from: string, to: string, blankFirstLine = false): void {
  const text = blankFirstLine ? withoutFirstLine(readFileSync(from)) : readFileSync(from);
  const out = Buffer.alloc(text.length);
  let j = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === 13) {
      out[j++] = 10;
      if (text[i + 1] === 10) i++;
    } else out[j++] = b;
  }
  writeFileSync(to, out.subarray(0, j));
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
    `CREATE TEMP TABLE ${table} AS
     SELECT ${fields}, __raw, __pl::BIGINT AS __pl, row_number() OVER (ORDER BY __pl) AS __rn
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
    `CREATE TEMP TABLE ${table} AS
     SELECT ${casts}, concat_ws(',', ${text}) AS __raw, (row_number() OVER () + 1)::BIGINT AS __line,
       row_number() OVER () AS __rn FROM read_parquet($path)`,
    { path },
  );
  const rows = (await queryOne<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM ${table}`))?.n ?? 0;
  return {
    file,
    table,
    rawColumn: true,
    lineExpr: "__line",
    columns,
    rows,
    structuralRejects: [],
    read: rows,
    exact: true,
  };
}

/** A file that is not valid text in the encoding it was read with, at `line` when known. */
class EncodingError extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly line: number | undefined,
  ) {
    super(message, { hint });
  }
}

function encodingError(file: string, config: SourceConfig, line?: number): UserError {
  const current = config.encoding ?? "utf-8";
  const suggestion = current === "utf-8" ? "latin-1" : "utf-8";
  return new EncodingError(
    `${file}${line ? `, line ${line}` : ""}: the file is not valid ${current} text.`,
    `Try --encoding ${suggestion} (or "encoding": "${suggestion}" for this source in the config file). ` +
      "Accepted: utf-8, latin-1, utf-16.",
    line,
  );
}
