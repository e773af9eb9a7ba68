/**
 * A DuckDB query result as an Arrow table (apache-arrow; DuckDB's node API writes no Arrow IPC), every column carried
 * and typed by its DuckDB type, so a column another stage adds to a table reaches the page with no change here:
 *   text (VARCHAR, and anything without a closer Arrow type, as its text) → plain Utf8 when values are mostly
 *     unique (ids), dictionary-encoded Utf8 (the smallest signed index type that fits) when whole values
 *     repeat, or a list of dictionary-encoded phrases when values are lists (see textVector: the smallest wins);
 *   BOOLEAN → Bool; TINYINT…INTEGER and unsigned up to USMALLINT → the narrowest of Int8/16/32 that holds them;
 *   BIGINT, HUGEINT, UINTEGER…, FLOAT, DOUBLE, DECIMAL → Float64, or Float32 when rounded to `digits` decimals and
 *   every value survives Float32 at that precision; DATE → DateDay; TIMESTAMP[ TZ] → TimestampMillisecond.
 * NULL stays null in every type. Knows nothing of the models: called by the site's data loaders (and anyone else).
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
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
const utf8Bytes = (values: Iterable<string>) => {
  let n = 0;
  for (const v of values) n += Buffer.byteLength(v) + 4;
  return n;
};

/** A column's vector and what the page needs to read it back (Arrow field metadata). */
interface Encoded {
  vector: Vector;
  metadata?: Record<string, string>;
}

/**
 * The columns' buffers are laid out here and handed to makeData, rather than pushed value by value through
 * apache-arrow's generic builders (vectorFromArray): the same vectors, 10–20% sooner for the at-risk list at 100,000
 * customers (most of the rest is DuckDB's values read into JavaScript).
 */

/** Validity bitmap (bit i set when row i has a value) and null count; an empty bitmap when nothing is null. */
function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  let nullCount = 0;
  for (const v of values) if (v === null) nullCount++;
  if (nullCount === 0) return { nullBitmap: new Uint8Array(0), nullCount };
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  values.forEach((v, i) => {
    if (v !== null) nullBitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap, nullCount };
}

/** Utf8 data of these strings (null: an empty slot, marked null by the caller's bitmap). */
function utf8Data(values: readonly (string | null)[]) {
  const valueOffsets = new Int32Array(values.length + 1);
  let bytes = 0;
  values.forEach((v, i) => {
    if (v !== null) bytes += Buffer.byteLength(v);
    valueOffsets[i + 1] = bytes;
  });
  const data = new Uint8Array(Buffer.from(values.map((v) => v ?? "").join(""), "utf8"));
  return makeData({ type: new Utf8(), length: values.length, ...validity(values), valueOffsets, data });
}

/** Dictionary data: each value's key into the distinct values in order of first appearance. */
function dictionaryData(values: readonly (string | null)[]) {
  const keyOf = new Map<string, number>();
  const keys = values.map((v) => {
    if (v === null) return null;
    let k = keyOf.get(v);
    if (k === undefined) keyOf.set(v, (k = keyOf.size));
    return k;
  });
  return dictionaryFromKeys(keys, [...keyOf.keys()]);
}

/** Dictionary data from each row's key into `values` (null: a null row), in the smallest index type. */
function dictionaryFromKeys(keys: readonly (number | null)[], values: string[]) {
  const type = new Dictionary(new Utf8(), indexType(values.length));
  const ArrayType = type.indices.ArrayType as Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor;
  const data = new ArrayType(keys.length);
  keys.forEach((k, i) => (data[i] = k ?? 0));
  return makeData({ type, length: keys.length, ...validity(keys), data, dictionary: makeVector(utf8Data(values)) });
}

/** Numbers in a typed array of this Arrow type (null: 0 in the buffer, marked null in the bitmap). */
function numberVector(values: readonly (number | null)[], type: Int8 | Int16 | Int32 | Float32 | Float64): Vector {
  const ArrayType = type.ArrayType as Float64ArrayConstructor;
  const data = ArrayType.from(values, (v) => v ?? 0);
  return makeVector(makeData({ type: type as Float64, length: values.length, ...validity(values), data }));
}

/**
 * Text: the smallest of three lossless encodings, by their byte count: plain Utf8 (mostly unique values), a
 * dictionary of whole values, or — when `separator` is given and values are lists of repeated phrases ("2 complaints
 * in the last 90 days; segment = SMB") — a list of dictionary-encoded phrases, joined back with the separator that
 * the field's metadata `joined_by` names.
 */
function textVector(values: (string | null)[], separator?: string): Encoded {
  const present = values.filter((v): v is string => v !== null);
  const distinct = new Set(present);
  const plain = utf8Bytes(present);
  const whole = present.length * indexBytes(distinct.size) + utf8Bytes(distinct);
  let phrases: Set<string> | undefined;
  let phraseBytes = Infinity;
  if (separator && present.some((v) => v.includes(separator))) {
    phrases = new Set<string>();
    let count = 0;
    for (const v of distinct) for (const p of v.split(separator)) phrases.add(p);
    for (const v of present) count += v.split(separator).length;
    phraseBytes = 4 * values.length + count * indexBytes(phrases.size) + utf8Bytes(phrases);
  }
  if (phrases && phraseBytes < Math.min(plain, whole)) {
    const valueOffsets = new Int32Array(values.length + 1);
    const parts: string[] = [];
    values.forEach((v, i) => {
      if (v !== null) for (const p of v.split(separator!)) parts.push(p);
      valueOffsets[i + 1] = parts.length;
    });
    const child = dictionaryData(parts);
    const type = new List(new Field("item", child.type, false));
    const list = makeData({ type, length: values.length, ...validity(values), valueOffsets, child });
    return { vector: makeVector(list), metadata: { joined_by: separator! } };
  }
  if (plain <= whole) return { vector: makeVector(utf8Data(values)) };
  return { vector: makeVector(dictionaryData(values)) };
}

/** Integers in the narrowest of Int8, Int16, Int32 that holds their range. */
function intVector(values: (number | null)[]): Encoded {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v === null) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const type = lo >= -128 && hi <= 127 ? new Int8() : lo >= -32768 && hi <= 32767 ? new Int16() : new Int32();
  return { vector: numberVector(values, type) };
}

/**
 * Floats rounded to `digits` decimals (when given), stored as Float32 when every value survives the round trip at
 * that precision (the field's metadata `digits` tells the reader to round back), else Float64.
 */
function floatVector(values: (number | null)[], digits?: number): Encoded {
  if (digits === undefined) return { vector: numberVector(values, new Float64()) };
  const scale = 10 ** digits;
  const rounded = values.map((v) => (v === null ? null : Math.round(v * scale) / scale));
  const fits = rounded.every((v) => v === null || Math.round(Math.fround(v) * scale) / scale === v);
  return {
    vector: numberVector(rounded, fits ? new Float32() : new Float64()),
    metadata: { digits: String(digits) },
  };
}

/** Build the Arrow vector of one column from the values DuckDB returned for its select expression. */
function columnVector(kind: ArrowKind, raw: DuckDBValue[], digits?: number, separator?: string): Encoded {
  switch (kind) {
    case "text":
      return textVector(
        raw.map((v) => (v === null ? null : String(v))),
        separator,
      );
    case "bool":
      return {
        vector: vectorFromArray(
          raw.map((v) => (v === null ? null : Boolean(v))),
          new Bool(),
        ),
      };
    case "int":
      return intVector(raw.map((v) => (v === null ? null : Number(v))));
    case "float":
      return floatVector(
        raw.map((v) => (v === null ? null : Number(v))),
        digits,
      );
    case "date":
      // DateDay holds days since 1970-01-01 in an Int32 buffer, what the select expression returns.
      return {
        vector: numberVector(
          raw.map((v) => (v === null ? null : Number(v))),
          new DateDay() as never,
        ),
      };
    case "timestamp":
      return {
        vector: vectorFromArray(
          raw.map((v) => (v === null ? null : new Date(Number(v)))),
          new TimestampMillisecond(),
        ),
      };
  }
}

/** The temporary table queryToArrow reads from: the query's rows in its order (rowid = position). */
const ROWS = "arrow_rows";

/** What decides a text column's encoding (textVector's byte counts), computed by DuckDB. */
interface TextStats {
  present: number;
  distinct: number;
  /** Σ (UTF-8 bytes + 4) over the present values, and over the distinct ones. */
  plainBytes: number;
  distinctBytes: number;
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
 * A text column encoded as a dictionary by DuckDB: the distinct values in order of first appearance and each row's
 * key, read as integers, so only the dictionary's strings cross into JavaScript. The same data as dictionaryData.
 */
async function dictionaryFromSql(conn: DuckDBConnection, column: string): Promise<Data> {
  const id = quoted(column);
  const dictionary = `SELECT v, (row_number() OVER (ORDER BY first) - 1)::INTEGER AS k FROM (
      SELECT ${id} AS v, min(rowid) AS first FROM ${ROWS} WHERE ${id} IS NOT NULL GROUP BY ${id})`;
  const values = (await conn.runAndReadAll(`SELECT v FROM (${dictionary}) ORDER BY k`)).getColumns()[0] ?? [];
  const keys = (
    await conn.runAndReadAll(`SELECT d.k FROM ${ROWS} r LEFT JOIN (${dictionary}) d ON r.${id} = d.v ORDER BY r.rowid`)
  ).getColumns()[0] as (number | null)[];
  return dictionaryFromKeys(keys, values.map(String));
}

const quoted = (column: string) => `"${column.replaceAll('"', '""')}"`;

/**
 * Run `sql` once to learn its column types, keep its rows in a temporary table in their order, then read every
 * column in its Arrow shape. Text columns that are not lists and whose values repeat enough for a dictionary to be
 * the smaller encoding (textStats: the rule of textVector) are encoded by DuckDB (dictionaryFromSql): at a million
 * customers, reading their half a million strings each into JavaScript was most of the list's cost. The output is
 * the same as encoding every column here. `sql` is the project's own (a constant beside its caller); user values go
 * in `params`. The connection's temporary table arrow_rows is replaced, then dropped.
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
    const candidates = names.filter((n, i) => kinds[i] === "text" && options.separator?.(n) === undefined);
    const stats = candidates.length ? await textStats(conn, candidates) : [];
    const inSql = new Set(
      candidates.filter((_, k) => {
        const s = stats[k]!;
        return s.plainBytes > s.present * indexBytes(s.distinct) + s.distinctBytes;
      }),
    );
    const read = names.filter((n) => !inSql.has(n));
    const select = read.map((n) => `${selectExpression(n, kinds[names.indexOf(n)]!)} AS ${quoted(n)}`).join(", ");
    const columns = read.length
      ? (await conn.runAndReadAll(`SELECT ${select} FROM ${ROWS} ORDER BY rowid`)).getColumns()
      : [];
    const encoded: Encoded[] = [];
    for (const [i, name] of names.entries()) {
      if (inSql.has(name)) encoded.push({ vector: makeVector(await dictionaryFromSql(conn, name)) });
      else {
        const raw = columns[read.indexOf(name)] ?? [];
        encoded.push(columnVector(kinds[i]!, raw, options.digits?.(name), options.separator?.(name)));
      }
    }
    return withMetadata(
      (names.length
        ? makeTable(Object.fromEntries(names.map((n, i) => [n, encoded[i]!.vector])) as never)
        : new Table()) as Table,
      options.metadata ?? {},
      encoded.map((e) => e.metadata),
    );
  } finally {
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
