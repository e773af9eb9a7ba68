/**
 * A DuckDB query result as an Arrow table (apache-arrow; DuckDB's node API writes no Arrow IPC), every column carried
 * and typed by its DuckDB type, so a column another stage adds to a table reaches the page with no change here:
 *   text (VARCHAR, and anything without a closer Arrow type, as its text) → plain Utf8 when values are mostly
 *     unique (ids), dictionary-encoded Utf8 (the smallest signed index type that fits) when whole values
 *     repeat, or a list of dictionary-encoded phrases when values are lists (see textEncoding: the smallest wins);
 *   BOOLEAN → Bool; TINYINT…INTEGER and unsigned up to USMALLINT → the narrowest of Int8/16/32 that holds them;
 *   BIGINT, HUGEINT, UINTEGER…, FLOAT, DOUBLE, DECIMAL → Float64, or Float32 when rounded to `digits` decimals and
 *   every value survives Float32 at that precision; DATE → DateDay; TIMESTAMP[ TZ] → TimestampMillisecond.
 * NULL stays null in every type. Knows nothing of the models: called by the site's data loaders (and anyone else).
 */
import type { DuckDBBlobValue, DuckDBConnection } from "@duckdb/node-api";
import { joinParts, queryColumnParts, queryNumberColumns } from "../../../loaders/db.ts";
import {
  Bool,
  type Data,
  DateDay,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  List,
  makeData,
  makeTable,
  makeVector,
  RecordBatch,
  Schema,
  Table,
  TimestampMillisecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";

export type ArrowKind = "text" | "bool" | "int" | "float" | "date" | "timestamp";

export interface ArrowOptions {
  /** Decimal places to round a float column to (e.g. cents), by column name; undefined keeps the value as it is. */
  digits?: (column: string) => number | undefined;
  /** Text columns whose values are lists joined by this separator (e.g. "; "), by column name. */
  separator?: (column: string) => string | undefined;
  /** Key-value metadata written into the Arrow schema (as-of date, definitions). */
  metadata?: Record<string, string>;
}

/** How a DuckDB type (its SQL spelling, e.g. "DECIMAL(18,3)") travels in Arrow. */
export function arrowKind(duckdbType: string): ArrowKind {
  const t = duckdbType.toUpperCase();
  if (t === "BOOLEAN") return "bool";
  if (/^(TINYINT|SMALLINT|INTEGER|UTINYINT|USMALLINT)$/.test(t)) return "int";
  if (/^(BIGINT|HUGEINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/.test(t)) return "float";
  if (t === "DATE") return "date";
  if (t.startsWith("TIMESTAMP")) return "timestamp";
  return "text";
}

/** The SQL expression that reads one column in the shape its Arrow vector is built from (identifier quoted). */
function selectExpression(column: string, kind: ArrowKind): string {
  const id = quoted(column);
  switch (kind) {
    case "float":
      return `${id}::DOUBLE`;
    case "int":
      return `${id}::INTEGER`;
    case "date":
      return `datediff('day', DATE '1970-01-01', ${id})::INTEGER`;
    case "timestamp":
      return `epoch_ms(${id}::TIMESTAMP)::DOUBLE`;
    case "bool":
      return id;
    default:
      return `${id}::VARCHAR`;
  }
}

/** The smallest signed index type for a dictionary of `size` values. */
function indexType(size: number): Int8 | Int16 | Int32 {
  if (size <= 127) return new Int8();
  if (size <= 32767) return new Int16();
  return new Int32();
}

const indexBytes = (size: number) => (size <= 127 ? 1 : size <= 32767 ? 2 : 4);
/** A column's vector and what the page needs to read it back (Arrow field metadata). */
interface Encoded {
  vector: Vector;
  metadata?: Record<string, string>;
}

/**
 * The columns' buffers are laid out here and handed to makeData, rather than pushed value by value through
 * apache-arrow's generic builders (vectorFromArray): the same vectors, 10–20% sooner for the at-risk list at 100,000
 * customers. Numbers are read from DuckDB's vectors into typed arrays, strings are encoded by DuckDB (queryToArrow):
 * the list at a million customers 8.8 → 4.3 s, the same bytes.
 */

/** Validity bitmap (bit i set when row i has a value) and null count; an empty bitmap when nothing is null. */
function validity(length: number, isNull: (i: number) => boolean): { nullBitmap: Uint8Array; nullCount: number } {
  let nullCount = 0;
  for (let i = 0; i < length; i++) if (isNull(i)) nullCount++;
  if (nullCount === 0) return { nullBitmap: new Uint8Array(0), nullCount };
  const nullBitmap = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) if (!isNull(i)) nullBitmap[i >> 3]! |= 1 << (i & 7);
  return { nullBitmap, nullCount };
}

/** Utf8 data of these strings (no nulls: a dictionary's values). */
function utf8Data(values: readonly string[]) {
  const valueOffsets = new Int32Array(values.length + 1);
  let bytes = 0;
  values.forEach((v, i) => {
    bytes += Buffer.byteLength(v);
    valueOffsets[i + 1] = bytes;
  });
  const data = new Uint8Array(Buffer.from(values.join(""), "utf8"));
  return makeData({
    type: new Utf8(),
    length: values.length,
    ...validity(values.length, () => false),
    valueOffsets,
    data,
  });
}

/**
 * Dictionary data from each row's key into `values` (NaN: a null row), in the smallest index type. `id` is the
 * dictionary's id in the file (the column's position): apache-arrow would otherwise number dictionaries from a
 * counter shared by the whole process, and the same table's bytes would depend on what was built before it.
 */
function dictionaryFromKeys(keys: Float64Array, values: string[], id: number) {
  const type = new Dictionary(new Utf8(), indexType(values.length), id);
  const ArrayType = type.indices.ArrayType as Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor;
  const data = new ArrayType(keys.length);
  keys.forEach((k, i) => (data[i] = Number.isNaN(k) ? 0 : k));
  const nulls = validity(keys.length, (i) => Number.isNaN(keys[i]!));
  return makeData({ type, length: keys.length, ...nulls, data, dictionary: makeVector(utf8Data(values)) });
}

/** A column of numbers read unboxed (booleans as 1 and 0): its values, 0 where null, and which rows are null. */
interface Numbers {
  values: Float64Array;
  nulls: Uint8Array;
}

const nullsOf = (column: Numbers) => validity(column.values.length, (i) => column.nulls[i] === 1);

/** Every column of a query as Numbers, read chunk by chunk from DuckDB's vectors (no array of boxed values). */
async function numberColumns(conn: DuckDBConnection, sql: string): Promise<Numbers[]> {
  const { parts, rows } = await queryColumnParts(conn, sql, undefined, (vector, n) => {
    const part = { values: new Float64Array(n), nulls: new Uint8Array(n) };
    for (let i = 0; i < n; i++) {
      const v = vector.getItem(i);
      if (v === null) part.nulls[i] = 1;
      else part.values[i] = Number(v);
    }
    return part;
  });
  return parts.map((chunks) => ({
    values: joinParts(
      chunks.map((p) => p.values),
      new Float64Array(rows),
    ),
    nulls: joinParts(
      chunks.map((p) => p.nulls),
      new Uint8Array(rows),
    ),
  }));
}

/** Numbers in a typed array of this Arrow type (null: 0 in the buffer, marked null in the bitmap). */
function numberVector(column: Numbers, type: Int8 | Int16 | Int32 | Float32 | Float64): Vector {
  const ArrayType = type.ArrayType as Float64ArrayConstructor;
  const data = new ArrayType(column.values);
  return makeVector(makeData({ type: type as Float64, length: data.length, ...nullsOf(column), data }));
}

/** Integers in the narrowest of Int8, Int16, Int32 that holds their range. */
function intVector(column: Numbers): Encoded {
  let lo = 0;
  let hi = 0;
  column.values.forEach((v) => {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  });
  const type = lo >= -128 && hi <= 127 ? new Int8() : lo >= -32768 && hi <= 32767 ? new Int16() : new Int32();
  return { vector: numberVector(column, type) };
}

/**
 * Floats rounded to `digits` decimals (when given), stored as Float32 when every value survives the round trip at
 * that precision (the field's metadata `digits` tells the reader to round back), else Float64.
 */
function floatVector(column: Numbers, digits?: number): Encoded {
  if (digits === undefined) return { vector: numberVector(column, new Float64()) };
  const scale = 10 ** digits;
  const rounded = column.values.map((v) => Math.round(v * scale) / scale);
  const fits = rounded.every((v, i) => column.nulls[i] === 1 || Math.round(Math.fround(v) * scale) / scale === v);
  return {
    vector: numberVector({ values: rounded, nulls: column.nulls }, fits ? new Float32() : new Float64()),
    metadata: { digits: String(digits) },
  };
}

/** The column's values with null for its null rows, as apache-arrow's builders take them. */
function nullable<T>(column: Numbers, value: (v: number) => T): (T | null)[] {
  return Array.from(column.values, (v, i) => (column.nulls[i] === 1 ? null : value(v)));
}

/** Build the Arrow vector of one column from the numbers DuckDB returned for its select expression. */
function columnVector(kind: Exclude<ArrowKind, "text">, column: Numbers, digits?: number): Encoded {
  switch (kind) {
    case "bool":
      return {
        vector: vectorFromArray(
          nullable(column, (v) => v === 1),
          new Bool(),
        ),
      };
    case "int":
      return intVector(column);
    case "float":
      return floatVector(column, digits);
    case "date":
      // DateDay holds days since 1970-01-01 in an Int32 buffer, what the select expression returns.
      return { vector: numberVector(column, new DateDay() as never) };
    case "timestamp":
      return {
        vector: vectorFromArray(
          nullable(column, (v) => new Date(v)),
          new TimestampMillisecond(),
        ),
      };
  }
}

/** The temporary table queryToArrow reads from: the query's rows in its order (rowid = position). */
const ROWS = "arrow_rows";
/** The temporary table of a list column's phrases, one row each, numbered n in (row, position) order. */
const PARTS = "arrow_parts";

/** What decides a text column's encoding (textEncoding's byte counts), computed by DuckDB. */
interface TextStats {
  present: number;
  distinct: number;
  /** Σ (UTF-8 bytes + 4) over the present values, and over the distinct ones. */
  plainBytes: number;
  distinctBytes: number;
}

/** A list column's phrases: how many, how many distinct, and the distinct ones' bytes (+ 4 each). */
interface PhraseStats {
  parts: number;
  phrases: number;
  phraseBytes: number;
}

async function textStats(conn: DuckDBConnection, columns: string[]): Promise<TextStats[]> {
  const parts = columns.map((c, k) => {
    const id = quoted(c);
    return (
      `count(${id}) AS p${k}, count(DISTINCT ${id}) AS d${k}, coalesce(sum(strlen(${id}) + 4), 0) AS b${k}, ` +
      `(SELECT coalesce(sum(strlen(v) + 4), 0) FROM (SELECT DISTINCT ${id} AS v FROM ${ROWS} ` +
      `WHERE ${id} IS NOT NULL)) AS u${k}`
    );
  });
  const row = (await conn.runAndReadAll(`SELECT ${parts.join(", ")} FROM ${ROWS}`)).getRowObjects()[0] ?? {};
  return columns.map((_, k) => ({
    present: Number(row[`p${k}`] ?? 0),
    distinct: Number(row[`d${k}`] ?? 0),
    plainBytes: Number(row[`b${k}`] ?? 0),
    distinctBytes: Number(row[`u${k}`] ?? 0),
  }));
}

/**
 * Split a list column into the table PARTS (row r, phrase p, n its place in row-then-position order), as JavaScript's
 * split would (DuckDB's string_split: "" is one empty phrase, NULL none), and count its phrases; null when no value
 * holds the separator (a list is then not considered).
 */
async function splitPhrases(conn: DuckDBConnection, column: string, separator: string): Promise<PhraseStats | null> {
  const id = quoted(column);
  const has = await conn.runAndReadAll(`SELECT bool_or(contains(${id}, $sep)) AS has FROM ${ROWS}`, { sep: separator });
  if (has.getColumns()[0]?.[0] !== true) return null;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${PARTS} AS
     SELECT r, p, row_number() OVER (ORDER BY r, i) AS n FROM (
       SELECT r, unnest(l) AS p, generate_subscripts(l, 1) AS i
       FROM (SELECT rowid AS r, string_split(${id}, $sep) AS l FROM ${ROWS} WHERE ${id} IS NOT NULL))`,
    { sep: separator },
  );
  const row = (
    await conn.runAndReadAll(
      `SELECT count(*) AS parts, count(DISTINCT p) AS phrases,
         (SELECT coalesce(sum(strlen(p) + 4), 0) FROM (SELECT DISTINCT p FROM ${PARTS})) AS bytes FROM ${PARTS}`,
    )
  ).getRowObjects()[0];
  return {
    parts: Number(row?.["parts"] ?? 0),
    phrases: Number(row?.["phrases"] ?? 0),
    phraseBytes: Number(row?.["bytes"] ?? 0),
  };
}

/** Integers of a one-column query, NaN for NULL, unboxed. */
async function integers(conn: DuckDBConnection, sql: string, params?: Record<string, string>): Promise<Float64Array> {
  const columns = await queryNumberColumns(conn, sql, params);
  return Object.values(columns)[0] as Float64Array;
}

/** Value offsets from each row's length (NaN: a null row, of length 0) and the rows' validity. */
function offsetsOf(lengths: Float64Array) {
  const valueOffsets = new Int32Array(lengths.length + 1);
  lengths.forEach((n, i) => (valueOffsets[i + 1] = valueOffsets[i]! + (Number.isNaN(n) ? 0 : n)));
  return { valueOffsets, ...validity(lengths.length, (i) => Number.isNaN(lengths[i]!)) };
}

/**
 * A text column encoded as a dictionary by DuckDB: the distinct values in order of first appearance and each row's
 * key, read as integers, so only the dictionary's strings cross into JavaScript. The same data as keying each value
 * in JavaScript in order of first appearance.
 */
async function dictionaryFromSql(conn: DuckDBConnection, column: string, dictionaryId: number): Promise<Data> {
  const id = quoted(column);
  const dictionary = `SELECT v, (row_number() OVER (ORDER BY first) - 1)::INTEGER AS k FROM (
      SELECT ${id} AS v, min(rowid) AS first FROM ${ROWS} WHERE ${id} IS NOT NULL GROUP BY ${id})`;
  const values = (await conn.runAndReadAll(`SELECT v FROM (${dictionary}) ORDER BY k`)).getColumns()[0] ?? [];
  const keys = await integers(
    conn,
    `SELECT d.k FROM ${ROWS} r LEFT JOIN (${dictionary}) d ON r.${id} = d.v ORDER BY r.rowid`,
  );
  return dictionaryFromKeys(keys, values.map(String), dictionaryId);
}

/**
 * A text column as plain Utf8 built by DuckDB: each row's byte length (NULL for null) and every value's bytes
 * concatenated in row order as one BLOB, so no value is decoded into JavaScript and encoded back. The same data as
 * encoding the values in JavaScript (utf8Data, with nulls as empty slots).
 */
async function utf8FromSql(conn: DuckDBConnection, column: string): Promise<Data> {
  const id = quoted(column);
  const lengths = await integers(conn, `SELECT strlen(${id}) FROM ${ROWS} ORDER BY rowid`);
  const blob = (
    await conn.runAndReadAll(`SELECT encode(coalesce(string_agg(${id}, '' ORDER BY rowid), '')) FROM ${ROWS}`)
  ).getColumns()[0]?.[0] as DuckDBBlobValue;
  return makeData({
    type: new Utf8(),
    length: lengths.length,
    ...offsetsOf(lengths),
    data: new Uint8Array(blob.bytes),
  });
}

/**
 * A list column (split into PARTS by splitPhrases) as a list of dictionary-encoded phrases built by DuckDB: each
 * row's phrase count, the phrases in order of first appearance, and each phrase's key in (row, position) order. The
 * same data as splitting each value in JavaScript and numbering its phrases in order of first appearance.
 */
async function phraseListFromSql(
  conn: DuckDBConnection,
  column: string,
  separator: string,
  dictionaryId: number,
): Promise<Data> {
  const counts = await integers(conn, `SELECT len(string_split(${quoted(column)}, $sep)) FROM ${ROWS} ORDER BY rowid`, {
    sep: separator,
  });
  const dictionary = `SELECT p, (row_number() OVER (ORDER BY min(n)) - 1)::INTEGER AS k FROM ${PARTS} GROUP BY p`;
  const phrases = (await conn.runAndReadAll(`SELECT p FROM (${dictionary}) ORDER BY k`)).getColumns()[0] ?? [];
  const keys = await integers(conn, `SELECT d.k FROM ${PARTS} a JOIN (${dictionary}) d USING (p) ORDER BY a.n`);
  const child = dictionaryFromKeys(keys, phrases.map(String), dictionaryId);
  const type = new List(new Field("item", child.type, false));
  return makeData({ type, length: counts.length, ...offsetsOf(counts), child });
}

/**
 * How a text column is encoded: the smallest of three lossless encodings by their byte count: plain Utf8 (mostly
 * unique values), a dictionary of whole values, or, when values are lists of repeated phrases ("2 complaints in the
 * last 90 days; segment = SMB"), a list of dictionary-encoded phrases, joined back with the separator that the
 * field's metadata `joined_by` names.
 */
function textEncoding(s: TextStats, rows: number, phrases: PhraseStats | null): "plain" | "dictionary" | "list" {
  const whole = s.present * indexBytes(s.distinct) + s.distinctBytes;
  if (phrases) {
    const listBytes = 4 * rows + phrases.parts * indexBytes(phrases.phrases) + phrases.phraseBytes;
    if (listBytes < Math.min(s.plainBytes, whole)) return "list";
  }
  return s.plainBytes <= whole ? "plain" : "dictionary";
}

const quoted = (column: string) => `"${column.replaceAll('"', '""')}"`;

/**
 * Run `sql` once to learn its column types, keep its rows in a temporary table in their order, then read every
 * column in its Arrow shape. Text columns are encoded by DuckDB, by the rule of textEncoding (the smallest of plain,
 * dictionary and list of phrases, from counts DuckDB makes): only a dictionary's distinct strings and numbers cross
 * into JavaScript, plain text as one block of bytes. At a million customers, reading half a million strings per
 * column into JavaScript (and splitting the lists) was most of the list's cost. The output is byte for byte what
 * encoding every value in JavaScript gave (the sample's lists, model and rules, and the 100k and 1M benchmarks').
 * `sql` is the project's own (a constant beside its caller); user values go in `params`. The connection's temporary
 * tables arrow_rows and arrow_parts are replaced, then dropped.
 */
export async function queryToArrow(
  conn: DuckDBConnection,
  sql: string,
  params: Record<string, string | number> = {},
  options: ArrowOptions = {},
): Promise<Table> {
  const used = usedParams(sql, params);
  const probe = await conn.runAndReadAll(`SELECT * FROM (${sql}) LIMIT 0`, used);
  const names = probe.columnNames();
  const kinds = probe.columnTypes().map((t) => arrowKind(t.toString()));
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ROWS} AS ${sql}`, used);
  try {
    const texts = names.filter((_, i) => kinds[i] === "text");
    const stats = texts.length ? await textStats(conn, texts) : [];
    const read = names.filter((_, i) => kinds[i] !== "text");
    const select = read.map((n) => `${selectExpression(n, kinds[names.indexOf(n)]!)} AS ${quoted(n)}`).join(", ");
    const columns = read.length ? await numberColumns(conn, `SELECT ${select} FROM ${ROWS} ORDER BY rowid`) : [];
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ROWS}`)).getColumns()[0]?.[0] ?? 0);
    const encoded: Encoded[] = [];
    for (const [i, name] of names.entries()) {
      if (kinds[i] !== "text") {
        const column = columns[read.indexOf(name)]!;
        encoded.push(columnVector(kinds[i] as Exclude<ArrowKind, "text">, column, options.digits?.(name)));
        continue;
      }
      const separator = options.separator?.(name);
      const phrases = separator === undefined ? null : await splitPhrases(conn, name, separator);
      const encoding = textEncoding(stats[texts.indexOf(name)]!, rows, phrases);
      if (encoding === "list") {
        const data = await phraseListFromSql(conn, name, separator!, i);
        encoded.push({ vector: makeVector(data), metadata: { joined_by: separator! } });
      } else if (encoding === "dictionary")
        encoded.push({ vector: makeVector(await dictionaryFromSql(conn, name, i)) });
      else encoded.push({ vector: makeVector(await utf8FromSql(conn, name)) });
    }
    return withMetadata(
      (names.length
        ? makeTable(Object.fromEntries(names.map((n, i) => [n, encoded[i]!.vector])) as never)
        : new Table()) as Table,
      options.metadata ?? {},
      encoded.map((e) => e.metadata),
    );
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${PARTS}`);
    await conn.run(`DROP TABLE IF EXISTS ${ROWS}`);
  }
}

/** The table with key-value metadata on its schema and (by position) on its fields. */
function withMetadata(
  table: Table,
  metadata: Record<string, string>,
  fieldMetadata: (Record<string, string> | undefined)[] = [],
): Table {
  const fields = table.schema.fields.map(
    (f, i) => new Field(f.name, f.type, f.nullable, new Map(Object.entries(fieldMetadata[i] ?? {}))),
  );
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  return new Table(
    schema,
    table.batches.map((b) => new RecordBatch(schema, b.data)),
  );
}

/** An empty table with the given text columns: what a page reads when there is nothing to list. */
export function emptyArrow(columns: string[], metadata: Record<string, string> = {}): Table {
  const vectors: Record<string, Vector> = {};
  for (const c of columns) vectors[c] = vectorFromArray([], new Utf8());
  return withMetadata(makeTable(vectors as never) as unknown as Table, metadata);
}

function usedParams(sql: string, params: Record<string, string | number>): Record<string, string | number> | undefined {
  const used = Object.fromEntries(Object.entries(params).filter(([k]) => new RegExp(`\\$${k}\\b`).test(sql)));
  return Object.keys(used).length ? used : undefined;
}
