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
import { predictForest, trainForest, type ForestModel, type ForestOptions } from "./forest.ts";

const PERMUTATION_ROWS = 1500;

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

/** Rebuild a table with one feature's values permuted among the given rows. */
function permuted(table: FeatureTable, f: number, rows: Uint32Array, seed: number): FeatureTable {
  const column = table.columns[f]!;
  const copy = column instanceof Float64Array ? Float64Array.from(column) : column.slice();
  const values = Array.from(rows, (i) => column[i]!);
  shuffle(values, createRandom(seed));
  rows.forEach((i, k) => ((copy as unknown[])[i] = values[k]));
  const columns = table.columns.slice();
  columns[f] = copy as Float64Array | (string | null)[];
  return { ...table, columns };
}

/** `folds` overrides the stratified assignment (e.g. folds by customer when a customer appears in several snapshots). */
export async function crossValidate(
  table: FeatureTable,
  labels: Uint8Array,
  k: number,
  options: ForestOptions,
  permutation = true,
  folds?: Uint8Array,
): Promise<Evaluation> {
  const fold = folds ?? stratifiedFolds(labels, k, options.seed);
  const oof = new Float64Array(labels.length);
  const foldAucs: number[] = [];
  const importance = new Float64Array(table.names.length);
  const permDrop = new Float64Array(table.names.length);
  let seconds = 0;
  for (let f = 0; f < k; f++) {
    const train = Uint32Array.from({ length: labels.length }, (_, i) => i).filter((i) => fold[i] !== f);
    const test = Uint32Array.from({ length: labels.length }, (_, i) => i).filter((i) => fold[i] === f);
    const started = performance.now();
    const model: ForestModel = await trainForest(table, labels, train, options);
    seconds += (performance.now() - started) / 1000;
    const p = predictForest(model, table, test);
    test.forEach((i, q) => (oof[i] = p[q]!));
    const testLabels = Array.from(test, (i) => labels[i]!);
    const auc = rocAuc(p, testLabels);
    foldAucs.push(auc);
    model.impurityImportance.forEach((v, j) => (importance[j]! += v / k));
    if (permutation) {
      // On at most PERMUTATION_ROWS held-out rows per fold (an evenly spaced subset): enough for a stable ranking.
      const step = Math.max(1, Math.floor(test.length / PERMUTATION_ROWS));
      const subset = test.filter((_, q) => q % step === 0);
      const subsetLabels = Array.from(subset, (i) => labels[i]!);
      const base = rocAuc(predictForest(model, table, subset), subsetLabels);
      for (let j = 0; j < table.names.length; j++) {
        const pj = predictForest(model, permuted(table, j, subset, options.seed + j), subset);
        permDrop[j]! += (base - rocAuc(pj, subsetLabels)) / k;
      }
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
