/**
 * Random forest classifier (Breiman 2001): `trees` CART trees, each on a bootstrap sample (Poisson(1) row weights,
 * the usual large-sample equivalent of drawing n rows with replacement) and `mtry` random features per split;
 * the probability of the positive class is the mean of the trees' leaf shares. Seeded: tree t uses the stream
 * createRandom(seed + 7919·t), so the same seed gives the same forest however the trees are scheduled.
 * Optional class weights 'balanced' (w_c = n / (2 n_c)), as scikit-learn's class_weight="balanced".
 */
import { createRandom } from "../../loaders/random.ts";
import { binTable, encodedValue, fitEncoder, type Encoder, type FeatureTable } from "./dataset.ts";
import { bootstrapWeights } from "./bootstrap.ts";
import { growTreesInWorkers, workerCount } from "./parallel.ts";
import { binRows, packForest, predictBinned, predictWithContributions } from "./packed.ts";
import { growTree, type Tree } from "./tree.ts";

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
  const encoder = fitEncoder(table, labels, trainRows);
  const bins = binTable(table, encoder);
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
    const weights = new Float64Array(table.rows);
    for (let t = 0; t < options.trees; t++) {
      const rng = createRandom(options.seed + 7919 * t);
      bootstrapWeights(rng, trainRows, labels, classWeight, weights);
      trees.push(growTree(data, weights, treeOptions, rng));
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

/** Probability of churn for the given rows (all rows when omitted); only those rows are encoded. */
export function predictForest(model: ForestModel, table: FeatureTable, rows?: Uint32Array): Float64Array {
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
  const n = rows ? rows.length : table.rows;
  return predictWithContributions(packForest(model), binRows(model, table, rows), n);
}

/** Per-row feature contributions to the predicted probability (mean Saabas attribution over the trees). */
export function contributions(model: ForestModel, table: FeatureTable, rows: Uint32Array): Float64Array[] {
  const F = table.names.length;
  const all = scoreRows(model, table, rows).contributions;
  return Array.from(rows, (_, k) => all.subarray(k * F, (k + 1) * F));
}
