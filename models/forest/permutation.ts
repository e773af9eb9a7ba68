/**
 * Permutation importance (Breiman 2001): the drop in ROC-AUC on held-out rows when one feature's values are
 * shuffled among them. Computed without copying or re-encoding the table: the rows are binned once; for feature j
 * its column of bins is permuted in place (the permutation drawn from createRandom(seed + j)) and then restored;
 * and only the (tree, row) pairs whose path tests j are walked again, from the first node on the path that tests j,
 * since the path above it, and a path that never tests j, reach the same nodes whatever j holds; a path that tests j
 * once, at a node the new value leaves by the same side as the old, reaches the same leaf and is not walked. Sums run
 * over the trees in order, so the numbers equal a full re-prediction.
 */
import { createRandom, shuffle } from "../../loaders/random.ts";
import { rocAuc } from "../math/metrics.ts";
import type { FeatureTable } from "./dataset.ts";
import type { ForestModel } from "./forest.ts";
import { binRows, leafOf, packForest, type PackedForest } from "./packed.ts";

/** Does a row with bin b go left at inner node n? */
const goesLeft = (p: PackedForest, n: number, b: number) => (b === 0 ? p.missingLeft[n] === 1 : b <= p.bin[n]!);

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
  // leaf[t·R + k]: value of the leaf row k reaches in tree t. found[j] lists the pairs t·R + k whose path tests
  // feature j (pair) and the first node on that path that does (from), in walk order, grown as the walks find them.
  const pairs = T * R;
  const leaf = new Float64Array(pairs);
  // again[e] = 1 when the path tests the feature again below `from`.
  const found = Array.from({ length: F }, () => ({
    pair: new Int32Array(1024),
    from: new Int32Array(1024),
    again: new Uint8Array(1024),
    n: 0,
  }));
  const seen = new Int32Array(F).fill(-1); // the pair whose walk last met feature f
  const base = new Float64Array(R);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < R; k++) {
      const q = t * R + k;
      let node = p.roots[t]!;
      let f = p.feature[node]!;
      while (f >= 0) {
        const list = found[f]!;
        if (seen[f] !== q) {
          seen[f] = q;
          if (list.n === list.pair.length) {
            const grown = {
              pair: new Int32Array(list.n * 2),
              from: new Int32Array(list.n * 2),
              again: new Uint8Array(list.n * 2),
            };
            grown.pair.set(list.pair);
            grown.from.set(list.from);
            grown.again.set(list.again);
            list.pair = grown.pair;
            list.from = grown.from;
            list.again = grown.again;
          }
          list.pair[list.n] = q;
          list.from[list.n++] = node;
        } else list.again[list.n - 1] = 1;
        const b = bins[k * F + f]!;
        node = (b === 0 ? p.missingLeft[node] === 1 : b <= p.bin[node]!) ? p.left[node]! : p.right[node]!;
        f = p.feature[node]!;
      }
      leaf[q] = p.value[node]!;
      base[k]! += leaf[q]!;
    }
  }
  for (let k = 0; k < R; k++) base[k]! /= T;
  const baseAuc = rocAuc(base, labels);
  const drops = new Float64Array(F);
  const column = new Uint8Array(R);
  const sums = new Float64Array(R);
  const permutedLeaf = new Float64Array(pairs);
  for (let j = 0; j < F; j++) {
    const list = found[j]!;
    if (list.n === 0) continue; // no tree tests j: permuting it changes nothing
    const order = shuffle(
      Array.from({ length: R }, (_, k) => k),
      createRandom(seed + j),
    );
    for (let k = 0; k < R; k++) column[k] = bins[k * F + j]!;
    for (let k = 0; k < R; k++) bins[k * F + j] = column[order[k]!]!;
    permutedLeaf.set(leaf);
    for (let e = 0; e < list.n; e++) {
      const q = list.pair[e]!;
      const k = q % R;
      // A row given a value in the same bin as its own walks its own path; so does one whose new value goes the same
      // way as its own at the only node on its path that tests j.
      const now = bins[k * F + j]!;
      const own = column[k]!;
      if (now === own) continue;
      const from = list.from[e]!;
      if (list.again[e] === 0 && goesLeft(p, from, now) === goesLeft(p, from, own)) continue;
      permutedLeaf[q] = p.value[leafOf(p, bins, k, from)]!;
    }
    sums.fill(0);
    for (let t = 0; t < T; t++) for (let k = 0; k < R; k++) sums[k]! += permutedLeaf[t * R + k]!;
    for (let k = 0; k < R; k++) sums[k]! /= T;
    drops[j] = baseAuc - rocAuc(sums, labels);
    for (let k = 0; k < R; k++) bins[k * F + j] = column[k]!;
  }
  return drops;
}
