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
  if (typeId === Type.Float && meta.has("digits")) {
    const scale = 10 ** Number(meta.get("digits"));
    return Array.from(vector, (v) => (v == null ? null : Math.round(v * scale) / scale));
  }
  if (typeId === Type.Int && field.type.bitWidth === 64)
    return Array.from(vector, (v) => (v == null ? null : Number(v)));
  return vector.nullCount ? Array.from(vector) : vector.toArray();
}

/** A dictionary's strings, decoded once per dictionary (batches of one file share theirs). */
const dictionaryCache = new WeakMap();
function dictionaryStrings(dictionary) {
  let strings = dictionaryCache.get(dictionary);
  if (!strings) dictionaryCache.set(dictionary, (strings = Array.from(dictionary)));
  return strings;
}

const isNull = (data, i) => data.nullCount > 0 && !data.getValid(i);

/** Dictionary-encoded values through their integer keys: each distinct string is decoded once. */
function dictionaryValues(vector) {
  const out = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const strings = dictionaryStrings(data.dictionary);
    for (let i = 0; i < data.length; i++, row++) out[row] = isNull(data, i) ? null : strings[data.values[i]];
  }
  return out;
}

/** Lists of dictionary-encoded phrases joined back into one text per row. */
function phraseListValues(vector, separator) {
  const out = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets;
    const child = data.children[0];
    const strings = dictionaryStrings(child.dictionary);
    const keys = child.values;
    for (let i = 0; i < data.length; i++, row++) {
      if (isNull(data, i)) {
        out[row] = null;
        continue;
      }
      const parts = [];
      for (let j = offsets[i]; j < offsets[i + 1]; j++) parts.push(strings[keys[j]]);
      out[row] = parts.join(separator);
    }
  }
  return out;
}

/**
 * The Arrow table as plain rows (one object per customer) plus the column names in file order and the file's
 * metadata. Decoded once, column by column.
 */
export function listFromArrow(table) {
  const names = table.schema.fields.map((f) => f.name);
  const values = table.schema.fields.map((field) => columnValues(table, field));
  const n = table.numRows;
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = {};
    for (let c = 0; c < names.length; c++) row[names[c]] = values[c][i] ?? null;
    rows[i] = row;
  }
  return { columns: names, rows, metadata: Object.fromEntries(table.schema.metadata ?? new Map()) };
}

/** The filters available for these columns, each with its options ("all" first, "(none)" when a value is missing). */
export function filterOptions(list) {
  return FILTERS.filter(([column]) => list.columns.includes(column)).map(([column, label]) => {
    const seen = new Set();
    let missing = false;
    for (const row of list.rows) {
      const v = row[column];
      if (v == null || v === "") missing = true;
      else seen.add(v);
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

/** Lower-case text of the searched columns per row, built on the first search only. */
function haystacks(list) {
  if (!list.haystack) {
    const cols = SEARCH_COLUMNS.filter((c) => list.columns.includes(c));
    list.haystack = list.rows.map((r) =>
      cols
        .map((c) => r[c] ?? "")
        .join("\u0001")
        .toLowerCase(),
    );
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
  const hay = words.length ? haystacks(list) : null;
  const out = [];
  const rows = list.rows;
  outer: for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (const [c, v] of active) {
      const x = row[c];
      if (v === NONE ? !(x == null || x === "") : x !== v) continue outer;
    }
    if (hay) for (const w of words) if (!hay[i].includes(w)) continue outer;
    out.push(row);
  }
  return out;
}

/** Value at risk and customers per action × quadrant (quadrant "(none)" for cancelled customers), from the list. */
export function valueByActionAndQuadrant(rows) {
  const cells = new Map();
  for (const r of rows) {
    const action = r.recommended_action ?? NONE;
    const quadrant = r.quadrant ?? NONE;
    const key = `${action}\u0001${quadrant}`;
    const cell = cells.get(key) ?? { action, quadrant, customers: 0, value_at_risk: 0, clv: 0 };
    cell.customers++;
    cell.value_at_risk += r.value_at_risk ?? 0;
    cell.clv += r.clv ?? 0;
    cells.set(key, cell);
  }
  return [...cells.values()];
}

/** Per action: customers, value at risk and CLV, largest value at risk first. */
export function valueByAction(rows) {
  const byAction = new Map();
  for (const c of valueByActionAndQuadrant(rows)) {
    const a = byAction.get(c.action) ?? { action: c.action, customers: 0, value_at_risk: 0, clv: 0 };
    a.customers += c.customers;
    a.value_at_risk += c.value_at_risk;
    a.clv += c.clv;
    byAction.set(c.action, a);
  }
  return [...byAction.values()].sort((a, b) => b.value_at_risk - a.value_at_risk);
}
