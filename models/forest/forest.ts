/**
 * Random forest classifier (Breiman 2001): `trees` CART trees, each on a bootstrap sample (Poisson(1) row weights,
 * the usual large-sample equivalent of drawing n rows with replacement) and `mtry` random features per split;
 * the probability of the positive class is the mean of the trees' leaf shares. Seeded: tree t uses the stream
 * createRandom(seed + 7919·t), so the same seed gives the same forest however the trees are scheduled.
 * Optional class weights 'balanced' (w_c = n / (2 n_c)), as scikit-learn's class_weight="balanced".
 */
import { createRandom } from "../../loaders/random.ts";
import { binTable, encodedValue, fitTrainingEncoding, type Encoder, type FeatureTable } from "./dataset.ts";
import { bootstrapWeights } from "./bootstrap.ts";
import { growTreesInWorkers, workerCount } from "../workers/pool.ts";
import { binRows, packForest, predictBinned, predictWithContributions } from "./packed.ts";
import { growingData, growTree, type Tree } from "./tree.ts";

export interface ForestOptions {
  trees: number;
  maxDepth: number;
  minLeaf: number;
  /** Features tried per split; default √(features). */
  mtry?: number;
  seed: number;
  classWeight?: "balanced" | "none";
}

export const DEFAULT_FOREST: ForestOptions = { trees: 200, maxDepth: 12, minLeaf: 5, seed: 1, classWeight: "none" };

export interface ForestModel {
  encoder: Encoder;
  trees: Tree[];
  options: ForestOptions;
  /** Mean Gini decrease per feature, normalised to sum 1. */
  impurityImportance: number[];
  baseRate: number;
  /**
   * Set on a forest assembled from other forests (forestOfForests): the member forests, each with the encoder its
   * trees were grown under. `trees` is then empty and `encoder` is the first member's (every member reads the same
   * features in the same order).
   */
  members?: ForestModel[];
}

/** Below this many row-trees the threads cost more than they save, so small forests grow on the main thread. */
const PARALLEL_MIN_WORK = 200_000;

/** Called with the number of trees just grown (for progress). */
export type OnTrees = (grown: number) => void;

export async function trainForest(
  table: FeatureTable,
  labels: Uint8Array,
  trainRows: Uint32Array,
  options: ForestOptions,
  onTrees: OnTrees = () => {},
): Promise<ForestModel> {
  return growForest(encodeTraining(table, labels, trainRows), options, onTrees);
}

/** A training's table encoded and binned (encodeTraining), ready for its trees to grow (growForest). */
export interface EncodedTraining {
  table: FeatureTable;
  labels: Uint8Array;
  trainRows: Uint32Array;
  encoder: Encoder;
  bins: Uint8Array;
}

/**
 * The part of a training done on this thread before any tree grows: the encoding fitted on the training rows and the
 * whole table binned under it. Cross-validation encodes the next fold while this fold's trees grow.
 */
export function encodeTraining(table: FeatureTable, labels: Uint8Array, trainRows: Uint32Array): EncodedTraining {
  const { encoder, crossFitted } = fitTrainingEncoding(table, labels, trainRows);
  return { table, labels, trainRows, encoder, bins: binTable(table, encoder, crossFitted) };
}

/** Grow the forest of an encoded training (trainForest = encodeTraining, then this). */
export async function growForest(
  encoded: EncodedTraining,
  options: ForestOptions,
  onTrees: OnTrees = () => {},
): Promise<ForestModel> {
  const { table, labels, trainRows, encoder, bins } = encoded;
  const features = table.names.length;
  const mtry = options.mtry ?? Math.max(1, Math.round(Math.sqrt(features)));
  const data = { bins, rows: table.rows, features, edges: encoder.edges, labels };
  let positives = 0;
  for (const i of trainRows) positives += labels[i]!;
  const n = trainRows.length;
  const classWeight: [number, number] =
    options.classWeight === "balanced" && positives > 0 && positives < n
      ? [n / (2 * (n - positives)), n / (2 * positives)]
      : [1, 1];
  const treeOptions = { maxDepth: options.maxDepth, minLeaf: options.minLeaf, mtry };
  const workers = workerCount(options.trees);
  let trees: Tree[];
  if (workers > 1 && n * options.trees >= PARALLEL_MIN_WORK) {
    trees = await growTreesInWorkers(
      {
        bins,
        labels,
        rows: table.rows,
        features,
        edges: encoder.edges,
        trainRows,
        classWeight,
        options: treeOptions,
        seed: options.seed,
        trees: options.trees,
      },
      workers,
      onTrees,
    );
  } else {
    trees = [];
    const growing = growingData(data);
    const weights = new Float64Array(table.rows);
    for (let t = 0; t < options.trees; t++) {
      const rng = createRandom(options.seed + 7919 * t);
      bootstrapWeights(rng, trainRows, labels, classWeight, weights);
      trees.push(growTree(growing, weights, treeOptions, rng));
      onTrees(1);
    }
  }
  const importance = new Float64Array(features);
  for (const tree of trees) {
    for (let node = 0; node < tree.feature.length; node++) {
      const f = tree.feature[node]!;
      if (f < 0) continue;
      const gini = (k: number) => 2 * tree.value[k]! * (1 - tree.value[k]!) * tree.weight[k]!;
      importance[f]! += gini(node) - gini(tree.left[node]!) - gini(tree.right[node]!);
    }
  }
  const total = importance.reduce((a, b) => a + b, 0) || 1;
  return {
    encoder,
    trees,
    options: { ...options, mtry },
    impurityImportance: Array.from(importance, (v) => v / total),
    baseRate: n ? positives / n : 0,
  };
}

/** Encoded row values of a table under the model's encoder: row-major Float64Array (NaN = missing). */
export function encodeRows(model: ForestModel, table: FeatureTable): Float64Array {
  const features = table.names.length;
  const out = new Float64Array(table.rows * features);
  for (let f = 0; f < features; f++)
    for (let i = 0; i < table.rows; i++) out[i * features + f] = encodedValue(table, model.encoder, f, i);
  return out;
}

/**
 * A forest made of other forests: `treesEach` trees from each, tree indices not shared between members (member m
 * gives its trees m·treesEach …), each member keeping its own encoder. It predicts as any forest does, the mean over
 * all its trees. analyze.ts builds the final churn model this way from the cross-validation's fold forests: each was
 * grown on the customers of 4 of the 5 folds, so the union is a random forest whose every tree sees a bootstrap sample
 * of a random 80% of the customers (subsampled bagging, like scikit-learn's max_samples), and each customer is in the
 * training data of 4 of every 5 trees; no tree is grown twice.
 */
export function forestOfForests(forests: ForestModel[], treesEach: number): ForestModel {
  const members = forests.map((f, m) => {
    const from = (m * treesEach) % Math.max(1, f.trees.length);
    const trees = f.trees.slice(from, from + treesEach);
    if (trees.length < treesEach) trees.push(...f.trees.slice(0, treesEach - trees.length));
    return { ...f, trees };
  });
  const total = members.reduce((s, m) => s + m.trees.length, 0);
  const first = members[0]!;
  return {
    encoder: first.encoder,
    trees: [],
    options: { ...first.options, trees: total },
    impurityImportance: first.impurityImportance.map(
      (_, j) => members.reduce((s, m) => s + m.impurityImportance[j]! * m.trees.length, 0) / total,
    ),
    baseRate: members.reduce((s, m) => s + m.baseRate * m.trees.length, 0) / total,
    members,
  };
}

/** Σ over members of each one's output × its share of all the trees: the mean over every tree, element by element. */
function mixMembers(members: ForestModel[], outputs: Float64Array[]): Float64Array {
  const total = members.reduce((s, m) => s + m.trees.length, 0);
  const mixed = new Float64Array(outputs[0]?.length ?? 0);
  members.forEach((member, m) => addShare(mixed, outputs[m]!, member.trees.length / total));
  return mixed;
}

/** mixed += part × share, element by element (one member's term of mixMembers' sum). */
function addShare(mixed: Float64Array, part: Float64Array, share: number): void {
  for (let q = 0; q < part.length; q++) mixed[q]! += part[q]! * share;
}

/** Probability of churn for the given rows (all rows when omitted); only those rows are encoded. */
export function predictForest(model: ForestModel, table: FeatureTable, rows?: Uint32Array): Float64Array {
  const { members } = model;
  if (members)
    return mixMembers(
      members,
      members.map((m) => predictForest(m, table, rows)),
    );
  const n = rows ? rows.length : table.rows;
  return predictBinned(packForest(model), binRows(model, table, rows), n);
}

/**
 * Per-row probabilities and feature contributions (mean Saabas attribution over the trees) in one walk per tree and
 * row; contributions are row-major (rows.length × features).
 */
export function scoreRows(
  model: ForestModel,
  table: FeatureTable,
  rows?: Uint32Array,
): { probabilities: Float64Array; contributions: Float64Array } {
  const { members } = model;
  const n = rows ? rows.length : table.rows;
  if (!members) return predictWithContributions(packForest(model), binRows(model, table, rows), n);
  // Member by member into one pair of buffers, each added with its share as it is done (mixMembers' sums, in the
  // same order): at a million customers five members' contributions were 600 MB of fresh pages. A number column a
  // member bins with the same edges as an earlier one is copied from its bins.
  const total = members.reduce((s, m) => s + m.trees.length, 0);
  const F = table.names.length;
  const probabilities = new Float64Array(n);
  const contributions = new Float64Array(n * F);
  const part = { probabilities: new Float64Array(n), contributions: new Float64Array(n * F) };
  const binned: { encoder: Encoder; bins: Uint8Array }[] = [];
  for (const member of members) {
    const bins = binRows(member, table, rows, binned);
    binned.push({ encoder: member.encoder, bins });
    predictWithContributions(packForest(member), bins, n, part);
    addShare(probabilities, part.probabilities, member.trees.length / total);
    addShare(contributions, part.contributions, member.trees.length / total);
  }
  return { probabilities, contributions };
}

/** Per-row feature contributions to the predicted probability (mean Saabas attribution over the trees). */
export function contributions(model: ForestModel, table: FeatureTable, rows: Uint32Array): Float64Array[] {
  const F = table.names.length;
  const all = scoreRows(model, table, rows).contributions;
  return Array.from(rows, (_, k) => all.subarray(k * F, (k + 1) * F));
}
