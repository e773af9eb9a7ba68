/**
 * A feature table for the forest: numeric columns (NaN = missing) and text columns (categories), and its binned form.
 * Categories are ordered by their positive rate in the training rows (computed from the training rows only, so no
 * fold ever sees its own labels) and then treated as ordinal, rare ones pooled (minCategoryRows); unseen or blank
 * categories are missing.
 * Each feature is cut into at most 255 quantile bins of the training values; bin 0 holds missing values.
 */
export interface FeatureTable {
  names: string[];
  /** Per feature: numbers (NaN = missing) or strings (null/"" = missing). */
  columns: (Float64Array | (string | null)[])[];
  rows: number;
}

export interface Encoder {
  names: string[];
  /** For categorical features, category → ordinal code; null for numeric ones. */
  categories: (Map<string, number> | null)[];
  /** Upper edges of the bins of each feature (value ≤ edges[b − 1] goes to bin b, b ≥ 1). */
  edges: Float64Array[];
}

export const MAX_BINS = 255;

/** Numeric value of row i of feature f under the encoder (NaN when missing or an unseen category). */
export function encodedValue(table: FeatureTable, encoder: Encoder, f: number, i: number): number {
  const column = table.columns[f]!;
  const categories = encoder.categories[f];
  if (categories) {
    const v = (column as (string | null)[])[i];
    return v == null || v === "" ? NaN : (categories.get(v) ?? NaN);
  }
  return (column as Float64Array)[i]!;
}

/**
 * A category seen in fewer training rows than minCategoryRows shares one code with every other such category: 1% of
 * the training rows, at least 10 and at most 100 (LightGBM's min_data_per_group is 100). Ordered by their own positive
 * rate, rare categories leak the training labels: a name or a town seen a few times, ranked by whether those few
 * churned, lets a tree split the training rows on the label itself. Measured with `churn train` (5 folds × 300 trees)
 * against scikit-learn's arbitrary integer codes: a 10,000-row bank file with a 3,000-name Surname column, held-out
 * ROC-AUC 0.659 → 0.787 (scikit-learn 0.783); 12,000 rows with a 300-town column of small true effects, 0.707 → 0.716
 * (scikit-learn 0.704). The floor keeps the levels of a small business's plan column (a few levels of 80 rows each).
 */
export function minCategoryRows(trainingRows: number): number {
  return Math.min(100, Math.max(10, Math.ceil(0.01 * trainingRows)));
}

/**
 * Ordinal codes of one text column's categories: ranked by their smoothed positive rate (pos + 1) / (n + 2) in the
 * training rows (Breiman et al. 1984: for a binary label, the best split of an ordered-by-rate categorical is a cut of
 * that order), the categories with fewer than `minRows` rows pooled into one that they all share.
 */
function categoryCodes(stats: Map<string, { n: number; pos: number }>, minRows: number): Map<string, number> {
  const rare = { n: 0, pos: 0 };
  const groups: [string | null, { n: number; pos: number }][] = [];
  for (const [k, s] of stats) {
    if (s.n >= minRows) groups.push([k, s]);
    else {
      rare.n += s.n;
      rare.pos += s.pos;
    }
  }
  if (rare.n > 0) groups.push([null, rare]);
  const rate = (s: { n: number; pos: number }) => (s.pos + 1) / (s.n + 2);
  groups.sort((a, b) => rate(a[1]) - rate(b[1]) || (a[0] === null ? 1 : b[0] === null ? -1 : a[0] < b[0] ? -1 : 1));
  const rank = new Map(groups.map(([k], r) => [k, r]));
  const codes = [...stats].map(([k, s]): [string, number] => [k, rank.get(s.n >= minRows ? k : null)!]);
  // In code order (ties by name), as the stored model has always listed them.
  return new Map(codes.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)));
}

export function fitEncoder(table: FeatureTable, labels: Uint8Array, trainRows: Uint32Array): Encoder {
  const categories: (Map<string, number> | null)[] = [];
  const edges: Float64Array[] = [];
  table.columns.forEach((column, f) => {
    if (column instanceof Float64Array) categories.push(null);
    else {
      const stats = new Map<string, { n: number; pos: number }>();
      for (const i of trainRows) {
        const v = column[i];
        if (v == null || v === "") continue;
        const s = stats.get(v) ?? { n: 0, pos: 0 };
        s.n++;
        s.pos += labels[i]!;
        stats.set(v, s);
      }
      categories.push(categoryCodes(stats, minCategoryRows(trainRows.length)));
    }
    const encoder = { names: table.names, categories, edges };
    const buffer = new Float64Array(trainRows.length);
    let m = 0;
    for (const i of trainRows) {
      const v = encodedValue(table, encoder, f, i);
      if (!Number.isNaN(v)) buffer[m++] = v;
    }
    const values = buffer.subarray(0, m).sort(); // a typed array sorts numerically
    const distinct: number[] = [];
    for (const v of values) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
    let cut: number[];
    if (distinct.length <= MAX_BINS - 1) cut = distinct.slice(0, -1).map((v, k) => (v + distinct[k + 1]!) / 2);
    else {
      cut = [];
      // Not simple-statistics' quantileSorted: an edge must be a value seen in training (no mid-point averaging, which
      // it does at whole positions), and 254 picks from one sorted copy are cheaper than 254 calls.
      for (let b = 1; b < MAX_BINS - 1; b++) {
        const q = values[Math.floor((b * values.length) / (MAX_BINS - 1))]!;
        if (cut.length === 0 || q > cut[cut.length - 1]!) cut.push(q);
      }
    }
    edges.push(Float64Array.from(cut));
  });
  return { names: table.names, categories, edges };
}

/** Bin of a value: 0 for missing, else 1 + the number of edges below it. */
export function binOf(edges: Float64Array, v: number): number {
  if (Number.isNaN(v)) return 0;
  let lo = 0,
    hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo + 1;
}

/** Column-major bins of all rows: bins[f * rows + i]. */
export function binTable(table: FeatureTable, encoder: Encoder): Uint8Array {
  const bins = new Uint8Array(table.names.length * table.rows);
  for (let f = 0; f < table.names.length; f++) {
    const e = encoder.edges[f]!;
    for (let i = 0; i < table.rows; i++) bins[f * table.rows + i] = binOf(e, encodedValue(table, encoder, f, i));
  }
  return bins;
}
