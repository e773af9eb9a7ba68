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
  /**
   * The same splits as one record of four per node, for walks that step a fixed number of times (walkStep): split
   * feature, bin | missingLeft << 8, left child, right child. A leaf is its own child (feature 0, bin 255 and
   * missingLeft 1 send every row left to itself), so a row that reached its leaf stays there.
   */
  nodes: Int32Array;
  /** Each tree's depth (edges from its root to its deepest leaf): the steps that take every row to its leaf. */
  depth: Int32Array;
}

const packedCache = new WeakMap<ForestModel, PackedForest>();

/** Edges from the root to the deepest leaf. */
function treeDepth(tree: ForestModel["trees"][number]): number {
  let deepest = 0;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (tree.feature[n]! < 0) deepest = Math.max(deepest, d);
    else stack.push([tree.left[n]!, d + 1], [tree.right[n]!, d + 1]);
  }
  return deepest;
}

/**
 * One step of a walk on PackedForest.nodes: the child of node n for the row whose bins start at `row` (left when
 * 1 ≤ bin ≤ the split's bin, or the bin is 0, missing, and missing values go left; a leaf's child is itself).
 * Without branches, and on one array: walks stepped side by side then overlap their waits on memory instead of on
 * mispredicted sides and reloaded array bounds (V8 reloads a typed array's bounds per access in such loops).
 */
function walkStep(nodes: Int32Array, bins: Uint8Array, n: number, row: number): number {
  const o = n << 2;
  const b = bins[row + nodes[o]!]!;
  const split = nodes[o + 1]!;
  const above = ((split & 255) - b) >>> 31; // 1 when b > the split's bin
  const missing = (b - 1) >>> 31; // 1 when b = 0
  const goRight = above ^ (missing & (above ^ (1 - (split >>> 8))));
  const left = nodes[o + 2]!;
  return left ^ ((left ^ nodes[o + 3]!) & -goRight);
}

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
    nodes: new Int32Array(4 * nodes),
    depth: new Int32Array(model.trees.length),
  };
  let o = 0;
  model.trees.forEach((tree, t) => {
    packed.roots[t] = o;
    for (let n = 0; n < tree.feature.length; n++) {
      const f = tree.feature[n]!;
      const record = 4 * (o + n);
      packed.feature[o + n] = f;
      packed.value[o + n] = tree.value[n]!;
      if (f < 0) {
        packed.nodes.set([0, 255 | (1 << 8), o + n, o + n], record);
        continue;
      }
      packed.bin[o + n] = binOf(model.encoder.edges[f]!, tree.threshold[n]!);
      packed.missingLeft[o + n] = tree.missingLeft[n]!;
      packed.left[o + n] = o + tree.left[n]!;
      packed.right[o + n] = o + tree.right[n]!;
      packed.nodes.set(
        [f, packed.bin[o + n]! | (packed.missingLeft[o + n]! << 8), o + tree.left[n]!, o + tree.right[n]!],
        record,
      );
    }
    packed.depth[t] = treeDepth(tree);
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

/** Does a row with bin b go left at inner node n? (Bins ≥ 1 go left up to the split's bin; 0, missing, by its side.) */
export const goesLeft = (p: PackedForest, n: number, b: number): boolean =>
  b === 0 ? p.missingLeft[n] === 1 : b <= p.bin[n]!;

/**
 * The leaf node reached from node n by the binned row whose bins start at `row`; with `f` ≥ 0, bin `b` stands in for
 * the row's own bin of feature f (permutation importance's re-walks).
 */
export function leafFrom(p: PackedForest, bins: Uint8Array, row: number, n: number, f = -1, b = 0): number {
  let g = p.feature[n]!;
  while (g >= 0) {
    n = goesLeft(p, n, g === f ? b : bins[row + g]!) ? p.left[n]! : p.right[n]!;
    g = p.feature[n]!;
  }
  return n;
}

/**
 * The leaf node each binned row (n rows) reaches in tree t, into `out`. Four rows walk the tree side by side, its depth
 * in steps (walkStep): a walk waits on every node it loads, and four independent walks let the processor overlap
 * those waits (half the time of one walk after another on a 100-tree forest).
 */
export function treeLeaves(p: PackedForest, bins: Uint8Array, n: number, t: number, out: Int32Array): Int32Array {
  const { nodes } = p;
  const F = p.features;
  const root = p.roots[t]!;
  const depth = p.depth[t]!;
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const r0 = k * F;
    let n0 = root,
      n1 = root,
      n2 = root,
      n3 = root;
    for (let d = 0; d < depth; d++) {
      n0 = walkStep(nodes, bins, n0, r0);
      n1 = walkStep(nodes, bins, n1, r0 + F);
      n2 = walkStep(nodes, bins, n2, r0 + 2 * F);
      n3 = walkStep(nodes, bins, n3, r0 + 3 * F);
    }
    out[k] = n0;
    out[k + 1] = n1;
    out[k + 2] = n2;
    out[k + 3] = n3;
  }
  for (; k < n; k++) out[k] = leafFrom(p, bins, k * F, root);
  return out;
}

/** Mean leaf probability of each binned row (n rows), the trees' leaves summed in tree order (treeLeaves). */
export function predictBinned(p: PackedForest, bins: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const leaves = new Int32Array(n);
  const { value } = p;
  for (let t = 0; t < p.trees; t++) {
    treeLeaves(p, bins, n, t, leaves);
    for (let k = 0; k < n; k++) out[k]! += value[leaves[k]!]!;
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
  const { nodes, value } = p;
  for (let t = 0; t < p.trees; t++) {
    const root = p.roots[t]!;
    const depth = p.depth[t]!;
    let k = 0;
    // Four rows side by side, as predictBinned; a step from a leaf to itself credits 0 to feature 0.
    for (; k + 4 <= n; k += 4) {
      const r0 = k * F,
        r1 = r0 + F,
        r2 = r1 + F,
        r3 = r2 + F;
      let n0 = root,
        n1 = root,
        n2 = root,
        n3 = root;
      for (let d = 0; d < depth; d++) {
        const c0 = walkStep(nodes, bins, n0, r0),
          c1 = walkStep(nodes, bins, n1, r1),
          c2 = walkStep(nodes, bins, n2, r2),
          c3 = walkStep(nodes, bins, n3, r3);
        contributions[r0 + nodes[n0 << 2]!]! += value[c0]! - value[n0]!;
        contributions[r1 + nodes[n1 << 2]!]! += value[c1]! - value[n1]!;
        contributions[r2 + nodes[n2 << 2]!]! += value[c2]! - value[n2]!;
        contributions[r3 + nodes[n3 << 2]!]! += value[c3]! - value[n3]!;
        n0 = c0;
        n1 = c1;
        n2 = c2;
        n3 = c3;
      }
      probabilities[k]! += value[n0]!;
      probabilities[k + 1]! += value[n1]!;
      probabilities[k + 2]! += value[n2]!;
      probabilities[k + 3]! += value[n3]!;
    }
    for (; k < n; k++) {
      const base = k * F;
      let node = root;
      let f = p.feature[node]!;
      while (f >= 0) {
        const b = bins[base + f]!;
        const next = goesLeft(p, node, b) ? p.left[node]! : p.right[node]!;
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
