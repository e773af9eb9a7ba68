// The /at-risk page's list logic, kept out of the page so it can be tested in Node: the scored list read from an
// Arrow table (every column, whatever the loader carried), filters that exist only for the columns present, a
// search over names, ids, symptoms and drivers, and the CSV of the current view. Plain arrays and loops: at 100,000
// customers a filter or search pass takes a few milliseconds.
import { Type } from "apache-arrow";

/** Filters the page offers, in order, for the columns the list has (a column another stage did not add is skipped). */
export const FILTERS = [
  ["quadrant", "Quadrant"],
  ["health_band", "Health band"],
  ["recommended_action", "Action"],
  ["segment", "Segment"],
  ["plan", "Plan"],
  ["tier", "Tier"],
  ["risk_source", "Risk source"],
];

/** Columns the search looks in (those present). */
export const SEARCH_COLUMNS = ["customer_id", "name", "symptoms", "top_drivers"];

/** Values in a meaningful order where alphabetical would mislead; other columns list their values alphabetically. */
const VALUE_ORDER = {
  tier: ["high", "mid", "low"],
  health_band: ["red", "yellow", "green"],
};

export const ALL = "all";
export const NONE = "(none)";

/**
 * One column of the Arrow table as a plain array, undoing the loader's compact encodings (src/data/lib/arrow-table.ts):
 * dates as YYYY-MM-DD, timestamps as ISO text, lists of phrases joined back with the field's `joined_by`, floats
 * rounded back to the field's `digits` (Float32 stores 0.4104 as 0.41040000319…), nulls as null.
 */
export function columnValues(table, field) {
  const vector = table.getChild(field.name);
  const typeId = field.type.typeId;
  const meta = field.metadata ?? new Map();
  if (typeId === Type.Dictionary) return dictionaryValues(vector);
  if (typeId === Type.List && field.type.children[0]?.type.typeId === Type.Dictionary)
    return phraseListValues(vector, meta.get("joined_by") ?? "; ");
  if (typeId === Type.List) {
    const sep = meta.get("joined_by") ?? "; ";
    return Array.from(vector, (v) => (v == null ? null : Array.from(v).join(sep)));
  }
  if (typeId === Type.Date || typeId === Type.Timestamp) {
    const day = typeId === Type.Date;
    return Array.from(vector, (v) => {
      if (v == null) return null;
      const iso = new Date(Number(v)).toISOString();
      return day ? iso.slice(0, 10) : iso;
    });
  }
  if (typeId === Type.Float || typeId === Type.Int) {
    const scale = meta.has("digits") ? 10 ** Number(meta.get("digits")) : 0;
    return numberValues(vector, scale, typeId === Type.Int && field.type.bitWidth === 64);
  }
  if (typeId === Type.Utf8) return utf8Values(vector);
  return Array.from(vector);
}

/** Numbers straight from the typed arrays (rounded to 1/scale when scale > 0), nulls as null. */
function numberValues(vector, scale, big) {
  const out = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const isNull = nullTest(data);
    const values = data.values;
    for (let i = 0; i < data.length; i++, row++) {
      if (isNull(i)) out[row] = null;
      else {
        const v = big ? Number(values[i]) : values[i];
        out[row] = scale ? Math.round(v * scale) / scale : v;
      }
    }
  }
  return out;
}

const decoder = new TextDecoder();

/** Utf8 values: the chunk decoded in one call and cut by offsets when it is ASCII, one call per value otherwise. */
function utf8Values(vector) {
  const out = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const isNull = nullTest(data);
    const offsets = data.valueOffsets;
    const bytes = data.values;
    const start = offsets[0];
    const text = decoder.decode(bytes.subarray(start, offsets[data.length]));
    const ascii = text.length === offsets[data.length] - start;
    for (let i = 0; i < data.length; i++, row++) {
      if (isNull(i)) out[row] = null;
      else if (ascii) out[row] = text.slice(offsets[i] - start, offsets[i + 1] - start);
      else out[row] = decoder.decode(bytes.subarray(offsets[i], offsets[i + 1]));
    }
  }
  return out;
}

/**
 * A dictionary's strings by key: a small dictionary decoded at once, a large one (names) key by key as rows are read;
 * one per dictionary (batches of one file share theirs).
 */
const dictionaryCache = new WeakMap();
function dictionaryStrings(dictionary) {
  let lookup = dictionaryCache.get(dictionary);
  if (lookup) return lookup;
  if (dictionary.length <= 1024 || dictionary.data.length !== 1) {
    const strings = utf8Values(dictionary);
    lookup = (k) => strings[k];
  } else {
    const data = dictionary.data[0];
    const offsets = data.valueOffsets;
    const bytes = data.values;
    const cache = new Array(dictionary.length);
    lookup = (k) => {
      const hit = cache[k];
      return hit !== undefined ? hit : (cache[k] = decoder.decode(bytes.subarray(offsets[k], offsets[k + 1])));
    };
  }
  dictionaryCache.set(dictionary, lookup);
  return lookup;
}

/**
 * A test for "row i of this chunk is null" read straight from the validity bitmap (Data.getValid is generic and slow
 * in a loop over 100,000 rows); always false when the chunk has no nulls.
 */
function nullTest(data) {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return () => false;
  const offset = data.offset;
  return (i) => ((bitmap[(offset + i) >> 3] >> ((offset + i) & 7)) & 1) === 0;
}

/** Dictionary-encoded values through their integer keys: each distinct string is decoded once. */
function dictionaryValues(vector) {
  const out = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const isNull = nullTest(data);
    const strings = dictionaryStrings(data.dictionary);
    for (let i = 0; i < data.length; i++, row++) out[row] = isNull(i) ? null : strings(data.values[i]);
  }
  return out;
}

/** Lists of dictionary-encoded phrases joined back into one text per row. */
function phraseListValues(vector, separator) {
  const out = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const isNull = nullTest(data);
    const offsets = data.valueOffsets;
    const child = data.children[0];
    const strings = dictionaryStrings(child.dictionary);
    const keys = child.values;
    for (let i = 0; i < data.length; i++, row++) {
      if (isNull(i)) {
        out[row] = null;
        continue;
      }
      const parts = [];
      for (let j = offsets[i]; j < offsets[i + 1]; j++) parts.push(strings(keys[j]));
      out[row] = parts.join(separator);
    }
  }
  return out;
}

/**
 * Read access to one column, value by value, without decoding the rest: dictionary keys index the dictionary's
 * strings (decoded once), numbers come straight from the typed array, text and phrase lists are decoded the first
 * time a row is read and kept. A column of several chunks is decoded whole (columnValues).
 */
export function columnAccessor(table, field) {
  const vector = table.getChild(field.name);
  if (vector.data.length !== 1) {
    const values = columnValues(table, field);
    return (i) => values[i] ?? null;
  }
  const data = vector.data[0];
  const isNull = nullTest(data);
  const typeId = field.type.typeId;
  const meta = field.metadata ?? new Map();
  if (typeId === Type.Dictionary) {
    const strings = dictionaryStrings(data.dictionary);
    const keys = data.values;
    return (i) => (isNull(i) ? null : strings(keys[i]));
  }
  if (typeId === Type.Float || typeId === Type.Int) {
    const scale = meta.has("digits") ? 10 ** Number(meta.get("digits")) : 0;
    const values = data.values;
    const big = field.type.bitWidth === 64;
    return (i) => {
      if (isNull(i)) return null;
      const v = big ? Number(values[i]) : values[i];
      return scale ? Math.round(v * scale) / scale : v;
    };
  }
  const cache = new Array(data.length);
  let decode;
  if (typeId === Type.List && field.type.children[0]?.type.typeId === Type.Dictionary) {
    const separator = meta.get("joined_by") ?? "; ";
    const offsets = data.valueOffsets;
    const child = data.children[0];
    const strings = dictionaryStrings(child.dictionary);
    const keys = child.values;
    decode = (i) => {
      const parts = [];
      for (let j = offsets[i]; j < offsets[i + 1]; j++) parts.push(strings(keys[j]));
      return parts.join(separator);
    };
  } else if (typeId === Type.Utf8) {
    const offsets = data.valueOffsets;
    const bytes = data.values;
    decode = (i) => decoder.decode(bytes.subarray(offsets[i], offsets[i + 1]));
  } else {
    const values = columnValues(table, field);
    return (i) => values[i] ?? null;
  }
  return (i) => {
    if (isNull(i)) return null;
    const hit = cache[i];
    return hit !== undefined ? hit : (cache[i] = decode(i));
  };
}

const ROW = Symbol("row");

/**
 * The Arrow table as the page's list: one light row object per customer whose fields (one getter per column, in
 * file order) read the Arrow buffers on demand, so 100,000 rows cost 100,000 small objects until a value is read.
 * Also the column names and the file's metadata.
 */
export function listFromArrow(table) {
  const names = table.schema.fields.map((f) => f.name);
  const accessors = table.schema.fields.map((field) => columnAccessor(table, field));
  const prototype = {};
  names.forEach((name, c) => {
    Object.defineProperty(prototype, name, {
      get() {
        return accessors[c](this[ROW]);
      },
      enumerable: true,
    });
  });
  const n = table.numRows;
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = Object.create(prototype);
    row[ROW] = i;
    rows[i] = row;
  }
  return {
    columns: names,
    rows,
    table,
    metadata: Object.fromEntries(table.schema.metadata ?? new Map()),
  };
}

/**
 * A dictionary-encoded column's keys, validity and distinct values, read from the Arrow data without touching the
 * rows; undefined for any other column (or one split in chunks).
 */
function dictionaryColumn(list, column) {
  const field = list.table?.schema.fields.find((f) => f.name === column);
  const vector = list.table?.getChild(column);
  if (!field || field.type.typeId !== Type.Dictionary || vector.data.length !== 1) return undefined;
  const data = vector.data[0];
  const lookup = dictionaryStrings(data.dictionary);
  const values = Array.from({ length: data.dictionary.length }, (_, k) => lookup(k));
  return { keys: data.values, isNull: nullTest(data), values, hasNull: data.nullCount > 0 };
}

/** A test of row i for one chosen filter value: on dictionary keys when it can, else on the row's value. */
function rowTest(list, column, value) {
  const dict = dictionaryColumn(list, column);
  if (dict) {
    const { keys, isNull } = dict;
    if (value === NONE) {
      const empty = dict.values.indexOf("");
      return (i) => isNull(i) || keys[i] === empty;
    }
    const key = dict.values.indexOf(value);
    return (i) => !isNull(i) && keys[i] === key;
  }
  const rows = list.rows;
  if (value === NONE) return (i) => rows[i][column] == null || rows[i][column] === "";
  return (i) => rows[i][column] === value;
}

/** Rows as plain objects (for JSON, or code that lists own keys). */
export function plainRows(list, rows = list.rows) {
  return rows.map((r) => Object.fromEntries(list.columns.map((c) => [c, r[c]])));
}

/** The filters available for these columns, each with its options ("all" first, "(none)" when a value is missing). */
export function filterOptions(list) {
  return FILTERS.filter(([column]) => list.columns.includes(column)).map(([column, label]) => {
    const seen = new Set();
    let missing = false;
    const dict = dictionaryColumn(list, column);
    if (dict) {
      // Every dictionary value occurs in the list (the loader built the dictionary from it).
      for (const v of dict.values) {
        if (v === "") missing = true;
        else seen.add(v);
      }
      missing ||= dict.hasNull;
    } else {
      for (const row of list.rows) {
        const v = row[column];
        if (v == null || v === "") missing = true;
        else seen.add(v);
      }
    }
    const order = VALUE_ORDER[column] ?? [];
    const values = [...seen].sort((a, b) => {
      const ia = order.indexOf(a);
      const ib = order.indexOf(b);
      if (ia !== ib) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
      return String(a).localeCompare(String(b));
    });
    return { column, label, options: [ALL, ...values, ...(missing ? [NONE] : [])] };
  });
}

/** The searched columns present, in order. */
const searchedNames = (list) => SEARCH_COLUMNS.filter((c) => list.columns.includes(c));

/**
 * One searched column as a plain array, decoded from the Arrow buffers in bulk (columnValues) rather than row by row
 * through the getters; a list without a table (tests, plain rows) reads the rows.
 */
function searchColumn(list, name) {
  const field = list.table?.schema.fields.find((f) => f.name === name);
  return field ? columnValues(list.table, field) : list.rows.map((r) => r[name]);
}

/** Row i's searched text: the searched columns' values, lower case, joined by a separator no word contains. */
function searchText(columns, i) {
  return columns
    .map((values) => values[i] ?? "")
    .join("\u0001")
    .toLowerCase();
}

/**
 * Build the search text of every row in slices while the browser is idle (about 8 ms at a time), so a filter change
 * made meanwhile never waits behind it; a search before it is done finishes it at once (haystacks).
 */
export function prepareSearch(list) {
  if (list.haystack || list.building) return;
  list.building = { parts: new Array(list.rows.length), next: 0, columns: [] };
  const idle = globalThis.requestIdleCallback ?? ((f) => setTimeout(() => f({ timeRemaining: () => 8 }), 0));
  const names = searchedNames(list);
  const step = (deadline) => {
    const state = list.building;
    if (!state) return; // a search finished it
    // One column decoded per idle moment, then the rows 500 at a time.
    if (state.columns.length < names.length) state.columns.push(searchColumn(list, names[state.columns.length]));
    else
      while (state.next < state.parts.length && deadline.timeRemaining() > 1) {
        const end = Math.min(state.parts.length, state.next + 500);
        for (let i = state.next; i < end; i++) state.parts[i] = searchText(state.columns, i);
        state.next = end;
      }
    if (state.columns.length < names.length || state.next < state.parts.length) idle(step);
    else {
      list.haystack = state.parts;
      list.building = null;
    }
  };
  idle(step);
}

/** Every row's search text: what prepareSearch has built so far, finished now. */
function haystacks(list) {
  if (!list.haystack) {
    const state = list.building ?? { parts: new Array(list.rows.length), next: 0, columns: [] };
    const names = searchedNames(list);
    while (state.columns.length < names.length) state.columns.push(searchColumn(list, names[state.columns.length]));
    for (let i = state.next; i < state.parts.length; i++) state.parts[i] = searchText(state.columns, i);
    list.haystack = state.parts;
    list.building = null;
  }
  return list.haystack;
}

/**
 * Rows that pass every chosen filter ({column: value}, "all" = no filter, "(none)" = missing value) and contain every
 * word of the search (case-insensitive, in any searched column), in list order.
 */
export function filterList(list, chosen = {}, search = "") {
  const active = Object.entries(chosen).filter(([c, v]) => v != null && v !== ALL && list.columns.includes(c));
  const words = String(search).toLowerCase().split(/\s+/).filter(Boolean);
  if (active.length === 0 && words.length === 0) return list.rows;
  const hay = words.length ? haystacks(list) : null;
  const tests = active.map(([c, v]) => rowTest(list, c, v));
  const out = [];
  const rows = list.rows;
  outer: for (let i = 0; i < rows.length; i++) {
    for (const test of tests) if (!test(i)) continue outer;
    if (hay) for (const w of words) if (!hay[i].includes(w)) continue outer;
    out.push(rows[i]);
  }
  return out;
}

/**
 * Per column, "number" or "text" from the Arrow schema: the table is told each column's alignment and format, so it
 * never scans the rows to guess them (it reads until a non-null value, i.e. the whole list for a mostly empty column).
 */
export function columnKinds(list) {
  const numeric = new Set([Type.Int, Type.Float, Type.Decimal]);
  return Object.fromEntries(
    (list.table?.schema.fields ?? []).map((f) => [f.name, numeric.has(f.type.typeId) ? "number" : "text"]),
  );
}
