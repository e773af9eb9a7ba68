/**
 * One classification tree (CART with Gini impurity; Breiman et al. 1984) grown on pre-binned features with
 * row weights (bootstrap counts × class weights). At each node `mtry` features are drawn at random; for each,
 * a weighted class histogram over its bins gives every threshold's impurity in one scan, with missing values
 * (bin 0) tried on both sides. Nodes store the weighted share of positives, so leaves give probabilities and
 * inner nodes allow per-feature contributions (Saabas' path attribution).
 */
import type { Random } from "../../loaders/random.ts";

export interface Tree {
  feature: Int32Array; // −1 for leaves
  threshold: Float64Array; // go left when value ≤ threshold
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array; // weighted share of positives in the node
  weight: Float64Array;
}

export interface TreeOptions {
  maxDepth: number;
  minLeaf: number;
  mtry: number;
}

export interface BinnedData {
  bins: Uint8Array; // column-major: bins[f * rows + i]
  rows: number;
  features: number;
  edges: Float64Array[];
  labels: Uint8Array;
}

/**
 * The node's rows (`order`, in partition order) with their weight and label riding along, so the histograms read them
 * in sequence, and the partition's scratch copies. Held per thread and reused from tree to tree: fresh typed arrays of
 * this size per tree are fresh mmaps, whose page faults cost more than growing a small tree.
 */
interface RowBuffers {
  order: Uint32Array;
  scratch: Uint32Array;
  orderW: Float64Array;
  orderY: Uint8Array;
  scratchW: Float64Array;
  scratchY: Uint8Array;
}
let held: RowBuffers | null = null;
function rowBuffers(count: number): RowBuffers {
  if (!held || held.order.length < count) {
    held = {
      order: new Uint32Array(count),
      scratch: new Uint32Array(count),
      orderW: new Float64Array(count),
      orderY: new Uint8Array(count),
      scratchW: new Float64Array(count),
      scratchY: new Uint8Array(count),
    };
  }
  const h = held;
  return {
    order: h.order.subarray(0, count),
    scratch: h.scratch.subarray(0, count),
    orderW: h.orderW.subarray(0, count),
    orderY: h.orderY.subarray(0, count),
    scratchW: h.scratchW.subarray(0, count),
    scratchY: h.scratchY.subarray(0, count),
  };
}

const impurity = (w: number, p: number) => (w > 0 ? (2 * p * (w - p)) / w : 0);

export function growTree(data: BinnedData, weights: Float64Array, options: TreeOptions, rng: Random): Tree {
  const { bins, rows, features, labels } = data;
  let count = 0;
  for (let i = 0; i < rows; i++) if (weights[i]! > 0) count++;
  const { order, scratch, orderW, orderY, scratchW, scratchY } = rowBuffers(count);
  for (let i = 0, q = 0; i < rows; i++) {
    const wi = weights[i]!;
    if (wi > 0) {
      order[q] = i;
      orderW[q] = wi;
      orderY[q++] = labels[i]!;
    }
  }
  const feature: number[] = [],
    threshold: number[] = [],
    missingLeft: number[] = [],
    left: number[] = [],
    right: number[] = [],
    value: number[] = [],
    weight: number[] = [];
  // hist[2b + y]: the node's weight of class y in bin b. One update per row (a histogram of weights and one of
  // weighted labels took two); a bin's weight is the sum of its two classes: exact for the integer bootstrap counts,
  // and at most a last-bit rounding apart from one running sum under balanced class weights.
  const hist = new Float64Array(512);
  const featureOrder = Int32Array.from({ length: features }, (_, f) => f);

  const newNode = (w: number, p: number) => {
    feature.push(-1);
    threshold.push(0);
    missingLeft.push(0);
    left.push(-1);
    right.push(-1);
    value.push(w > 0 ? p / w : 0);
    weight.push(w);
    return feature.length - 1;
  };

  let W = 0,
    P = 0;
  for (const i of order) {
    W += weights[i]!;
    P += weights[i]! * labels[i]!;
  }
  const stack: { node: number; start: number; end: number; depth: number; w: number; p: number }[] = [
    { node: newNode(W, P), start: 0, end: order.length, depth: 0, w: W, p: P },
  ];

  while (stack.length) {
    const { node, start, end, depth, w, p } = stack.pop()!;
    if (depth >= options.maxDepth || w < 2 * options.minLeaf || p <= 0 || p >= w) continue;
    const parentImpurity = impurity(w, p);
    let bestGain = 1e-12,
      bestF = -1,
      bestBin = 0,
      bestMissingLeft = false,
      bestLW = 0,
      bestLP = 0;
    // Partial Fisher-Yates: the first mtry entries are a random subset of features.
    for (let k = 0; k < options.mtry && k < features; k++) {
      const j = k + rng.int(features - k);
      const t = featureOrder[k]!;
      featureOrder[k] = featureOrder[j]!;
      featureOrder[j] = t;
      const f = featureOrder[k]!;
      const base = f * rows;
      const nb = data.edges[f]!.length + 2;
      // The node's rows fill the histogram; lo … hi is the range of non-missing bins they touch.
      let lo = 256,
        hi = 0;
      for (let q = start; q < end; q++) {
        const b = bins[base + order[q]!]!;
        hist[(b << 1) | orderY[q]!]! += orderW[q]!;
        if (b !== 0) {
          if (b < lo) lo = b;
          if (b > hi) hi = b;
        }
      }
      const mP = hist[1]!,
        mW = hist[0]! + mP;
      // Candidate thresholds: bin 1 (the only one that can split off the missing values alone), then bins lo … hi.
      // Bins 2 … lo − 1 and those after hi hold no rows: each gives the same partition, and so the same gain, as the
      // bin before it, which the strict "gain > best" has already kept or refused. So the best split, and the bin
      // that names it, are those of scanning every bin 1 … nb − 2.
      const last = Math.min(hi, nb - 2);
      let lW = 0,
        lP = 0;
      for (let b = 1; b <= last; b = b === 1 && lo > 2 ? lo : b + 1) {
        const bP = hist[(b << 1) | 1]!;
        lW += hist[b << 1]! + bP;
        lP += bP;
        const rW = w - mW - lW,
          rP = p - mP - lP;
        // missing to the right
        if (lW >= options.minLeaf && rW + mW >= options.minLeaf) {
          const gain = parentImpurity - impurity(lW, lP) - impurity(rW + mW, rP + mP);
          if (gain > bestGain) {
            bestGain = gain;
            bestF = f;
            bestBin = b;
            bestMissingLeft = false;
            bestLW = lW;
            bestLP = lP;
          }
        }
        // missing to the left
        if (mW > 0 && lW + mW >= options.minLeaf && rW >= options.minLeaf) {
          const gain = parentImpurity - impurity(lW + mW, lP + mP) - impurity(rW, rP);
          if (gain > bestGain) {
            bestGain = gain;
            bestF = f;
            bestBin = b;
            bestMissingLeft = true;
            bestLW = lW + mW;
            bestLP = lP + mP;
          }
        }
      }
      hist[0] = 0;
      hist[1] = 0;
      if (hi > 0) hist.fill(0, lo << 1, (hi + 1) << 1);
    }
    if (bestF < 0) continue;
    // Partition rows [start, end) into left then right.
    const base = bestF * rows;
    let a = start,
      z = 0;
    for (let q = start; q < end; q++) {
      const i = order[q]!;
      const b = bins[base + i]!;
      const goLeft = b === 0 ? bestMissingLeft : b <= bestBin;
      if (goLeft) {
        orderW[a] = orderW[q]!;
        orderY[a] = orderY[q]!;
        order[a++] = i;
      } else {
        scratchW[z] = orderW[q]!;
        scratchY[z] = orderY[q]!;
        scratch[z++] = i;
      }
    }
    order.set(scratch.subarray(0, z), a);
    orderW.set(scratchW.subarray(0, z), a);
    orderY.set(scratchY.subarray(0, z), a);
    feature[node] = bestF;
    threshold[node] = data.edges[bestF]![bestBin - 1]!;
    missingLeft[node] = bestMissingLeft ? 1 : 0;
    const l = newNode(bestLW, bestLP);
    const r = newNode(w - bestLW, p - bestLP);
    left[node] = l;
    right[node] = r;
    stack.push({ node: l, start, end: a, depth: depth + 1, w: bestLW, p: bestLP });
    stack.push({ node: r, start: a, end, depth: depth + 1, w: w - bestLW, p: p - bestLP });
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    missingLeft: Uint8Array.from(missingLeft),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    weight: Float64Array.from(weight),
  };
}

/** Leaf probability for one row of encoded values (NaN = missing). */
export function predictTree(tree: Tree, row: ArrayLike<number>): number {
  let n = 0;
  while (tree.feature[n]! >= 0) {
    const v = row[tree.feature[n]!]!;
    const goLeft = Number.isNaN(v) ? tree.missingLeft[n] === 1 : v <= tree.threshold[n]!;
    n = goLeft ? tree.left[n]! : tree.right[n]!;
  }
  return tree.value[n]!;
}

/** Saabas contributions: along the row's path, each split's change in node value is credited to its feature. */
export function addContributions(tree: Tree, row: ArrayLike<number>, out: Float64Array): void {
  let n = 0;
  while (tree.feature[n]! >= 0) {
    const f = tree.feature[n]!;
    const v = row[f]!;
    const goLeft = Number.isNaN(v) ? tree.missingLeft[n] === 1 : v <= tree.threshold[n]!;
    const next = goLeft ? tree.left[n]! : tree.right[n]!;
    out[f]! += tree.value[next]! - tree.value[n]!;
    n = next;
  }
}
