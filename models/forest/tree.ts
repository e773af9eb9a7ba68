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

/** The binned data a tree grows on: BinnedData with its bins also row by row (rowMajorBins), made once per training. */
export interface GrowingData extends BinnedData {
  rowBins: Uint8Array; // row-major: rowBins[i * features + f]
}

/** The bins row by row: rowBins[i * features + f] = bins[f * rows + i]. */
export function rowMajorBins(data: BinnedData): Uint8Array {
  const { bins, rows, features } = data;
  const out = new Uint8Array(rows * features);
  for (let f = 0; f < features; f++) {
    const base = f * rows;
    for (let i = 0, o = f; i < rows; i++, o += features) out[o] = bins[base + i]!;
  }
  return out;
}

/** GrowingData for a training's trees: its bins also row by row. */
export function growingData(data: BinnedData): GrowingData {
  return { ...data, rowBins: rowMajorBins(data) };
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

/**
 * The node's rows (order[start … end)) into the histograms of the m features featureOrder[0 … m): row i's bin of
 * feature f is rowBins[i · features + f]; histogram k is hists[512k …], its touched bins the 256-bit set touched[8k …].
 * Four features per pass over the rows, then two, then one: V8 reloads a typed array's bounds on every access in a loop
 * over a variable number of features, which made a row-feature cost about 5 ns; unrolled, about 3.
 */
function fillHistograms(
  rowBins: Uint8Array,
  features: number,
  featureOrder: Int32Array,
  m: number,
  order: Uint32Array,
  orderY: Uint8Array,
  orderW: Float64Array,
  start: number,
  end: number,
  hists: Float64Array,
  touched: Uint32Array,
): void {
  let k = 0;
  for (; k + 4 <= m; k += 4) {
    const f0 = featureOrder[k]!,
      f1 = featureOrder[k + 1]!,
      f2 = featureOrder[k + 2]!,
      f3 = featureOrder[k + 3]!;
    const h = k << 9,
      t = k << 3;
    for (let q = start; q < end; q++) {
      const row = order[q]! * features;
      const y = orderY[q]!;
      const wq = orderW[q]!;
      const b0 = rowBins[row + f0]!,
        b1 = rowBins[row + f1]!,
        b2 = rowBins[row + f2]!,
        b3 = rowBins[row + f3]!;
      hists[h | (b0 << 1) | y]! += wq;
      hists[(h + 512) | (b1 << 1) | y]! += wq;
      hists[(h + 1024) | (b2 << 1) | y]! += wq;
      hists[(h + 1536) | (b3 << 1) | y]! += wq;
      touched[t | (b0 >>> 5)]! |= 1 << (b0 & 31);
      touched[(t + 8) | (b1 >>> 5)]! |= 1 << (b1 & 31);
      touched[(t + 16) | (b2 >>> 5)]! |= 1 << (b2 & 31);
      touched[(t + 24) | (b3 >>> 5)]! |= 1 << (b3 & 31);
    }
  }
  if (k + 2 <= m) {
    const f0 = featureOrder[k]!,
      f1 = featureOrder[k + 1]!;
    const h = k << 9,
      t = k << 3;
    for (let q = start; q < end; q++) {
      const row = order[q]! * features;
      const y = orderY[q]!;
      const wq = orderW[q]!;
      const b0 = rowBins[row + f0]!,
        b1 = rowBins[row + f1]!;
      hists[h | (b0 << 1) | y]! += wq;
      hists[(h + 512) | (b1 << 1) | y]! += wq;
      touched[t | (b0 >>> 5)]! |= 1 << (b0 & 31);
      touched[(t + 8) | (b1 >>> 5)]! |= 1 << (b1 & 31);
    }
    k += 2;
  }
  if (k < m) {
    const f0 = featureOrder[k]!;
    const h = k << 9,
      t = k << 3;
    for (let q = start; q < end; q++) {
      const b0 = rowBins[order[q]! * features + f0]!;
      hists[h | (b0 << 1) | orderY[q]!]! += orderW[q]!;
      touched[t | (b0 >>> 5)]! |= 1 << (b0 & 31);
    }
  }
}

/**
 * Bin 1, then every bin 2 … last in the 256-bit set touched[offset … offset + 8), in increasing order, into `out`;
 * returns how many. Reads the set bits a word at a time (lowest first), so the cost is the touched bins, not 256.
 */
function touchedBins(touched: Uint32Array, offset: number, last: number, out: Uint8Array): number {
  if (last < 1) return 0;
  out[0] = 1;
  let n = 1;
  for (let word = 0; word < 8; word++) {
    let bits = word === 0 ? touched[offset]! & ~3 : touched[offset + word]!;
    while (bits !== 0) {
      const low = bits & -bits;
      const b = (word << 5) | (31 - Math.clz32(low));
      if (b > last) return n;
      out[n++] = b;
      bits ^= low;
    }
  }
  return n;
}

/** Zero hists[h + 2b] and hists[h + 2b + 1] for the bins b in the set touched[offset … offset + 8), then the set. */
function clearTouched(touched: Uint32Array, offset: number, hists: Float64Array, h: number): void {
  for (let word = 0; word < 8; word++) {
    let bits = touched[offset + word]!;
    while (bits !== 0) {
      const low = bits & -bits;
      const b = (word << 5) | (31 - Math.clz32(low));
      hists[h | (b << 1)] = 0;
      hists[h | (b << 1) | 1] = 0;
      bits ^= low;
    }
    touched[offset + word] = 0;
  }
}

export function growTree(data: GrowingData, weights: Float64Array, options: TreeOptions, rng: Random): Tree {
  const { rows, features, labels } = data;
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
  const m = Math.min(options.mtry, features);
  // hists[512k + 2b + y]: the node's weight of class y in bin b of its k-th drawn feature; touched[8k …]: the bins
  // its rows touched (a 256-bit set). One update per row and feature (a histogram of weights and one of weighted
  // labels took two); a bin's weight is the sum of its two classes: exact for the integer bootstrap counts, and at
  // most a last-bit rounding apart from one running sum under balanced class weights.
  const hists = new Float64Array(512 * Math.max(1, m));
  const touched = new Uint32Array(8 * Math.max(1, m));
  const candidateBins = new Uint8Array(256);
  const rowBins = data.rowBins;
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
    for (let k = 0; k < m; k++) {
      const j = k + rng.int(features - k);
      const t = featureOrder[k]!;
      featureOrder[k] = featureOrder[j]!;
      featureOrder[j] = t;
    }
    // The node's rows fill the histograms of the m drawn features, four features per pass (fillHistograms).
    fillHistograms(rowBins, features, featureOrder, m, order, orderY, orderW, start, end, hists, touched);
    for (let k = 0; k < m; k++) {
      const f = featureOrder[k]!;
      const h = k << 9; // this feature's histogram: hists[h …]
      const nb = data.edges[f]!.length + 2;
      const mP = hists[h | 1]!,
        mW = hists[h]! + mP;
      // Candidate thresholds: bin 1 (the only one that can split off the missing values alone), then the touched
      // bins 2 … nb − 2 in order. A bin that holds no rows gives the same partition, and so the same gain, as the bin
      // before it, which the strict "gain > best" has already kept or refused. So the best split, and the bin that
      // names it, are those of scanning every bin 1 … nb − 2; a deep node's few rows do not pay for 255 bins.
      const candidates = touchedBins(touched, k << 3, nb - 2, candidateBins);
      let lW = 0,
        lP = 0;
      for (let c = 0; c < candidates; c++) {
        const b = candidateBins[c]!;
        const bP = hists[h | (b << 1) | 1]!;
        lW += hists[h | (b << 1)]! + bP;
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
      clearTouched(touched, k << 3, hists, h);
    }
    if (bestF < 0) continue;
    // Partition rows [start, end) into left then right.
    // Without branches (a row's side is as good as random, so a branch would be mispredicted half the time): each row
    // is written to both sides and only its own side's cursor moves. Left: 1 ≤ bin ≤ bestBin, or missing (bin 0) and
    // the missing values go left.
    const missingLeftBit = bestMissingLeft ? 1 : 0;
    let a = start,
      z = 0;
    for (let q = start; q < end; q++) {
      const i = order[q]!;
      const wq = orderW[q]!;
      const yq = orderY[q]!;
      const b = rowBins[i * features + bestF]!;
      const atMostBest = (b - 1 - bestBin) >>> 31;
      const missing = (b - 1) >>> 31;
      const goLeft = atMostBest ^ (missing & (atMostBest ^ missingLeftBit));
      order[a] = i;
      orderW[a] = wq;
      orderY[a] = yq;
      scratch[z] = i;
      scratchW[z] = wq;
      scratchY[z] = yq;
      a += goLeft;
      z += 1 - goLeft;
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
