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
/** The option for every value a filter does not list (a column with more than MAX_FILTER_VALUES distinct values). */
export const OTHER = "(other)";
/**
 * A filter lists at most this many values, the most frequent: a customer field with a value per customer (a plan
 * name per account, 50,000 of them) made a select of 50,000 options. The rest are one option, OTHER.
 */
export const MAX_FILTER_VALUES = 50;

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
  if (typeId === Type.Date || typeId === Type.Timestamp) return Array.from(vector, dateText(typeId));
  if (typeId === Type.Float || typeId === Type.Int) {
    const scale = meta.has("digits") ? 10 ** Number(meta.get("digits")) : 0;
    return numberValues(vector, scale, typeId === Type.Int && field.type.bitWidth === 64);
  }
  if (typeId === Type.Utf8) return utf8Values(vector);
  return Array.from(vector);
}

/** A date as YYYY-MM-DD, a timestamp as ISO text, from the milliseconds apache-arrow gives for either. */
function dateText(typeId) {
  const day = typeId === Type.Date;
  return (v) => {
    if (v == null) return null;
    const iso = new Date(Number(v)).toISOString();
    return day ? iso.slice(0, 10) : iso;
  };
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
 * strings (decoded once), numbers come straight from the typed array, text, phrase lists and dates are decoded the
 * first time a row is read and kept. A column of several chunks is decoded whole (columnValues).
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
  } else if (typeId === Type.Date || typeId === Type.Timestamp) {
    const text = dateText(typeId);
    decode = (i) => text(vector.get(i));
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

/**
 * Which rows have this filter value (1) or not (0). A dictionary column is tested once per dictionary key, then read
 * through the keys (a pass over typed arrays); any other column row by row.
 */
function rowsWithValue(list, column, value) {
  const n = list.rows.length;
  const out = new Uint8Array(n);
  const listed = value === OTHER ? new Set(filterValues(list, column).values) : null;
  const matches = (v) =>
    value === NONE ? v == null || v === "" : listed ? v != null && v !== "" && !listed.has(v) : v === value;
  const dict = dictionaryColumn(list, column);
  if (dict) {
    const { keys, isNull } = dict;
    const wanted = Uint8Array.from(dict.values, (v) => (matches(v) ? 1 : 0));
    const nullWanted = value === NONE;
    for (let i = 0; i < n; i++) out[i] = wanted[keys[i]];
    if (dict.hasNull) for (let i = 0; i < n; i++) if (isNull(i)) out[i] = nullWanted ? 1 : 0;
    return out;
  }
  const rows = list.rows;
  for (let i = 0; i < n; i++) out[i] = matches(rows[i][column]) ? 1 : 0;
  return out;
}

/** Rows as plain objects (for JSON, or code that lists own keys). */
export function plainRows(list, rows = list.rows) {
  return rows.map((r) => Object.fromEntries(list.columns.map((c) => [c, r[c]])));
}

/**
 * The filters available for these columns, each with its options: "all" first, the values (filterValues), "(other)"
 * when some were not listed, "(none)" when a value is missing.
 */
export function filterOptions(list) {
  return FILTERS.filter(([column]) => list.columns.includes(column)).map(([column, label]) => {
    const { values, missing, lumped } = filterValues(list, column);
    return { column, label, options: [ALL, ...values, ...(lumped ? [OTHER] : []), ...(missing ? [NONE] : [])] };
  });
}

/**
 * A filter's values: every distinct non-empty value of the column, or its MAX_FILTER_VALUES most frequent (ties by
 * value) when it has more (`lumped`), in the column's own order (tiers, bands) then alphabetical; `missing` when a
 * row has none.
 */
function filterValues(list, column) {
  const counts = new Map();
  let missing = false;
  const dict = dictionaryColumn(list, column);
  if (dict) {
    const perKey = new Float64Array(dict.values.length);
    for (let i = 0; i < dict.keys.length; i++) if (!(dict.hasNull && dict.isNull(i))) perKey[dict.keys[i]] += 1;
    dict.values.forEach((v, k) => {
      if (v === "") missing = true;
      else counts.set(v, (counts.get(v) ?? 0) + perKey[k]);
    });
    missing ||= dict.hasNull;
  } else {
    for (const row of list.rows) {
      const v = row[column];
      if (v == null || v === "") missing = true;
      else counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  let kept = [...counts.keys()];
  const lumped = kept.length > MAX_FILTER_VALUES;
  if (lumped)
    kept = kept
      .sort((a, b) => counts.get(b) - counts.get(a) || String(a).localeCompare(String(b)))
      .slice(0, MAX_FILTER_VALUES);
  const order = VALUE_ORDER[column] ?? [];
  const values = kept.sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    if (ia !== ib) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
    return String(a).localeCompare(String(b));
  });
  return { values, missing, lumped };
}

/** The searched columns present, in order. */
const searchedNames = (list) => SEARCH_COLUMNS.filter((c) => list.columns.includes(c));

/**
 * A lower-case copy of one chunk of Utf8 values to search in: `mark(word, out, start)` sets out[start + i] = 1 for
 * every value i that contains the (lower-case) word. ASCII text is kept as one string searched with indexOf, hits
 * mapped back to values through the offsets (a hit that spans two values is skipped); other text is lower-cased
 * value by value, since its string positions are not byte offsets.
 */
function searchableText(data) {
  const n = data.length;
  const offsets = data.valueOffsets;
  const bytes = data.values;
  const base = offsets[0];
  const isNull = nullTest(data);
  const raw = decoder.decode(bytes.subarray(base, offsets[n]));
  if (raw.length !== offsets[n] - base) {
    const lowered = Array.from({ length: n }, (_, i) =>
      isNull(i) ? "" : decoder.decode(bytes.subarray(offsets[i], offsets[i + 1])).toLowerCase(),
    );
    return (word, out, start) => {
      for (let i = 0; i < n; i++) if (lowered[i].includes(word)) out[start + i] = 1;
    };
  }
  const text = raw.toLowerCase();
  return (word, out, start) => {
    let p = text.indexOf(word);
    while (p >= 0) {
      // The value holding position p: the last i with offsets[i] - base <= p.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (offsets[mid] - base <= p) lo = mid;
        else hi = mid - 1;
      }
      const valueEnd = offsets[lo + 1] - base;
      if (p + word.length <= valueEnd) {
        if (!isNull(lo)) out[start + lo] = 1;
        p = text.indexOf(word, valueEnd);
      } else p = text.indexOf(word, p + 1);
    }
  };
}

/** A dictionary's searchable text (one per dictionary, shared by the batches that share it). */
const searchableCache = new WeakMap();
function searchableDictionary(dictionary) {
  let searchers = searchableCache.get(dictionary);
  if (!searchers) {
    searchers = dictionary.data.map((data) => searchableText(data));
    searchableCache.set(dictionary, searchers);
  }
  return searchers;
}

/** Which keys of a dictionary contain the word (1) or not (0). */
function dictionaryHits(dictionary, word) {
  const hits = new Uint8Array(dictionary.length);
  let start = 0;
  searchableDictionary(dictionary).forEach((mark, c) => {
    mark(word, hits, start);
    start += dictionary.data[c].length;
  });
  return hits;
}

/** A matcher over plain values: each value lower-cased once, then a substring test per row. */
function valuesMatcher(values) {
  const lowered = values.map((v) => (v == null ? "" : String(v).toLowerCase()));
  return (word, mask) => {
    for (let i = 0; i < lowered.length; i++) if (lowered[i].includes(word)) mask[i] = 1;
  };
}

/**
 * A matcher for one searched column: `(word, mask)` sets mask[row] = 1 for every row whose value contains the
 * lower-case word. Dictionary-encoded text (names) and lists of dictionary phrases (symptoms, drivers) are searched
 * in their dictionaries, a few thousand strings, and rows are then marked through their integer keys: no per-row text
 * is ever built. A phrase list matches when one of its phrases contains the word. Plain text (ids) is searched chunk
 * by chunk (searchableText); other columns are decoded and lower-cased once.
 */
function columnMatcher(list, name) {
  const field = list.table?.schema.fields.find((f) => f.name === name);
  if (!field) return valuesMatcher(list.rows.map((r) => r[name]));
  const typeId = field.type.typeId;
  const phrases = typeId === Type.List && field.type.children[0]?.type.typeId === Type.Dictionary;
  const chunks = [];
  let start = 0;
  for (const data of list.table.getChild(name).data) {
    chunks.push({ data, start });
    start += data.length;
  }
  if (typeId === Type.Utf8) {
    const searchers = chunks.map(({ data }) => searchableText(data));
    return (word, mask) => searchers.forEach((mark, c) => mark(word, mask, chunks[c].start));
  }
  if (typeId !== Type.Dictionary && !phrases) return valuesMatcher(columnValues(list.table, field));
  for (const chunk of chunks) searchableDictionary((phrases ? chunk.data.children[0] : chunk.data).dictionary);
  return (word, mask) => {
    for (const { data, start } of chunks) {
      const coded = phrases ? data.children[0] : data;
      const hits = dictionaryHits(coded.dictionary, word);
      const keys = coded.values;
      const isNull = nullTest(data);
      if (!phrases) {
        for (let i = 0; i < data.length; i++) if (!isNull(i) && hits[keys[i]]) mask[start + i] = 1;
        continue;
      }
      const offsets = data.valueOffsets;
      for (let i = 0; i < data.length; i++) {
        if (isNull(i)) continue;
        for (let j = offsets[i]; j < offsets[i + 1]; j++)
          if (hits[keys[j]]) {
            mask[start + i] = 1;
            break;
          }
      }
    }
  };
}

/**
 * Prepare the search's column matchers one column per idle moment, so the page's first frames and a filter change
 * made meanwhile never wait behind it; a search before it is done prepares the rest at once (searchMatchers).
 */
export function prepareSearch(list) {
  if (list.matchers || list.preparing) return;
  list.preparing = [];
  const idle = globalThis.requestIdleCallback ?? ((f) => setTimeout(f, 0));
  const names = searchedNames(list);
  const step = () => {
    const done = list.preparing;
    if (!done) return; // a search finished it
    done.push(columnMatcher(list, names[done.length]));
    if (done.length < names.length) idle(step);
    else {
      list.matchers = done;
      list.preparing = null;
    }
  };
  idle(step);
}

/** Every searched column's matcher: what prepareSearch has prepared so far, finished now. */
function searchMatchers(list) {
  if (!list.matchers) {
    const done = list.preparing ?? [];
    const names = searchedNames(list);
    while (done.length < names.length) done.push(columnMatcher(list, names[done.length]));
    list.matchers = done;
    list.preparing = null;
  }
  return list.matchers;
}

/** Rows containing every word in at least one searched column: 1 in the returned mask. */
function searchMask(list, words) {
  const matchers = searchMatchers(list);
  let all = null;
  for (const word of words) {
    const mask = new Uint8Array(list.rows.length);
    for (const match of matchers) match(word, mask);
    if (all) for (let i = 0; i < all.length; i++) all[i] &= mask[i];
    else all = mask;
  }
  return all;
}

/**
 * Rows that pass every chosen filter ({column: value}, "all" = no filter, "(none)" = missing value) and contain every
 * word of the search (case-insensitive, in any searched column), in list order.
 */
export function filterList(list, chosen = {}, search = "") {
  const active = Object.entries(chosen).filter(([c, v]) => v != null && v !== ALL && list.columns.includes(c));
  const words = String(search).toLowerCase().split(/\s+/).filter(Boolean);
  if (active.length === 0 && words.length === 0) return list.rows;
  const masks = active.map(([c, v]) => rowsWithValue(list, c, v));
  if (words.length) masks.push(searchMask(list, words));
  const passed = masks[0];
  for (const mask of masks.slice(1)) for (let i = 0; i < passed.length; i++) passed[i] &= mask[i];
  const out = [];
  const rows = list.rows;
  for (let i = 0; i < rows.length; i++) if (passed[i]) out.push(rows[i]);
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
