/**
 * A trained forest packed for prediction: every tree's nodes in one set of flat arrays, each split's threshold as
 * a bin number, and rows given as their bins under the model's encoder (row-major, one byte per value).
 * The walk is the same as tree.ts's predictTree on encoded values: a split stores threshold = edges[f][b − 1] for
 * its bin b, and binOf(v) ≤ b ⟺ v ≤ edges[f][b − 1] for every non-missing v (edges strictly increase), while a
 * missing value (bin 0) follows missingLeft. Sums run over the trees in their order, so the probabilities and
 * Saabas contributions are bit-for-bit those of the one-row walkers.
 */
import { binOf, type Encoder, encodedValue, type FeatureTable } from "./dataset.ts";
import type { ForestModel } from "./forest.ts";

export interface PackedForest {
  trees: number;
  features: number;
  /** Index of each tree's root node. */
  roots: Int32Array;
  /** Split feature, −1 at leaves. */
  feature: Int32Array;
  /** Go left when the row's bin is ≤ this (bins ≥ 1); missing values (bin 0) follow missingLeft. */
  bin: Uint8Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

const packedCache = new WeakMap<ForestModel, PackedForest>();

export function packForest(model: ForestModel): PackedForest {
  const cached = packedCache.get(model);
  if (cached) return cached;
  const nodes = model.trees.reduce((s, t) => s + t.feature.length, 0);
  const packed: PackedForest = {
    trees: model.trees.length,
    features: model.encoder.names.length,
    roots: new Int32Array(model.trees.length),
    feature: new Int32Array(nodes),
    bin: new Uint8Array(nodes),
    missingLeft: new Uint8Array(nodes),
    left: new Int32Array(nodes),
    right: new Int32Array(nodes),
    value: new Float64Array(nodes),
  };
  let o = 0;
  model.trees.forEach((tree, t) => {
    packed.roots[t] = o;
    for (let n = 0; n < tree.feature.length; n++) {
      const f = tree.feature[n]!;
      packed.feature[o + n] = f;
      packed.value[o + n] = tree.value[n]!;
      if (f < 0) continue;
      packed.bin[o + n] = binOf(model.encoder.edges[f]!, tree.threshold[n]!);
      packed.missingLeft[o + n] = tree.missingLeft[n]!;
      packed.left[o + n] = o + tree.left[n]!;
      packed.right[o + n] = o + tree.right[n]!;
    }
    o += tree.feature.length;
  });
  packedCache.set(model, packed);
  return packed;
}

/**
 * Bins of the given rows (all rows when omitted) under the model's encoder, row-major: out[k * features + f]. A
 * number column whose edges equal those of one of `earlier`'s encoders (the same rows binned under another member of
 * a forest of forests) is copied from its bins: the same values and edges give the same bins.
 */
export function binRows(
  model: ForestModel,
  table: FeatureTable,
  rows?: ArrayLike<number>,
  earlier: { encoder: Encoder; bins: Uint8Array }[] = [],
): Uint8Array {
  const features = table.names.length;
  const n = rows ? rows.length : table.rows;
  const out = new Uint8Array(n * features);
  for (let f = 0; f < features; f++) {
    const edges = model.encoder.edges[f]!;
    const same = model.encoder.categories[f]
      ? undefined
      : earlier.find((e) => !e.encoder.categories[f] && sameEdges(e.encoder.edges[f]!, edges));
    if (same) {
      for (let q = f; q < out.length; q += features) out[q] = same.bins[q]!;
      continue;
    }
    for (let k = 0; k < n; k++) {
      const i = rows ? rows[k]! : k;
      out[k * features + f] = binOf(edges, encodedValue(table, model.encoder, f, i));
    }
  }
  return out;
}

function sameEdges(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Leaf node that row k of the binned rows reaches in the tree whose root is `root`. */
export function leafOf(p: PackedForest, bins: Uint8Array, k: number, root: number): number {
  const base = k * p.features;
  let n = root;
  let f = p.feature[n]!;
  while (f >= 0) {
    const b = bins[base + f]!;
    n = (b === 0 ? p.missingLeft[n] === 1 : b <= p.bin[n]!) ? p.left[n]! : p.right[n]!;
    f = p.feature[n]!;
  }
  return n;
}

/** Mean leaf probability of each binned row (n rows). */
export function predictBinned(p: PackedForest, bins: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let t = 0; t < p.trees; t++) {
    const root = p.roots[t]!;
    for (let k = 0; k < n; k++) out[k]! += p.value[leafOf(p, bins, k, root)]!;
  }
  for (let k = 0; k < n; k++) out[k]! /= p.trees;
  return out;
}

/**
 * Probabilities and Saabas contributions of each binned row in one walk per tree and row: along the path, each
 * split's change in node value is credited to its feature (contributions row-major, n × features).
 */
export function predictWithContributions(
  p: PackedForest,
  bins: Uint8Array,
  n: number,
  /** Buffers to reuse (n and n × features long), cleared first. */
  into?: { probabilities: Float64Array; contributions: Float64Array },
): { probabilities: Float64Array; contributions: Float64Array } {
  const F = p.features;
  const probabilities = into ? into.probabilities.fill(0) : new Float64Array(n);
  const contributions = into ? into.contributions.fill(0) : new Float64Array(n * F);
  for (let t = 0; t < p.trees; t++) {
    const root = p.roots[t]!;
    for (let k = 0; k < n; k++) {
      const base = k * F;
      let node = root;
      let f = p.feature[node]!;
      while (f >= 0) {
        const b = bins[base + f]!;
        const next = (b === 0 ? p.missingLeft[node] === 1 : b <= p.bin[node]!) ? p.left[node]! : p.right[node]!;
        contributions[base + f]! += p.value[next]! - p.value[node]!;
        node = next;
        f = p.feature[node]!;
      }
      probabilities[k]! += p.value[node]!;
    }
  }
  for (let k = 0; k < n; k++) probabilities[k]! /= p.trees;
  for (let q = 0; q < contributions.length; q++) contributions[q]! /= p.trees;
  return { probabilities, contributions };
}
