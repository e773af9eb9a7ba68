/**
 * Permutation importance (Breiman 2001): the drop in ROC-AUC on held-out rows when one feature's values are
 * shuffled among them. Computed without copying or re-encoding the table: the rows are binned once; for feature j
 * its column of bins is permuted in place (the permutation drawn from createRandom(seed + j)) and then restored;
 * and only the (tree, row) pairs whose path tests j are walked again, since a path that never tests j reaches the
 * same leaf whatever j holds. Sums run over the trees in order, so the numbers equal a full re-prediction.
 */
import { createRandom, shuffle } from "../../loaders/random.ts";
import { rocAuc } from "../math/metrics.ts";
import type { FeatureTable } from "./dataset.ts";
import type { ForestModel } from "./forest.ts";
import { binRows, leafOf, packForest } from "./packed.ts";

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
  // leaf[t·R + k]: value of the leaf row k reaches in tree t; uses[j]: bit t·R + k set when that path tests j.
  const pairs = T * R;
  const words = (pairs + 31) >>> 5;
  const leaf = new Float64Array(pairs);
  const uses = Array.from({ length: F }, () => new Uint32Array(words));
  const base = new Float64Array(R);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < R; k++) {
      const q = t * R + k;
      let node = p.roots[t]!;
      let f = p.feature[node]!;
      while (f >= 0) {
        uses[f]![q >>> 5]! |= 1 << (q & 31);
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
  for (let j = 0; j < F; j++) {
    const used = uses[j]!;
    if (!used.some((w) => w !== 0)) continue; // no tree tests j: permuting it changes nothing
    const order = shuffle(
      Array.from({ length: R }, (_, k) => k),
      createRandom(seed + j),
    );
    for (let k = 0; k < R; k++) column[k] = bins[k * F + j]!;
    for (let k = 0; k < R; k++) bins[k * F + j] = column[order[k]!]!;
    sums.fill(0);
    for (let t = 0; t < T; t++) {
      const root = p.roots[t]!;
      for (let k = 0; k < R; k++) {
        const q = t * R + k;
        sums[k]! += (used[q >>> 5]! >>> (q & 31)) & 1 ? p.value[leafOf(p, bins, k, root)]! : leaf[q]!;
      }
    }
    for (let k = 0; k < R; k++) sums[k]! /= T;
    drops[j] = baseAuc - rocAuc(sums, labels);
    for (let k = 0; k < R; k++) bins[k * F + j] = column[k]!;
  }
  return drops;
}
