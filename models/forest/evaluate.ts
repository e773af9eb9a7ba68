/**
 * Honest evaluation of the forest: stratified k-fold cross-validation (each fold keeps the class balance; the
 * encoder and bins are fitted on the training folds only), out-of-fold probabilities for every row, and from them
 * ROC-AUC (mean over folds and pooled), PR-AUC, Brier score, reliability, lift/gains, the F1-best threshold, and
 * permutation importance (drop in held-out ROC-AUC when one feature's values are shuffled; Breiman 2001).
 */
import { mean } from "simple-statistics";
import { createRandom, shuffle } from "../../loaders/random.ts";
import {
  averagePrecision,
  bestF1Threshold,
  brierScore,
  confusionAt,
  curves,
  liftByDecile,
  reliability,
  rocAuc,
} from "../math/metrics.ts";
import type { FeatureTable } from "./dataset.ts";
import {
  type EncodedTraining,
  encodeTraining,
  type ForestModel,
  type ForestOptions,
  growForest,
  type OnTrees,
  predictForest,
} from "./forest.ts";
import { permutationDrops } from "./permutation.ts";

const PERMUTATION_ROWS = 1500;
/**
 * Permutation importance walks at most this many trees of each fold's forest. A forest's trees are exchangeable
 * draws, so its first 100 rank the features as the whole forest does; beyond 100 trees the walks only cost time
 * (on 300-tree forests they were the command's largest single cost).
 */
const PERMUTATION_TREES = 100;

export function stratifiedFolds(labels: Uint8Array, k: number, seed: number): Uint8Array {
  const rng = createRandom(seed);
  const fold = new Uint8Array(labels.length);
  for (const cls of [0, 1]) {
    const members = shuffle(
      Array.from({ length: labels.length }, (_, i) => i).filter((i) => labels[i] === cls),
      rng,
    );
    members.forEach((i, rank) => (fold[i] = rank % k));
  }
  return fold;
}

/**
 * Folds that keep each group's rows together (a customer's repeated rows in a flat file), stratified by group: the
 * groups, in order of first appearance, get stratifiedFolds by whether any of their rows churned, so no customer sits
 * in both a training and a test fold and each fold gets its share of churners.
 */
export function groupedFolds(groups: string[], labels: Uint8Array, k: number, seed: number): Uint8Array {
  const index = new Map<string, number>();
  const churned: number[] = [];
  groups.forEach((g, i) => {
    let at = index.get(g);
    if (at === undefined) {
      at = churned.push(0) - 1;
      index.set(g, at);
    }
    churned[at] = Math.max(churned[at]!, labels[i]!);
  });
  const foldOfGroup = stratifiedFolds(Uint8Array.from(churned), k, seed);
  return Uint8Array.from(groups, (g) => foldOfGroup[index.get(g)!]!);
}

export interface Evaluation {
  rows: number;
  features: number;
  folds: number;
  auc: number;
  foldAucs: number[];
  pooledAuc: number;
  prAuc: number;
  brier: number;
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  trainSeconds: number;
  roc: { fpr: number; tpr: number; threshold: number }[];
  pr: { recall: number; precision: number; threshold: number }[];
  reliability: ReturnType<typeof reliability>;
  lift: ReturnType<typeof liftByDecile>;
  importances: { feature: string; importance: number }[];
  permutationImportances: { feature: string; importance: number }[];
  outOfFold: Float64Array;
}

/**
 * `folds` overrides the stratified assignment (e.g. folds by customer when a customer appears in several
 * snapshots); `onTrees` hears of every tree grown (progress); `onFoldModel` receives each fold's forest (analyze.ts
 * assembles the final model from them); `afterLastFold` is called once the last fold's trees are grown, before that
 * fold is evaluated, so a caller can hand the worker threads their next training at once (analyze.ts: the backtest).
 */
export async function crossValidate(
  table: FeatureTable,
  labels: Uint8Array,
  k: number,
  options: ForestOptions,
  permutation = true,
  folds?: Uint8Array,
  onTrees?: OnTrees,
  onFoldModel?: (fold: number, model: ForestModel) => void,
  afterLastFold?: () => void,
): Promise<Evaluation> {
  const fold = folds ?? stratifiedFolds(labels, k, options.seed);
  const oof = new Float64Array(labels.length);
  const foldAucs: number[] = [];
  const importance = new Float64Array(table.names.length);
  const permDrop = new Float64Array(table.names.length);
  let seconds = 0;
  const rowsOf = (f: number, inFold: boolean) =>
    Uint32Array.from({ length: labels.length }, (_, i) => i).filter((i) => (fold[i] === f) === inFold);
  // Fold f + 1 grows on the worker threads while this thread evaluates fold f (its held-out predictions and
  // permutation importance), so both cores stay busy; and fold f + 1 is encoded while fold f grows, so the workers go
  // from one fold's trees to the next without waiting for this thread (100k benchmark: about 0.15 s a fold). Each
  // training's time counts from the start of its growth to its last tree.
  const encode = (f: number) => encodeTraining(table, labels, rowsOf(f, false));
  const grow = (encoded: EncodedTraining) => {
    const started = performance.now();
    return growForest(encoded, options, onTrees).then((model) => {
      seconds += (performance.now() - started) / 1000;
      return model;
    });
  };
  let next = grow(encode(0));
  for (let f = 0; f < k; f++) {
    const encoded = f + 1 < k ? encode(f + 1) : null;
    const model: ForestModel = await next;
    onFoldModel?.(f, model);
    if (encoded) next = grow(encoded);
    else afterLastFold?.();
    const test = rowsOf(f, true);
    const p = predictForest(model, table, test);
    test.forEach((i, q) => (oof[i] = p[q]!));
    const testLabels = Array.from(test, (i) => labels[i]!);
    const auc = rocAuc(p, testLabels);
    foldAucs.push(auc);
    model.impurityImportance.forEach((v, j) => (importance[j]! += v / k));
    if (permutation) {
      // On at most PERMUTATION_ROWS held-out rows per fold (an evenly spaced subset) and PERMUTATION_TREES trees:
      // enough for a stable ranking.
      const step = Math.max(1, Math.floor(test.length / PERMUTATION_ROWS));
      const subset = test.filter((_, q) => q % step === 0);
      const subsetLabels = Array.from(subset, (i) => labels[i]!);
      const walked =
        model.trees.length > PERMUTATION_TREES ? { ...model, trees: model.trees.slice(0, PERMUTATION_TREES) } : model;
      const drops = permutationDrops(walked, table, subset, subsetLabels, options.seed);
      for (let j = 0; j < table.names.length; j++) permDrop[j]! += drops[j]! / k;
    }
  }
  const threshold = bestF1Threshold(oof, labels);
  const c = confusionAt(oof, labels, threshold);
  const points = curves(oof, labels, 100);
  const rank = (values: Float64Array) =>
    table.names.map((feature, j) => ({ feature, importance: values[j]! })).sort((a, b) => b.importance - a.importance);
  return {
    rows: labels.length,
    features: table.names.length,
    folds: k,
    auc: mean(foldAucs),
    foldAucs,
    pooledAuc: rocAuc(oof, labels),
    prAuc: averagePrecision(oof, labels),
    brier: brierScore(oof, labels),
    threshold,
    precision: c.precision,
    recall: c.recall,
    f1: c.f1,
    trainSeconds: seconds,
    roc: points.map((p) => ({ fpr: p.fpr, tpr: p.tpr, threshold: p.threshold })),
    pr: points.map((p) => ({ recall: p.recall, precision: p.precision, threshold: p.threshold })),
    reliability: reliability(oof, labels),
    lift: liftByDecile(oof, labels),
    importances: rank(importance),
    permutationImportances: permutation ? rank(permDrop) : [],
    outOfFold: oof,
  };
}
