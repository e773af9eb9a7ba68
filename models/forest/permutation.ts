/**
 * Permutation importance (Breiman 2001): the drop in ROC-AUC on held-out rows when one feature's values are
 * shuffled among them (the permutation drawn from createRandom(seed + j) for feature j). Computed without copying or
 * re-encoding the table, for every feature in one pass over the trees: the rows are binned once and each feature's
 * permuted bins read beside them; a row's leaf in a tree changes under feature j only if its path tests j, so only
 * those (tree, row) pairs are walked again, from the first node on the path that tests j (the path above it reaches
 * the same nodes whatever j holds), and not at all when the new value falls in the row's own bin, or when the path
 * tests j once, at a node the new value leaves by the same side. Each feature's sums run over the trees in order, so
 * the numbers equal a full re-prediction.
 */
import { createRandom, shuffle } from "../../loaders/random.ts";
import { rocAuc } from "../math/metrics.ts";
import type { FeatureTable } from "./dataset.ts";
import type { ForestModel } from "./forest.ts";
import { binRows, goesLeft, leafFrom, packForest, type PackedForest, treeLeaves } from "./packed.ts";

/** A tree's leaf paths (leafPaths): leaf n's entries are start[n − root] … end[n − root] − 1 of the other arrays. */
interface LeafPaths {
  start: Int32Array;
  end: Int32Array;
  feature: Int32Array;
  node: Int32Array;
  again: Uint8Array;
}
/**
 * For every leaf of tree t, the features its root path tests: each one's first node on the path and whether the path
 * tests it again below that node. `into` (the previous tree's) is reused when it is large enough.
 */
function leafPaths(p: PackedForest, t: number, into: LeafPaths | null): LeafPaths {
  const root = p.roots[t]!;
  const size = (t + 1 < p.trees ? p.roots[t + 1]! : p.feature.length) - root;
  const depth = p.depth[t]!;
  const room = size * depth;
  const out =
    into && into.start.length >= size && into.feature.length >= room
      ? into
      : {
          start: new Int32Array(size),
          end: new Int32Array(size),
          feature: new Int32Array(room),
          node: new Int32Array(room),
          again: new Uint8Array(room),
        };
  const tests = new Int32Array(p.features); // how many nodes on the current path test each feature
  const first = new Int32Array(p.features).fill(-1); // the first of them
  const path = new Int32Array(depth + 1);
  let e = 0;
  // Depth first, iteratively: path[d] is the node at depth d, side[d] how many of its children have been visited.
  const side = new Int8Array(depth + 1);
  path[0] = root;
  side[0] = 0;
  let d = 0;
  while (d >= 0) {
    const n = path[d]!;
    const f = p.feature[n]!;
    if (f < 0) {
      out.start[n - root] = e;
      for (let i = 0; i < d; i++) {
        const m = path[i]!;
        const g = p.feature[m]!;
        if (first[g] !== m) continue;
        out.feature[e] = g;
        out.node[e] = m;
        out.again[e++] = tests[g]! > 1 ? 1 : 0;
      }
      out.end[n - root] = e;
      d--;
      continue;
    }
    if (side[d] === 0) {
      if (tests[f]!++ === 0) first[f] = n;
      side[d] = 1;
      path[d + 1] = p.left[n]!;
      side[++d] = 0;
    } else if (side[d] === 1) {
      side[d] = 2;
      path[d + 1] = p.right[n]!;
      side[++d] = 0;
    } else {
      if (--tests[f]! === 0) first[f] = -1;
      d--;
    }
  }
  return out;
}

/** Drop in ROC-AUC per feature (base AUC − AUC with the feature permuted) on the given rows. */
export function permutationDrops(
  model: ForestModel,
  table: FeatureTable,
  rows: Uint32Array,
  labels: number[],
  seed: number,
): Float64Array {
  const p = packForest(model);
  const F = p.features;
  const T = p.trees;
  const R = rows.length;
  const bins = binRows(model, table, rows);
  // permuted[k·F + j]: row k's bin of feature j once j is permuted (the bin of row order_j[k]).
  const permuted = new Uint8Array(R * F);
  for (let j = 0; j < F; j++) {
    const order = shuffle(
      Array.from({ length: R }, (_, k) => k),
      createRandom(seed + j),
    );
    for (let k = 0; k < R; k++) permuted[k * F + j] = bins[order[k]! * F + j]!;
  }
  // base[k]: the rows' sums over the trees; sums[k·F + j]: the same with feature j permuted, in tree order.
  const base = new Float64Array(R);
  const sums = new Float64Array(R * F);
  const tested = new Uint8Array(F); // does any path test j?
  const changed = new Float64Array(F); // a pair's leaf value with j permuted, where it differs (NaN: it does not)
  const leaves = new Int32Array(R);
  let paths: LeafPaths | null = null;
  for (let t = 0; t < T; t++) {
    treeLeaves(p, bins, R, t, leaves);
    paths = leafPaths(p, t, paths);
    const root = p.roots[t]!;
    for (let k = 0; k < R; k++) {
      const n = leaves[k]!;
      const v = p.value[n]!;
      base[k]! += v;
      const row = k * F;
      changed.fill(Number.NaN);
      for (let e = paths.start[n - root]!; e < paths.end[n - root]!; e++) {
        const j = paths.feature[e]!;
        tested[j] = 1;
        const now = permuted[row + j]!;
        const own = bins[row + j]!;
        if (now === own) continue;
        const from = paths.node[e]!;
        if (paths.again[e] === 0 && goesLeft(p, from, now) === goesLeft(p, from, own)) continue;
        changed[j] = p.value[leafFrom(p, bins, row, from, j, now)]!;
      }
      for (let j = 0; j < F; j++) {
        const c = changed[j]!;
        sums[row + j]! += Number.isNaN(c) ? v : c;
      }
    }
  }
  for (let k = 0; k < R; k++) base[k]! /= T;
  const baseAuc = rocAuc(base, labels);
  const drops = new Float64Array(F);
  const column = new Float64Array(R);
  for (let j = 0; j < F; j++) {
    if (!tested[j]) continue; // no tree tests j: permuting it changes nothing
    for (let k = 0; k < R; k++) column[k] = sums[k * F + j]! / T;
    drops[j] = baseAuc - rocAuc(column, labels);
  }
  return drops;
}
